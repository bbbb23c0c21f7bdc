"""From an experiment's measurements to its declarations file (``freezecheck declare``).

The judgement of freezecheck/judge/declarations.py, for any experiment: its own
variants, baselines and curve gates, on the metric its gates read.
"""

from __future__ import annotations

from freezecheck.describe.session import SessionOptions
from freezecheck.errors import ConfigError
from freezecheck.judge import declarations
from freezecheck.reporting import readers
from freezecheck.reporting.measurements import group


def declarations_of(experiment, paths, *, alpha: float, command: str) -> tuple[dict, str]:
    """(table, the file's text) of ``experiment`` from the measurement files ``paths``:
    the lines of its variants; any other line is refused, naming it."""
    ids = {v.id: v for v in experiment.variants}
    rows = []
    for path in paths:
        for where, row in readers.located_lines(path):
            if row["variant"] not in ids:
                raise ConfigError(f"{where}: variant {row['variant']!r} is not one of "
                                  f"experiment {experiment.name!r}'s ({', '.join(ids)})")
            rows.append(row)
    if not rows:
        raise ConfigError(f"no measurement of experiment {experiment.name!r} in "
                          f"{', '.join(map(str, paths))}")
    tolerance = experiment.gates_for(SessionOptions()).curve
    table: dict = {}
    for (environment, dataset), variants in sorted(group(rows).items()):
        entries = declarations.declare(
            variants, lambda v: None if ids[v].is_baseline else ids[v].baseline.id,
            tolerance, alpha=alpha, where=f"{environment}, {dataset}")
        part = {"seed_spread": declarations.seed_spreads(entries, {experiment.name:
                                                                   experiment.baseline.id}),
                "variants": entries}
        if not tolerance.metric.is_default:  # a file on accuracy reads as it always has
            part["metric"] = tolerance.metric.as_dict()
        table.setdefault(environment, {})[dataset] = part
    return table, declarations.document(table, command)
