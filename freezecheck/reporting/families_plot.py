"""The families plot, for any experiment: per model, the final accuracy of every
variant with nothing, one layer or a block frozen (every seed a dot, the centre a bar),
and a grid of frozen layers against the distributions their weights were drawn from.

Drawn from measurement rows or a session's runs (``by_variant``: variant id -> seed ->
row); what the grid shows, and in which order, comes from the variants measured unless
the caller gives it (:class:`Layout`): the session report draws ``families.png`` with
it, and an experiment may draw its findings with it.
"""

from __future__ import annotations

import dataclasses
import io

import numpy as np

from freezecheck.describe.variants import DEFAULT_INIT, parse_id, variant_id
from freezecheck.judge.statistics import centre
from freezecheck.reporting.ordering import init_rank, variant_order


@dataclasses.dataclass(frozen=True)
class Layout:
    """What the plot shows of one model, in order: the variants of the left panel
    (nothing, one layer or a block frozen at the default distribution), the grid's rows
    (frozen layer sets, ``()`` for none) and columns (distributions)."""

    variants: tuple[str, ...]
    frozen_sets: tuple[tuple[str, ...], ...]
    inits: tuple[str, ...]


def layout_of(by_variant: dict, model: str, declared: dict | None = None) -> Layout:
    """``model``'s layout from the variants measured (ordering.variant_order, with
    ``declared`` indices): the grid holds the frozen sets and distributions measured,
    the default distribution's column first."""
    ids = variant_order([v for v in by_variant if parse_id(v)[0] == model], declared)
    parts = {v: parse_id(v) for v in ids}
    shown = tuple(v for v in ids if parts[v][2] == DEFAULT_INIT)
    others = [v for v in ids if parts[v][2] != DEFAULT_INIT]
    frozen_sets = list(dict.fromkeys(parts[v][1] for v in others if parts[v][1]))
    inits = sorted({parts[v][2] for v in others}, key=init_rank)
    return Layout(shown, (*frozen_sets, ()), (DEFAULT_INIT, *inits))


# Final accuracies span 99.4% down to chance (10%). The accuracy axes are stretched
# toward 100% (linear in log(100% - accuracy)), so that 99.0% and 98.5% are as far apart
# as 90% and 85%; the tick labels are accuracies.
ACCURACY_TICKS = (99.5, 99, 98, 97, 95, 92, 90, 88, 85, 80, 70, 50, 30, 10)

COLOURS = {"baseline": "black", "single": "C0", "blocks": "C1"}


def plot(by_variant: dict, title: str, gates: dict, layouts: dict | None = None) -> bytes:
    """Per model with variants measured: final accuracy of the single layers and blocks
    (every seed a dot, the centre a bar), and a grid of frozen layers against
    distributions (final accuracy at the first seed). A model with only its baseline
    measured is named in a note, not drawn as an empty panel. ``title``: what the runs
    were trained on (the data set's name); ``gates``: model -> its gate (or None);
    ``layouts``: model -> its :class:`Layout`, else :func:`layout_of` the runs."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    parts = {v: parse_id(v) for v in by_variant}
    present = sorted({m for m, _, _ in parts.values() if variant_id(m) in by_variant})
    models = [m for m in present
              if any(model == m and v != variant_id(m) for v, (model, _, _) in parts.items())]
    baseline_only = [m for m in present if m not in models]
    has_inits = {m: any(model == m and init != DEFAULT_INIT
                        for model, _, init in parts.values())
                 for m in models}
    columns = 2 if any(has_inits.values()) else 1
    figure = Figure(figsize=(7.5 * columns, 0.6 + 5.2 * max(1, len(models))),
                    layout="constrained")
    grid = figure.subplots(max(1, len(models)), columns, squeeze=False,
                           width_ratios=[1.1, 1][:columns])
    layouts = {m: (layouts or {}).get(m) or layout_of(by_variant, m) for m in models}
    for row, model in zip(grid, models):
        _plot_blocks(row[0], by_variant, model, gates.get(model), layouts[model])
        if columns == 2:
            if has_inits[model]:
                _plot_inits(figure, row[1], by_variant, model, layouts[model])
            else:
                row[1].axis("off")
                row[1].text(0.5, 0.5, f"{model}: other distributions not measured",
                            ha="center", va="center", transform=row[1].transAxes)
    if not models:
        grid[0][0].axis("off")
        grid[0][0].text(0.5, 0.5, "No variant measured beyond the baselines",
                        ha="center", va="center", transform=grid[0][0].transAxes)
    title = f"Layers frozen at their random initial weights: {title}"
    if baseline_only:
        title += "\n" + "; ".join(
            f"{m}: only the baseline measured ({_centre_text(by_variant[variant_id(m)])}), "
            f"its variants not measured" for m in baseline_only)
    figure.suptitle(title)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=90)
    return out.getvalue()


def _centre_text(runs: dict) -> str:
    finals = [r["final_val_accuracy"] for r in runs.values()]
    return f"{centre(finals):.2%} over {len(finals)} seed{'s' if len(finals) > 1 else ''}"


def _error(accuracy: float) -> float:
    """100% - accuracy, in percent, floored so that the log axis can show 100%."""
    return max(100.0 - accuracy * 100.0, 0.05)


def _accuracy_axis(axis, ticks=ACCURACY_TICKS) -> None:
    """An axis of 100% - accuracy on a log scale, labelled in accuracy, 100% at the top."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    axis.set_major_locator(FixedLocator([100 - a for a in ticks]))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda e, _: f"{100 - e:g}%"))


def _plot_blocks(axes, by_variant, model, gate, layout: Layout):
    """Final validation accuracy of the baseline, each single layer and each block
    frozen (Glorot uniform): every seed a dot, the centre a bar."""
    from matplotlib.lines import Line2D

    shown = [parse_id(v)[1] for v in layout.variants if v in by_variant]
    for i, frozen in enumerate(shown):
        runs = by_variant[variant_id(model, frozen)]
        errors = [_error(r["final_val_accuracy"]) for r in runs.values()]
        kind = "baseline" if not frozen else "single" if len(frozen) == 1 else "blocks"
        axes.scatter([i] * len(errors), errors, color=COLOURS[kind], s=14, alpha=0.8)
        axes.plot([i - 0.3, i + 0.3], [_error(centre([r["final_val_accuracy"]
                                                      for r in runs.values()]))] * 2,
                  color=COLOURS[kind], linewidth=2)
    handles = [Line2D([], [], color=COLOURS["baseline"], marker="o", linestyle="", label="nothing frozen (baseline)"),
               Line2D([], [], color=COLOURS["single"], marker="o", linestyle="", label="one layer frozen"),
               Line2D([], [], color=COLOURS["blocks"], marker="o", linestyle="", label="a block of layers frozen"),
               Line2D([], [], color="0.4", marker="o", linestyle="", markersize=4, label="one seed"),
               Line2D([], [], color="0.4", linewidth=2, label="centre of the seeds (olympic mean)")]
    if gate is not None:
        axes.axhline(_error(gate), color="0.3", linestyle="--", linewidth=1)
        handles.append(Line2D([], [], color="0.3", linestyle="--", label=f"gate {gate:.1%}"))
    axes.set_yscale("log")
    axes.invert_yaxis()
    _accuracy_axis(axes.yaxis)
    axes.set_xticks(range(len(shown)),
                    ["+".join(frozen) or "none" for frozen in shown], rotation=60, ha="right",
                    fontsize="small")
    axes.grid(axis="y", alpha=0.3)
    axes.set(title=f"{model}: final validation accuracy, frozen layers (Glorot uniform), "
                   f"each seed a dot",
             ylabel="final validation accuracy (axis stretched toward 100%)", xlabel="frozen")
    axes.title.set_fontsize("medium")
    axes.legend(handles=handles, loc="lower left", fontsize="small")


def _plot_inits(figure, axes, by_variant, model, layout: Layout):
    """Frozen layers (rows) against the distribution their kernels were drawn from
    (columns): final validation accuracy at the first seed, written in each cell."""
    from matplotlib.colors import LogNorm

    frozen_sets, inits = layout.frozen_sets, layout.inits
    labels = ["+".join(f) if f else "none (every layer drawn from it)" for f in frozen_sets]
    values = np.full((len(frozen_sets), len(inits)), np.nan)
    for i, frozen in enumerate(frozen_sets):
        for j, init in enumerate(inits):
            runs = by_variant.get(variant_id(model, frozen, init))
            if runs:
                values[i, j] = runs[min(runs)]["final_val_accuracy"]
    errors = np.array([[_error(v) if not np.isnan(v) else np.nan for v in row] for row in values])
    lowest = float(np.nanmin(errors)) if not np.isnan(errors).all() else 0.3
    image = axes.imshow(errors, cmap="viridis_r", norm=LogNorm(vmin=max(0.3, lowest * 0.8), vmax=100),
                        aspect="auto")
    for (i, j), value in np.ndenumerate(values):
        if np.isnan(value):
            axes.text(j, i, "not\nmeasured", ha="center", va="center", fontsize=6, color="0.4")
        else:
            axes.text(j, i, f"{value * 100:.1f}", ha="center", va="center", fontsize=7,
                      color="white" if image.norm(errors[i, j]) > 0.55 else "black")
    axes.set_xticks(range(len(inits)), inits, rotation=45, ha="right", fontsize="small")
    axes.set_yticks(range(len(labels)), labels, fontsize="small")
    axes.set(title=f"{model}: final validation accuracy (%) by distribution of the frozen "
                   f"weights, first seed", xlabel="distribution", ylabel="frozen")
    axes.title.set_fontsize("medium")
    bar = figure.colorbar(image, ax=axes, shrink=0.8,
                          label="final validation accuracy (scale stretched toward 100%)")
    bar.ax.invert_yaxis()
    _accuracy_axis(bar.ax.yaxis, (99.5, 99, 98, 95, 90, 80, 50, 10))


