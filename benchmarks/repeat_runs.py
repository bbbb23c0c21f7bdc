"""Run the full experiment several ways and check the results are identical and green.

    python benchmarks/repeat_runs.py --data-dir DIR [--suite tests/test_experiment.py] [--out FILE]

Runs `pytest tests/test_experiment.py` (full tier) with -n 2, -n 0, -n 2 in a shuffled
test order and -n 2 again, then compares every run's curves, accuracies and weight
fingerprints, and every test's outcome. Writes benchmarks/repeat_runs.json; exits 1 if
any run is red or any two differ (a false alarm or a nondeterminism).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WAYS = {
    "n2": ["-n", "2"],
    "n0": ["-n", "0"],
    "n2-shuffled": ["-n", "2", "-p", "shuffle_order"],
    "n2-again": ["-n", "2"],
}


def essentials(results: dict) -> dict:
    """What must be bitwise equal between runs: every figure but the timings."""
    return {
        "runs": {r["variant"]: {k: r[k] for k in ("val_accuracy", "train_accuracy",
                                                  "test_accuracy", "weights_after_sha256")}
                 for r in results["runs"]},
        "tests": results["tests"],
    }


def shown(path: Path) -> str:
    """``path`` as the record writes it: from the repository root when inside it."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True,
                        help="directory of the four MNIST IDX files (plain or .gz)")
    parser.add_argument("--suite", type=Path, default=ROOT / "tests" / "test_experiment.py",
                        help="the test module to run (default: the built-in experiment's)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "repeat_runs.json")
    args = parser.parse_args()
    env = os.environ | {"PYTHONPATH": str(ROOT / "benchmarks"), "SHUFFLE_SEED": "20261127"}
    runs = {}
    for name, extra in WAYS.items():
        with tempfile.TemporaryDirectory() as report:
            command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                       str(args.suite.resolve()), *extra,
                       f"--freezecheck-data-dir={Path(args.data_dir).resolve()}",
                       f"--freezecheck-report-dir={report}"]
            start = time.perf_counter()
            done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            results = json.loads((Path(report) / "results.json").read_text())
        runs[name] = {"command": " ".join(["pytest", shown(args.suite), *extra]),
                      "exit_code": done.returncode, "wall_seconds": seconds,
                      "summary_line": done.stdout.strip().splitlines()[-1],
                      "essentials": essentials(results)}
        print(name, done.returncode, runs[name]["summary_line"], flush=True)
    first = next(iter(runs.values()))["essentials"]
    identical = {name: run["essentials"] == first for name, run in runs.items()}
    green = {name: run["exit_code"] == 0 for name, run in runs.items()}
    summary = {"command": "python benchmarks/repeat_runs.py " + " ".join(sys.argv[1:]),
               "identical_to_first": identical, "green": green,
               "runs": {n: {k: v for k, v in r.items() if k != "essentials"} for n, r in runs.items()},
               "results": first}
    args.out.write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps({"identical_to_first": identical, "green": green}, indent=1))
    return 0 if all(identical.values()) and all(green.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
