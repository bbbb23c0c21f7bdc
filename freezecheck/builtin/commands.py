"""What the built-in experiment adds to the ``freezecheck`` command, as any installed
package may (freezecheck/cli/plugins.py; the entry point ``builtin`` of the group
``freezecheck.commands`` in pyproject.toml):

- ``measure`` without ``--experiment``: its families over seeds (``--families``,
  ``--models``, ``--dataset``, ``--data-dir``, ``--tier``; freezecheck/builtin/measure.py);
- ``expectations``: its measurements to its expectations table
  (freezecheck/builtin/tabulate.py), and the findings page's figures
  (freezecheck/builtin/statements.py);
- ``findings``: its findings' plots and tables (freezecheck/builtin/findings.py);
- ``power``: how often the regression gate catches planted regressions of one of its
  variants, judged against its declaration (freezecheck/reporting/power.py);
- the curve tolerance its measurement lines are audited by (``replication``,
  ``false-alarms``): the full tier's on their data set, since its lines record none.
"""

from __future__ import annotations

import sys
from pathlib import Path

from freezecheck.builtin.datasets import DATASET_NAMES
from freezecheck.builtin.families import FAMILIES
from freezecheck.builtin.models import MODEL_NAMES
from freezecheck.builtin.settings import DEFAULT_DATASET
from freezecheck.describe.recipe import DEFAULT_ALPHA
from freezecheck.cli.main import fail, measurement_files, write_file
from freezecheck.errors import ConfigError, FreezecheckError

# measure's options that choose what the built-in experiment measures
MEASURE_OPTIONS = ("families", "models", "dataset", "data_dir", "tier")


def register(cli) -> None:
    """Add the built-in experiment's commands and options to ``cli``
    (freezecheck.cli.plugins.CommandLine)."""
    measure = cli.parser("measure")
    options = measure.add_argument_group(
        "the built-in experiment (LeNet on MNIST), measured without --experiment")
    options.add_argument("--families", default=None,
                         help=f"comma-separated families ({', '.join(FAMILIES)}), or all "
                              f"(default: single)")
    options.add_argument("--models", default=None,
                         help=f"comma-separated models ({', '.join(MODEL_NAMES)}) "
                              f"(default: all)")
    options.add_argument("--dataset", default=None, choices=DATASET_NAMES,
                         help=f"the data set (default: {DEFAULT_DATASET})")
    options.add_argument("--data-dir", default=None, metavar="DIR",
                         help="the data set's directory (default: as the pytest option "
                              "--freezecheck-data-dir: environment variable, system "
                              "package, then download)")
    options.add_argument("--tier", choices=("full", "smoke"), default=None,
                         help="whose recipe to train with (default: full)")
    cli.wrap("measure", _measure)

    power = cli.add_command(
        "power", _power,
        help="how often the regression gate catches planted regressions of a built-in "
             "variant, at 1, 5 and 10 seeds (benchmarks/power/)",
        description="Judge the planted runs (measurement lines with a 'plant' field: the "
                    "target variant planted and not, its baseline at the same seeds) "
                    "against the target's built-in declaration, as a session judges it, "
                    "on disjoint sets of 1, 5 and 10 seeds; print each plant's cost and "
                    "detection rate with its Clopper-Pearson interval.")
    measurement_files(power, "planted measurement lines (benchmarks/power/planted.jsonl)")
    power.add_argument("--alpha", type=float, default=DEFAULT_ALPHA,
                       help="the claims' significance level, in (0, 1) (default: %(default)s)")

    expectations = cli.add_command(
        "expectations", _expectations,
        help="make the built-in experiment's expectations table (JSON) from its "
             "measurement files",
        description="Read the built-in experiment's measurement files, refuse a run "
                    "measured twice with different curves, write the expectations table, "
                    "and optionally re-render the expectations tables of a Markdown page.")
    measurement_files(expectations, "measurement files (JSON lines) or full-tier results.json")
    expectations.add_argument("--out", type=Path, required=True, metavar="JSON_FILE",
                              help="the table to write; the built-in experiment's, in a "
                                   "checkout of freezecheck, is "
                                   "freezecheck/builtin/expectations.json")
    expectations.add_argument("--page", type=Path, default=None, metavar="MARKDOWN_FILE",
                              help="also re-render this file's marked blocks: the tables "
                                   "between '<!-- expectations ENV DATASET -->' and "
                                   "'<!-- /expectations -->', the sentences of '<!-- seeds "
                                   "ENV DATASET FAMILY -->' and the table of '<!-- seed-zero "
                                   "DATASET -->' (freezecheck/builtin/statements.py; the docs "
                                   "keep them in docs/findings.md)")

    findings = cli.add_command(
        "findings", _findings,
        help="draw the built-in experiment's findings plots (and optionally their "
             "tables) from its measurement files",
        description="One plot per environment and data set: the single layers and blocks "
                    "at every seed, and the frozen layers against distributions.")
    measurement_files(findings, "measurement files (JSON lines) or full-tier results.json")
    findings.add_argument("--out", type=Path, default=Path("freezecheck-findings"),
                          help="directory for the plots (default: %(default)s)")
    findings.add_argument("--tables", type=Path, default=None, metavar="MARKDOWN_FILE",
                          help="also write a table per data set and model to this file")

    cli.add_curve_tolerance(curve_tolerance)


def curve_tolerance(row: dict):
    """The curve tolerance of a built-in model's measurement line (which records none):
    the full tier's on its data set. None for any other model's."""
    from freezecheck.builtin.settings import full_curve
    from freezecheck.describe.variants import parse_id

    if "experiment" in row or parse_id(row["variant"])[0] not in MODEL_NAMES:
        return None
    return full_curve(row["dataset"])


def _measure(args, measure_experiment) -> int:
    """``measure``: the built-in experiment's families without ``--experiment``; with it,
    the library's, none of the built-in options given."""
    from freezecheck.builtin import families, measure
    from freezecheck.builtin.datasets import check_dataset_name
    from freezecheck.builtin.models import check_model_name
    from freezecheck.cli.measure import seed_range
    from freezecheck.describe.recipe import check_positive_int

    given = [f"--{name.replace('_', '-')}" for name in MEASURE_OPTIONS
             if getattr(args, name) is not None]
    try:
        if args.experiment is not None:
            if given:
                raise ConfigError(f"{', '.join(given)} choose what the built-in experiment "
                                  f"measures; --experiment measures its own variants on its "
                                  f"declared recipe and data. Leave out {', '.join(given)}")
            return measure_experiment(args)
        seeds = seed_range(args.seeds)
        check_positive_int("--workers", args.workers)
        chosen = families.parse_families(args.families or "single")
        models = [check_model_name(m.strip())
                  for m in (args.models or ",".join(MODEL_NAMES)).split(",")]
        dataset = args.dataset or DEFAULT_DATASET
        check_dataset_name(dataset)
        return measure.run(families.variants(chosen, models), seeds, dataset=dataset,
                           data_dir=args.data_dir, store_dir=args.store_dir, out=args.out,
                           workers=args.workers, tier=args.tier or "full",
                           scheduler=args.scheduler, cpu=args.cpu_type)
    except (FreezecheckError, ValueError) as exc:
        print(f"freezecheck measure: {exc}", file=sys.stderr)
        return 2


def _power(args) -> int:
    from freezecheck.builtin.experiment import EXPERIMENTS, measured_table
    from freezecheck.describe.recipe import check_alpha
    from freezecheck.describe.variants import parse_id
    from freezecheck.reporting import power

    try:
        check_alpha(args.alpha, "--alpha")
        planted = power.index(power.read(args.measurements))
        target, environment, dataset = planted.target, planted.environment, planted.dataset
        entry = (measured_table().get(environment, {}).get(dataset, {})
                 .get("variants", {}).get(target))
        if entry is None:
            raise ConfigError(f"{target} has no declaration in {environment}, {dataset} "
                              f"(freezecheck/builtin/expectations.json): measure it at ten "
                              f"seeds and regenerate the table with freezecheck expectations")
        model = parse_id(target)[0]
        split = EXPERIMENTS[model].alpha_split(target)
        lines = power.table(planted, entry, alpha=args.alpha, variants=split,
                            final_fails=_final_test(environment, dataset, target, model))
    except (FreezecheckError, OSError, ValueError) as exc:
        return fail("power", exc)
    print("\n".join(lines))
    return 0


def _final_test(environment: str, dataset: str, target: str, model: str):
    """Whether a session's final-accuracy test fails ``target`` at a set of seeds'
    final validation accuracies: their centre against its declared expectation, as
    tests/test_experiment.py judges it on the full tier."""
    from freezecheck.builtin.experiment import builtin_lookup
    from freezecheck.builtin.settings import full_gate
    from freezecheck.judge.expectations import judge_accuracy, measured_gates
    from freezecheck.judge.statistics import centre

    found = builtin_lookup(environment, dataset)
    gate = full_gate(dataset, measured_gates(found).get(model))
    expectation, spread = found.expectations.get(target), found.spreads.get(model, 0.0)
    return lambda finals: judge_accuracy(centre(finals), expectation, gate,
                                         spread) is not None


def _findings(args) -> int:
    from freezecheck.builtin import findings, tabulate

    try:
        rows = tabulate.read_rows(args.measurements)
        written = findings.write(rows, args.out, args.tables)
    except (FreezecheckError, OSError, ValueError) as exc:
        return fail("findings", exc)
    print("written: " + ", ".join(map(str, written)))
    return 0


def _expectations(args) -> int:
    from freezecheck.builtin import statements, tabulate
    from freezecheck.judge.declarations import document as table_document
    from freezecheck.reporting import readers

    try:
        rows = tabulate.read_rows(args.measurements)
        measured = tabulate.tabulate(rows)
        # The page is read before anything is written: a wrong --page writes nothing.
        page = (readers.read_text(args.page, "a Markdown page with expectations blocks, "
                                             "for --page") if args.page else None)
        command = ("python -m freezecheck expectations "
                   + " ".join(str(p) for p in args.measurements) + f" --out {args.out}")
        write_file(args.out, table_document(measured, command))
        if page is not None:
            write_file(args.page, statements.render_page(page, measured, rows))
    except (FreezecheckError, OSError, ValueError) as exc:
        return fail("expectations", exc)
    for environment, datasets in measured.items():
        for dataset, table in datasets.items():
            print(f"{environment} {dataset}: {len(table['variants'])} variants, "
                  f"seed spread {table['seed_spread']}")
    print(f"written: {args.out}")
    return 0


def main(argv=None) -> int:
    """The ``freezecheck`` command with the built-in experiment's commands added
    whether or not its entry point is installed: for the repository's tests and a
    checkout whose installed metadata predates them."""
    from freezecheck.cli.main import main as freezecheck

    return freezecheck(argv, plugins=[register])


if __name__ == "__main__":
    sys.exit(main())
