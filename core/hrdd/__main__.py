"""``python -m hrdd``: the same command line as the ``hrdd`` console script."""

import sys

from hrdd.cli import main

sys.exit(main())
