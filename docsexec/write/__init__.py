"""Stage 4, write: new outputs into the page (rewrite), per-engine tabs, the page's provenance
record, and a translation's copy of its source page's blocks (translation). Used by `update`
(and `translation mark`) only; stamp.py is the read-only rule of a current provenance line."""
