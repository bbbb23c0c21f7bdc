"""What a session asked for: the ``--freezecheck-*`` options, as every experiment reads them.

Pure Python. The plugin (freezecheck/plugin/options.py) reads the command line and the
ini file into one :class:`SessionOptions`; each experiment in the session answers from
it (Experiment.recipe_for, gates_for, data_for, ...) and says, before anything trains,
which given option it cannot apply (Experiment.check_options), so that no option is
silently ignored.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from freezecheck.describe.recipe import DEFAULT_ALPHA

# The options that override a gate of every experiment in the session.
GATE_OPTIONS = ("min_accuracy", "curve_band", "curve_level", "curve_max_lag")


@dataclasses.dataclass(frozen=True)
class SessionOptions:
    """The session's options; None where the option was not given (each experiment's
    own declaration then holds)."""

    seed: int | None = None
    seeds: int | None = None  # how many seeds the several-seed mode runs, from ``seed`` on
    alpha: float | None = None
    training: str | None = None
    tier: str | None = None
    dataset: str | None = None
    data_dir: Path | None = None
    families: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None
    min_accuracy: float | None = None
    curve_band: float | None = None
    curve_level: float | None = None
    curve_max_lag: int | None = None
    reference_match: str | None = None
    # Where references are written and read first; whether the ones an experiment ships
    # (the built-in experiment's, in the package) are read after it.
    references_dir: Path | None = None
    rootdir: Path = Path(".")
    regen_references: bool = False

    @property
    def first_seed(self) -> int:
        return 0 if self.seed is None else self.seed

    @property
    def seed_list(self) -> tuple[int, ...]:
        """Every seed of the session: ``seeds`` of them from ``seed`` on."""
        return tuple(range(self.first_seed, self.first_seed + (self.seeds or 1)))

    @property
    def significance(self) -> float:
        return DEFAULT_ALPHA if self.alpha is None else self.alpha

    def gate_overrides(self) -> dict:
        """The gate fields the command line set, by Gates field name."""
        return {name: getattr(self, name) for name in GATE_OPTIONS
                if getattr(self, name) is not None}

    def given(self, name: str) -> bool:
        value = getattr(self, name)
        return value is not None and value is not False

    @staticmethod
    def flag(name: str) -> str:
        """The command-line spelling of option ``name``."""
        return "--freezecheck-" + name.replace("_", "-")
