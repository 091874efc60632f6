"""Entry point of ``python -m alexnet`` (see alexnet.cli)."""

import sys

from alexnet.cli import main

if __name__ == "__main__":
    sys.exit(main())
