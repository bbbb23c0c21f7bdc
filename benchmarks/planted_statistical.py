"""Planted regressions judged in the statistical mode: do five seeds still catch them?

    python benchmarks/planted_statistical.py --data-dir DIR \
        --plants slower,leak --out benchmarks/planted-statistical.json [--tests-dir tests]

Runs the built-in experiment's generated tests (tests/test_experiment.py, copied into a
scratch directory as a user's project would hold them, through pytest's command line) for LeNet-5's baseline and ``out`` frozen, on the full
tier at seeds 0-4, where the curve is judged by the statistical mode against what
``out`` was measured to do. Each plant is a conftest.py from tests/test_sensitivity.py:

- ``slower``: ``lenet5[out]``'s learning rate cut fourfold (it learns slower and may
  still end near the gate);
- ``leak``: the frozen layers set not trainable only after the train function was
  built, so they train (what Keras 3 does to a layer frozen after a first ``fit``).

The plants are the tests' own (the conftest text of tests/test_sensitivity.py, read
from ``--tests-dir``), so the benchmark plants exactly what the tests plant.

Neither plant touches the baseline, so its five runs are trained once and shared by
the plants' run stores (``--baseline-store DIR`` takes them from an earlier run's store
instead, when it was made on this machine: the store key covers the CPU). Writes every test's outcome and message per plant, with the
time taken, and exits 1 unless each plant turns its expected test red
(``test_curve_follows_baseline[lenet5[out]]`` for ``slower``,
``test_frozen_weights_bitwise_unchanged[lenet5[out]]`` for ``leak``) and
leaves every test of the baseline green.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# plant -> (its conftest text in tests/test_sensitivity.py, the test it must turn red)
PLANTS = {
    "slower": ("SLOWER_CONVERGENCE", "test_curve_follows_baseline[lenet5[out]]"),
    "leak": ("FROZEN_AFTER_TRAIN_FUNCTION_BUILT",
             "test_frozen_weights_bitwise_unchanged[lenet5[out]]"),
}
BASELINE = "lenet5[none]"


def plant_texts(tests_dir: Path) -> dict:
    """Conftest text by name (COUNT_TRAININGS and the plants) from the tests' module."""
    sys.path.insert(0, str(tests_dir))
    import test_sensitivity

    names = ["COUNT_TRAININGS", *(text for text, _ in PLANTS.values())]
    return {name: getattr(test_sensitivity, name) for name in names}


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` whole, so an interrupted run leaves the last complete record."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)


def outcomes(junit: Path) -> dict:
    """test name (as PLANTS names it) -> (outcome, message) from a JUnit XML file."""
    found = {}
    for case in ElementTree.parse(junit).iter("testcase"):
        name = case.get("name").partition("@")[0]  # without xdist's group, "@lenet5(out)"
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            element = case.find(tag)
            if element is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                message = (element.get("message") or "")[:2000]
        found[name] = (outcome, message)
    return found


def share_baseline(source: Path, target: Path) -> None:
    """Copy the baseline's stored runs from ``source`` into the store ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        record = entry / "record.json"
        if record.is_file() and json.loads(record.read_text())["variant_id"] == BASELINE:
            shutil.copytree(entry, target / entry.name)


def run_plant(name: str, scratch: Path, data_dir: Path, seeds: int, first_store: Path | None,
              tests_dir: Path, texts: dict):
    plant, expected_red = PLANTS[name]
    project = scratch / name
    project.mkdir()
    shutil.copy(tests_dir / "test_experiment.py", project / "test_experiment.py")
    (project / "conftest.py").write_text(texts["COUNT_TRAININGS"] + texts[plant])
    store = scratch / f"store-{name}"
    if first_store is not None:
        share_baseline(first_store, store)
    junit = project / "junit.xml"
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist=loadgroup", "-p", "no:cacheprovider",
         "-rfE", "test_experiment.py",
         "-k", "TestLenet5 and (none or out)", f"--freezecheck-seeds={seeds}",
         f"--freezecheck-data-dir={data_dir}", f"--freezecheck-store-dir={store}",
         f"--junitxml={junit}"],
        cwd=project, capture_output=True, text=True, env=os.environ)
    seconds = time.perf_counter() - started
    tests = outcomes(junit) if junit.exists() else {}
    red = sorted(t for t, (outcome, _) in tests.items() if outcome in ("failed", "error"))
    baseline_red = [t for t in red if f"[{BASELINE}]" in t]
    trained = (project / "trainings.log").read_text().split() \
        if (project / "trainings.log").exists() else []
    caught = expected_red in red and not baseline_red
    return store, {
        "plant": name, "expected_red": expected_red, "caught": caught, "red": red,
        "tests": {t: {"outcome": o, "message": m} for t, (o, m) in sorted(tests.items())},
        "runs_trained": len(trained), "seconds": round(seconds), "exit_code": completed.returncode,
        "tail": completed.stdout[-3000:],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True,
                        help="directory of the four MNIST IDX files (plain or .gz)")
    parser.add_argument("--plants", default="slower,leak")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--baseline-store", type=Path, default=None, metavar="DIR",
                        help="a run store holding the baseline's runs at these seeds")
    parser.add_argument("--tests-dir", type=Path, default=ROOT / "tests", metavar="DIR",
                        help="where test_experiment.py and test_sensitivity.py (the plants) "
                             "are read from (default: the repository's tests/)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.plants.split(",")]
    unknown = [n for n in names if n not in PLANTS]
    if unknown:
        parser.error(f"--plants expected names from {sorted(PLANTS)}. Received: {unknown}")
    texts = plant_texts(args.tests_dir.resolve())
    results = []
    with tempfile.TemporaryDirectory(prefix="planted-statistical-") as scratch:
        first_store = args.baseline_store
        for name in names:
            store, result = run_plant(name, Path(scratch), args.data_dir.resolve(), args.seeds,
                                      first_store, args.tests_dir.resolve(), texts)
            first_store = first_store or store
            results.append(result)
            print(f"{name}: {'caught' if result['caught'] else 'NOT caught'}; red: "
                  f"{', '.join(result['red']) or 'none'} ({result['seconds']} s, "
                  f"{result['runs_trained']} runs trained)", flush=True)
            write_atomic(args.out, json.dumps({"seeds": args.seeds, "plants": results},
                                              indent=1) + "\n")
    return 0 if all(r["caught"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
