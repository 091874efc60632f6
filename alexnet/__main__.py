"""Entry point of ``python -m alexnet`` (see alexnet.cli)."""

import sys

from alexnet.cli import main

if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `python -m alexnet shapes | head`: the reader left, nothing is wrong
        sys.stderr.close()
        sys.exit(0)
