"""The session's report: per-run figures, written once by the controller.

Needs only numpy (through curves). Workers compute each run's small figures and attach
them to the test report; the controller, which sees every test report, merges them and
writes ``results.json`` and a table, so the output is the same with or without xdist.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from freezecheck.curves import epochs_to_reach
from freezecheck.fingerprints import fingerprint
from freezecheck.records import RunRecord

SCHEMA_VERSION = 1


def run_figures(record: RunRecord, level: float) -> dict:
    """The small, JSON-ready figures of one run that the report shows.

    ``level`` is the accuracy gate: ``epochs_to_level`` is the first epoch (1-based)
    at which validation accuracy reached it, or None.
    """
    return {
        "variant": record.variant_id,
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
        "peak_rss_mb": record.peak_rss_mb,
        "versions": record.versions,
        "weights_after_sha256": {p: fingerprint(a) for p, a in record.weights_after.items()},
    }


def write_results(directory: Path, runs: dict[str, dict], outcomes: dict[str, str]) -> Path:
    """Write ``results.json`` and ``summary.md`` into ``directory``, each atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    results = {
        "schema_version": SCHEMA_VERSION,
        "runs": [runs[k] for k in sorted(runs)],
        "tests": dict(sorted(outcomes.items())),
    }
    _write_atomic(directory / "results.json", json.dumps(results, indent=1, sort_keys=True))
    _write_atomic(directory / "summary.md", "\n".join(table(runs)) + "\n")
    return directory


def table(runs: dict[str, dict]) -> list[str]:
    """Markdown table lines: one row a run, in variant order."""
    lines = [
        "| variant | val accuracy | test accuracy | epochs to gate | train s |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for key in sorted(runs):
        r = runs[key]
        reached = r["epochs_to_level"] if r["epochs_to_level"] is not None else "never"
        lines.append(
            f"| {r['variant']} | {r['final_val_accuracy']:.2%} | {r['test_accuracy']:.2%} "
            f"| {reached} | {r['train_seconds']:.0f} |"
        )
    return lines


def _write_atomic(path: Path, text: str) -> None:
    handle, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
