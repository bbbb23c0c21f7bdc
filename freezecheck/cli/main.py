"""The ``freezecheck`` command (also ``python -m freezecheck``): compare, measure,
expectations, findings, false-alarms and replication. ``freezecheck COMMAND --help`` says what each
takes."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from freezecheck.builtin.models import MODEL_NAMES
from freezecheck.builtin.settings import DEFAULT_DATASET, FALSE_ALARM_VARIANT
from freezecheck.describe.recipe import DEFAULT_ALPHA, check_alpha, check_positive_int
from freezecheck.errors import ConfigError, FreezecheckError
from freezecheck.judge.statistics import MIN_SEEDS


def _measurement_files(command: argparse.ArgumentParser, help_text: str) -> None:
    """The positional FILE... that every command reading measurements takes."""
    command.add_argument("measurements", nargs="+", type=Path, metavar="FILE", help=help_text)


def build_parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per command, every argument with its help."""
    from freezecheck import __version__
    from freezecheck.builtin.datasets import DATASET_NAMES
    from freezecheck.builtin.families import FAMILIES

    parser = argparse.ArgumentParser(
        prog="freezecheck",
        description="Commands around the freezecheck pytest suite (the tests themselves "
                    "run with pytest). Also runs as python -m freezecheck.")
    parser.add_argument("--version", action="version", version=f"freezecheck {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    compare = commands.add_parser(
        "compare", help="merge the reports of several environments into one table and plot",
        description="Merge the results.json of several sessions (one per environment) "
                    "into compare.md and compare.png.")
    compare.add_argument("reports", nargs="+", type=Path, metavar="REPORT_DIR",
                         help="report directories (each holding results.json)")
    compare.add_argument("--out", type=Path, default=Path("freezecheck-compare"),
                         help="where compare.md and compare.png go (default: %(default)s)")
    compare.add_argument("--fail-beyond", action="store_true",
                         help="exit with status 1 when a value moved from the first "
                              "report's by more than the tolerance (starred in the table), "
                              "and say which; 0 otherwise (for CI)")
    measure = commands.add_parser(
        "measure", help="train families of variants (or your experiment's variants) over "
                        "several seeds on Dask (an embedded local cluster, or --scheduler) "
                        "into a run store and a measurements file",
        description="Train each (variant, seed) on Dask distributed, store every finished "
                    "run in the run store, and append one JSON line per run to a "
                    "measurements file; a re-run skips what the file holds. The built-in "
                    "experiment's families by default; your own with --experiment.")
    measure.add_argument("--experiment", default=None, metavar="PATH::NAME",
                         help="measure the variants of the freezecheck.Experiment named NAME "
                              "in the test module PATH (NAME may be left out when it "
                              "declares one), on its declared recipe; --families, --models, "
                              "--dataset, --data-dir and --tier are the built-in "
                              "experiment's and do not apply")
    measure.add_argument("--families", default=None,
                         help=f"comma-separated families ({', '.join(FAMILIES)}), or all "
                              f"(default: single)")
    measure.add_argument("--models", default=None,
                         help=f"comma-separated models ({', '.join(MODEL_NAMES)}) "
                              f"(default: all)")
    measure.add_argument("--seeds", default="5",
                         help="N for seeds 0..N-1, or A-B for seeds A..B (default: %(default)s)")
    measure.add_argument("--dataset", default=None, choices=DATASET_NAMES,
                         help=f"the data set (default: {DEFAULT_DATASET})")
    measure.add_argument("--data-dir", default=None, metavar="DIR",
                         help="the data set's directory (default: as the pytest option "
                              "--freezecheck-data-dir: environment variable, system "
                              "package, then download)")
    measure.add_argument("--store-dir", type=Path, required=True, metavar="DIR",
                         help="run store to train into and reuse from")
    measure.add_argument("--out", type=Path, required=True, metavar="FILE",
                         help="measurements file (JSON lines) to append to")
    measure.add_argument("--tier", choices=("full", "smoke"), default=None,
                         help="whose recipe to train with (default: full)")
    measure.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                         help="worker processes of the embedded cluster, one thread each "
                              "(default: the core count, %(default)s)")
    measure.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                         help="send the runs to this Dask scheduler instead of an embedded "
                              "cluster (its workers started by `dask worker` with one thread "
                              "each)")
    measure.add_argument("--cpu-type", default="auto", metavar="TYPE",
                         help="train only on workers of this CPU type (as each run's line "
                              "and store key name it, e.g. x86_64:8105cd80d0d4bd3a), since "
                              "runs on other types are not bitwise alike; auto: this "
                              "machine's type if a worker has it, else the commonest; any: "
                              "every worker (default: %(default)s)")
    expectations = commands.add_parser(
        "expectations", help="make the expectations table (JSON) from measurement files",
        description="Read measurement files, refuse a run measured twice with different "
                    "curves, write the expectations table, and optionally re-render the "
                    "expectations tables of a Markdown page.")
    _measurement_files(expectations, "measurement files (JSON lines) or full-tier results.json")
    expectations.add_argument("--out", type=Path, required=True, metavar="JSON_FILE",
                              help="the table to write; the built-in experiment's, in a "
                                   "checkout of freezecheck, is "
                                   "freezecheck/builtin/expectations.json")
    expectations.add_argument("--page", type=Path, default=None, metavar="MARKDOWN_FILE",
                              help="also re-render the tables between '<!-- expectations ENV "
                                   "DATASET -->' and '<!-- /expectations -->' in this file "
                                   "(the docs keep them in docs/findings.md)")
    identical = commands.add_parser(
        "identical", help="group environments whose runs are bitwise the same, and say how "
                          "far the others move",
        description="Read each report directory's results.json (one session per "
                    "environment, e.g. per tox environment) and print Markdown: the groups "
                    "of environments whose runs repeat every curve, test accuracy and weight "
                    "sha256; each variant's largest difference to the first group; and, "
                    "with --references, each environment's runs against its own references.")
    identical.add_argument("reports", nargs="+", type=Path, metavar="REPORT_DIR",
                           help="directories holding a results.json")
    identical.add_argument("--references", type=Path, default=None, metavar="DIR",
                           help="also hold each environment's runs against its references "
                                "in DIR/ENVIRONMENT/ (e.g. freezecheck/builtin/references)")
    identical.add_argument("--out", type=Path, default=None, metavar="MARKDOWN_FILE",
                           help="also write the Markdown to this file")
    declare = commands.add_parser(
        "declare", help="declare what an experiment's variants do, from its measurements "
                        "(a JSON file its tests judge by)",
        description="Read the measurement files `freezecheck measure --experiment` wrote, "
                    "refuse a run measured twice with different curves, and write the "
                    "experiment's declarations: per environment and data set, each "
                    "variant's final accuracies, whether its first seed kept the curve "
                    "gates, and from five seeds the curve claim (follows, leaves or "
                    "undetermined). Review and commit the file; the tests read it.")
    declare.add_argument("--experiment", required=True, metavar="PATH::NAME",
                         help="the freezecheck.Experiment named NAME in the test module PATH "
                              "(NAME may be left out when it declares one)")
    _measurement_files(declare, "measurement files (JSON lines) of the experiment")
    declare.add_argument("--out", type=Path, default=None, metavar="JSON_FILE",
                         help="the file to write (default: declarations/NAME.json beside "
                              "the test module, where its tests read it)")
    declare.add_argument("--alpha", type=float, default=DEFAULT_ALPHA,
                         help="the curve claims' significance level, in (0, 1) "
                              "(default: %(default)s)")
    findings = commands.add_parser(
        "findings", help="draw the findings plots (and optionally their tables) from "
                         "measurement files",
        description="One plot per environment and data set: the single layers and blocks "
                    "at every seed, and the frozen layers against distributions.")
    _measurement_files(findings, "measurement files (JSON lines) or full-tier results.json")
    findings.add_argument("--out", type=Path, default=Path("freezecheck-findings"),
                          help="directory for the plots (default: %(default)s)")
    findings.add_argument("--tables", type=Path, default=None, metavar="MARKDOWN_FILE",
                          help="also write a table per data set and model to this file")
    alarms = commands.add_parser(
        "false-alarms", help="measure the statistical mode's false-alarm rate by comparing "
                             "seeds of one variant against each other",
        description="Split one variant's seeds into two groups in every way, compare each "
                    "group against the other, and print how many splits are called "
                    "different at each significance level.")
    _measurement_files(alarms, "measurement files (JSON lines) holding the variant's seeds")
    alarms.add_argument("--variant", default=FALSE_ALARM_VARIANT,
                        help="the variant whose seeds are split (default: %(default)s)")
    alarms.add_argument("--group-size", type=int, default=MIN_SEEDS,
                        help=f"seeds per group, at least {MIN_SEEDS} (default: %(default)s)")
    alarms.add_argument("--alphas", default="0.01,0.05",
                        help="comma-separated significance levels, each in (0, 1) "
                             "(default: %(default)s)")
    replication = commands.add_parser(
        "replication", help="measure how often the regression gate fails on unchanged "
                            "code: declare from seeds 0-4, judge 5-9, and the reverse "
                            "(variants with 10+ seeds)",
        description="For every variant measured at ten or more seeds with its baseline, "
                    "declare its claim and gap from the first five seeds and judge the "
                    "last five with the one-sided regression gate, as a session of five "
                    "seeds and one seed at a time, and the reverse; print the failures and "
                    "stale declarations per variant, and the totals with Clopper-Pearson "
                    "bounds counting disjoint seed sets only.")
    _measurement_files(replication, "measurement files (JSON lines) or full-tier results.json")
    replication.add_argument("--alpha", type=float, default=DEFAULT_ALPHA,
                             help="the curve claims' significance level, in (0, 1) "
                                  "(default: %(default)s)")
    return parser


def main(argv=None) -> int:
    """Run one subcommand. Exit status: 0 done; 1 compare --fail-beyond found a value
    beyond the tolerance; 2 bad arguments or input (the argument, or the file, line and
    field, named on stderr)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("findings", "false-alarms", "replication"):
        return _findings(args)
    if args.command == "measure":
        return _measure(args)
    if args.command == "expectations":
        return _expectations(args, argv)
    if args.command == "declare":
        return _declare(args)
    if args.command == "identical":
        return _identical(args)
    return _compare(args)


def _compare(args) -> int:
    from freezecheck.reporting.compare import run_compare

    try:
        lines, beyond = run_compare(args.reports, args.out)
    except (FreezecheckError, OSError) as exc:
        return _fail("compare", exc)
    print("\n".join(lines))
    print(f"\nwritten: {args.out / 'compare.md'}, {args.out / 'compare.png'}")
    if args.fail_beyond and beyond:
        print(f"freezecheck compare: {len(beyond)} value{'s' if len(beyond) > 1 else ''} "
              f"beyond the tolerance (--fail-beyond):", file=sys.stderr)
        for line in beyond:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


def _fail(command: str, exc: Exception) -> int:
    """Say why ``command`` cannot go on, without a traceback; the status for bad input."""
    if isinstance(exc, OSError) and exc.filename and not isinstance(exc, FreezecheckError):
        # Files are read through reporting.readers, so this is one being written.
        exc = f"{exc.filename}: cannot be written: {exc.strerror}"
    print(f"freezecheck {command}: {exc}", file=sys.stderr)
    return 2


def _write(path: Path, content: str) -> None:
    """write_atomic, a failure naming ``path`` (not its temporary file)."""
    from freezecheck.files import write_atomic

    try:
        write_atomic(path, content)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be written: {exc.strerror}") from None


def _alphas(text: str) -> list[float]:
    """``--alphas``: comma-separated significance levels, each in (0, 1)."""
    expected = "--alphas expected comma-separated numbers in (0, 1), e.g. 0.01,0.05"
    try:
        alphas = [float(item) for item in text.split(",")]
    except ValueError:
        raise ConfigError(f"{expected}. Received: --alphas={text!r}") from None
    outside = [a for a in alphas if not 0 < a < 1]
    if outside:
        raise ConfigError(f"{expected}. Received: --alphas={text!r} ({outside[0]} is not "
                          f"in (0, 1))")
    return alphas


BUILTIN_ONLY = ("families", "models", "dataset", "data_dir", "tier")  # measure's options


def _measure(args) -> int:
    from freezecheck.builtin import families
    from freezecheck.builtin.datasets import check_dataset_name
    from freezecheck.builtin.models import check_model_name
    from freezecheck.cli import measure
    from freezecheck.cli.locate import locate

    try:
        seeds = measure.seed_range(args.seeds)
        check_positive_int("--workers", args.workers)
        if args.experiment is not None:
            given = [f"--{name.replace('_', '-')}" for name in BUILTIN_ONLY
                     if getattr(args, name) is not None]
            if given:
                raise ConfigError(f"{', '.join(given)} choose what the built-in experiment "
                                  f"measures; --experiment measures its own variants on its "
                                  f"declared recipe and data. Leave out {', '.join(given)}")
            ref = locate(args.experiment)
        else:
            chosen = families.parse_families(args.families or "single")
            models = [check_model_name(m.strip())
                      for m in (args.models or ",".join(MODEL_NAMES)).split(",")]
            dataset = args.dataset or DEFAULT_DATASET
            check_dataset_name(dataset)
    except (FreezecheckError, ValueError) as exc:
        print(f"freezecheck measure: {exc}", file=sys.stderr)
        return 2
    try:
        if args.experiment is not None:
            return measure.run_experiment(ref, seeds, store_dir=args.store_dir, out=args.out,
                                          workers=args.workers, scheduler=args.scheduler,
                                          cpu=args.cpu_type)
        return measure.run(families.variants(chosen, models), seeds, dataset=dataset,
                           data_dir=args.data_dir, store_dir=args.store_dir, out=args.out,
                           workers=args.workers, tier=args.tier or "full",
                           scheduler=args.scheduler, cpu=args.cpu_type)
    except FreezecheckError as exc:
        print(f"freezecheck measure: {exc}", file=sys.stderr)
        return 2


def _findings(args) -> int:
    from freezecheck.reporting import findings, tabulate

    try:
        # The arguments first: a wrong one is said before the files are read.
        if args.command == "replication":
            check_alpha(args.alpha, "--alpha")
        if args.command == "false-alarms":
            if args.group_size < MIN_SEEDS:
                raise ConfigError(f"--group-size expected an integer >= {MIN_SEEDS}: the "
                                  f"statistical mode compares groups of at least {MIN_SEEDS} "
                                  f"seeds. Received: --group-size={args.group_size}")
            alphas = _alphas(args.alphas)
        rows = tabulate.read_rows(args.measurements)
        if args.command == "replication":
            print("\n".join(findings.replication(rows, args.alpha)))
            return 0
        if args.command == "false-alarms":
            print("\n".join(findings.false_alarms(rows, args.variant, args.group_size,
                                                  alphas)))
            return 0
        written = findings.write(rows, args.out, args.tables)
    except (FreezecheckError, OSError, ValueError) as exc:
        return _fail(args.command, exc)
    print("written: " + ", ".join(map(str, written)))
    return 0


def _expectations(args, argv) -> int:
    from freezecheck.judge.declarations import document as table_document
    from freezecheck.reporting import readers, tabulate

    try:
        measured = tabulate.tabulate(tabulate.read_rows(args.measurements))
        # The page is read before anything is written: a wrong --page writes nothing.
        page = (readers.read_text(args.page, "a Markdown page with expectations blocks, "
                                             "for --page") if args.page else None)
        command = ("python -m freezecheck expectations "
                   + " ".join(str(p) for p in args.measurements) + f" --out {args.out}")
        _write(args.out, table_document(measured, command))
        if page is not None:
            _write(args.page, tabulate.render_page(page, measured))
    except (FreezecheckError, OSError, ValueError) as exc:
        return _fail("expectations", exc)
    for environment, datasets in measured.items():
        for dataset, table in datasets.items():
            print(f"{environment} {dataset}: {len(table['variants'])} variants, "
                  f"seed spread {table['seed_spread']}")
    print(f"written: {args.out}")
    return 0


def _identical(args) -> int:
    from freezecheck.reporting.identical import text

    try:
        markdown = text(args.reports, args.references)
        if args.out:
            _write(args.out, markdown)
    except (FreezecheckError, OSError, ValueError) as exc:
        return _fail("identical", exc)
    sys.stdout.write(markdown)
    return 0


def _declare(args) -> int:
    from freezecheck.cli.locate import locate
    from freezecheck.describe.recipe import check_alpha
    from freezecheck.reporting.declare import declarations_of

    try:
        check_alpha(args.alpha, "--alpha")
        ref = locate(args.experiment)
        experiment = ref.load()
        out = args.out or experiment.declarations_path(Path(ref.path).parent)
        command = (f"freezecheck declare --experiment {args.experiment} "
                   + " ".join(str(p) for p in args.measurements)
                   + (f" --out {args.out}" if args.out else ""))
        table, document = declarations_of(experiment, args.measurements, alpha=args.alpha,
                                          command=command)
        out.parent.mkdir(parents=True, exist_ok=True)
        _write(out, document)
    except (FreezecheckError, OSError, ValueError) as exc:
        return _fail("declare", exc)
    for environment, datasets in table.items():
        for dataset, part in datasets.items():
            claimed = {v: e.get("curve_claim", f"{len(e['seeds'])} seed(s)")
                       for v, e in part["variants"].items()}
            print(f"{environment} {dataset}: " + ", ".join(f"{v} {c}" for v, c in claimed.items()))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
