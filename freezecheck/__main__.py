"""Command line: ``python -m freezecheck compare DIR... [--out DIR]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from freezecheck.errors import FreezecheckError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m freezecheck")
    commands = parser.add_subparsers(dest="command", required=True)
    compare = commands.add_parser(
        "compare", help="merge the reports of several environments into one table and plot")
    compare.add_argument("reports", nargs="+", type=Path,
                         help="report directories (each holding results.json)")
    compare.add_argument("--out", type=Path, default=Path("freezecheck-compare"),
                         help="where compare.md and compare.png go (default: %(default)s)")
    args = parser.parse_args(argv)

    from freezecheck.compare import run_compare

    try:
        lines = run_compare(args.reports, args.out)
    except FreezecheckError as exc:
        print(f"freezecheck compare: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    print(f"\nwritten: {args.out / 'compare.md'}, {args.out / 'compare.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
