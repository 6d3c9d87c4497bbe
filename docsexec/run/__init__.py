"""Stage 2, run: one page's blocks typed into one shell against one engine (the runner, the
shell session under a pseudo-terminal, and the environment the shell runs in)."""
