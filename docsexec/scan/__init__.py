"""Stage 1, scan: a page's text to its tagged blocks (fences, options, transcripts), the blocks
each engine runs (variants), and a page's structure beyond its blocks: which page a translation
translates (translations) and its sections (sections). Nothing here runs anything."""
