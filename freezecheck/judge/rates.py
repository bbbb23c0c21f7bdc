"""How much later (or sooner) a variant reaches a level than its baseline, over paired
seeds: the "same rate" half of a finding, tested as its own quantity.

Needs numpy and scipy. At each seed, the epoch at which the variant's validation curve
first reaches ``level`` minus the epoch at which its baseline's does at the same seed
(both start from the same draws and see the data in the same order, as for the paired
gap of :mod:`freezecheck.judge.claims`). The mean of those differences has a two-sided
t interval (:func:`freezecheck.judge.statistics.confidence_interval`, with one epoch as
the resolution). A seed at which either curve never reaches the level has no epoch, only
a bound: such seeds are counted and the interval is not given, rather than computed from
a made-up epoch.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from freezecheck.judge.claims import paired_curves
from freezecheck.judge.statistics import EPOCH_STEP, confidence_interval, epochs_to_level

# What an interval of the paired difference says, reported, never gated on.
RATE_FINDINGS = ("later", "sooner", "no difference shown", "not measured")


@dataclasses.dataclass(frozen=True)
class RateEffect:
    """Per seed, the 1-based epochs at which variant and baseline first reach ``level``
    (None: never within ``epochs``)."""

    seeds: tuple[int, ...]
    level: float
    epochs: int
    variant_epochs: tuple[int | None, ...]
    baseline_epochs: tuple[int | None, ...]

    @property
    def n(self) -> int:
        return len(self.variant_epochs)

    @property
    def variant_never(self) -> int:
        """Seeds at which the variant never reaches the level."""
        return sum(e is None for e in self.variant_epochs)

    @property
    def baseline_never(self) -> int:
        return sum(e is None for e in self.baseline_epochs)

    @property
    def censored(self) -> bool:
        """Whether any seed of either never reached the level: its difference is unknown."""
        return bool(self.variant_never or self.baseline_never)

    @property
    def differences(self) -> tuple[int, ...]:
        """Variant minus baseline, in epochs, per seed; only where both reached the level."""
        return tuple(v - b for v, b in zip(self.variant_epochs, self.baseline_epochs)
                     if v is not None and b is not None)

    def median(self, which: str) -> float | None:
        """The median epoch of ``which`` ("variant" or "baseline"); None unless it reached
        the level at more than half the seeds (a never counts as later than any epoch)."""
        values = {"variant": self.variant_epochs, "baseline": self.baseline_epochs}[which]
        ordered = sorted(np.inf if e is None else e for e in values)
        middle = float(np.median(ordered))
        return None if np.isinf(middle) else middle

    @property
    def mean_difference(self) -> float | None:
        """The mean paired difference in epochs; None where a seed is censored."""
        return None if self.censored else float(np.mean(self.differences))

    def interval(self, alpha: float) -> tuple[float, float] | None:
        """The (1 - alpha) t interval of the mean difference; None where a seed is
        censored or fewer than two seeds were measured."""
        if self.censored or self.n < 2:
            return None
        return confidence_interval(self.differences, alpha, step=EPOCH_STEP)

    def finding(self, alpha: float) -> str:
        """``later`` or ``sooner`` when the interval excludes 0, ``no difference shown``
        when it covers 0, ``not measured`` without an interval (RATE_FINDINGS)."""
        interval = self.interval(alpha)
        if interval is None:
            return "not measured"
        low, high = interval
        return "later" if low > 0 else "sooner" if high < 0 else "no difference shown"


def measure_rate(variant_curves, baseline_curves, *, level: float, seeds=()) -> RateEffect:
    """The rate effect of per-seed validation curves (seeds x epochs, row i of both at
    the same seed) against the baseline's."""
    a, b, seeds = paired_curves(variant_curves, baseline_curves, seeds)
    epochs = a.shape[1]

    def reached(curves):
        return tuple(None if e > epochs else int(e) for e in epochs_to_level(curves, level))

    return RateEffect(seeds=seeds, level=float(level), epochs=epochs,
                      variant_epochs=reached(a), baseline_epochs=reached(b))
