"""The findings: where freezing keeps the baseline's accuracy, and where it breaks.

``freezecheck findings FILE... --out DIR`` turns measurement rows (see
:mod:`freezecheck.cli.measure`) into one plot per environment and data set: the single
layers and blocks as final accuracy per variant with every seed shown, and the other
distributions as a grid of frozen layers against distributions; ``--tables FILE`` also
writes a table per data set and model. ``freezecheck false-alarms FILE`` measures the
statistical mode's false-alarm rate on seeds of one variant compared against each other;
``freezecheck replication FILE...`` measures how often a curve claim declared from half of the seeds
fails on the other half.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from freezecheck.builtin.datasets import TITLES
from freezecheck.builtin.families import INITS, init_blocks
from freezecheck.builtin.models import MODEL_NAMES, WEIGHT_LAYERS
from freezecheck.builtin.settings import full_curve, full_gate
from freezecheck.describe.variants import DEFAULT_INIT, parse_id, variant_id
from freezecheck.errors import ConfigError
from freezecheck.files import write_atomic
from freezecheck.judge.curves import epochs_to_reach
from freezecheck.judge.expectations import gate_from_baseline
from freezecheck.judge.statistics import centre
from freezecheck.reporting.tabulate import family_of, family_order, group, variant_from_id


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
            "variant": variant.id, "family": family_of(variant), "seeds": len(finals),
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


# Final accuracies span 99.4% down to chance (10%). The accuracy axes are stretched
# toward 100% (linear in log(100% - accuracy)), so that 99.0% and 98.5% are as far apart
# as 90% and 85%; the tick labels are accuracies.
ACCURACY_TICKS = (99.5, 99, 98, 97, 95, 92, 90, 88, 85, 80, 70, 50, 30, 10)

COLOURS = {"baseline": "black", "single": "C0", "blocks": "C1"}


def plot(by_variant: dict, dataset: str, gates: dict) -> bytes:
    """Per model with variants measured: final accuracy of the single layers and blocks
    (every seed a dot, the centre a bar), and a grid of frozen layers against
    distributions (final accuracy at the first seed). A model with only its baseline
    measured is named in a note, not drawn as an empty panel."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    parts = {v: parse_id(v) for v in by_variant}
    present = [m for m in MODEL_NAMES if variant_id(m) in by_variant]
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
    for row, model in zip(grid, models):
        _plot_blocks(row[0], by_variant, model, gates.get(model))
        if columns == 2:
            if has_inits[model]:
                _plot_inits(figure, row[1], by_variant, model)
            else:
                row[1].axis("off")
                row[1].text(0.5, 0.5, f"{model}: other distributions not measured",
                            ha="center", va="center", transform=row[1].transAxes)
    if not models:
        grid[0][0].axis("off")
        grid[0][0].text(0.5, 0.5, "No variant measured beyond the baselines",
                        ha="center", va="center", transform=grid[0][0].transAxes)
    title = f"Layers frozen at their random initial weights: {TITLES[dataset]}"
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


def _plot_blocks(axes, by_variant, model, gate):
    """Final validation accuracy of the baseline, each single layer and each block
    frozen (Glorot uniform): every seed a dot, the centre a bar."""
    from matplotlib.lines import Line2D

    shown = [v for v in family_order(model)
             if v.init == DEFAULT_INIT and v.id in by_variant]
    for i, variant in enumerate(shown):
        runs = by_variant[variant.id]
        errors = [_error(r["final_val_accuracy"]) for r in runs.values()]
        kind = ("baseline" if variant.is_baseline
                else "single" if len(variant.frozen) == 1 else "blocks")
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
                    ["+".join(v.frozen) or "none" for v in shown], rotation=60, ha="right",
                    fontsize="small")
    axes.grid(axis="y", alpha=0.3)
    axes.set(title=f"{model}: final validation accuracy, frozen layers (Glorot uniform), "
                   f"each seed a dot",
             ylabel="final validation accuracy (axis stretched toward 100%)", xlabel="frozen")
    axes.title.set_fontsize("medium")
    axes.legend(handles=handles, loc="lower left", fontsize="small")


def _plot_inits(figure, axes, by_variant, model):
    """Frozen layers (rows) against the distribution their kernels were drawn from
    (columns): final validation accuracy at the first seed, written in each cell."""
    from matplotlib.colors import LogNorm

    frozen_sets = [(layer,) for layer in WEIGHT_LAYERS[model]] + init_blocks(model) + [()]
    labels = ["+".join(f) if f else "none (every layer drawn from it)" for f in frozen_sets]
    values = np.full((len(frozen_sets), len(INITS)), np.nan)
    for i, frozen in enumerate(frozen_sets):
        for j, init in enumerate(INITS):
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
    axes.set_xticks(range(len(INITS)), INITS, rotation=45, ha="right", fontsize="small")
    axes.set_yticks(range(len(labels)), labels, fontsize="small")
    axes.set(title=f"{model}: final validation accuracy (%) by distribution of the frozen "
                   f"weights, first seed", xlabel="distribution", ylabel="frozen")
    axes.title.set_fontsize("medium")
    bar = figure.colorbar(image, ax=axes, shrink=0.8,
                          label="final validation accuracy (scale stretched toward 100%)")
    bar.ax.invert_yaxis()
    _accuracy_axis(bar.ax.yaxis, (99.5, 99, 98, 95, 90, 80, 50, 10))


def false_alarms(rows, variant_id: str, group_size: int, alphas) -> list[str]:
    """Markdown lines: for each alpha, how many splits of ``variant_id``'s seeds into two
    groups the statistical mode calls different, per environment and data set that
    holds two groups' worth of its seeds. A variant the rows do not hold, or hold at
    too few seeds everywhere, is refused (ConfigError) rather than shown as an empty
    table."""
    from freezecheck.judge.statistics import false_alarm_rate

    grouped = sorted(group(rows).items())
    most: dict[str, int] = {}  # variant -> its most seeds in one environment and data set
    for _, by_variant in grouped:
        for name, runs in by_variant.items():
            most[name] = max(most.get(name, 0), len(runs))
    needed = 2 * group_size
    usable = ", ".join(sorted(v for v, n in most.items() if n >= needed)) or "none"
    if variant_id not in most:
        raise ConfigError(f"--variant expected a variant the measurement files hold; those "
                          f"with the {needed} seeds two groups of --group-size {group_size} "
                          f"need: {usable}. Received: {variant_id!r}")
    if most[variant_id] < needed:
        raise ConfigError(f"--variant {variant_id} has at most {most[variant_id]} seeds in "
                          f"one environment and data set; two groups of --group-size "
                          f"{group_size} need {needed}. Measure more seeds of it (freezecheck "
                          f"measure --seeds), give a smaller --group-size, or a variant "
                          f"with enough: {usable}")
    lines = ["| environment | data set | seeds | alpha | splits called different | rate |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for (environment, dataset), by_variant in grouped:
        runs = by_variant.get(variant_id)
        if not runs or len(runs) < needed:
            continue
        curves = [runs[s]["val_accuracy"] for s in sorted(runs)]
        for alpha in alphas:
            alarms, splits = false_alarm_rate(curves, group_size, alpha=alpha,
                                              level=full_curve(dataset).level)
            lines.append(f"| {environment} | {dataset} | {len(curves)} | {alpha} | "
                         f"{alarms} of {splits} | {alarms / splits:.1%} |")
    return lines


def replication(rows, alpha: float) -> list[str]:
    """Markdown lines: for every variant measured at ten or more seeds (its baseline at
    the same seeds), the regression gate declared from seeds 0-4 of them and judged on
    the other five, and the reverse, at five seeds and one seed at a time
    (freezecheck/judge/replication.py); then the totals with their Clopper-Pearson
    bounds. Alpha is split over the variants judged in each environment and data set."""
    from freezecheck.judge.replication import replicate
    from freezecheck.judge.statistics import clopper_pearson

    lines = ["| environment | data set | variant | seeds | claim (0-4 / 5-9 / all ten) "
             "| failed at 5 seeds | stale at 5 seeds | failed at 1 seed | stale at 1 seed |",
             "| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    failed = judged = run_failed = run_judged = stale = run_stale = 0
    for (environment, dataset), by_variant in sorted(group(rows).items()):
        curve = full_curve(dataset)
        paired = {}
        for name, runs in sorted(by_variant.items()):
            variant = variant_from_id(name)
            baseline = by_variant.get(variant.baseline.id, {})
            seeds = [s for s in sorted(runs) if s in baseline]
            if not variant.is_baseline and len(seeds) >= 10:
                paired[name] = (runs, baseline, seeds[:10])
        for name, (runs, baseline, seeds) in paired.items():
            result = replicate([runs[s]["val_accuracy"] for s in seeds],
                               [baseline[s]["val_accuracy"] for s in seeds], seeds,
                               level=curve.level, margin=curve.margin, alpha=alpha,
                               variants=len(paired), variant=name)
            failed, judged = failed + result.failures, judged + result.judgements
            run_failed = run_failed + result.run_failures
            run_judged = run_judged + result.run_judgements
            stale, run_stale = stale + result.stale, run_stale + result.run_stale
            lines.append(f"| {environment} | {dataset} | `{name}` | {seeds[0]}-{seeds[-1]} | "
                         f"{' / '.join(result.claims)} / {result.claim_all} | "
                         f"{result.failures} of {result.judgements} | {result.stale} | "
                         f"{result.run_failures} of {result.run_judgements} | "
                         f"{result.run_stale} |")
    if not judged:
        raise ConfigError("no variant is measured at ten or more seeds with its baseline at "
                          "the same seeds, so there is no half to declare a claim from and "
                          "another to judge it on. Measure ten seeds of a family with its "
                          "baseline (freezecheck measure --seeds 10)")
    lines += ["", f"| sessions judged (disjoint seed sets) | failed | stale | false-alarm "
                  f"rate, 95% Clopper-Pearson upper bound (alpha {alpha}) |",
              "| --- | ---: | ---: | ---: |"]
    for what, bad, count, warned in (("five seeds", failed, judged, stale),
                                     ("one seed", run_failed, run_judged, run_stale)):
        lines.append(f"| {count} at {what} | {bad} | {warned} | "
                     f"{clopper_pearson(bad, count)[1]:.1%} |")
    return lines
