"""What users touch: the command line, the pytest plugin and the MkDocs plugin (with its
Markdown extension). Each calls the stages through verify.py or site/."""
