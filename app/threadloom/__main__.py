"""``python -m threadloom``: the same as the ``threadloom`` command."""

import sys

from threadloom.cli import main

if __name__ == "__main__":
    sys.exit(main())
