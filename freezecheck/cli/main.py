"""The ``freezecheck`` command (also ``python -m freezecheck``): compare, measure,
declare, identical, false-alarms and replication, and the commands installed packages
add (freezecheck/cli/plugins.py). ``freezecheck COMMAND --help`` says what each takes."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

from freezecheck.cli import plugins as command_plugins
from freezecheck.describe.recipe import DEFAULT_ALPHA, check_alpha, check_positive_int
from freezecheck.errors import ConfigError, FreezecheckError
from freezecheck.judge.statistics import MIN_SEEDS


def measurement_files(command: argparse.ArgumentParser, help_text: str) -> None:
    """The positional FILE... that every command reading measurements takes."""
    command.add_argument("measurements", nargs="+", type=Path, metavar="FILE", help=help_text)


def build_parser(plugins=None) -> argparse.ArgumentParser:
    """The command line: one subcommand per command, every argument with its help;
    ``plugins`` as :func:`main` takes them."""
    return _build(plugins)[0]


def _build(plugins=None) -> tuple[argparse.ArgumentParser, command_plugins.CommandLine]:
    """The parser, and the command line whose handlers run its subcommands: the
    library's, then those ``plugins`` add (register functions; None: the installed
    ones, command_plugins.installed)."""
    from freezecheck import __version__

    parser = argparse.ArgumentParser(
        prog="freezecheck",
        description="Commands around the freezecheck pytest suite (the tests themselves "
                    "run with pytest). Also runs as python -m freezecheck.")
    parser.add_argument("--version", action="version", version=f"freezecheck {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli = command_plugins.CommandLine(commands)
    compare = cli.add_command(
        "compare", _compare, help="merge the reports of several environments into one table and plot",
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
    measure = cli.add_command(
        "measure", _measure,
        help="train an experiment's variants over several seeds on Dask (an embedded "
             "local cluster, or --scheduler) into a run store and a measurements file",
        description="Train each (variant, seed) on Dask distributed, store every finished "
                    "run in the run store, and append one JSON line per run to a "
                    "measurements file; a re-run skips what the file holds. The "
                    "variants of --experiment, on its declared recipe; an installed "
                    "package may add options that choose what it measures without it "
                    "(listed below).")
    measure.add_argument("--experiment", default=None, metavar="PATH::NAME",
                         help="measure the variants of the freezecheck.Experiment named NAME "
                              "in the test module PATH (NAME may be left out when it "
                              "declares one), on its declared recipe")
    measure.add_argument("--seeds", default="5",
                         help="N for seeds 0..N-1, or A-B for seeds A..B (default: %(default)s)")
    measure.add_argument("--store-dir", type=Path, required=True, metavar="DIR",
                         help="run store to train into and reuse from")
    measure.add_argument("--out", type=Path, required=True, metavar="FILE",
                         help="measurements file (JSON lines) to append to")
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
    identical = cli.add_command(
        "identical", _identical, help="group environments whose runs are bitwise the same, and say how "
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
                                "in DIR/ENVIRONMENT/ (e.g. the references/ directory beside "
                                "the test module)")
    identical.add_argument("--out", type=Path, default=None, metavar="MARKDOWN_FILE",
                           help="also write the Markdown to this file")
    declare = cli.add_command(
        "declare", _declare, help="declare what an experiment's variants do, from its measurements "
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
    measurement_files(declare, "measurement files (JSON lines) of the experiment")
    declare.add_argument("--out", type=Path, default=None, metavar="JSON_FILE",
                         help="the file to write (default: declarations/NAME.json beside "
                              "the test module, where its tests read it)")
    declare.add_argument("--alpha", type=float, default=DEFAULT_ALPHA,
                         help="the curve claims' significance level, in (0, 1) "
                              "(default: %(default)s)")
    alarms = cli.add_command(
        "false-alarms", functools.partial(_audit, cli),
        help="measure the statistical mode's false-alarm rate by comparing "
             "seeds of one variant against each other",
        description="Split one variant's seeds into two groups in every way, compare each "
                    "group against the other as its experiment's curve tolerance "
                    "says, and print how many splits are called different at each "
                    "significance level. Any experiment's measurements.")
    measurement_files(alarms, "measurement files (JSON lines) holding the variant's seeds, "
                               "or results.json")
    alarms.add_argument("--variant", default=None,
                        help="the variant whose seeds are split (default: the baseline "
                             "measured at the most seeds in one environment and data set, "
                             "the first by id among equals)")
    alarms.add_argument("--group-size", type=int, default=MIN_SEEDS,
                        help=f"seeds per group, at least {MIN_SEEDS} (default: %(default)s)")
    alarms.add_argument("--alphas", default="0.01,0.05",
                        help="comma-separated significance levels, each in (0, 1) "
                             "(default: %(default)s)")
    replication = cli.add_command(
        "replication", functools.partial(_audit, cli),
        help="measure how often the regression gate fails on unchanged code: declare "
             "from the first five of ten seeds, judge the last five, and the reverse "
             "(variants with 10+ seeds)",
        description="For every variant measured at ten or more seeds with its baseline, "
                    "declare its claim and gap from the first five seeds and judge the "
                    "last five with the one-sided regression gate, as a session of five "
                    "seeds and one seed at a time, and the reverse; print the failures and "
                    "stale declarations per variant, and the totals with Clopper-Pearson "
                    "bounds counting disjoint seed sets only. Any experiment's "
                    "measurements, each judged by its experiment's curve gates.")
    measurement_files(replication, "measurement files (JSON lines) or results.json")
    replication.add_argument("--alpha", type=float, default=DEFAULT_ALPHA,
                             help="the curve claims' significance level, in (0, 1) "
                                  "(default: %(default)s)")
    found = (command_plugins.installed() if plugins is None
             else [(getattr(p, "__module__", repr(p)), p) for p in plugins])
    command_plugins.register_all(cli, found)
    return parser, cli


def main(argv=None, plugins=None) -> int:
    """Run one subcommand. Exit status: 0 done; 1 compare --fail-beyond found a value
    beyond the tolerance; 2 bad arguments or input (the argument, or the file, line and
    field, named on stderr).

    ``plugins``: the register functions of the packages whose commands to add
    (freezecheck/cli/plugins.py); None: those installed (the entry point group
    ``freezecheck.commands``)."""
    try:
        parser, cli = _build(plugins)
    except FreezecheckError as exc:
        print(f"freezecheck: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    return cli.handlers[args.command](args)


def _compare(args) -> int:
    from freezecheck.reporting.compare import run_compare

    try:
        lines, beyond = run_compare(args.reports, args.out)
    except (FreezecheckError, OSError) as exc:
        return fail("compare", exc)
    print("\n".join(lines))
    print(f"\nwritten: {args.out / 'compare.md'}, {args.out / 'compare.png'}")
    if args.fail_beyond and beyond:
        print(f"freezecheck compare: {len(beyond)} value{'s' if len(beyond) > 1 else ''} "
              f"beyond the tolerance (--fail-beyond):", file=sys.stderr)
        for line in beyond:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


def fail(command: str, exc: Exception) -> int:
    """Say why ``command`` cannot go on, without a traceback; the status for bad input."""
    if isinstance(exc, OSError) and exc.filename and not isinstance(exc, FreezecheckError):
        # Files are read through reporting.readers, so this is one being written.
        exc = f"{exc.filename}: cannot be written: {exc.strerror}"
    print(f"freezecheck {command}: {exc}", file=sys.stderr)
    return 2


def write_file(path: Path, content: str) -> None:
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


def _measure(args) -> int:
    from freezecheck.cli import measure
    from freezecheck.cli.locate import locate

    try:
        seeds = measure.seed_range(args.seeds)
        check_positive_int("--workers", args.workers)
        if args.experiment is None:
            raise ConfigError("measure expected --experiment PATH::NAME: the test module "
                              "that declares the freezecheck.Experiment to measure, and its "
                              "name (docs/own-experiment.md)")
        ref = locate(args.experiment)
        return measure.run_experiment(ref, seeds, store_dir=args.store_dir, out=args.out,
                                      workers=args.workers, scheduler=args.scheduler,
                                      cpu=args.cpu_type)
    except (FreezecheckError, ValueError) as exc:
        print(f"freezecheck measure: {exc}", file=sys.stderr)
        return 2


def _audit(cli, args) -> int:
    """``false-alarms`` and ``replication``, on any experiment's measurements."""
    from freezecheck.reporting import audits, measurements

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
        rows = measurements.read_rows(args.measurements)
        tolerance = curve_tolerance(cli.curve_tolerances)
        if args.command == "replication":
            print("\n".join(audits.replication(rows, args.alpha, tolerance)))
            return 0
        variant = args.variant or audits.default_variant(rows)
        print("\n".join(audits.false_alarms(rows, variant, args.group_size, alphas,
                                            tolerance)))
        return 0
    except (FreezecheckError, OSError, ValueError) as exc:
        return fail(args.command, exc)


def curve_tolerance(sources=()):
    """``tolerance(row) -> CurveTolerance``: the curve gates the row records (a
    session's runs, and lines ``measure --experiment`` writes), else those of the
    experiment it names (PATH::NAME, as measured), else what one of ``sources`` (the
    installed packages', CommandLine.add_curve_tolerance) says of it. A row none of
    them tells is refused, naming it."""
    from freezecheck.cli.locate import locate
    from freezecheck.describe.recipe import DEFAULT_MARGIN, CurveTolerance
    from freezecheck.describe.session import SessionOptions

    loaded: dict = {}

    def tolerance(row: dict) -> CurveTolerance:
        gates = row.get("curve_gates")
        if isinstance(gates, dict):
            # Lines measured before the margin was recorded take the default one.
            return CurveTolerance(gates["curve_band"], gates["curve_level"],
                                  gates["curve_max_lag"],
                                  gates.get("curve_margin", DEFAULT_MARGIN))
        spec = row.get("experiment")
        if isinstance(spec, str) and "::" in spec:
            if spec not in loaded:
                loaded[spec] = locate(spec).load().gates_for(SessionOptions()).curve
            return loaded[spec]
        for source in sources:
            found = source(row)
            if found is not None:
                return found
        raise ConfigError(f"{row['variant']} seed {row['seed']} ({row['environment']}, "
                          f"{row['dataset']}): its line records no curve gates and names no "
                          f"experiment, so there is no tolerance to judge it by. Measure it "
                          f"with freezecheck measure --experiment PATH::NAME, which records "
                          f"both")
    return tolerance


def _identical(args) -> int:
    from freezecheck.reporting.identical import text

    try:
        markdown = text(args.reports, args.references)
        if args.out:
            write_file(args.out, markdown)
    except (FreezecheckError, OSError, ValueError) as exc:
        return fail("identical", exc)
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
        write_file(out, document)
    except (FreezecheckError, OSError, ValueError) as exc:
        return fail("declare", exc)
    for environment, datasets in table.items():
        for dataset, part in datasets.items():
            claimed = {v: e.get("curve_claim", f"{len(e['seeds'])} seed(s)")
                       for v, e in part["variants"].items()}
            print(f"{environment} {dataset}: " + ", ".join(f"{v} {c}" for v, c in claimed.items()))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
