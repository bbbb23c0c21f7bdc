"""The recipe and the gates of an experiment.

Pure Python. A :class:`Recipe` says how a variant is trained; it is part of the key
under which a run is stored, so every field that can change a result belongs here.
:class:`Gates` say what a run must achieve. Each experiment declares its own, with
the reasons for them.
"""

from __future__ import annotations

import dataclasses
import math
import re

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

# What every run records per epoch, on either training path: an experiment's own compile
# adds the metrics it compiles (as Keras' fit names them).
RECORDED_METRICS = ("accuracy", "loss", "val_accuracy", "val_loss")


@dataclasses.dataclass(frozen=True)
class Metric:
    """The validation metric the gates read, as Keras' ``fit`` names it in its history
    (``val_loss``, ``val_accuracy``, ``val_`` + a compiled metric's name), and which way
    is better. A value out of range raises :class:`~freezecheck.errors.ConfigError`.

    ``Metric("val_loss", higher_is_better=False)``: a run must end at or below the
    final gate, and its curve first reaches the curve level when it falls to it."""

    name: str
    """The history key, starting with ``val_``: the gates judge validation curves."""
    higher_is_better: bool
    """True for an accuracy (a run must reach at least the gate), False for a loss (at
    most the gate). No default: a wrong direction would pass what it should fail."""
    fraction: bool | None = None
    """Whether values are fractions in [0, 1], shown as percentages and their
    differences as points; other values are shown as they are, to four decimals.
    Default: True for a name ending in ``accuracy``, else False."""

    def __post_init__(self):
        if not isinstance(self.name, str) or not _METRIC_NAME.fullmatch(self.name):
            raise ConfigError(f"metric name expected a validation metric as Keras' fit "
                              f"names it, 'val_' and letters, digits or '_' (val_loss, "
                              f"val_accuracy, ...). Received: name={self.name!r}")
        if not isinstance(self.higher_is_better, bool):
            raise ConfigError(f"metric {self.name}: higher_is_better expected True or "
                              f"False. Received: higher_is_better={self.higher_is_better!r}")
        if self.fraction is None:
            object.__setattr__(self, "fraction", self.name.endswith("accuracy"))
        elif not isinstance(self.fraction, bool):
            raise ConfigError(f"metric {self.name}: fraction expected True or False. "
                              f"Received: fraction={self.fraction!r}")

    @property
    def is_default(self) -> bool:
        """Validation accuracy, higher is better: what the gates read unless told."""
        return self == VALIDATION_ACCURACY

    @property
    def label(self) -> str:
        """How messages name it: ``validation loss``, ``validation top_3``."""
        return "validation " + self.name.removeprefix("val_")

    @property
    def unit(self) -> str:
        """``fraction`` (shown as a percentage) or ``value`` (shown as it is)."""
        return "fraction" if self.fraction else "value"

    @property
    def at_least(self) -> str:
        """The comparison a value must keep with the final gate: ``>=`` or ``<=``."""
        return ">=" if self.higher_is_better else "<="

    def reaches(self, value: float, threshold: float) -> bool:
        """Whether ``value`` is at ``threshold`` or on its better side."""
        return value >= threshold if self.higher_is_better else value <= threshold

    def show(self, value: float) -> str:
        return f"{value:.2%}" if self.fraction else f"{value:.4f}"

    def show_difference(self, difference: float) -> str:
        """A difference of two values: in points for a fraction, else as it is."""
        return (f"{difference * 100:+.2f} points" if self.fraction
                else f"{difference:+.4f}")

    def values(self, history: dict, owner: str = "the run") -> list[float]:
        """This metric's curve in a run's ``history``; a ConfigError names it and the
        metrics ``owner`` records."""
        if self.name not in history:
            raise ConfigError(
                f"gates metric {self.name!r} is not recorded by {owner}. Recorded: "
                f"{', '.join(sorted(history))}. Name one of those in "
                f"Gates(metric=freezecheck.Metric(...)), or add the metric to the "
                f"metrics compile passes to model.compile.")
        return history[self.name]

    def as_dict(self) -> dict:
        return {"name": self.name, "higher_is_better": self.higher_is_better,
                "unit": self.unit}


_METRIC_NAME = re.compile(r"val_[A-Za-z0-9_]+")
VALIDATION_ACCURACY = Metric("val_accuracy", higher_is_better=True)


def _check_finite(name: str, value, *, at_least: float | None = None) -> float:
    """``value`` as a finite float (``>= at_least`` if given), or a ConfigError naming
    ``name``: the gates of a metric that is not a fraction."""
    ok = (not isinstance(value, bool) and isinstance(value, (int, float))
          and math.isfinite(value) and (at_least is None or value >= at_least))
    if not ok:
        bound = "" if at_least is None else f" >= {at_least:g}"
        raise ConfigError(f"{name} expected a finite number{bound}. Received: {name}={value!r}")
    return float(value)


# The claims' margin unless an experiment states its own (Gates.curve_margin).
DEFAULT_MARGIN = 0.0015


@dataclasses.dataclass(frozen=True)
class CurveTolerance:
    """How far a variant's curve may be from its baseline's (freezecheck.judge.curves)."""

    band: float  # largest allowed per-epoch |difference| in the metric (accuracy: a fraction)
    level: float  # value of the metric whose first epoch is compared
    max_lag: int  # largest allowed difference, in epochs, to first reach ``level``
    # delta of the claims over seeds (freezecheck/judge/claims.py): how far a variant's
    # mean paired gap may be from 0 and still be said to follow its baseline
    margin: float = DEFAULT_MARGIN
    metric: Metric = VALIDATION_ACCURACY  # the curves' metric

    def __post_init__(self):
        if self.metric.fraction:
            if not (0 <= self.band <= 1):
                raise ConfigError(f"band expected a number in [0, 1]. Received: band={self.band!r}")
            if not (0 < self.level <= 1):
                raise ConfigError(f"level expected a number in (0, 1]. Received: level={self.level!r}")
        else:
            _check_finite("band", self.band, at_least=0)
            _check_finite("level", self.level)
        if isinstance(self.max_lag, bool) or not isinstance(self.max_lag, int) or self.max_lag < 0:
            raise ConfigError(
                f"max_lag expected a non-negative integer. Received: max_lag={self.max_lag!r}"
            )
        if self.metric.fraction:
            if isinstance(self.margin, bool) or not isinstance(self.margin, (int, float)) \
                    or not 0 < self.margin < 1:
                raise ConfigError(f"margin expected a number in (0, 1). Received: "
                                  f"margin={self.margin!r}")
        else:  # in the metric's own units
            _check_finite("margin", self.margin)
            if self.margin <= 0:
                raise ConfigError(f"margin expected a positive number. Received: "
                                  f"margin={self.margin!r}")


@dataclasses.dataclass(frozen=True)
class Gates:
    """What every variant must reach, and how closely its validation curve must
    follow the baseline's, in the gated metric: validation accuracy unless ``metric``
    names another. A value out of range raises :class:`~freezecheck.errors.ConfigError`.

    On validation accuracy: ``Gates(min_accuracy=0.95, curve_band=0.02,
    curve_level=0.9, curve_max_lag=1)``. On another metric, ``final`` in its units::

        Gates(metric=Metric("val_loss", higher_is_better=False), final=0.40,
              curve_band=0.05, curve_level=0.50, curve_max_lag=2)
    """

    min_accuracy: float | None = None
    """Final-epoch validation accuracy every variant must reach, in (0, 1]: the final
    gate when the metric is validation accuracy (``final`` says the same)."""
    curve_band: float | None = None
    """Per-epoch band around the baseline's validation curve, in the metric's units (a
    fraction, in [0, 1], for accuracy; a non-negative number otherwise)."""
    curve_level: float | None = None
    """Value of the metric whose first epoch is compared between variant and baseline
    (see ``curve_max_lag``): for accuracy in (0, 1]. A curve reaches it when it rises
    to it, or for a metric where lower is better, falls to it."""
    curve_max_lag: int | None = None
    """By how many epochs the variant's and the baseline's first epochs at
    ``curve_level`` may differ (a non-negative integer)."""
    curve_margin: float | None = None
    """The margin (delta) of the claims made over seeds: how far a variant's
    mean-over-epochs validation accuracy (or the gates' metric), paired with its
    baseline's at each seed, may differ from it on average and still be said to follow
    it. Stated before any declaration is made (docs/statistics.md, "The margin"). For a
    fraction, in (0, 1), by default 0.15 points: one binomial standard error of one
    run's accuracy at 99% on 5,000 validation images (7 to 8 images). For a metric
    that is not a fraction (a loss) there is no default: state it in its units."""
    metric: Metric = VALIDATION_ACCURACY
    """The validation metric gated (:class:`Metric`): validation accuracy, higher is
    better, unless given."""
    final: float | None = None
    """The final-epoch value every variant must reach, in the metric's units: at least
    it where higher is better, at most it where lower is. For validation accuracy it
    is ``min_accuracy`` (given as ``final``, it is kept there)."""

    def __post_init__(self):
        if not isinstance(self.metric, Metric):
            raise ConfigError(f"metric expected a freezecheck.Metric(name, "
                              f"higher_is_better=...). Received: metric={self.metric!r}")
        accuracy = self.metric.is_default
        if self.min_accuracy is not None and not accuracy:
            raise ConfigError(f"min_accuracy is the final gate of validation accuracy; "
                              f"these gates read {self.metric.name}. Give the final gate "
                              f"in its units as final=... Received: "
                              f"min_accuracy={self.min_accuracy!r}")
        if accuracy and self.min_accuracy is not None and self.final is not None \
                and self.final != self.min_accuracy:
            raise ConfigError(f"min_accuracy and final name the same gate; give one. "
                              f"Received: min_accuracy={self.min_accuracy!r}, "
                              f"final={self.final!r}")
        final = self.final if self.final is not None else self.min_accuracy
        for name, value in (("min_accuracy" if accuracy else "final", final),
                            ("curve_band", self.curve_band),
                            ("curve_level", self.curve_level),
                            ("curve_max_lag", self.curve_max_lag)):
            if value is None:
                raise ConfigError(f"Gates expected {name}. Received: none")
        if self.metric.fraction:
            final = check_fraction("min_accuracy" if accuracy else "final", final)
        else:
            final = _check_finite("final", final)
        # One field holds the final gate: min_accuracy for accuracy (as always, so
        # dataclasses.replace(gates, min_accuracy=...) works), final for another metric.
        object.__setattr__(self, "min_accuracy" if accuracy else "final", final)
        if accuracy:
            object.__setattr__(self, "final", None)
        if self.curve_margin is None:
            if not self.metric.fraction:
                raise ConfigError(f"Gates on {self.metric.name} expected curve_margin, in "
                                  f"its units: the default margin (0.15 points) is an "
                                  f"accuracy's. Received: none")
            object.__setattr__(self, "curve_margin", DEFAULT_MARGIN)
        _ = self.curve  # building the tolerance validates the curve fields

    @property
    def final_gate(self) -> float:
        """The final gate in the metric's units (``min_accuracy`` or ``final``)."""
        return self.min_accuracy if self.metric.is_default else self.final

    @property
    def curve(self):
        """The curve fields and the metric as one tolerance, as freezecheck.judge.curves
        and the claims take it."""
        return CurveTolerance(self.curve_band, self.curve_level, self.curve_max_lag,
                              self.curve_margin, self.metric)

    def as_dict(self) -> dict:
        """The gates as a session's results record them: on validation accuracy,
        ``min_accuracy`` and the curve fields; on another metric, the metric (name,
        direction, unit) and ``final`` in place of ``min_accuracy``."""
        curve = {"curve_band": self.curve_band, "curve_level": self.curve_level,
                 "curve_max_lag": self.curve_max_lag, "curve_margin": self.curve_margin}
        if self.metric.is_default:
            return {"min_accuracy": self.min_accuracy, **curve}
        return {"metric": self.metric.as_dict(), "final": self.final, **curve}


# The statistical curve mode's family-wise significance level per variant (see
# freezecheck/judge/statistics.py and README, "Many seeds").
DEFAULT_ALPHA = 0.01
