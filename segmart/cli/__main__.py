"""``python -m segmart.cli``: the segmart command line."""

import sys

from segmart.cli import main

sys.exit(main())
