"""Measure the suite's targets and write them to a JSON file.

    python benchmarks/experiment.py --data-dir ../shared/data/mnist [--repeat 1]

Measures, on this machine:
- collection time of the whole suite (``pytest --collect-only``), median of 5;
- wall time of the whole experiment under ``pytest -n auto``, TensorFlow install excluded;
- peak resident memory of each worker (from each run's record) and of the largest
  process (``RUSAGE_CHILDREN``).
Figures go to ``benchmarks/experiment.json`` (or ``--out``), with the command that
produced them and the versions. Targets are checked here and reported, never in tests.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"experiment_wall_seconds": 12 * 60, "peak_rss_mb_per_worker": 1536,
           "collect_seconds": 5.0}


def timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - start, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "experiment.json")
    args = parser.parse_args()
    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]

    collect = []
    for _ in range(5):
        seconds, done = timed(pytest + ["--collect-only", "-q"])
        if done.returncode != 0:
            sys.exit(f"collection failed:\n{done.stdout}\n{done.stderr}")
        collect.append(seconds)

    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as report:
            command = pytest + ["-n", "auto", "tests/test_experiment.py",
                                f"--freezecheck-data-dir={Path(args.data_dir).resolve()}",
                                f"--freezecheck-report-dir={report}"]
            seconds, done = timed(command)
            # A failing gate is a finding, not a reason to lose the timing: keep both.
            results = json.loads((Path(report) / "results.json").read_text())
        runs.append({
            "wall_seconds": seconds,
            "exit_code": done.returncode,
            "summary_line": done.stdout.strip().splitlines()[-1],
            "results": results,
            "train_seconds": {r["variant"]: r["train_seconds"] for r in results["runs"]},
            "peak_rss_mb": {r["variant"]: r["peak_rss_mb"] for r in results["runs"]},
        })

    figures = {
        "command": " ".join(["python", "benchmarks/experiment.py"] + sys.argv[1:]),
        "experiment_command": "pytest -n auto tests/test_experiment.py",
        "machine": {"python": platform.python_version(), "cores": _cores()},
        "collect_seconds": {"median": statistics.median(collect), "all": collect},
        "experiment_wall_seconds": {"median": statistics.median(r["wall_seconds"] for r in runs),
                                    "all": [r["wall_seconds"] for r in runs]},
        "peak_rss_mb_per_worker": max(max(r["peak_rss_mb"].values()) for r in runs),
        "peak_rss_mb_largest_process": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "runs": runs,
        "targets": TARGETS,
    }
    figures["met"] = {
        "experiment_wall_seconds": figures["experiment_wall_seconds"]["median"] <= TARGETS["experiment_wall_seconds"],
        "peak_rss_mb_per_worker": figures["peak_rss_mb_largest_process"] <= TARGETS["peak_rss_mb_per_worker"],
        "collect_seconds": figures["collect_seconds"]["median"] <= TARGETS["collect_seconds"],
    }
    args.out.write_text(json.dumps(figures, indent=1) + "\n")
    print(json.dumps({k: figures[k] for k in ("collect_seconds", "experiment_wall_seconds",
                                             "peak_rss_mb_per_worker", "peak_rss_mb_largest_process", "met")}, indent=1))
    return 0 if all(figures["met"].values()) else 1


def _cores() -> int:
    import os
    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    sys.exit(main())
