"""``python -m alignlib``: the same as the ``alignlib`` command."""

import sys

from alignlib.cli import main

sys.exit(main())
