"""The session's report: per-run figures, written once by the controller.

Workers compute each run's small figures and attach them to the test report; the
controller, which sees every test report, merges them and writes ``results.json``,
``curves.csv``, ``curves.png`` and ``summary.md`` (and ``families.png`` when the session
ran variant families), so the output is the same with or without xdist. matplotlib is
imported only to draw the plots.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from freezecheck.curves import epochs_to_reach
from freezecheck.fingerprints import fingerprint
from freezecheck.records import RunRecord

# 2 added each run's seed and the session's data set (results.json), and a seed column
# (curves.csv); version 1 reports are still read by `compare` (they hold one seed).
SCHEMA_VERSION = 2
READABLE_SCHEMA_VERSIONS = (1, 2)


def run_figures(record: RunRecord, level: float) -> dict:
    """The small, JSON-ready figures of one run that the report shows.

    ``level`` is the accuracy gate: ``epochs_to_level`` is the first epoch (1-based)
    at which validation accuracy reached it, or None.
    """
    return {
        "variant": record.variant_id,
        "seed": record.recipe["seed"],
        "model": record.model,
        "frozen": record.frozen,
        "recipe": record.recipe,
        "val_accuracy": record.history["val_accuracy"],
        "train_accuracy": record.history["accuracy"],
        "final_val_accuracy": record.final_val_accuracy,
        "test_accuracy": record.test_accuracy,
        "level": level,
        "epochs_to_level": epochs_to_reach(record.history["val_accuracy"], level),
        "train_seconds": record.train_seconds,
        "epoch_seconds": record.epoch_seconds,
        "peak_rss_mb": record.peak_rss_mb,
        "versions": record.versions,
        "weights_after_sha256": {p: fingerprint(a) for p, a in record.weights_after.items()},
    }


def write_results(directory: Path, runs: dict[str, dict], outcomes: dict[str, str],
                  gates: dict, environment: str, dataset: str = "mnist",
                  model_gates: dict | None = None) -> Path:
    """Write the report files into ``directory``, each atomically.

    ``gates`` are the session's gates (as a dict); ``curve_band`` is drawn around each
    baseline's curve. ``environment`` names the environment (as tox.ini does).
    """
    directory.mkdir(parents=True, exist_ok=True)
    band = gates["curve_band"]
    results = {
        "schema_version": SCHEMA_VERSION,
        "environment": environment,
        "dataset": dataset,
        "gates": gates,
        "runs": [runs[k] for k in sorted(runs)],
        "tests": dict(sorted(outcomes.items())),
    }
    _write_atomic(directory / "results.json", json.dumps(results, indent=1, sort_keys=True))
    _write_atomic(directory / "curves.csv", curves_csv(runs))
    _write_atomic(directory / "summary.md", summary_markdown(runs, outcomes))
    _write_atomic(directory / "curves.png", plot_png(runs, band))
    if any(not _in_experiment(r) for r in runs.values()):
        from freezecheck.findings import plot

        by_variant: dict[str, dict] = {}
        for r in runs.values():
            by_variant.setdefault(r["variant"], {})[r["seed"]] = r
        model_gates = {m: (model_gates or {}).get(m, gates["min_accuracy"])
                       for m in {r["model"] for r in runs.values()}}
        _write_atomic(directory / "families.png", plot(by_variant, dataset, model_gates))
    return directory


def curves_csv(runs: dict[str, dict]) -> str:
    """One row per variant and epoch (1-based): validation and training accuracy."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["variant", "seed", "epoch", "val_accuracy", "train_accuracy"])
    for key in sorted(runs):
        r = runs[key]
        for epoch, (val, train) in enumerate(zip(r["val_accuracy"], r["train_accuracy"]), 1):
            writer.writerow([r["variant"], r["seed"], epoch, repr(val), repr(train)])
    return out.getvalue()


def summary_markdown(runs: dict[str, dict], outcomes: dict[str, str]) -> str:
    counts: dict[str, int] = {}
    for outcome in outcomes.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    lines = ["# freezecheck", "", *table(runs), "",
             "Tests: " + ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))]
    lines += [f"- {o}: `{nodeid}`" for nodeid, o in sorted(outcomes.items())
              if o not in ("passed", "xfailed")]
    return "\n".join(lines) + "\n"


def plot_png(runs: dict[str, dict], band: float) -> bytes:
    """Validation accuracy against epoch, a panel per model, each baseline drawn with
    its tolerance band: the plot the finding was first told through."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    first_seed = min(r["seed"] for r in runs.values())
    # One curve a variant, and only the experiment's own (nothing or one layer frozen):
    # the families, a hundred and more, are drawn in families.png instead.
    runs = {k: r for k, r in runs.items() if r["seed"] == first_seed and _in_experiment(r)}
    models = sorted({r["model"] for r in runs.values()})
    figure = Figure(figsize=(6 * len(models), 4.5), layout="constrained")
    for axes, model in zip(figure.subplots(1, len(models), squeeze=False)[0], models):
        # The baseline first, so that its band lies under the other curves.
        for r in sorted((r for r in runs.values() if r["model"] == model),
                        key=lambda r: (not _is_baseline(r), r["variant"])):
            epochs = range(1, len(r["val_accuracy"]) + 1)
            label = "frozen: " + ("+".join(r["frozen"]) or "none (baseline)")
            if _is_baseline(r):
                lower = [a - band for a in r["val_accuracy"]]
                upper = [a + band for a in r["val_accuracy"]]
                axes.fill_between(epochs, lower, upper, color="0.85", label=f"baseline +-{band:.1%}")
                axes.plot(epochs, r["val_accuracy"], color="black", linewidth=2, label=label)
            else:
                axes.plot(epochs, r["val_accuracy"], marker=".", label=label)
        axes.axhline(runs[next(iter(runs))]["level"], color="red", linestyle=":", label="gate")
        axes.set(title=model, xlabel="epoch", ylabel="validation accuracy")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(fontsize="small", loc="lower right")
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100)
    return out.getvalue()


def _in_experiment(run: dict) -> bool:
    """Nothing or one layer frozen, default distribution: the experiment's own variants."""
    frozen = run["variant"].split("-frozen=", 1)[1]
    return "+" not in frozen and ",init=" not in frozen


def _is_baseline(run: dict) -> bool:
    return run["variant"].endswith("-frozen=none")


def table(runs: dict[str, dict]) -> list[str]:
    """Markdown table lines: one row a run, in variant order."""
    lines = [
        "| variant | seed | val accuracy | test accuracy | epochs to gate | train s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key in sorted(runs):
        r = runs[key]
        reached = r["epochs_to_level"] if r["epochs_to_level"] is not None else "never"
        lines.append(
            f"| {r['variant']} | {r['seed']} | {r['final_val_accuracy']:.2%} "
            f"| {r['test_accuracy']:.2%} "
            f"| {reached} | {r['train_seconds']:.0f} |"
        )
    return lines


def _write_atomic(path: Path, content: str | bytes) -> None:
    handle, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content.encode() if isinstance(content, str) else content)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
