"""Comparing a variant's accuracy-per-epoch curve with the baseline's. Needs only numpy.

Two curves agree when both hold:

1. per-epoch band: at every epoch, ``|variant - baseline| <= band`` (accuracy as a
   fraction, so 0.01 is one percentage point);
2. rate: the epochs each needs to first reach ``level`` differ by at most ``max_lag``,
   and if one curve reaches ``level`` the other must too.

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
        lines = []
        if self.outside_band:
            lines.append(
                f"{variant}: validation accuracy left the band of +-{t.band:.2%} around "
                f"{baseline} at {len(self.outside_band)} epoch(s):"
            )
            for d in self.outside_band:
                lines.append(
                    f"  epoch {d.epoch:>3}: {d.variant:.4f} vs {d.baseline:.4f} "
                    f"({d.deviation * 100:+.2f} points, "
                    f"{(abs(d.deviation) - t.band) * 100:.2f} beyond the band)"
                )
        if not self.rate_ok:
            def show(n):
                return "never" if n is None else f"epoch {n}"
            lines.append(
                f"{variant} first reached {t.level:.2%} at "
                f"{show(self.variant_epochs_to_level)}, {baseline} at "
                f"{show(self.baseline_epochs_to_level)}: more than the allowed "
                f"{t.max_lag} epoch(s) apart."
            )
        return "\n".join(lines)


def epochs_to_reach(curve, level: float) -> int | None:
    """1-based epoch at which ``curve`` first reaches ``level``, or None."""
    hits = np.flatnonzero(np.asarray(curve, dtype=np.float64) >= level)
    return int(hits[0]) + 1 if hits.size else None


def compare_curves(variant, baseline, tolerance: CurveTolerance) -> CurveComparison:
    """Compare two per-epoch accuracy curves of equal length under ``tolerance``."""
    a = np.asarray(variant, dtype=np.float64)
    b = np.asarray(baseline, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(
            f"curves must be non-empty and of equal length to compare. Received "
            f"lengths {a.size} and {b.size}"
        )
    gap = np.abs(a - b)
    outside = tuple(
        EpochDeviation(int(i) + 1, float(a[i]), float(b[i]))
        for i in np.flatnonzero(gap > tolerance.band)
    )
    return CurveComparison(
        tolerance=tolerance,
        outside_band=outside,
        largest_deviation=float(gap.max()),
        variant_epochs_to_level=epochs_to_reach(a, tolerance.level),
        baseline_epochs_to_level=epochs_to_reach(b, tolerance.level),
    )
