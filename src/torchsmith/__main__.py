"""`python -m torchsmith`: the same entry point as the console script."""

import sys

from torchsmith.cli import main

sys.exit(main())
