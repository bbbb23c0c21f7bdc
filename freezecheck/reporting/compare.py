"""Comparing the reports of several environments: one table, one plot.

``freezecheck compare DIR...`` reads each DIR/results.json (written by a
session, e.g. one per tox environment) and shows, per variant, the final validation
accuracy and epochs to the gate in each environment. A figure that moved from the first
environment's by more than the curve tolerance (accuracy beyond the band, or epochs to
the gate beyond the allowed lag) is marked with a `*`.
"""

from __future__ import annotations

from pathlib import Path

from freezecheck.errors import FreezecheckError
from freezecheck.files import write_atomic
from freezecheck.reporting import readers
from freezecheck.reporting.report import READABLE_SCHEMA_VERSIONS


class ReportError(FreezecheckError, ValueError):
    """A report directory cannot be read as a freezecheck report."""


# What compare reads of a results.json (a session writes more).
REPORT_FIELDS = {"environment": readers.text, "gates.curve_band": readers.number,
                 "gates.curve_max_lag": readers.count, "gates.min_accuracy": readers.accuracy}
RUN_FIELDS = {"variant": readers.variant, "final_val_accuracy": readers.accuracy,
              "epochs_to_level": readers.count_or_none, "seed": readers.count}


def load_report(directory: Path) -> dict:
    path = Path(directory) / "results.json"
    results = readers.read_json(path)
    # The schema first: a report of another schema is told to be re-run, not picked at.
    version = results.get("schema_version") if isinstance(results, dict) else None
    if version not in READABLE_SCHEMA_VERSIONS:
        raise ReportError(f"{path}: report schema {version!r}, expected one of "
                          f"{READABLE_SCHEMA_VERSIONS}; re-run that environment.")
    readers.check_report(results, path, REPORT_FIELDS, RUN_FIELDS, optional=("seed",),
                         required=False)
    # A session over several seeds is compared at its first seed: one run a variant.
    seeds = [run.get("seed", 0) for run in results["runs"]]  # older reports: one seed
    results["runs"] = [run for run, seed in zip(results["runs"], seeds) if seed == min(seeds, default=0)]
    return results


def compare(reports: list[dict]) -> list[str]:
    """Markdown lines: a row per variant, two columns per environment."""
    first = reports[0]
    band, lag = first["gates"]["curve_band"], first["gates"]["curve_max_lag"]
    by_env = [{r["variant"]: r for r in report["runs"]} for report in reports]
    variants = sorted(set().union(*by_env))
    header = "| variant | " + " | ".join(
        f"{rep['environment']} accuracy | {rep['environment']} epochs to {rep['gates']['min_accuracy']:.0%}"
        for rep in reports) + " |"
    lines = [header, "|" + " --- |" * (1 + 2 * len(reports))]
    for variant in variants:
        base = by_env[0].get(variant)
        cells = []
        for runs in by_env:
            run = runs.get(variant)
            if run is None:
                cells += ["(not run)", ""]
                continue
            acc, epochs = run["final_val_accuracy"], run["epochs_to_level"]
            moved_acc = base is not None and abs(acc - base["final_val_accuracy"]) > band
            moved_epochs = base is not None and _moved(epochs, base["epochs_to_level"], lag)
            cells.append(f"{acc:.2%}{' *' if moved_acc else ''}")
            cells.append(f"{'never' if epochs is None else epochs}{' *' if moved_epochs else ''}")
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    lines += ["", f"`*`: moved from {first['environment']} by more than the tolerance "
                  f"(accuracy {band:.1%}, epochs {lag})."]
    return lines


def plot(reports: list[dict]) -> bytes:
    """Per model, each variant's final validation accuracy as the change (in points)
    from the first environment's, across environments, with the tolerance shaded: what
    the table's `*` marks is what leaves the shaded band. Variants missing from the
    first environment are drawn from the first environment that has them, and say so."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from freezecheck.describe.variants import DEFAULT_INIT, parse_id
    from freezecheck.reporting.report import LAYER_COLOURS

    environments = [r["environment"] for r in reports]
    band = reports[0]["gates"]["curve_band"] * 100
    by_env = [{run["variant"]: run for run in r["runs"]} for r in reports]
    variants = sorted(set().union(*by_env))
    parts = {v: parse_id(v) for v in variants}
    models = sorted({model for model, _, _ in parts.values()})
    figure = Figure(figsize=(8.5, 0.8 + 3.4 * len(models)), layout="constrained")
    for axes, model in zip(figure.subplots(len(models), 1, squeeze=False)[:, 0], models):
        mine = [v for v in variants if parts[v][0] == model]
        mine.sort(key=lambda v: (bool(parts[v][1]), v))
        axes.axhline(0, color="0.6", linewidth=0.8)
        largest = 0.05
        for k, variant in enumerate(mine):
            # Side by side, so that variants that did not move do not hide each other.
            shift = (k - (len(mine) - 1) / 2) * 0.06
            first = next(i for i, runs in enumerate(by_env) if variant in runs)
            base = by_env[first][variant]["final_val_accuracy"]
            points = [(i, (runs[variant]["final_val_accuracy"] - base) * 100)
                      for i, runs in enumerate(by_env) if variant in runs]
            largest = max(largest, *(abs(d) for _, d in points))
            _, layers, init = parts[variant]
            frozen = "+".join(layers) or "none"
            if init != DEFAULT_INIT:
                frozen += f", {init}"
            baseline = not layers and init == DEFAULT_INIT
            label = ("nothing frozen (baseline)" if baseline else f"{frozen} frozen")
            if first:
                label += f" (from {environments[first]})"
            axes.plot([i + shift for i, _ in points], [d for _, d in points], marker="o",
                      markersize=4, linewidth=2 if baseline else 1.2,
                      color="black" if baseline else LAYER_COLOURS.get(frozen),
                      label=label)
        limit = largest * 1.3
        if band <= limit:
            axes.axhspan(-band, band, color="0.9", zorder=0, label=f"tolerance +-{band:.1f} points")
            note = ""
        else:  # zoomed to the changes: the tolerance lies beyond the axis
            note = f"\n(tolerance +-{band:.1f} points, beyond this axis)"
        axes.set_ylim(-limit, limit)
        axes.set_xticks(range(len(environments)), environments, rotation=30, ha="right",
                        fontsize="small")
        axes.set(ylabel="change in final val\naccuracy (points)",
                 title=f"{model}: final validation accuracy, change from {environments[0]}{note}")
        axes.title.set_fontsize("medium")
        axes.grid(axis="y", alpha=0.3)
        axes.legend(fontsize="x-small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100)
    return out.getvalue()


def run_compare(directories: list[Path], out: Path) -> list[str]:
    reports = [load_report(d) for d in directories]
    lines = compare(reports)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "compare.md", "\n".join(lines) + "\n")
    write_atomic(out / "compare.png", plot(reports))
    return lines


def _moved(epochs, base, lag) -> bool:
    if epochs is None or base is None:
        return (epochs is None) != (base is None)
    return abs(epochs - base) > lag
