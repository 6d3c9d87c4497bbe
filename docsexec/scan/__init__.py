"""Stage 1, scan: a page's text to its tagged blocks (fences, options, transcripts), and the
blocks each engine runs (variants). Nothing here runs anything."""
