"""The built-in experiment's measurements to its expectations table, and the table to
Markdown.

``freezecheck expectations FILE...`` (a command this package adds:
freezecheck/builtin/commands.py) reads measurement files (the JSON lines
``python -m freezecheck measure`` writes, or a full-tier session's ``results.json``),
checks that no run was measured twice with different results, and writes the
expectations table (``--out``; the built-in experiment's is
``freezecheck/builtin/expectations.json``): per environment and data set, every variant's final
validation accuracy at each measured seed, whether its curve kept the full tier's
tolerance at the first seed, and, where at least five seeds of it and of its baseline
were measured, the claim those seeds establish about its curve and the measured effect
behind it (:mod:`freezecheck.judge.claims`). ``--page FILE`` also re-renders the tables of a
Markdown page (the docs keep them in ``docs/findings.md``) from it, and the sentences
that carry the findings' figures (freezecheck/builtin/statements.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from freezecheck.builtin.families import FAMILIES, family
from freezecheck.builtin.models import MODEL_NAMES, variant_of
from freezecheck.builtin.settings import DEFAULT_DATASET, full_curve
from freezecheck.describe.recipe import DEFAULT_ALPHA
from freezecheck.describe.variants import Variant, parse_id
from freezecheck.errors import ConfigError
from freezecheck.judge import declarations
from freezecheck.judge.expectations import Expectation
from freezecheck.judge.statistics import olympic_mean
from freezecheck.reporting import measurements, readers
from freezecheck.reporting.measurements import family_of, group


def _builtin_variant(value) -> str | None:
    """A field check (freezecheck.reporting.readers): a variant of the built-in
    experiment."""
    problem = readers.variant(value)
    if problem:
        return problem
    try:
        variant_from_id(value)
    except ConfigError as exc:
        return f"a variant of the built-in experiment ({exc})"
    return None


# What the commands read of a measurement line of the built-in experiment, and of a
# run of a full-tier results.json read as one.
MEASUREMENT = {**readers.MEASUREMENT, "variant": _builtin_variant}
REPORT_RUN = {**measurements.REPORT_RUN, "variant": _builtin_variant}


def read_rows(paths) -> list[dict]:
    """Measurement rows from JSON-lines files and full-tier ``results.json`` reports.

    Every record is checked as it is read (:mod:`freezecheck.reporting.readers`): a bad
    one, or a file without any, is refused with the file, line and field named."""
    for path in map(Path, paths):
        if path.suffix == ".json":
            continue
        # Lines of a user's experiment are refused as such before their fields are read.
        located = readers.located_lines(path, fields={})
        theirs = sorted({str(row["experiment"]) for _, row in located if "experiment" in row})
        if theirs:
            raise ConfigError(
                f"{path} holds runs of {', '.join(theirs)} (measure --experiment): "
                f"this command reads the built-in experiment's measurements only. "
                f"Declare your experiment's expectations with freezecheck declare "
                f"(docs/own-experiment.md)")
    # A report before schema 2 names no data set: it was MNIST's.
    return measurements.read_rows(paths, fields=MEASUREMENT, run_fields=REPORT_RUN,
                                  dataset=DEFAULT_DATASET)


# A page states a claim about a variant (its interval, what it establishes), and a
# declaration gates on one, from this many seeds paired with its baseline; at fewer,
# what was measured is "exploratory" and judged by the tolerance only.
FINDING_SEEDS = 10


def tabulate(rows, *, alpha: float = DEFAULT_ALPHA) -> dict:
    """The expectations table (freezecheck/judge/declarations.py) from measurement rows."""
    measured: dict = {}
    for (environment, dataset), variants in sorted(group(rows).items()):
        entries = declarations.declare(
            variants, lambda v: None if variant_from_id(v).is_baseline
            else variant_from_id(v).baseline.id,
            full_curve(dataset), alpha=alpha, where=f"{environment}, {dataset}",
            min_seeds=FINDING_SEEDS)
        spreads = declarations.seed_spreads(
            entries, {model: variant_of(model).id for model in MODEL_NAMES})
        measured.setdefault(environment, {})[dataset] = {"seed_spread": spreads,
                                                         "variants": entries}
    return measured


def markdown(measured: dict, environment: str, dataset: str, gates: dict) -> list[str]:
    """The table of one environment and data set, variants in family order.

    ``gates``: model -> the gate its variants are judged by.
    """
    table = measured[environment][dataset]["variants"]
    lines = ["| variant | family | seeds | final val accuracy (floor to ceiling) | declared "
             "| curve (first seed) | claim (ten seeds) |",
             "| --- | --- | ---: | --- | --- | --- | --- |"]
    for model in MODEL_NAMES:
        for variant in family_order(model):
            entry = table.get(variant.id)
            if entry is None:
                continue
            finals = entry["finals"]
            spread = (f"{finals[0]:.2%}" if len(finals) == 1
                      else f"{min(finals):.2%} to {max(finals):.2%} (olympic mean "
                           f"{olympic_mean(finals):.2%})" if len(finals) >= 3
                      else f"{min(finals):.2%} to {max(finals):.2%}")
            kind = Expectation(tuple(entry["seeds"]), tuple(finals),
                               entry["follows_baseline"]).kind(gates[model])
            paired = len(entry.get("effect", {}).get("mean_gaps", ()))
            statistical = ("" if variant.is_baseline
                           else entry["curve_claim"] if paired >= FINDING_SEEDS
                           else "exploratory")
            lines.append(
                f"| `{variant.id}` | {family_of(variant.id)} | {len(finals)} | {spread} | "
                f"{kind} | {'follows' if entry['follows_baseline'] else 'leaves'} | "
                f"{statistical} |")
    return lines


PAGE_BLOCK = re.compile(
    r"(<!-- expectations (?P<environment>\S+) (?P<dataset>\S+) -->\n)(?P<table>.*?)(<!-- /expectations -->)",
    re.S)


def page_gates(environment: str, dataset: str) -> dict:
    """model -> the gate a page's table marks variants against."""
    from freezecheck.builtin.settings import full_gate
    from freezecheck.builtin.experiment import builtin_lookup
    from freezecheck.judge.expectations import measured_gates

    measured = measured_gates(builtin_lookup(environment, dataset))
    return {m: gate for m in MODEL_NAMES
            if (gate := full_gate(dataset, measured.get(m))) is not None}


def render_page(text: str, measured: dict) -> str:
    """``text`` with every expectations block re-rendered from ``measured``."""
    def render(match):
        environment, dataset = match["environment"], match["dataset"]
        table = markdown(measured, environment, dataset, page_gates(environment, dataset))
        return match.group(1) + "\n".join(table) + "\n" + match.group(5)
    return PAGE_BLOCK.sub(render, text)


def family_order(model: str) -> list[Variant]:
    seen: list[Variant] = []
    for name in FAMILIES:
        for v in family(name, model):
            if v not in seen:
                seen.append(v)
    return seen


def variant_from_id(variant_id: str) -> Variant:
    """The Variant whose id is ``variant_id``."""
    model, frozen, init = parse_id(variant_id)
    return variant_of(model, frozen, init)
