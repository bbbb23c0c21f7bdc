"""Finding a user's experiment (freezecheck.Experiment) in the test module that declares it.

``tests/test_mine.py::mine`` names the experiment ``mine`` declared in that file;
``tests/test_mine.py`` alone, the only one it declares. The module is imported as
pytest imports a test module by default ("prepend": its directory first on
``sys.path``, imported by its base name), so that what it imports beside itself
resolves the same way in both. A Dask worker imports it again from the same path, once
per process: on a cluster, the file must be at that path on every worker, as the data
must be.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from pathlib import Path

from freezecheck.errors import ConfigError

_LOADED: dict = {}  # per process: (path, name) -> Experiment


@dataclasses.dataclass(frozen=True)
class ExperimentRef:
    """Where an experiment is declared: an absolute module path and the experiment's name."""

    path: str
    name: str

    @property
    def spec(self) -> str:
        return f"{self.path}::{self.name}"

    def load(self):
        """The Experiment, imported once per process."""
        if (self.path, self.name) not in _LOADED:
            _LOADED[(self.path, self.name)] = _find(Path(self.path), self.name)
        return _LOADED[(self.path, self.name)]


def locate(spec: str) -> ExperimentRef:
    """``PATH::NAME`` or ``PATH`` -> the reference of the experiment it names, checked
    by importing the module here."""
    path_text, _, name = spec.partition("::")
    path = Path(path_text).expanduser().resolve()
    if path.suffix != ".py" or not path.is_file():
        raise ConfigError(f"--experiment expected PATH::NAME, PATH a Python file that declares "
                          f"a freezecheck.Experiment (a test module). Received: {spec!r} "
                          f"({path} is not a Python file)")
    experiment = _find(path, name or None)
    ref = ExperimentRef(str(path), experiment.name)
    _LOADED[(ref.path, ref.name)] = experiment
    return ref


def _find(path: Path, name: str | None):
    from freezecheck.experiment import Experiment

    module = _import(path)
    found = {}
    for value in vars(module).values():
        experiment = getattr(value, "freezecheck_experiment", value)  # a test class's
        if isinstance(experiment, Experiment):
            found[experiment.name] = experiment
    if not found:
        raise ConfigError(f"{path} declares no freezecheck.Experiment at module level. "
                          f"Give --experiment the test module that does "
                          f"(docs/own-experiment.md)")
    if name is None:
        if len(found) > 1:
            raise ConfigError(f"{path} declares {len(found)} experiments: name one, "
                              f"{', '.join(f'{path}::{n}' for n in sorted(found))}")
        return next(iter(found.values()))
    if name not in found:
        raise ConfigError(f"{path} declares no experiment named {name!r}: expected one of "
                          f"{', '.join(sorted(found))}")
    return found[name]


def _import(path: Path):
    directory = str(path.parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    try:
        module = importlib.import_module(path.stem)
    except Exception as exc:  # the user's module: say which file, keep the cause
        raise ConfigError(f"importing {path} failed: {type(exc).__name__}: {exc}") from exc
    if Path(getattr(module, "__file__", "") or "").resolve() != path:
        raise ConfigError(f"{path} could not be imported as {path.stem!r}: another module of "
                          f"that name comes first ({module.__file__}). Rename the file")
    return module
