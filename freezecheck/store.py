"""The run store: each variant is trained once, whichever process asks first.

Entries are directories named by a key that hashes everything that determines a run's
result. A per-key file lock makes other processes wait for the one that trains; the
entry is written into a temporary directory and renamed into place, so a reader sees a
whole entry or none. This is the pattern pytest-xdist documents for session fixtures
that must run once across workers.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from filelock import FileLock

from freezecheck.errors import StoreError
from freezecheck.records import RECORD_FILE, RunRecord

PACKAGE_DIR = Path(__file__).parent


def run_key(variant_id: str, recipe: dict, data_sha256: dict) -> str:
    """Hex key of a run: variant, recipe, data, library versions and freezecheck's code."""
    content = {
        "variant": variant_id,
        "recipe": recipe,
        "data": data_sha256,
        "libraries": {name: _version(name) for name in
                      ("tensorflow", "tensorflow-cpu", "keras", "tf-keras", "numpy")},
        "code": _code_hash(),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]


class RunStore:
    """Runs on disk under ``root``, shared by every process that opens the same root."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._loaded: dict[str, RunRecord] = {}  # this process's copies, by key

    def get_or_train(self, key: str, train: Callable[[], RunRecord]) -> RunRecord:
        """The stored run under ``key``; ``train()`` produces and stores it if absent."""
        if key in self._loaded:
            return self._loaded[key]
        self.root.mkdir(parents=True, exist_ok=True)
        entry = self.root / key
        with FileLock(str(self.root / f"{key}.lock")):
            if (entry / RECORD_FILE).is_file():
                record = RunRecord.load(entry)
            else:
                record = train()
                self._write(entry, record)
        self._loaded[key] = record
        return record

    def _write(self, entry: Path, record: RunRecord) -> None:
        staging = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{entry.name}.partial-"))
        try:
            record.save(staging)
            os.replace(staging, entry)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise StoreError(f"could not store run {record.variant_id} in {entry}: {exc}") from exc


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.cache  # once per process: an edit mid-session must not split one session's keys
def _code_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
