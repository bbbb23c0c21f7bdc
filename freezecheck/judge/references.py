"""Stored reference curves: each environment's full-tier curves.

A reference is a small JSON file per environment and variant,
``<root>/<environment>/<variant id>.json`` (environments named as in tox.ini, e.g.
``py311-tf221``). The built-in experiment's ship with freezecheck
(``freezecheck/builtin/references``, read with :mod:`importlib.resources`); a session
also reads, first, its own directory (``--freezecheck-references-dir``, by default
``references/`` under the rootdir), which is where a regeneration writes: freezecheck
never writes into the installed package. A user experiment keeps its references
beside its tests. A run is compared with its environment's reference within the curve
tolerance, so a TensorFlow or Keras upgrade that moves convergence turns the build red
even when the baseline moved with it. References change only by an explicit
regeneration, which fails the run that does it (the pytest-regressions convention).

An environment with no reference of its own for a variant (one that TensorFlow's range
allows but tox.ini does not list, e.g. ``py312-tf218``, or a listed one whose files were
never made) borrows the reference of the nearest supported environment that has one, in
the order :func:`fallback_order` defines, and is compared within the same tolerance;
every message, and the session summary, names the environment whose reference was used
and how to create this one's own.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

from freezecheck.files import write_atomic
from freezecheck.train.records import RunRecord

SCHEMA_VERSION = 1

# The supported environments, as tox.ini names them. The built-in experiment ships
# references made in each (tests/test_references.py checks every variant is there).
SUPPORTED_ENVIRONMENTS = (
    "py311-tf215", "py311-tf216", "py311-tf217", "py311-tf218", "py311-tf219",
    "py311-tf220", "py311-tf221", "py312-tf221", "py311-tf221-keras2",
)
_NAME = re.compile(r"py(?P<python>\d)(?P<python_minor>\d+)-tf(?P<tf>\d)(?P<tf_minor>\d+)"
                   r"(?P<keras2>-keras2)?")


def _coordinates(environment: str) -> tuple[int, int, int]:
    """(Keras line, TensorFlow minor, Python minor) of an environment name."""
    match = _NAME.fullmatch(environment)
    if match is None:
        raise ValueError(f"not an environment name: {environment!r} (expected e.g. py311-tf221)")
    tf_minor = int(match["tf_minor"])
    keras = 2 if match["keras2"] or (int(match["tf"]), tf_minor) <= (2, 15) else 3
    return keras, tf_minor, int(match["python_minor"])


def fallback_order(environment: str) -> list[str]:
    """The supported environments whose references stand in for ``environment``'s,
    nearest first: the nearest TensorFlow, then the same Keras line, then the nearest
    Python, then the newer TensorFlow. ``environment`` itself is not in the list.

    TensorFlow first because that is what moved the runs where it was measured: on one
    CPU, 2.15 (Keras 2) and 2.16 (Keras 3) train bitwise the same runs, and so do 2.21
    with tf-keras and with Keras 3; 2.16 and 2.17 do not (docs/versions.md)."""
    keras, tf, python = _coordinates(environment)

    def distance(other: str):
        other_keras, other_tf, other_python = _coordinates(other)
        return (abs(other_tf - tf), other_keras != keras, abs(other_python - python),
                -other_tf, other)

    return sorted((e for e in SUPPORTED_ENVIRONMENTS if e != environment), key=distance)


def shipped_root() -> Path:
    """The built-in experiment's references, in the installed package."""
    return Path(str(resources.files("freezecheck.builtin") / "references"))


class References:
    """The reference curves of one environment: written under ``root``, read from
    ``root`` and then from each of ``also`` (read-only, e.g. :func:`shipped_root`)."""

    def __init__(self, root: Path, environment: str, *, regenerate: bool = False,
                 also=(), regen_command: str | None = None):
        """``regen_command``: what regenerates them (default: the built-in
        experiment's full tier)."""
        self.root = Path(root)
        self.regen_command = regen_command
        self.environment = environment
        self.regenerate = regenerate
        self.roots = (self.root, *(Path(r) for r in also if Path(r) != self.root))

    def path(self, variant_id: str, environment: str | None = None) -> Path:
        """Where ``variant_id``'s reference is written (under ``root``)."""
        # Variant ids are built from known model and layer names (variants.py), so the
        # name cannot leave the environment's directory.
        return self.root / (environment or self.environment) / f"{variant_id}.json"

    def _read(self, variant_id: str, environment: str) -> dict | None:
        for root in self.roots:
            path = root / environment / f"{variant_id}.json"
            if path.is_file():
                return json.loads(path.read_text())
        return None

    def find(self, variant_id: str) -> tuple[dict, str] | None:
        """(reference, whose) for ``variant_id``: this environment's own, else the
        first in :func:`fallback_order` that has one; None if no environment has."""
        for environment in (self.environment, *fallback_order(self.environment)):
            reference = self._read(variant_id, environment)
            if reference is not None:
                return reference, environment
        return None

    def borrowed(self, environment: str) -> str:
        """Says that ``environment``'s reference stood in for this environment's."""
        return (f"{self.environment} has no reference of its own for this variant: "
                f"compared with {environment}'s, the nearest supported environment that "
                f"has one (nearest TensorFlow first, then the same Keras line).")

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
        write_atomic(path, json.dumps(content, indent=1, sort_keys=True) + "\n")
        return path

    def how_to_create(self) -> str:
        command = self.regen_command or ("pytest -n auto tests/test_experiment.py "
                                         "--freezecheck-tier=full --freezecheck-regen-references")
        if self.regen_command is None and self.environment in SUPPORTED_ENVIRONMENTS:
            command = (f"tox -e {self.environment} -- tests/test_experiment.py "
                       f"--freezecheck-tier=full --freezecheck-regen-references")
        what = "the full tier" if self.regen_command is None else "its tests"
        return (
            f"Create {self.environment}'s own by running {what} in this environment with "
            f"--freezecheck-regen-references (e.g. `{command}`), review the files written "
            f"under {self.root / self.environment}, and commit them."
        )
