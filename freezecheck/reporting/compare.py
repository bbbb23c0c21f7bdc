"""Comparing the reports of several environments: one table, one plot.

``freezecheck compare DIR...`` reads each DIR/results.json (written by a
session, e.g. one per tox environment) and shows, per variant, the final validation
accuracy and epochs to the gate in each environment. A figure that moved from the first
report's by more than the curve tolerance (accuracy beyond the band, or epochs to
the gate beyond the allowed lag) is marked with a `*`, and listed, so that the command
can fail on it (``--fail-beyond``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from freezecheck.describe.variants import DEFAULT_INIT, parse_id
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


def labels(reports: list[dict], directories: list[Path]) -> list[str]:
    """Each report's name in the table and plot: its environment, or, where several
    reports are of one environment (shards, or one environment on two machines),
    ``ENV (DIR)``: DIR the directory's name, or as many of its last path parts as
    tell those reports apart (the directories are distinct: :func:`run_compare`)."""
    names = [r["environment"] for r in reports]
    parts = [Path(d).resolve().parts for d in directories]
    for environment, repeats in Counter(names).items():
        if repeats == 1:
            continue
        mine = [i for i, r in enumerate(reports) if r["environment"] == environment]
        for depth in range(1, max(len(parts[i]) for i in mine) + 1):
            shown = {i: Path(*parts[i][-depth:]).as_posix() for i in mine}
            if len(set(shown.values())) == len(mine):
                break
        for i in mine:
            names[i] = f"{environment} ({shown[i]})"
    return names


def order(variants, declared: dict | None = None) -> list[str]:
    """Variant ids as the session report shows them (freezecheck/reporting/ordering.py):
    per model, the baseline first, then the variants in their experiment's declared
    order (``declared``: variant id -> the index its runs carry, reports from schema 3
    on), then the others by family. Older reports' ids are ranked as their current
    form."""
    from freezecheck.reporting.ordering import variant_order

    return variant_order(variants, declared)


def _declared_order(reports) -> dict:
    """variant id -> its index in its experiment's declaration, where runs carry one."""
    return {r["variant"]: r["index"] for report in reports for r in report["runs"]
            if r.get("index") is not None}


def compare(reports: list[dict], names: list[str]) -> tuple[list[str], list[str]]:
    """Markdown lines (a row per variant, two columns per report, ``names`` their
    labels) and a line for each value beyond the tolerance, the ones starred."""
    first = reports[0]
    band, lag = first["gates"]["curve_band"], first["gates"]["curve_max_lag"]
    by_env = [{r["variant"]: r for r in report["runs"]} for report in reports]
    header = "| variant | " + " | ".join(
        f"{name} accuracy | {name} epochs to {rep['gates']['min_accuracy']:.0%}"
        for name, rep in zip(names, reports)) + " |"
    lines = [header, "|" + " --- |" * (1 + 2 * len(reports))]
    beyond = []
    for variant in order(set().union(*by_env), _declared_order(reports)):
        base = by_env[0].get(variant)
        cells = []
        for name, runs in zip(names, by_env):
            run = runs.get(variant)
            if run is None:
                cells += ["(not run)", ""]
                continue
            acc, epochs = run["final_val_accuracy"], run["epochs_to_level"]
            moved_acc = base is not None and abs(acc - base["final_val_accuracy"]) > band
            moved_epochs = base is not None and _moved(epochs, base["epochs_to_level"], lag)
            cells.append(f"{acc:.2%}{' *' if moved_acc else ''}")
            cells.append(f"{_epochs(epochs)}{' *' if moved_epochs else ''}")
            if moved_acc:
                beyond.append(f"{variant} in {name}: final accuracy {acc:.2%}, "
                              f"{base['final_val_accuracy']:.2%} in {names[0]} "
                              f"(tolerance {band:.1%})")
            if moved_epochs:
                beyond.append(f"{variant} in {name}: epochs to "
                              f"{reports[0]['gates']['min_accuracy']:.0%} {_epochs(epochs)}, "
                              f"{_epochs(base['epochs_to_level'])} in {names[0]} "
                              f"(tolerance {lag})")
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    lines += ["", f"`*`: moved from {names[0]} by more than the tolerance "
                  f"(accuracy {band:.1%}, epochs {lag})."]
    return lines, beyond


def plot(reports: list[dict], names: list[str]) -> bytes:
    """Per model, each variant's final validation accuracy as the change (in points)
    from the first report's, across the reports (``names`` their labels), with the
    tolerance shaded: what the table's `*` marks is what leaves the shaded band.
    Variants missing from the first report are drawn from the first report that has
    them, and say so."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from freezecheck.reporting.report import line_style

    band = reports[0]["gates"]["curve_band"] * 100
    by_env = [{run["variant"]: run for run in r["runs"]} for r in reports]
    variants = order(set().union(*by_env), _declared_order(reports))
    parts = {v: parse_id(v) for v in variants}
    models = list(dict.fromkeys(model for model, _, _ in parts.values()))
    figure = Figure(figsize=(8.5, 0.8 + 3.4 * len(models)), layout="constrained")
    styles: dict[str, tuple[str, str]] = {}  # frozen -> colour, line style, in every panel
    for axes, model in zip(figure.subplots(len(models), 1, squeeze=False)[:, 0], models):
        mine = [v for v in variants if parts[v][0] == model]
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
                label += f" (from {names[first]})"
            colour, style = ("black", "-") if baseline else styles.setdefault(
                frozen, line_style(len(styles)))
            axes.plot([i + shift for i, _ in points], [d for _, d in points], marker="o",
                      markersize=4, linewidth=2 if baseline else 1.2, color=colour,
                      linestyle=style, label=label)
        limit = largest * 1.3
        if band <= limit:
            axes.axhspan(-band, band, color="0.9", zorder=0, label=f"tolerance +-{band:.1f} points")
            note = ""
        else:  # zoomed to the changes: the tolerance lies beyond the axis
            note = f"\n(tolerance +-{band:.1f} points, beyond this axis)"
        axes.set_ylim(-limit, limit)
        axes.set_xticks(range(len(names)), names, rotation=30, ha="right",
                        fontsize="small")
        axes.set(ylabel="change in final val\naccuracy (points)",
                 title=f"{model}: final validation accuracy, change from {names[0]}{note}")
        axes.title.set_fontsize("medium")
        axes.grid(axis="y", alpha=0.3)
        axes.legend(fontsize="x-small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100)
    return out.getvalue()


def run_compare(directories: list[Path], out: Path) -> tuple[list[str], list[str]]:
    """Write compare.md and compare.png; the table's lines, and a line for each value
    beyond the tolerance."""
    seen: dict = {}
    for directory in directories:
        where = Path(directory).resolve()
        if where in seen:
            raise ReportError(f"{directory}: given twice (also as {seen[where]}); give "
                              f"each report directory once")
        seen[where] = directory
    reports = [load_report(d) for d in directories]
    if not any(report["runs"] for report in reports):
        raise ReportError(f"no run in any of the reports ({', '.join(map(str, directories))}): "
                          f"nothing to compare")
    names = labels(reports, directories)
    lines, beyond = compare(reports, names)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "compare.md", "\n".join(lines) + "\n")
    write_atomic(out / "compare.png", plot(reports, names))
    return lines, beyond


def _epochs(epochs) -> str:
    return "never" if epochs is None else str(epochs)


def _moved(epochs, base, lag) -> bool:
    if epochs is None or base is None:
        return (epochs is None) != (base is None)
    return abs(epochs - base) > lag
