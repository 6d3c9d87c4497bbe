"""What users touch: the command line, the pytest plugin and the MkDocs plugin (with its
Markdown extension, the site gate and badge). Each calls the stages through verify.py (one
page on one engine) or pages/ (many pages: pages/batch.py), never a stage's internals."""
