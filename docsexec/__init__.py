"""docsexec: run the tagged terminal transcripts of Markdown pages against a real Docker engine.

The data path is the stage folders, in order (model.py types what flows between them):

    scan/      a page -> its tagged blocks (options, commands, per-engine variants)
    run/       blocks -> results: one shell per page, on an engine (engine/: behind one
               interface, a private sandbox per page or the caller's own, `--engine shared`)
    compare/   results -> verdicts: recorded outputs against real ones
    write/     verdicts -> the page rewritten with the real outputs (`update` only)
    report/    verdicts -> diffs, progress, JSON and JUnit reports

verify.py takes one page on one engine through them, and a translation, with its source page
in place of a run; pages/ does so for many pages (the run plan, jobs at once, the run cache,
shards, journeys); faces/ is what users touch (the
command line, the pytest, MkDocs and Markdown plugins). A folder imports only those listed
before it (LAYERS in tests/test_code_quality.py).
"""

__version__ = "0.1.0"
