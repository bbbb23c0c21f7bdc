"""The built-in experiment's findings: where freezing keeps the baseline's accuracy,
and where it breaks.

``freezecheck findings FILE... --out DIR`` (a command this package adds:
freezecheck/builtin/commands.py) turns the built-in experiment's measurement rows into
one plot per environment and data set (freezecheck/reporting/families_plot.py, laid
out as its families are): the single layers and blocks as final accuracy per variant
with every seed shown, and the other distributions as a grid of frozen layers against
distributions; ``--tables FILE`` also writes a table per data set and model.
"""

from __future__ import annotations

from pathlib import Path

from freezecheck.builtin.datasets import TITLES
from freezecheck.builtin.families import INITS, init_blocks
from freezecheck.builtin.models import MODEL_NAMES, WEIGHT_LAYERS
from freezecheck.builtin.settings import full_curve, full_gate
from freezecheck.builtin.tabulate import family_order
from freezecheck.describe.variants import DEFAULT_INIT, variant_id
from freezecheck.files import write_atomic
from freezecheck.judge.curves import epochs_to_reach
from freezecheck.judge.expectations import gate_from_baseline
from freezecheck.judge.statistics import centre
from freezecheck.reporting import families_plot
from freezecheck.reporting.measurements import family_of, group


def summary_rows(by_variant: dict, model: str, level: float) -> list[dict]:
    """Per variant of ``model``: family, seeds, centre and range of final accuracy,
    difference from the baseline in points, epochs to ``level`` at the first seed."""
    baseline = by_variant.get(variant_id(model))
    if baseline is None:
        return []
    base = centre([r["final_val_accuracy"] for r in baseline.values()])
    rows = []
    for variant in family_order(model):
        runs = by_variant.get(variant.id)
        if not runs:
            continue
        finals = [runs[s]["final_val_accuracy"] for s in sorted(runs)]
        first = runs[min(runs)]
        rows.append({
            "variant": variant.id, "family": family_of(variant.id), "seeds": len(finals),
            "centre": centre(finals), "low": min(finals), "high": max(finals),
            "difference": (centre(finals) - base) * 100,
            "epochs_to_level": epochs_to_reach(first["val_accuracy"], level),
        })
    return rows


def markdown(rows, gate: float, level: float) -> list[str]:
    lines = [f"| variant | family | seeds | final val accuracy | range | vs baseline | "
             f"epochs to {level:.1%} |",
             "| --- | --- | ---: | ---: | --- | ---: | ---: |"]
    for r in rows:
        mark = "" if r["centre"] >= gate else " (below gate)"
        spread = "" if r["seeds"] == 1 else f"{r['low']:.2%} to {r['high']:.2%}"
        reached = r["epochs_to_level"] if r["epochs_to_level"] is not None else "never"
        lines.append(f"| `{r['variant']}` | {r['family']} | {r['seeds']} | "
                     f"{r['centre']:.2%}{mark} | {spread} | {r['difference']:+.2f} | {reached} |")
    return lines


def gate(dataset: str, model: str, by_variant: dict) -> float | None:
    """The gate the full tier holds ``model`` to on ``dataset`` (builtin.settings.full_gate),
    a measured one from its baseline's runs here (None without them)."""
    baseline = by_variant.get(variant_id(model))
    measured = (gate_from_baseline([r["final_val_accuracy"] for r in baseline.values()])
                if baseline else None)
    return full_gate(dataset, measured)


def write(rows_in, out: Path, tables: Path | None = None) -> list[Path]:
    """findings-ENVIRONMENT-DATASET.png into ``out``, and, with ``tables``, a Markdown
    table per data set and model into that file."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    lines = ["# Findings", "",
             "Final validation accuracy is the olympic mean over the seeds where there are "
             "three or more (the mean without the best and the worst seed), else the "
             "mean; \"vs baseline\" is its difference from the baseline's, in points.", ""]
    for (environment, dataset), by_variant in sorted(group(rows_in).items()):
        level = full_curve(dataset).level
        for model in MODEL_NAMES:
            rows = summary_rows(by_variant, model, level)
            if not rows:
                continue
            model_gate = gate(dataset, model, by_variant)
            lines += [f"## {TITLES[dataset]}, {model} ({environment}; gate {model_gate:.1%})", "",
                      *markdown(rows, model_gate, level), ""]
        path = out / f"findings-{environment}-{dataset}.png"
        write_atomic(path, plot(by_variant, dataset, {m: gate(dataset, m, by_variant)
                                                    for m in MODEL_NAMES}))
        written.append(path)
    if tables is not None:
        write_atomic(tables, "\n".join(lines))
        written.insert(0, tables)
    return written



def layout(model: str) -> families_plot.Layout:
    """How the findings plot lays out ``model``: its families' variants in their order,
    and the grid of its single layers and two blocks against every distribution."""
    frozen_sets = [(layer,) for layer in WEIGHT_LAYERS[model]] + init_blocks(model) + [()]
    return families_plot.Layout(
        tuple(v.id for v in family_order(model) if v.init == DEFAULT_INIT),
        tuple(map(tuple, frozen_sets)), INITS)


def plot(by_variant: dict, dataset: str, gates: dict) -> bytes:
    """The findings plot of one environment and data set (families_plot.plot)."""
    return families_plot.plot(by_variant, TITLES[dataset], gates,
                              {model: layout(model) for model in MODEL_NAMES})
