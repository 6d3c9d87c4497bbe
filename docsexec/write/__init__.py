"""Stage 4, write: new outputs into the page (rewrite), per-engine tabs, and the page's
provenance record. Used by `update` only."""
