"""``python -m freezecheck``: the command line (freezecheck.cli.main)."""

import sys

from freezecheck.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
