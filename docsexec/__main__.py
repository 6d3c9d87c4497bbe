"""`python -m docsexec` is the same as the `docsexec` command."""

import sys

from .cli import main

sys.exit(main())
