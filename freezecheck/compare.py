"""Comparing the reports of several environments: one table, one plot.

``python -m freezecheck compare DIR...`` reads each DIR/results.json (written by a
session, e.g. one per tox environment) and shows, per variant, the final validation
accuracy and epochs to the gate in each environment. A figure that moved from the first
environment's by more than the curve tolerance (accuracy beyond the band, or epochs to
the gate beyond the allowed lag) is marked with a `*`.
"""

from __future__ import annotations

import json
from pathlib import Path

from freezecheck.errors import FreezecheckError
from freezecheck.report import READABLE_SCHEMA_VERSIONS, _write_atomic


class ReportError(FreezecheckError, ValueError):
    """A report directory cannot be read as a freezecheck report."""


def load_report(directory: Path) -> dict:
    path = Path(directory) / "results.json"
    try:
        results = json.loads(path.read_text())
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file. Give directories written by "
                          f"--freezecheck-report-dir.") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not valid JSON ({exc}).") from exc
    if results.get("schema_version") not in READABLE_SCHEMA_VERSIONS or "environment" not in results:
        raise ReportError(f"{path}: report schema {results.get('schema_version')!r}, "
                          f"expected one of {READABLE_SCHEMA_VERSIONS}; re-run that environment.")
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
    """Final validation accuracy of each variant across environments."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    environments = [r["environment"] for r in reports]
    figure = Figure(figsize=(max(6, 1.5 * len(environments) + 4), 5), layout="constrained")
    axes = figure.subplots()
    axes.set_prop_cycle(color=matplotlib.colormaps["tab20"].colors)  # 11+ distinct lines
    variants = sorted({run["variant"] for r in reports for run in r["runs"]})
    for variant in variants:
        points = [(i, run["final_val_accuracy"]) for i, r in enumerate(reports)
                  for run in r["runs"] if run["variant"] == variant]
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=variant)
    axes.axhline(reports[0]["gates"]["min_accuracy"], color="red", linestyle=":", label="gate")
    axes.set_xticks(range(len(environments)), environments)
    axes.set(xlabel="environment", ylabel="final validation accuracy",
             title="freezecheck across environments")
    axes.legend(fontsize="small", loc="center left", bbox_to_anchor=(1, 0.5))
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100)
    return out.getvalue()


def run_compare(directories: list[Path], out: Path) -> list[str]:
    reports = [load_report(d) for d in directories]
    lines = compare(reports)
    out.mkdir(parents=True, exist_ok=True)
    _write_atomic(out / "compare.md", "\n".join(lines) + "\n")
    _write_atomic(out / "compare.png", plot(reports))
    return lines


def _moved(epochs, base, lag) -> bool:
    if epochs is None or base is None:
        return (epochs is None) != (base is None)
    return abs(epochs - base) > lag
