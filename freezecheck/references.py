"""Stored reference curves: each environment's full-tier curves, kept in the repository.

A reference is a small JSON file per environment and variant,
``references/<environment>/<variant id>.json`` (environments named as in tox.ini, e.g.
``py311-tf221``). A run is compared with its environment's reference within the curve
tolerance, so a TensorFlow or Keras upgrade that moves convergence turns the build red
even when the baseline moved with it. References change only by an explicit
regeneration, which fails the run that does it (the pytest-regressions convention).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from freezecheck.records import RunRecord

SCHEMA_VERSION = 1


class References:
    """The reference curves of one environment under ``root``."""

    def __init__(self, root: Path, environment: str, *, regenerate: bool = False):
        self.root = Path(root)
        self.environment = environment
        self.regenerate = regenerate

    def path(self, variant_id: str) -> Path:
        # Variant ids are built from known model and layer names (variants.py), so the
        # name cannot leave the environment's directory.
        return self.root / self.environment / f"{variant_id}.json"

    def load(self, variant_id: str) -> dict | None:
        path = self.path(variant_id)
        return json.loads(path.read_text()) if path.is_file() else None

    def write(self, record: RunRecord) -> Path:
        """Store ``record``'s curve as the reference, atomically; return its path."""
        path = self.path(record.variant_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        content = {
            "schema_version": SCHEMA_VERSION,
            "environment": self.environment,
            "variant": record.variant_id,
            "recipe": record.recipe,
            "versions": record.versions,
            "val_accuracy": record.history["val_accuracy"],
            "test_accuracy": record.test_accuracy,
        }
        handle, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w") as out:
            out.write(json.dumps(content, indent=1, sort_keys=True) + "\n")
        os.replace(staging, path)
        return path

    def how_to_create(self) -> str:
        return (
            f"Create it by running the full tier in this environment with "
            f"--freezecheck-regen-references (e.g. `tox -e {self.environment} -- "
            f"--freezecheck-tier=full --freezecheck-regen-references`), review the "
            f"files written under {self.root / self.environment}, and commit them."
        )
