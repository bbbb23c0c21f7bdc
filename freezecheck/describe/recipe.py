"""The recipe and the gates of an experiment.

Pure Python. A :class:`Recipe` says how a variant is trained; it is part of the key
under which a run is stored, so every field that can change a result belongs here.
:class:`Gates` say what a run must achieve. Each experiment declares its own, with
the reasons for them.
"""

from __future__ import annotations

import dataclasses

from freezecheck.errors import ConfigError

# Threads TensorFlow may use in one process. Results depend on it, so every recipe
# uses this count (see Recipe.threads); with one thread per run, one xdist worker per
# core fills the machine without oversubscribing it.
THREADS_PER_PROCESS = 1


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How a variant is trained: Adam on a cosine learning-rate decay to zero, with
    sparse categorical cross-entropy, from a seeded initialisation.

    The recipe is part of the key a run is stored under (``as_dict``). A value out of
    range raises :class:`~freezecheck.errors.ConfigError`."""

    epochs: int
    """Epochs to train, a positive integer."""
    learning_rate: float = 2e-3
    """Adam's initial learning rate, in (0, 1], decayed along a cosine to zero over
    the whole run. 2e-3 (with batch 64) gave the widest margin over 99% when the
    built-in experiment's recipe was tuned (docs/recipe.md); the class defaults are
    only a starting point."""
    batch_size: int = 128
    """Examples per training step, a positive integer."""
    seed: int = 0
    """Seed of the run's initialisation and shuffling, a non-negative integer."""
    threads: int = THREADS_PER_PROCESS
    """Threads TensorFlow may use: 1 (``THREADS_PER_PROCESS``). Results depend on
    the thread count, so it is fixed rather than derived from the worker count, and
    two workers fill two cores."""
    train_images: int | None = None
    """Train on the first N of the training images; None for all of them."""
    training: str = "loop"
    """``"loop"``: freezecheck's compiled whole-epoch loop (fast); ``"fit"``: Keras'
    own ``model.compile`` + ``model.fit``, as users train
    (freezecheck/train/training.py)."""

    def __post_init__(self):
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("threads", self.threads)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(
                f"seed expected a non-negative integer. Received: seed={self.seed!r}"
            )
        if not (0 < self.learning_rate <= 1):
            raise ConfigError(
                f"learning_rate expected a number in (0, 1]. Received: "
                f"learning_rate={self.learning_rate!r}"
            )
        if self.train_images is not None:
            check_positive_int("train_images", self.train_images)
        if self.training not in TRAINING_PATHS:
            raise ConfigError(f"training expected one of {', '.join(TRAINING_PATHS)}. "
                              f"Received: training={self.training!r}")

    def as_dict(self) -> dict:
        """The recipe as stored with a run and hashed into its key. The default training
        path is left out, so that runs and references made before there was a choice
        keep their keys and still compare equal."""
        fields = dataclasses.asdict(self)
        if fields["training"] == "loop":
            del fields["training"]
        return fields


def check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{name} expected a positive integer. Received: {name}={value!r}")
    return value


def check_fraction(name: str, value) -> float:
    """``value`` as a float in (0, 1], or a ConfigError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ConfigError(f"{name} expected a number in (0, 1]. Received: {name}={value!r}")
    return float(value)


def check_alpha(alpha, name: str = "alpha") -> float:
    """A significance level: a number strictly between 0 and 1, or a ConfigError naming
    ``name`` (the argument it came from)."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ConfigError(f"{name} expected a number in (0, 1). Received: {name}={alpha!r}")
    return float(alpha)


TRAINING_PATHS = ("loop", "fit")


# The claims' margin unless an experiment states its own (Gates.curve_margin).
DEFAULT_MARGIN = 0.0015


@dataclasses.dataclass(frozen=True)
class CurveTolerance:
    """How far a variant's curve may be from its baseline's (freezecheck.judge.curves)."""

    band: float  # largest allowed per-epoch |difference| in accuracy (a fraction)
    level: float  # accuracy whose first epoch is compared
    max_lag: int  # largest allowed difference, in epochs, to first reach ``level``
    # delta of the claims over seeds (freezecheck/judge/claims.py): how far a variant's
    # mean paired gap may be from 0 and still be said to follow its baseline
    margin: float = DEFAULT_MARGIN

    def __post_init__(self):
        if not (0 <= self.band <= 1):
            raise ConfigError(f"band expected a number in [0, 1]. Received: band={self.band!r}")
        if not (0 < self.level <= 1):
            raise ConfigError(f"level expected a number in (0, 1]. Received: level={self.level!r}")
        if isinstance(self.max_lag, bool) or not isinstance(self.max_lag, int) or self.max_lag < 0:
            raise ConfigError(
                f"max_lag expected a non-negative integer. Received: max_lag={self.max_lag!r}"
            )
        if isinstance(self.margin, bool) or not isinstance(self.margin, (int, float)) \
                or not 0 < self.margin < 1:
            raise ConfigError(f"margin expected a number in (0, 1). Received: "
                              f"margin={self.margin!r}")


@dataclasses.dataclass(frozen=True)
class Gates:
    """What every variant must reach, and how closely its validation curve must
    follow the baseline's. A value out of range raises
    :class:`~freezecheck.errors.ConfigError`."""

    min_accuracy: float
    """Final-epoch validation accuracy every variant must reach, in (0, 1]."""
    curve_band: float
    """Per-epoch band around the baseline's validation curve (a fraction, in [0, 1])."""
    curve_level: float
    """Accuracy whose first epoch is compared between variant and baseline, in
    (0, 1] (see ``curve_max_lag``)."""
    curve_max_lag: int
    """By how many epochs the variant's and the baseline's first epochs at
    ``curve_level`` may differ (a non-negative integer)."""
    curve_margin: float = DEFAULT_MARGIN
    """The margin (delta) of the claims made over seeds, in (0, 1): how far a variant's
    mean-over-epochs validation accuracy, paired with its baseline's at each seed, may
    differ from it on average and still be said to follow it. Stated before any
    declaration is made (docs/statistics.md, "The margin"); the default, 0.15 points, is
    one binomial standard error of one run's accuracy at 99% on 5,000 validation
    images (7 to 8 images)."""

    def __post_init__(self):
        check_fraction("min_accuracy", self.min_accuracy)
        _ = self.curve  # building the tolerance validates the curve fields

    @property
    def curve(self):
        """The three curve fields as one tolerance, as freezecheck.judge.curves takes it."""
        return CurveTolerance(self.curve_band, self.curve_level, self.curve_max_lag,
                              self.curve_margin)


# The statistical curve mode's family-wise significance level per variant (see
# freezecheck/judge/statistics.py and README, "Many seeds").
DEFAULT_ALPHA = 0.01
