"""`freezecheck measure` on Dask, as a user runs it: smoke-tier runs of LeNet-5 (a
minute or a few each) trained bitwise alike on an embedded cluster and on an existing
scheduler's `dask worker` processes, one of them killed mid-sweep; a client stopped
with SIGTERM; and a user's experiment (the digits example, seconds a run) trained
bitwise alike in-process, on the embedded cluster and on `dask worker`s.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from freezecheck.cli.measure import read
from freezecheck.train.records import RunRecord
from freezecheck.train.store import cpu_type

pytestmark = pytest.mark.training

DASK = Path(sys.executable).with_name("dask")


def measure_command(where, data_dir, *extra):
    return [sys.executable, "-m", "freezecheck", "measure", "--tier", "smoke",
            "--models", "lenet5", "--data-dir", str(data_dir),
            "--store-dir", str(where / "store"), "--out", str(where / "m.jsonl"), *extra]


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, parents = set(), [pid]
    while parents:
        for child in children.get(parents.pop(), []):
            found.add(child)
            parents.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@contextlib.contextmanager
def dask_cluster(tmp_path, workers: int):
    """A `dask scheduler` and ``workers`` single-thread `dask worker` processes on
    127.0.0.1, as a user starts them: yields the address and the worker processes."""
    scheduler_file = tmp_path / "scheduler.json"
    started = []

    def start(*args):
        process = subprocess.Popen([str(DASK), *args], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        started.append(process)
        return process

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(scheduler_file))
        deadline = time.monotonic() + 120
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        address = json.loads(scheduler_file.read_text())["address"]
        yield address, [start("worker", address, "--nthreads", "1", "--nworkers", "1",
                              "--host", "127.0.0.1", "--no-dashboard")
                        for _ in range(workers)]
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def measure_killing_a_worker(command, total: int, victim) -> None:
    """Run the measure ``command``; kill ``victim`` (a worker's process group) once the
    first of its ``total`` runs is in; the sweep must still succeed."""
    client = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    lines = []
    for line in client.stdout:
        lines.append(line)
        if line.startswith(f"[1/{total} "):
            os.killpg(victim.pid, signal.SIGKILL)
            break
    lines += client.stdout.readlines()
    client.stdout.close()
    assert client.wait(timeout=1800) == 0, "".join(lines)


def stored_runs(store: Path) -> dict:
    """key -> RunRecord of every run in ``store``."""
    return {entry.name: RunRecord.load(entry) for entry in store.iterdir() if entry.is_dir()}


def assert_bitwise_equal(runs: dict, other: dict, what: str) -> None:
    assert runs.keys() == other.keys(), f"{what}: the same runs, under the same keys"
    for key, run in runs.items():
        again = other[key]
        assert run.history == again.history, f"{what}: {run.variant_id}'s curves differ"
        for path, array in run.weights_after.items():
            assert array.tobytes() == again.weights_after[path].tobytes(), \
                f"{what}: {run.variant_id}'s {path} differs after training"
        for path, array in run.weights_before.items():
            assert array.tobytes() == again.weights_before[path].tobytes()


def test_smoke_runs_are_bitwise_the_same_on_the_embedded_cluster_and_on_dask_workers(
        tmp_path, mnist_dir):
    """LeNet-5's single family at seed 0 (six smoke-tier runs), measured twice: on the
    embedded cluster, and on an existing cluster of two `dask worker`s, one of them
    killed once the first run is in. Each run is stored whole under its key and its
    line names the worker; a re-run finds everything measured and trains nothing; and
    the two sweeps have the same keys and bitwise the same curves and weights."""
    embedded, external = tmp_path / "embedded", tmp_path / "external"
    embedded.mkdir(), external.mkdir()
    sweep = ("--families", "single", "--seeds", "0-0")

    result = subprocess.run(measure_command(embedded, mnist_dir, *sweep, "--workers", "1"),
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {row["variant"]: row for row in read(embedded / "m.jsonl")}
    assert len(rows) == 6 and all(row["worker"].startswith("tcp://") for row in rows.values())
    assert "[6/6 " in result.stdout and "runs/h" in result.stdout
    for row in rows.values():
        stored = RunRecord.load(embedded / "store" / row["key"])
        assert stored.val_accuracy == row["val_accuracy"] and stored.variant_id == row["variant"]
    again = subprocess.run(measure_command(embedded, mnist_dir, *sweep, "--workers", "1"),
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "0 runs to make (6 already in" in again.stdout

    with dask_cluster(tmp_path, workers=2) as (address, workers):
        measure_killing_a_worker(
            measure_command(external, mnist_dir, *sweep, "--scheduler", address),
            total=6, victim=workers[0])
    rows = read(external / "m.jsonl")
    assert sorted(row["variant"] for row in rows) == sorted(
        f"lenet5[{v}]" for v in ("none", "conv1", "conv2", "fc1", "fc2", "out"))
    assert all(row["worker"].startswith("tcp://127.0.0.1:") for row in rows)
    assert len({row["key"] for row in rows}) == 6
    assert not list((external / "store").glob(".*partial*"))
    assert_bitwise_equal(stored_runs(embedded / "store"), stored_runs(external / "store"),
                         "dask workers against the embedded cluster")


def test_sigterm_to_the_client_cancels_the_sweep_and_leaves_no_process(tmp_path, mnist_dir):
    client = subprocess.Popen(
        measure_command(tmp_path, mnist_dir, "--families", "single,blocks", "--seeds", "2",
                        "--workers", "2"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    below: set[int] = set()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # until both workers are up and training
        below |= descendants(client.pid)
        if len(below) >= 3:
            break
        time.sleep(1)
    time.sleep(20)
    below |= descendants(client.pid)
    client.send_signal(signal.SIGTERM)
    output, _ = client.communicate(timeout=300)
    assert client.returncode == 130, output
    assert "interrupted;" in output and "Run the same command to go on" in output
    deadline = time.monotonic() + 60
    while any(alive(pid) for pid in below) and time.monotonic() < deadline:
        time.sleep(1)
    assert not [pid for pid in below if alive(pid)], "processes outlived the client"
    kept = read(tmp_path / "m.jsonl") if (tmp_path / "m.jsonl").exists() else []
    assert len(kept) < 30  # cancelled long before the sweep's 15 x 2 runs


DIGITS = Path(__file__).resolve().parents[1] / "examples" / "digits-mlp" / "test_digits.py"


def test_a_users_experiment_trains_bitwise_the_same_runs_in_process_and_on_dask(tmp_path):
    """The example experiment on scikit-learn's digits (five variants, seconds each):
    trained by a pytest session in its own process, by `measure --experiment` on the
    embedded cluster, and on an existing cluster of two `dask worker`s, one of them
    killed once the first run is in. Every run has the same store key in all three,
    and bitwise the same curves and weights; the session given the measured store
    trains nothing. (Before each run had a Python generator of its own, the workers'
    event loops drew from the shared one, and this failed 3 times in 17 tries.)"""
    pytest.importorskip("sklearn", reason="the example's data set ships with scikit-learn "
                                          "(the examples extra)")

    def session(store: str) -> None:
        """The example's tests, in one process, with ``store`` as the run store."""
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-q",
             f"--freezecheck-store-dir={tmp_path / store}",
             f"--freezecheck-report-dir={tmp_path / f'report-{store}'}"],
            cwd=DIGITS.parent, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout + done.stderr

    def measure_args(store: str, *extra) -> list[str]:
        return [sys.executable, "-m", "freezecheck", "measure", "--experiment",
                f"{DIGITS}::digits", "--seeds", "0-0", "--store-dir", str(tmp_path / store),
                "--out", str(tmp_path / f"{store}.jsonl"), *extra]

    session("in-process")
    in_process = stored_runs(tmp_path / "in-process")
    assert len(in_process) == 5

    done = subprocess.run(measure_args("embedded", "--workers", "2"), capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_bitwise_equal(in_process, stored_runs(tmp_path / "embedded"), "embedded cluster")
    rows = read(tmp_path / "embedded.jsonl")
    assert sorted(row["variant"] for row in rows) == sorted(
        run.variant_id for run in in_process.values())
    assert all(row["experiment"] == f"{DIGITS}::digits" and row["dataset"] == "sklearn-digits"
               and row["worker"].startswith("tcp://") and row["cpu"] == cpu_type()
               for row in rows)

    with dask_cluster(tmp_path, workers=2) as (address, workers):
        measure_killing_a_worker(measure_args("external", "--scheduler", address),
                                 total=len(in_process), victim=workers[0])
    assert_bitwise_equal(in_process, stored_runs(tmp_path / "external"), "dask workers")

    session("embedded")
    assert stored_runs(tmp_path / "embedded").keys() == in_process.keys()  # nothing new
