"""``python -m numind``: the ``numind`` command line."""

import sys

from numind._cli import main

sys.exit(main())
