"""Many pages: the site's configuration (which engines), jobs several at a time, the run
cache, shards, the reading-order journey and the translations (twins)."""
