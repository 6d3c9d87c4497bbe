"""docsexec: run the tagged terminal transcripts of Markdown pages against a real Docker engine.

The data path is visible from the module list:

    scan (Markdown -> Block regions) -> transcript (body -> Commands) -> session (run in one shell
    per page, inside a sandboxed engine) -> compare (expected vs actual) -> rewrite (write back)
    -> report (diffs, JSON).
"""

__version__ = "0.1.0"
