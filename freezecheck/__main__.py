"""Command line: ``python -m freezecheck compare DIR... [--out DIR]`` and
``python -m freezecheck measure ...``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from freezecheck.config import DEFAULT_ALPHA
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
        "measure", help="train families of variants over several seeds on Dask (an "
                        "embedded local cluster, or --scheduler) into a run store and a "
                        "measurements file")
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
    measure.add_argument("--tier", choices=("full", "smoke"), default="full",
                         help="whose recipe to train with (default: %(default)s)")
    measure.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                         help="worker processes of the embedded cluster, one thread each "
                              "(default: the core count, %(default)s)")
    measure.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                         help="send the runs to this Dask scheduler instead of an embedded "
                              "cluster (start workers with `dask worker --nthreads 1`)")
    expectations = commands.add_parser(
        "expectations", help="make freezecheck/measured.py (the expectations table) from "
                             "measurement files, or print it as Markdown")
    expectations.add_argument("measurements", nargs="+", type=Path,
                              help="measurement files (JSON lines) or full-tier results.json")
    expectations.add_argument("--out", type=Path,
                              default=Path(__file__).parent / "measured.py",
                              help="the module to write (default: freezecheck/measured.py)")
    expectations.add_argument("--readme", type=Path, default=None,
                              help="also re-render the tables between '<!-- expectations ENV "
                                   "DATASET -->' and '<!-- /expectations -->' in this file")
    findings = commands.add_parser(
        "findings", help="write the findings (Markdown tables and plots) from measurement files")
    findings.add_argument("measurements", nargs="+", type=Path)
    findings.add_argument("--out", type=Path, default=Path("freezecheck-findings"),
                          help="directory for findings.md and the plots (default: %(default)s)")
    alarms = commands.add_parser(
        "false-alarms", help="measure the statistical mode's false-alarm rate by comparing "
                             "seeds of one variant against each other")
    alarms.add_argument("measurements", nargs="+", type=Path)
    alarms.add_argument("--variant", default="lenet5-frozen=none")
    alarms.add_argument("--group-size", type=int, default=5,
                        help="seeds per group (default: %(default)s)")
    alarms.add_argument("--alphas", default="0.01,0.05",
                        help="comma-separated significance levels (default: %(default)s)")
    replication = commands.add_parser(
        "replication", help="measure how often a curve claim declared from half of the "
                            "seeds fails on the other half (variants with 10+ seeds)")
    replication.add_argument("measurements", nargs="+", type=Path,
                             help="measurement files (JSON lines) or full-tier results.json")
    replication.add_argument("--alpha", type=float, default=DEFAULT_ALPHA,
                             help="the curve claims' significance level (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.command in ("findings", "false-alarms", "replication"):
        return _findings(args)
    if args.command == "measure":
        return _measure(args)
    if args.command == "expectations":
        return _expectations(args, argv)

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
    if args.workers < 1:
        print(f"freezecheck measure: --workers expected a positive integer. Received: "
              f"{args.workers}", file=sys.stderr)
        return 2
    return measure.run(families.variants(chosen, models), seeds, dataset=args.dataset,
                       data_dir=args.data_dir, store_dir=args.store_dir, out=args.out,
                       workers=args.workers, tier=args.tier, scheduler=args.scheduler)


def _findings(args) -> int:
    from freezecheck import findings, tabulate
    from freezecheck.config import full_curve

    try:
        rows = tabulate.read_rows(args.measurements)
        if args.command == "replication":
            print("\n".join(findings.replication(rows, args.alpha)))
            return 0
        if args.command == "false-alarms":
            alphas = [float(a) for a in args.alphas.split(",")]
            levels = {row["dataset"] for row in rows}
            for dataset in sorted(levels):
                subset = [row for row in rows if row["dataset"] == dataset]
                print("\n".join(findings.false_alarms(subset, args.variant, args.group_size,
                                                      alphas, full_curve(dataset).level)))
            return 0
        written = findings.write(rows, args.out)
    except (FreezecheckError, OSError, ValueError, KeyError) as exc:
        print(f"freezecheck {args.command}: {exc}", file=sys.stderr)
        return 2
    print("written: " + ", ".join(map(str, written)))
    return 0


def _expectations(args, argv) -> int:
    from freezecheck import tabulate

    try:
        measured = tabulate.tabulate(tabulate.read_rows(args.measurements))
    except (FreezecheckError, OSError, ValueError, KeyError) as exc:
        print(f"freezecheck expectations: {exc}", file=sys.stderr)
        return 2
    command = "python -m freezecheck expectations " + " ".join(
        str(p) for p in args.measurements)
    args.out.write_text(tabulate.module_source(measured, command))
    if args.readme:
        args.readme.write_text(tabulate.render_readme(args.readme.read_text(), measured))
    for environment, datasets in measured.items():
        for dataset, table in datasets.items():
            print(f"{environment} {dataset}: {len(table['variants'])} variants, "
                  f"seed spread {table['seed_spread']}")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
