"""Many pages: the run plan (what runs where, decided once), the site's configuration (which
engines), jobs several at a time, the run cache, shards and the reading-order journey.
A translation goes through verify.verify_translation; the plan only says which to check."""
