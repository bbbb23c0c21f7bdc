"""Measurement rows of any experiment: read from the JSON lines ``freezecheck measure``
writes and from a session's ``results.json``, grouped per environment and data set.

Every record is checked as it is read (:mod:`freezecheck.reporting.readers`); a run
measured twice must have measured the same curve.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from freezecheck.describe.variants import DEFAULT_INIT, parse_id
from freezecheck.errors import ConfigError
from freezecheck.reporting import readers

# What the commands read of a run of a results.json, read as a measurement row.
REPORT_RUN = {"variant": readers.variant, "recipe.seed": readers.count,
              "val_accuracy": readers.curve, "final_val_accuracy": readers.accuracy}
# What a row taken from a results.json keeps besides those, where the run has it: its
# experiment's name and curve gates (a session records both for every run).
REPORT_RUN_KEPT = ("model", "test_accuracy", "train_seconds", "experiment", "curve_gates")


def read_rows(paths, *, fields: dict = readers.MEASUREMENT, run_fields: dict = REPORT_RUN,
              dataset: str | None = None) -> list[dict]:
    """Measurement rows from JSON-lines files and ``results.json`` reports (by suffix:
    ``.json``), each line checked against ``fields``, each run against ``run_fields``.

    ``dataset``: the data set of a report that names none (reports before schema 2);
    None: such a report is refused, naming the field. A bad record, or a file without
    any, is refused with the file, line and field named."""
    rows = []
    for path in map(Path, paths):
        if path.suffix != ".json":
            rows += readers.read_lines(path, fields)
            continue
        report = readers.read_report(
            path, {"environment": readers.text, "dataset": readers.text}, run_fields,
            optional=("dataset",) if dataset is not None else ())
        rows += [{"environment": report["environment"],
                  "dataset": report.get("dataset", dataset),
                  "variant": run["variant"], "seed": run["recipe"]["seed"],
                  "recipe": run["recipe"], "val_accuracy": run["val_accuracy"],
                  "final_val_accuracy": run["final_val_accuracy"],
                  **{k: run[k] for k in REPORT_RUN_KEPT if k in run}}
                 for run in report["runs"]]
    return rows


def group(rows) -> dict:
    """{(environment, dataset): {variant: {seed: row}}}; a run measured twice must agree."""
    runs: dict = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        table = runs[(row["environment"], row["dataset"])][row["variant"]]
        seen = table.get(row["seed"])
        if seen is not None and seen["val_accuracy"] != row["val_accuracy"]:
            raise ConfigError(
                f"{row['variant']} seed {row['seed']} ({row['environment']}, "
                f"{row['dataset']}) was measured twice with different curves: "
                f"{seen['val_accuracy']} and {row['val_accuracy']}")
        table[row["seed"]] = row
    return runs


FAMILIES = ("single", "blocks", "inits", "init-baselines")


def family_of(variant_id: str) -> str:
    """What a variant is, from its id: ``single`` (nothing or one layer frozen),
    ``blocks`` (several), ``inits`` (frozen layers drawn from another distribution) or
    ``init-baselines`` (nothing frozen, every layer drawn from another distribution)."""
    _, frozen, init = parse_id(variant_id)
    if init != DEFAULT_INIT:
        return "init-baselines" if not frozen else "inits"
    return "single" if len(frozen) <= 1 else "blocks"
