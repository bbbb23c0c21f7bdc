"""Command line: ``python -m freezecheck compare DIR... [--out DIR]`` and
``python -m freezecheck measure ...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from freezecheck.errors import FreezecheckError
from freezecheck.models import MODEL_NAMES


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m freezecheck")
    commands = parser.add_subparsers(dest="command", required=True)
    compare = commands.add_parser(
        "compare", help="merge the reports of several environments into one table and plot")
    compare.add_argument("reports", nargs="+", type=Path,
                         help="report directories (each holding results.json)")
    compare.add_argument("--out", type=Path, default=Path("freezecheck-compare"),
                         help="where compare.md and compare.png go (default: %(default)s)")
    measure = commands.add_parser(
        "measure", help="train families of variants over several seeds into a run store "
                        "and a measurements file (full-tier recipe)")
    measure.add_argument("--families", default="single",
                         help="comma-separated families, or all (default: %(default)s)")
    measure.add_argument("--models", default=",".join(MODEL_NAMES),
                         help="comma-separated models (default: %(default)s)")
    measure.add_argument("--seeds", default="5",
                         help="N for seeds 0..N-1, or A-B for seeds A..B (default: %(default)s)")
    measure.add_argument("--dataset", default="mnist", help="mnist or fashion-mnist")
    measure.add_argument("--data-dir", default=None, help="the data set's directory")
    measure.add_argument("--store-dir", type=Path, required=True,
                         help="run store to train into and reuse from")
    measure.add_argument("--out", type=Path, required=True,
                         help="measurements file (JSON lines) to append to")
    measure.add_argument("--workers", type=int, default=2,
                         help="training processes, one thread each (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.command == "measure":
        return _measure(args)

    from freezecheck.compare import run_compare

    try:
        lines = run_compare(args.reports, args.out)
    except FreezecheckError as exc:
        print(f"freezecheck compare: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    print(f"\nwritten: {args.out / 'compare.md'}, {args.out / 'compare.png'}")
    return 0


def _measure(args) -> int:
    from freezecheck import families, measure
    from freezecheck.data import check_dataset_name
    from freezecheck.models import check_model_name

    try:
        chosen = families.parse_families(args.families)
        models = [check_model_name(m.strip()) for m in args.models.split(",")]
        check_dataset_name(args.dataset)
        seeds = measure.seed_range(args.seeds)
    except (FreezecheckError, ValueError) as exc:
        print(f"freezecheck measure: {exc}", file=sys.stderr)
        return 2
    return measure.run(families.variants(chosen, models), seeds, dataset=args.dataset,
                       data_dir=args.data_dir, store_dir=args.store_dir, out=args.out,
                       workers=args.workers)


if __name__ == "__main__":
    sys.exit(main())
