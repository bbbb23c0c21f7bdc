"""Faults during a session: a killed worker, Ctrl-C, two sessions sharing one store.

Each drives the real experiment file in pytester subprocesses on the smoke tier and a
few LeNet-5 variants, with a persistent run store, and checks what is left on disk.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.training

EXPERIMENT_FILE = Path(__file__).with_name("test_experiment.py")
SELECTION = "lenet5 and (none or conv1 or out)"
SELECTED_VARIANTS = ["lenet5[conv1]", "lenet5[none]", "lenet5[out]"]

# Appends each training's variant to $TRAININGS_LOG (one line per training, any process).
COUNT_TRAININGS = """
import os
import freezecheck.train.training as _training
_train = _training.train
def _counted(variant, recipe, data, *args, **kwargs):
    with open(os.environ["TRAININGS_LOG"], "a") as log:
        log.write(variant.id + "\\n")
    return _train(variant, recipe, data, *args, **kwargs)
_training.train = _counted
"""

# The first time lenet5[conv1] trains, its process is killed after its first epoch.
KILL_ONCE_MID_TRAINING = """
import signal
_compile_epoch = _training.compile_epoch
def _compile_kill_once(net, *args, **kwargs):
    epoch = _compile_epoch(net, *args, **kwargs)
    def epoch_then_kill(order):
        result = epoch(order)
        if net._freezecheck_variant == "lenet5[conv1]" and not os.path.exists("killed-once"):
            open("killed-once", "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return epoch_then_kill
_training.compile_epoch = _compile_kill_once
import freezecheck.builtin.models as _models
_models_build = _models.build
def _build_named(model, frozen=(), kernel_inits=None):
    net = _models_build(model, frozen, kernel_inits)
    net._freezecheck_variant = f"{model}[{'+'.join(frozen) or 'none'}]"
    return net
_models.build = _build_named
"""

# Announces that training has started, then trains slowly enough to be interrupted.
ANNOUNCE_TRAINING = """
import time
_compile_epoch = _training.compile_epoch
def _compile_slow(net, *args, **kwargs):
    epoch = _compile_epoch(net, *args, **kwargs)
    def announced_slow_epoch(order):
        open("training-started", "w").close()
        time.sleep(5)
        return epoch(order)
    return announced_slow_epoch
_training.compile_epoch = _compile_slow
"""


def command(pytester, data_dir, store, *extra):
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rfE",
            "-k", SELECTION, "--freezecheck-tier=smoke", f"--freezecheck-data-dir={data_dir}",
            f"--freezecheck-store-dir={store}", *extra]


def setup(pytester, plant=""):
    pytester.makepyfile(test_copied_experiment=EXPERIMENT_FILE.read_text())
    pytester.makeconftest(COUNT_TRAININGS + plant)
    log = pytester.path / "trainings.log"
    return log, os.environ | {"TRAININGS_LOG": str(log)}


def stored_variants(store: Path) -> list[str]:
    return sorted(json.loads((entry / "record.json").read_text())["variant_id"]
                  for entry in store.iterdir() if entry.is_dir() and not entry.name.startswith("."))


def leftovers(store: Path) -> list[str]:
    """Staging directories, or entries without a complete record: partial state."""
    return [p.name for p in store.iterdir() if p.is_dir() and (
        p.name.startswith(".") or not (p / "record.json").is_file() or not (p / "weights.npz").is_file())]


def test_killed_worker_is_reported_leaves_no_partial_entry_and_a_rerun_completes(pytester, mnist_dir):
    log, env = setup(pytester, KILL_ONCE_MID_TRAINING)
    store = pytester.path / "store"
    first = subprocess.run(command(pytester, mnist_dir, store, "-n", "2"), cwd=pytester.path,
                           env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 1, first.stdout
    assert "crashed while running" in first.stdout and "lenet5[conv1]" in first.stdout
    assert leftovers(store) == []
    # The replacement worker trained conv1 again for the tests still to run.
    assert log.read_text().split().count("lenet5[conv1]") == 2

    log.unlink()
    second = subprocess.run(command(pytester, mnist_dir, store, "-n", "2"), cwd=pytester.path,
                            env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout
    assert not log.exists(), "the re-run trained what the store already held"
    assert stored_variants(store) == SELECTED_VARIANTS and leftovers(store) == []


def test_ctrl_c_during_training_leaves_no_partial_files(pytester, mnist_dir):
    log, env = setup(pytester, ANNOUNCE_TRAINING)
    store, report = pytester.path / "store", pytester.path / "report"
    # As from a terminal: SIGINT handled by default. (An xdist worker running this test
    # ignores SIGINT, and a child inherits that, so Python would not turn it into
    # KeyboardInterrupt.)
    process = subprocess.Popen(
        command(pytester, mnist_dir, store, "-n", "0", f"--freezecheck-report-dir={report}"),
        cwd=pytester.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while not (pytester.path / "training-started").exists():
        assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=300)
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output
    assert "KeyboardInterrupt" in output
    if store.exists():
        assert leftovers(store) == []
    # The report is written whole or not at all.
    assert not report.exists() or sorted(p.name for p in report.iterdir()) in (
        [], ["results.json", "summary.md"])


def test_two_sessions_sharing_a_store_train_each_variant_once(pytester, mnist_dir):
    log, env = setup(pytester)
    store = pytester.path / "store"
    sessions = [subprocess.Popen(command(pytester, mnist_dir, store, "-n", "0",
                                         f"--freezecheck-report-dir=report{i}",
                                         f"--basetemp={pytester.path / f'tmp{i}'}"),
                                 cwd=pytester.path, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
                for i in range(2)]
    outputs = [s.communicate(timeout=600)[0] for s in sessions]
    assert [s.returncode for s in sessions] == [0, 0], outputs
    assert sorted(log.read_text().split()) == SELECTED_VARIANTS
    assert stored_variants(store) == SELECTED_VARIANTS and leftovers(store) == []
    reports = [(pytester.path / f"report{i}" / "results.json").read_text() for i in range(2)]
    runs = [{r["variant"]: r["weights_after_sha256"] for r in json.loads(t)["runs"]} for t in reports]
    assert runs[0] == runs[1]
