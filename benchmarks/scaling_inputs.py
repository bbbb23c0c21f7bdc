"""The measured inputs of docs/scaling.md: what one run costs the scheduler, the network
and the client, and how many runs the large sweep has.

    python benchmarks/scaling_inputs.py STORE_DIR... [--tasks 2000] [--workers 2] \
        [--families-tests tests/test_families.py] [--out FILE]

STORE_DIR holds stored runs (a run store: ``--freezecheck-store-dir`` or ``measure
--store-dir``); one run per model found there is measured. Nothing trains. Prints,
and with ``--out`` writes, a JSON object:

- ``sweep``: runs in five seeds of every family of both models on both data sets across
  the supported environments (the variants counted from the test ids pytest collects
  from ``--families-tests`` with ``--freezecheck-families=all``);
- ``records``: per model, the bytes Dask ships back per run (the pickled contents of a
  stored run: its ``record.json`` fields and its weight arrays before and after
  training, what the worker returns), the bytes it takes in the store, and the seconds
  the client spends writing it there (median of ``--repeat`` writes of those files into
  a staging directory renamed into place, as the store writes a run);
- ``scheduler``: an embedded cluster of ``--workers`` single-thread processes, driven
  the way ``measure`` drives it (submit all, collect with ``as_completed``): no-op tasks
  per second, and the throughput of tasks that return a record-sized payload.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS = 9  # docs/versions.md: TensorFlow 2.15-2.21 on 3.11, 2.21 on 3.12, tf-keras
SEEDS = 5
DATASETS = ("mnist", "fashion-mnist")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            line = next((line for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        line = ""
    return line.partition(":")[2].strip() or platform.machine()


def sweep_size(families_tests: Path) -> dict:
    """The sweep's size, from the variants pytest collects with every family."""
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         str(families_tests), "--freezecheck-families=all"],
        capture_output=True, text=True, cwd=families_tests.parent)
    if collected.returncode != 0:
        raise SystemExit(f"scaling_inputs.py: collecting {families_tests} failed:\n"
                         f"{collected.stdout[-2000:]}{collected.stderr[-2000:]}")
    # Test ids end in the variant, "...::test_name[lenet5[conv1+fc1]]".
    ids = {line[line.index("[") + 1:-1] for line in collected.stdout.splitlines()
           if "::" in line and line.endswith("]]")}
    per_model = Counter(variant.partition("[")[0] for variant in ids)
    per_environment = len(ids) * SEEDS * len(DATASETS)
    return {"variants_per_dataset": dict(sorted(per_model.items())), "seeds": SEEDS,
            "datasets": len(DATASETS), "environments": ENVIRONMENTS,
            "runs": per_environment * ENVIRONMENTS}


def one_run_per_model(store_dirs: list[Path]) -> dict:
    """model -> the first stored run of it (an entry directory holding record.json)."""
    found = {}
    for store_dir in store_dirs:
        for entry in sorted(Path(store_dir).iterdir()):
            if (entry / "record.json").is_file():
                model = json.loads((entry / "record.json").read_text())["model"]
                found.setdefault(model, entry)
    return dict(sorted(found.items()))


def stored_files(entry: Path) -> tuple[dict, dict]:
    """The run in ``entry``: its record.json fields and its weight arrays by name."""
    fields = json.loads((entry / "record.json").read_text())
    with np.load(entry / "weights.npz", allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    return fields, arrays


def write_as_the_store_does(root: Path, name: str, fields: dict, arrays: dict) -> None:
    """The run's files into a staging directory, fsynced by close, renamed into place."""
    staging = Path(tempfile.mkdtemp(dir=root, prefix=f".{name}.partial-"))
    (staging / "record.json").write_text(json.dumps(fields, indent=1, sort_keys=True))
    with open(staging / "weights.npz", "wb") as handle:
        np.savez(handle, **arrays)
    os.replace(staging, root / name)


def record_costs(entry: Path, repeat: int) -> dict:
    fields, arrays = stored_files(entry)
    shipped = len(pickle.dumps((fields, arrays), protocol=pickle.HIGHEST_PROTOCOL))
    on_disk = sum(f.stat().st_size for f in entry.iterdir() if f.is_file())
    seconds = []
    with tempfile.TemporaryDirectory() as root:
        for i in range(repeat):
            start = time.perf_counter()
            write_as_the_store_does(Path(root), f"key{i}", fields, arrays)
            seconds.append(time.perf_counter() - start)
    after = [a for name, a in arrays.items() if name.startswith("after_")]
    return {"entry": entry.name, "parameters": sum(int(a.size) for a in after),
            "shipped_bytes": shipped, "store_bytes": on_disk,
            "client_write_seconds": statistics.median(seconds)}


def _noop(i):
    return i


def _payload(size):
    return b"\0" * size


def scheduler_rates(tasks: int, workers: int, payload: int) -> dict:
    from distributed import Client, LocalCluster, as_completed

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers)
        client.gather(client.map(_noop, range(workers * 4)))  # warm the workers
        start = time.perf_counter()
        futures = client.map(_noop, range(tasks), pure=False)
        for future in as_completed(futures):
            future.result()
        noop_rate = tasks / (time.perf_counter() - start)
        shipped = max(workers * 25, 50)
        start = time.perf_counter()
        futures = [client.submit(_payload, payload, pure=False) for _ in range(shipped)]
        for future in as_completed(futures):
            future.result()
        elapsed = time.perf_counter() - start
    return {"workers": workers, "noop_tasks": tasks, "noop_tasks_per_second": noop_rate,
            "payload_bytes": payload, "payload_tasks": shipped,
            "payload_tasks_per_second": shipped / elapsed,
            "payload_megabytes_per_second": shipped * payload / elapsed / 1e6}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store_dirs", nargs="+", type=Path, metavar="STORE_DIR")
    parser.add_argument("--tasks", type=int, default=2000, help="no-op tasks to time")
    parser.add_argument("--workers", type=int, default=2, help="embedded worker processes")
    parser.add_argument("--repeat", type=int, default=20, help="store writes per record")
    parser.add_argument("--families-tests", type=Path,
                        default=ROOT / "tests" / "test_families.py", metavar="FILE",
                        help="the test module whose variants make the sweep (default: the "
                             "built-in experiment's families)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    records = one_run_per_model(args.store_dirs)
    if not records:
        parser.error(f"no stored run in {', '.join(map(str, args.store_dirs))}: pass a run "
                     f"store directory (--freezecheck-store-dir or measure --store-dir)")
    costs = {model: record_costs(entry, args.repeat) for model, entry in records.items()}
    largest = max(c["shipped_bytes"] for c in costs.values())
    result = {"machine": {"cpu": cpu_model(), "cores": os.cpu_count(),
                          "python": platform.python_version()},
              "sweep": sweep_size(args.families_tests.resolve()), "records": costs,
              "scheduler": scheduler_rates(args.tasks, args.workers, largest)}
    text = json.dumps(result, indent=1, sort_keys=True)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
