"""docsexec: run the tagged terminal transcripts of Markdown pages against a real Docker engine.

The data path is the stage folders, in order (model.py types what flows between them):

    scan/      a page -> its tagged blocks (options, commands, per-engine variants)
    run/       blocks -> results: one shell per page, on an engine (engine/: a private sandbox;
               caller_engine/: the caller's own engine, `--engine shared`)
    compare/   results -> verdicts: recorded outputs against real ones
    write/     verdicts -> the page rewritten with the real outputs (`update` only)
    report/    verdicts -> diffs, progress, JSON and JUnit reports

verify.py takes one page on one engine through them; pages/ does so for many pages (jobs at
once, the run cache, shards, translations, journeys); faces/ is what users touch (the
command line, the pytest, MkDocs and Markdown plugins). A folder imports only those listed
before it (LAYERS in tests/test_code_quality.py).
"""

__version__ = "0.1.0"
