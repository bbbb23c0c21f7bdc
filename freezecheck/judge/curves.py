"""Comparing a variant's per-epoch validation curve with the baseline's: accuracy, or the
metric the gates name (describe.recipe.Metric). Needs only numpy.

Two curves agree when both hold:

1. per-epoch band: at every epoch, ``|variant - baseline| <= band`` (accuracy as a
   fraction, so 0.01 is one percentage point; another metric in its own units);
2. rate: the epochs each needs to first reach ``level`` (rising to it, or falling to
   it for a metric where lower is better) differ by at most ``max_lag``, and if one
   curve reaches ``level`` the other must too.

Both conditions are symmetric in the two curves, and widening ``band`` or ``max_lag``
never turns agreement into disagreement.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from freezecheck.describe.recipe import CurveTolerance


@dataclasses.dataclass(frozen=True)
class EpochDeviation:
    epoch: int  # 1-based
    variant: float
    baseline: float

    @property
    def deviation(self) -> float:
        return self.variant - self.baseline


@dataclasses.dataclass(frozen=True)
class CurveComparison:
    tolerance: CurveTolerance
    outside_band: tuple[EpochDeviation, ...]
    largest_deviation: float  # max over epochs of |variant - baseline|
    variant_epochs_to_level: int | None  # 1-based; None if never reached
    baseline_epochs_to_level: int | None

    @property
    def rate_ok(self) -> bool:
        a, b = self.variant_epochs_to_level, self.baseline_epochs_to_level
        if a is None or b is None:
            return a is None and b is None
        return abs(a - b) <= self.tolerance.max_lag

    @property
    def ok(self) -> bool:
        return not self.outside_band and self.rate_ok

    def report(self, variant: str = "variant", baseline: str = "baseline") -> str:
        """A short human report of where the curves disagree (empty if they agree)."""
        t = self.tolerance
        metric = t.metric
        lines = []
        if self.outside_band:
            band = f"{t.band:.2%}" if metric.fraction else f"{t.band:.4f}"
            lines.append(
                f"{variant}: {metric.label} left the band of +-{band} around "
                f"{baseline} at {len(self.outside_band)} epoch(s):"
            )
            for d in self.outside_band:
                beyond = abs(d.deviation) - t.band
                lines.append(
                    f"  epoch {d.epoch:>3}: {d.variant:.4f} vs {d.baseline:.4f} "
                    f"({metric.show_difference(d.deviation)}, "
                    + (f"{beyond * 100:.2f}" if metric.fraction else f"{beyond:.4f}")
                    + " beyond the band)"
                )
        if not self.rate_ok:
            def show(n):
                return "never" if n is None else f"epoch {n}"
            level = (f"{t.level:.2%}" if metric.is_default else
                     f"{metric.label} {metric.at_least} {metric.show(t.level)}")
            lines.append(
                f"{variant} first reached {level} at "
                f"{show(self.variant_epochs_to_level)}, {baseline} at "
                f"{show(self.baseline_epochs_to_level)}: more than the allowed "
                f"{t.max_lag} epoch(s) apart."
            )
        return "\n".join(lines)


def epochs_to_reach(curve, level: float, higher_is_better: bool = True) -> int | None:
    """1-based epoch at which ``curve`` first reaches ``level`` (at or above it; at or
    below it where lower is better), or None."""
    values = np.asarray(curve, dtype=np.float64)
    hits = np.flatnonzero(values >= level if higher_is_better else values <= level)
    return int(hits[0]) + 1 if hits.size else None


def compare_curves(variant, baseline, tolerance: CurveTolerance) -> CurveComparison:
    """Compare two per-epoch curves of equal length under ``tolerance`` (of its metric)."""
    a = np.asarray(variant, dtype=np.float64)
    b = np.asarray(baseline, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(
            f"curves must be non-empty and of equal length to compare. Received "
            f"lengths {a.size} and {b.size}"
        )
    gap = np.abs(a - b)
    higher = tolerance.metric.higher_is_better
    outside = tuple(
        EpochDeviation(int(i) + 1, float(a[i]), float(b[i]))
        for i in np.flatnonzero(gap > tolerance.band)
    )
    return CurveComparison(
        tolerance=tolerance,
        outside_band=outside,
        largest_deviation=float(gap.max()),
        variant_epochs_to_level=epochs_to_reach(a, tolerance.level, higher),
        baseline_epochs_to_level=epochs_to_reach(b, tolerance.level, higher),
    )
