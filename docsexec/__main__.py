"""`python -m docsexec` is the same as the `docsexec` command."""

import sys

from .faces.cli import main

sys.exit(main())
