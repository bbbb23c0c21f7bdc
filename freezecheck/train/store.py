"""The run store: each variant is trained once, whichever process asks first.

Entries are directories named by a key that hashes everything that determines a run's
result. A per-key file lock makes other processes wait for the one that trains; the
entry is written into a temporary directory and renamed into place, so a reader sees a
whole entry or none, even if the writer is killed. This is the pattern pytest-xdist
documents for session fixtures that must run once across workers.

By default the store lives in the session's temporary directory and dies with it; given
a directory (``--freezecheck-store-dir``) it persists, and an unchanged run is reused.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from filelock import FileLock

from freezecheck.errors import StoreError
from freezecheck.train.records import RECORD_FILE, RunRecord

PACKAGE_DIR = Path(__file__).parents[1]  # freezecheck/
SESSION_FILE = "session"  # which session wrote an entry


def run_key(variant_id: str, recipe: dict, data_sha256: dict, experiment: dict | None = None) -> str:
    """Hex key of a run: variant, recipe, data, library versions, freezecheck's training
    code and the CPU type; and ``experiment``: its name, weight layers and the digest
    of the code that builds and trains its model (Experiment.key)."""
    content = {
        "variant": variant_id,
        "recipe": recipe,
        "data": data_sha256,
        "libraries": {name: _version(name) for name in
                      ("tensorflow", "tensorflow-cpu", "keras", "tf-keras", "numpy",
                       "freezecheck")},
        "code": _code_hash(),
        "cpu": cpu_type(),
    }
    if experiment is not None:
        content["experiment"] = experiment
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]


class RunStore:
    """Runs on disk under ``root``, shared by every process that opens the same root."""

    def __init__(self, root: Path, *, session: str, retrain: bool = False):
        """``session`` names this pytest session (the same in all its workers); with
        ``retrain``, an entry stored by any other session is trained again, once."""
        self.root = Path(root)
        self.session = session
        self.retrain = retrain
        self._loaded: dict[str, RunRecord] = {}  # this process's copies, by key
        self._trained: set[str] = set()  # the keys this process trained

    def trained_here(self, key: str) -> bool:
        """Whether this process trained the run under ``key`` (else it was loaded)."""
        return key in self._trained

    def get_or_train(self, key: str, train: Callable[[], RunRecord]) -> RunRecord:
        """The stored run under ``key``; ``train()`` produces and stores it if absent."""
        if key in self._loaded:
            return self._loaded[key]
        entry = self.root / key
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            lock = FileLock(str(self.root / f"{key}.lock"))
            lock.acquire()
        except OSError as exc:
            raise StoreError(f"run store {self.root} cannot be used: {exc}") from exc
        try:
            if self._reusable(entry):
                record = RunRecord.load(entry)
            else:
                record = train()
                self._write(entry, record)
                self._trained.add(key)
        finally:
            lock.release()
        self._loaded[key] = record
        return record

    def _reusable(self, entry: Path) -> bool:
        if not (entry / RECORD_FILE).is_file():
            return False
        return not self.retrain or (entry / SESSION_FILE).read_text() == self.session

    def _write(self, entry: Path, record: RunRecord) -> None:
        """Write into a staging directory, then rename it into place; on any error
        remove the staging directory and leave the store as it was."""
        staging = None
        try:
            staging = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{entry.name}.partial-"))
            record.save(staging)
            (staging / SESSION_FILE).write_text(self.session)
            if entry.exists():  # a forced retrain replaces the old entry
                old = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{entry.name}.old-"))
                os.replace(entry, old / "entry")
                os.replace(staging, entry)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(staging, entry)
        except OSError as exc:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            raise StoreError(
                f"could not store run {record.variant_id} in {entry}: {exc}. Nothing was "
                f"written; free space or choose another --freezecheck-store-dir."
            ) from exc


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


# The modules of freezecheck whose code decides what a training run produces:
# `train.training` and all it imports (tests/test_store.py checks the list against the
# imports). `describe.recipe` is not among them: they take only a Recipe and the thread
# count from it, whose values are in the key. The tests' judging, the gates,
# expectations, reports and the plugin are not here either: changing them changes no run.
TRAINING_MODULES = ("describe.variants", "errors", "train.backend",
                    "train.data", "train.determinism", "train.initializers", "train.records",
                    "train.training")
KEYED_BY_VALUE = {"describe.recipe": {"Recipe", "THREADS_PER_PROCESS"}}


@functools.cache  # once per process: an edit mid-session must not split one session's keys
def _code_hash() -> str:
    digest = hashlib.sha256()
    for name in TRAINING_MODULES:
        path = PACKAGE_DIR / f"{name.replace('.', '/')}.py"
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# Environment variables that change which kernels oneDNN dispatches to, and so the
# results, on one CPU: with ONEDNN_MAX_CPU_ISA=AVX2 an AVX-512 machine trains the AVX2
# path's numerics (measured: docs/versions.md, "Why this definition").
DISPATCH_VARIABLES = ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS")


@functools.cache
def cpu_type() -> str:
    """The machine type and a digest of the CPU's instruction-set flags
    (``x86_64:`` and 16 hex digits), then each set variable of DISPATCH_VARIABLES
    (``+ONEDNN_MAX_CPU_ISA=AVX2``): kernels, and so results, can differ between CPUs
    that TensorFlow dispatches differently. Part of every run's key and of every
    reference, whose bit-for-bit check needs the same."""
    flags = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith(("flags", "Features"))), "")
    except OSError:
        pass
    digest = hashlib.sha256(" ".join(sorted(flags.split())).encode()).hexdigest()[:16]
    dispatch = "".join(f"+{name}={os.environ[name]}" for name in DISPATCH_VARIABLES
                       if os.environ.get(name))
    return f"{platform.machine()}:{digest}{dispatch}"
