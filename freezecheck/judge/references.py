"""Stored reference curves: each environment's full-tier curves.

A reference is a small JSON file per environment and variant,
``<root>/<environment>/<variant id>.json`` (environments named as in tox.ini, e.g.
``py311-tf221``). An experiment may ship references of its own, read-only (``also``:
the built-in experiment's are in its package); a session also reads, first, its own directory (``--freezecheck-references-dir``, by default
``references/`` under the rootdir), which is where a regeneration writes: freezecheck
never writes into the installed package. A user experiment keeps its references
beside its tests. A run is compared with its environment's reference, bit for bit where
the environment is the same (below) and otherwise within the curve tolerance, so a
TensorFlow or Keras upgrade that moves convergence turns the build red even when the
baseline moved with it. References change only by an explicit
regeneration, which fails the run that does it (the pytest-regressions convention).

An environment with no reference of its own for a variant (one that TensorFlow's range
allows but tox.ini does not list, e.g. ``py312-tf218``, or a listed one whose files were
never made) borrows the reference of the nearest supported environment that has one, in
the order :func:`fallback_order` defines, and is compared within the same tolerance;
every message, and the session summary, names the environment whose reference was used
and how to create this one's own.

A reference also records where it was made and what the run ended with bit for bit: the
CPU type (:func:`freezecheck.train.store.cpu_type`), the library versions, the training
path, the sha256 of the data and of every weight after training. A run in the same
environment as its own reference (same CPU type, versions, training path and recipe)
repeats it bit for bit, so it is held to that (:func:`judgement`,
:func:`exact_differences`); any other run, a borrowed reference, or one made before these
fields were recorded, is judged by the tolerance alone (docs/versions.md, "Exact where
the environment is the same").
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from freezecheck.files import write_atomic
from freezecheck.judge.fingerprints import fingerprints
from freezecheck.train.records import RunRecord
from freezecheck.train.store import cpu_type

# 2 added "cpu", "training", "data_sha256" and "weights_after_sha256", what an exact
# comparison needs. A version 1 reference (all those shipped so far) is still read, and
# judged by the tolerance alone.
SCHEMA_VERSION = 2
EXACT_FIELDS = ("cpu", "training", "weights_after_sha256")

# What judged a run against its reference (the JUnit property "reference_judged_by").
EXACT, TOLERANCE = "exact", "tolerance"
RELAXED = "relaxed by --freezecheck-reference-match=tolerance"
MAX_WEIGHTS_SHOWN = 5
# Version names as a message shows them, in that order; any other recorded after them.
_VERSION_NAMES = {"tensorflow": "TensorFlow", "keras": "Keras", "numpy": "numpy",
                  "python": "Python"}

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


class References:
    """The reference curves of one environment: written under ``root``, read from
    ``root`` and then from each of ``also`` (read-only: those an experiment ships)."""

    def __init__(self, root: Path, environment: str, *, regenerate: bool = False,
                 also=(), regen_command: str | None = None, training: str = "loop",
                 metric: str = "val_accuracy"):
        """``regen_command``: what regenerates them (default: the tests, with
        --freezecheck-regen-references). ``training``: the session's training path; each path
        keeps references of its own (``fit`` in a ``fit/`` directory beside the
        loop's), so one path's regeneration never writes over the other's. ``metric``:
        the gates' metric, whose curve a reference records too where it is not
        validation accuracy."""
        self.root = Path(root)
        self.metric = metric
        self.regen_command = regen_command
        self.environment = environment
        self.regenerate = regenerate
        self.training = training
        self.roots = (self.root, *(Path(r) for r in also if Path(r) != self.root))

    def directory(self, root: Path, environment: str | None = None) -> Path:
        """The directory of an environment's references for this training path."""
        where = Path(root) / (environment or self.environment)
        return where if self.training == "loop" else where / self.training

    def path(self, variant_id: str, environment: str | None = None) -> Path:
        """Where ``variant_id``'s reference is written (under ``root``)."""
        # Variant ids are built from known model and layer names (variants.py), so the
        # name cannot leave the environment's directory.
        return self.directory(self.root, environment) / f"{variant_id}.json"

    def located(self, variant_id: str, environment: str | None = None) -> Path | None:
        """Where ``variant_id``'s reference of ``environment`` is read from: the first of
        the roots that holds it (the written one, then those an experiment ships)."""
        for root in self.roots:
            path = self.directory(root, environment) / f"{variant_id}.json"
            if path.is_file():
                return path
        return None

    def _read(self, variant_id: str, environment: str) -> dict | None:
        path = self.located(variant_id, environment)
        return None if path is None else json.loads(path.read_text())

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
        """Store ``record``'s curve, and what an exact comparison needs (this CPU type,
        the training path, the sha256 of the data and of every weight after training),
        as the reference, atomically; return its path."""
        path = self.path(record.variant_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        content = {
            "schema_version": SCHEMA_VERSION,
            "environment": self.environment,
            "variant": record.variant_id,
            "recipe": record.recipe,
            "versions": record.versions,
            # The run store keys every run by the CPU type, so a record judged or
            # written in this session was trained on this CPU type.
            "cpu": cpu_type(),
            "training": training_path(record.recipe),
            "data_sha256": record.data_sha256,
            "val_accuracy": record.history["val_accuracy"],
            "test_accuracy": record.test_accuracy,
            "weights_after_sha256": fingerprints(record.weights_after),
        }
        if self.metric != "val_accuracy":
            content[self.metric] = record.history[self.metric]
        write_atomic(path, json.dumps(content, indent=1, sort_keys=True) + "\n")
        return path

    def _regen_command(self) -> tuple[str, str]:
        """(what to run, a command that runs it with --freezecheck-regen-references)."""
        return "its tests", self.regen_command or "pytest -n auto --freezecheck-regen-references"

    def how_to_create(self) -> str:
        what, command = self._regen_command()
        return (
            f"Create {self.environment}'s own by running {what} in this environment with "
            f"--freezecheck-regen-references (e.g. `{command}`), review the files written "
            f"under {self.directory(self.root)}, and commit them."
        )

    def how_to_regenerate(self) -> str:
        what, command = self._regen_command()
        return (f"regenerate it by running {what} with --freezecheck-regen-references "
                f"(e.g. `{command}`), review the diff under "
                f"{self.directory(self.root)} and commit it")


def training_path(recipe: dict) -> str:
    """A stored recipe's training path: "loop" where the recipe leaves it out
    (describe.recipe.Recipe.as_dict)."""
    return recipe.get("training", "loop")


def _version_order(versions: dict) -> list[str]:
    return ([name for name in _VERSION_NAMES if name in versions]
            + sorted(name for name in versions if name not in _VERSION_NAMES))


def describe_environment(cpu: str, versions: dict, training: str) -> str:
    """``CPU x86_64:..., TensorFlow 2.21.0, Keras 3.15.1, numpy 2.4.6, Python 3.11.7,
    training loop``."""
    return ", ".join([f"CPU {cpu}"]
                     + [f"{_VERSION_NAMES.get(name, name)} {versions[name]}"
                        for name in _version_order(versions)]
                     + [f"training {training}"])


@dataclasses.dataclass(frozen=True)
class Judgement:
    """What judges a run against its reference, and why: ``by`` is :data:`EXACT` (bit
    for bit) or :data:`TOLERANCE` (the curve tolerance); ``reason`` one short line."""

    by: str
    reason: str


def judgement(reference: dict, record: RunRecord, *, borrowed_from: str | None = None,
              exact: bool = True, cpu: str | None = None) -> Judgement:
    """Exact when ``record`` was trained in the same environment as ``reference``, its
    environment's own: the same CPU type (``cpu``, by default this machine's: the run
    store keys runs by it), the same library versions (every one recorded), the same
    training path and the same recipe. Otherwise, or when ``exact`` is False, or the
    reference is ``borrowed_from`` another environment, or records no CPU type or
    weights (made before schema 2), the tolerance, with the reason."""
    if borrowed_from is not None:
        return Judgement(TOLERANCE, f"borrowed {borrowed_from}'s reference: only an "
                                    f"environment's own is compared bit for bit")
    missing = [field for field in EXACT_FIELDS if field not in reference]
    if missing:
        return Judgement(TOLERANCE, f"the reference records no {', '.join(missing)} (made "
                                    f"before schema version 2)")
    cpu = cpu or cpu_type()
    here = {"cpu": cpu, "versions": record.versions, "training": training_path(record.recipe)}
    differ = []
    if reference["cpu"] != cpu:
        differ.append(f"CPU {cpu} here, {reference['cpu']} in the reference")
    versions, theirs = record.versions, reference.get("versions") or {}
    for name in _version_order(versions | theirs):
        if versions.get(name) != theirs.get(name):
            differ.append(f"{_VERSION_NAMES.get(name, name)} {versions.get(name) or 'absent'} "
                          f"here, {theirs.get(name) or 'absent'} in the reference")
    if reference["training"] != here["training"]:
        differ.append(f"training {here['training']} here, {reference['training']} in the "
                      f"reference")
    if reference.get("recipe") != record.recipe:
        differ.append("another recipe")
    if differ:
        return Judgement(TOLERANCE, "another environment: " + "; ".join(differ))
    if not exact:
        return Judgement(TOLERANCE, RELAXED)
    return Judgement(EXACT, f"same environment ({describe_environment(**here)})")


def exact_differences(reference: dict, record: RunRecord) -> list[str]:
    """How ``record``'s results differ from ``reference``'s, bit for bit, one line each:
    every epoch's validation accuracy and the test accuracy (floats as stored, compared
    with ``==``) and the sha256 of every weight after training (the first
    :data:`MAX_WEIGHTS_SHOWN`, with both hashes); empty if all are equal."""
    lines = []
    run, stored = list(record.val_accuracy), list(reference["val_accuracy"])
    if len(run) != len(stored):
        lines.append(f"validation curve: {len(run)} epoch(s) in this run, {len(stored)} "
                     f"in the reference")
    else:
        epochs = [i for i, (a, b) in enumerate(zip(run, stored)) if a != b]
        if epochs:
            lines.append(f"validation accuracy differs at {len(epochs)} of {len(run)} "
                         f"epoch(s):")
            lines += [f"  epoch {i + 1:>3}: {run[i]!r} this run, {stored[i]!r} the "
                      f"reference" for i in epochs]
    if record.test_accuracy != reference["test_accuracy"]:
        lines.append(f"test accuracy: {record.test_accuracy!r} this run, "
                     f"{reference['test_accuracy']!r} the reference")
    ours, theirs = fingerprints(record.weights_after), reference["weights_after_sha256"]
    paths = list(ours) + [path for path in theirs if path not in ours]
    differ = [path for path in paths if ours.get(path) != theirs.get(path)]
    if differ:
        shown = differ[:MAX_WEIGHTS_SHOWN]
        first = f", the first {len(shown)}" if len(differ) > len(shown) else ""
        lines.append(f"weights after training: {len(differ)} of {len(paths)} variable(s) "
                     f"differ{first}:")
        for path in shown:
            lines += [f"  {path}",
                      f"    sha256 this run  {ours.get(path, '(no such variable)')}",
                      f"    sha256 reference {theirs.get(path, '(no such variable)')}"]
    return lines
