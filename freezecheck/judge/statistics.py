"""Comparing a variant with its baseline over many seeds: the statistical curve mode.

Needs numpy and scipy. With N >= 5 seeds of each, the baseline's olympic mean (the mean
after dropping each epoch's best and worst seed) is the centre of the band, in the
spirit of MLPerf's reference convergence points, but two-sided: a variant fails when
its own olympic mean leaves the band, or when the epochs it needs to reach a level
differ significantly from the baseline's.

The test behind both is Yuen's two-sample test of trimmed means (Yuen, 1974), the
Welch t-test for trimmed means: one trimmed value at each end (the olympic mean),
variances from the winsorized samples, Welch-Satterthwaite degrees of freedom, two-sided.
Why this test: the olympic mean is what the band is defined on, and Yuen's test is the
t-test that belongs to it; seeds of a slow or unstable variant vary more than the
baseline's, which Welch's form allows; one wild seed is trimmed rather than moving the
mean. Per-epoch tests are Bonferroni-corrected over the epochs, so ``alpha`` bounds the
chance that a variant that truly learns like its baseline fails the per-epoch check.

Accuracies are counts of 5,000 validation images and epochs are whole numbers, so two
samples can agree exactly (zero variance). Each observation is given the variance of its
rounding (step**2 / 12) as a floor: a difference smaller than the measurement's own
resolution is never called significant, and one that is larger is not divided by zero.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from freezecheck.describe.recipe import check_alpha
from freezecheck.errors import ConfigError

MIN_SEEDS = 5  # fewer cannot both trim two seeds and estimate a spread
ACCURACY_STEP = 1 / 5_000  # one validation image
EPOCH_STEP = 1.0


def centre(values) -> float:
    """What a set of seeds is summarised by: the olympic mean of three or more values,
    else the plain mean."""
    values = np.asarray(values, dtype=np.float64)
    return float(olympic_mean(values) if values.size >= 3 else values.mean())


@dataclasses.dataclass(frozen=True)
class YuenTest:
    """Yuen's test of ``a`` against ``b`` (variant against baseline), per column."""

    difference: np.ndarray  # olympic mean of a minus olympic mean of b
    standard_error: np.ndarray
    dof: np.ndarray
    p_value: np.ndarray  # two-sided


def olympic_mean(samples, axis: int = 0) -> np.ndarray:
    """Mean after dropping the largest and the smallest value along ``axis``."""
    x = np.sort(np.asarray(samples, dtype=np.float64), axis=axis)
    if x.shape[axis] < 3:
        raise ValueError(f"an olympic mean needs at least 3 values, got {x.shape[axis]}")
    return np.take(x, range(1, x.shape[axis] - 1), axis=axis).mean(axis=axis)


def _yuen_terms(x: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray, int]:
    """(olympic mean, squared standard error, effective size h) along axis 0."""
    n = x.shape[0]
    x = np.sort(x, axis=0)
    trimmed = x[1:-1].mean(axis=0)
    winsorized = x.copy()
    winsorized[0], winsorized[-1] = x[1], x[-2]
    h = n - 2
    variance = np.var(winsorized, axis=0, ddof=1) + step ** 2 / 12
    return trimmed, (n - 1) * variance / (h * (h - 1)), h


def yuen(a, b, *, step: float = ACCURACY_STEP) -> YuenTest:
    """Yuen's two-sided test of the olympic means of ``a`` and ``b`` (seeds on axis 0;
    any further axes, such as epochs, are tested column by column)."""
    from scipy import stats

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    for name, x in (("variant", a), ("baseline", b)):
        if x.shape[0] < 4:
            raise ValueError(f"Yuen's test needs at least 4 {name} seeds, got {x.shape[0]}")
    mean_a, d_a, h_a = _yuen_terms(a, step)
    mean_b, d_b, h_b = _yuen_terms(b, step)
    se = np.sqrt(d_a + d_b)
    dof = (d_a + d_b) ** 2 / (d_a ** 2 / (h_a - 1) + d_b ** 2 / (h_b - 1))
    difference = mean_a - mean_b
    p = 2 * stats.t.sf(np.abs(difference) / se, dof)
    return YuenTest(difference, se, dof, p)


def paired_trimmed(differences, *, step: float = ACCURACY_STEP) -> YuenTest:
    """The one-sample analogue of :func:`yuen` (Tukey and McLaughlin 1963): the olympic
    mean of per-seed differences ``variant - baseline`` (seeds on axis 0), its standard
    error from the winsorized variance, and a two-sided test against zero. Pairing by
    seed is valid whatever the correlation: each seed's pair is one independent draw.
    ``step`` is the rounding of each of the two values differenced."""
    from scipy import stats

    d = np.asarray(differences, dtype=np.float64)
    if d.shape[0] < 4:
        raise ValueError(f"a paired trimmed test needs at least 4 seeds, got {d.shape[0]}")
    mean, squared_se, h = _yuen_terms(d, step * np.sqrt(2))  # rounding of both values
    se = np.sqrt(squared_se)
    dof = np.full_like(np.asarray(mean, dtype=np.float64), h - 1)
    return YuenTest(mean, se, dof, 2 * stats.t.sf(np.abs(mean) / se, dof))


@dataclasses.dataclass(frozen=True)
class SeedComparison:
    """Where a variant's seeds differ significantly from its baseline's."""

    alpha: float
    level: float
    epochs: int
    variant_mean: np.ndarray  # olympic mean curve
    baseline_mean: np.ndarray
    half_width: np.ndarray  # per epoch: how far the means may differ at this alpha
    curve: YuenTest
    variant_epochs_to_level: np.ndarray  # per seed; epochs + 1 for never
    baseline_epochs_to_level: np.ndarray
    rate: YuenTest

    @property
    def epochs_outside(self) -> list[int]:
        """1-based epochs at which the mean curves differ significantly."""
        return [int(i) + 1 for i in np.flatnonzero(self.curve.p_value < self.alpha / self.epochs)]

    @property
    def rate_differs(self) -> bool:
        return bool(self.rate.p_value < self.alpha)

    @property
    def ok(self) -> bool:
        return not self.epochs_outside and not self.rate_differs

    def report(self, variant: str = "variant", baseline: str = "baseline") -> str:
        """Which test failed, at which level, and by how much (empty if none)."""
        lines = []
        per_epoch = self.alpha / self.epochs
        if self.epochs_outside:
            lines.append(
                f"{variant}: olympic-mean validation accuracy left {baseline}'s band at "
                f"{len(self.epochs_outside)} epoch(s) (Yuen's trimmed-mean test, two-sided, "
                f"alpha {self.alpha} over {self.epochs} epochs: {per_epoch:.2g} each):")
            for epoch in self.epochs_outside:
                i = epoch - 1
                lines.append(
                    f"  epoch {epoch:>3}: {self.variant_mean[i]:.4f} vs {self.baseline_mean[i]:.4f} "
                    f"({self.curve.difference[i] * 100:+.2f} points; the band is "
                    f"+-{self.half_width[i] * 100:.2f}; p = {self.curve.p_value[i]:.2g})")
        if self.rate_differs:
            def show(values):
                return ", ".join("never" if v > self.epochs else str(int(v)) for v in values)
            lines.append(
                f"{variant} reaches {self.level:.2%} at epochs [{show(self.variant_epochs_to_level)}], "
                f"{baseline} at [{show(self.baseline_epochs_to_level)}]: olympic means "
                f"{olympic_mean(self.variant_epochs_to_level):.2f} vs "
                f"{olympic_mean(self.baseline_epochs_to_level):.2f} epochs differ significantly "
                f"(Yuen's test, two-sided, p = {float(self.rate.p_value):.2g} < {self.alpha}).")
        return "\n".join(lines)


def epochs_to_level(curves: np.ndarray, level: float) -> np.ndarray:
    """Per curve (row), the 1-based first epoch at or above ``level``; epochs + 1 if never."""
    reached = np.asarray(curves) >= level
    first = np.argmax(reached, axis=1) + 1
    return np.where(reached.any(axis=1), first, reached.shape[1] + 1).astype(np.float64)


def seed_curves(variant_curves, baseline_curves) -> tuple[np.ndarray, np.ndarray]:
    """The per-seed curves (seeds x epochs) of a variant and its baseline as float
    arrays, refused unless both have the same epochs and at least MIN_SEEDS seeds."""
    a = np.asarray(variant_curves, dtype=np.float64)
    b = np.asarray(baseline_curves, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"curves must be seeds x epochs of equal epochs. Received "
                         f"shapes {a.shape} and {b.shape}")
    for name, x in (("variant", a), ("baseline", b)):
        if x.shape[0] < MIN_SEEDS:
            raise ConfigError(f"the statistical curve mode needs at least {MIN_SEEDS} seeds "
                              f"of the {name}; got {x.shape[0]}. Use --freezecheck-seeds={MIN_SEEDS} or more.")
    return a, b


def halves(n: int):
    """Every split of the indices of ``n`` seeds into a half and a disjoint other half
    of the same size, each half first once: (first, second) lists."""
    half = n // 2
    for first in itertools.combinations(range(n), half):
        yield list(first), [i for i in range(n) if i not in first][:half]


def compare_seeds(variant_curves, baseline_curves, *, alpha: float, level: float) -> SeedComparison:
    """Compare per-seed validation curves (seeds x epochs) of a variant and its baseline."""
    from scipy import stats

    a, b = seed_curves(variant_curves, baseline_curves)
    check_alpha(alpha)
    epochs = a.shape[1]
    curve = yuen(a, b, step=ACCURACY_STEP)
    critical = stats.t.isf(alpha / epochs / 2, curve.dof)
    steps_a, steps_b = epochs_to_level(a, level), epochs_to_level(b, level)
    return SeedComparison(
        alpha=alpha, level=level, epochs=epochs,
        variant_mean=olympic_mean(a), baseline_mean=olympic_mean(b),
        half_width=critical * curve.standard_error, curve=curve,
        variant_epochs_to_level=steps_a, baseline_epochs_to_level=steps_b,
        rate=yuen(steps_a, steps_b, step=EPOCH_STEP),
    )


def false_alarm_rate(curves, group_size: int, *, alpha: float, level: float) -> tuple[int, int]:
    """Split seeds of one variant into two groups of ``group_size`` in every way, compare
    each pair as variant against baseline, and count the pairs called different.

    Every split compares a run with itself in law (same variant, other seeds), so the
    share called different is the mode's false-alarm rate. Returns (alarms, splits);
    each split is counted once (a against b, not also b against a).
    """
    curves = np.asarray(curves, dtype=np.float64)
    seeds = range(curves.shape[0])
    if curves.shape[0] < 2 * group_size:
        raise ValueError(f"need {2 * group_size} seeds for two groups of {group_size}, "
                         f"got {curves.shape[0]}")
    alarms = splits = 0
    for first in itertools.combinations(seeds, group_size):
        rest = [s for s in seeds if s not in first]
        for second in itertools.combinations(rest, group_size):
            if first > second:  # each unordered pair once
                continue
            splits += 1
            alarms += not compare_seeds(curves[list(first)], curves[list(second)],
                                        alpha=alpha, level=level).ok
    return alarms, splits


def significance_flips(variant_curves, baseline_curves, *, alpha: float,
                       level: float) -> tuple[int, int]:
    """Split the seeds into two halves in every way (each half first once) and count the
    halves whose verdict of significance (:func:`compare_seeds`'s ``ok``) differs from
    the other half's. This is how often a declaration made of that verdict alone
    would fail on unchanged code. Returns (flips, halves)."""
    a = np.asarray(variant_curves, dtype=np.float64)
    b = np.asarray(baseline_curves, dtype=np.float64)
    flips = splits = 0
    for first, second in halves(a.shape[0]):
        one = compare_seeds(a[first], b[first], alpha=alpha, level=level).ok
        two = compare_seeds(a[second], b[second], alpha=alpha, level=level).ok
        flips += one != two
        splits += 1
    return flips, splits


def rounding_floor(step: float = ACCURACY_STEP) -> float:
    """The variance of a difference of two values each rounded to ``step``: what a
    spread of paired gaps is never taken to be below, so that seeds that agree exactly
    still give a defined, non-zero spread."""
    return 2 * step ** 2 / 12


def gap_spread(gaps, step: float = ACCURACY_STEP) -> float:
    """The sample standard deviation of per-seed paired gaps (at least two), with the
    rounding floor added to its variance."""
    gaps = np.asarray(gaps, dtype=np.float64)
    if gaps.size < 2:
        raise ValueError(f"a spread needs at least 2 seeds, got {gaps.size}")
    return float(np.sqrt(np.var(gaps, ddof=1) + rounding_floor(step)))


def confidence_interval(gaps, alpha: float, step: float = ACCURACY_STEP) -> tuple[float, float]:
    """The two-sided (1 - ``alpha``) t interval of the mean of per-seed paired gaps:
    mean +- t(1 - alpha/2, n - 1) * s / sqrt(n), s from :func:`gap_spread`. Plain, not
    trimmed: at ten seeds trimming one at each end would cost two of nine degrees of
    freedom, at five two of four."""
    from scipy import stats

    gaps = np.asarray(gaps, dtype=np.float64)
    half = stats.t.isf(alpha / 2, gaps.size - 1) * gap_spread(gaps, step) / np.sqrt(gaps.size)
    mean = float(gaps.mean())
    return mean - half, mean + half


def margin_claim(low: float, high: float, margin: float) -> str:
    """What a confidence interval [low, high] of a gap says against the margin +-``margin``:
    ``follows`` inside it and covering 0; ``small difference`` inside it and excluding 0;
    ``leaves`` wholly beyond it; otherwise ``undetermined``."""
    if -margin < low and high < margin:
        return "small difference" if low > 0 or high < 0 else "follows"
    if low > margin or high < -margin:
        return "leaves"
    return "undetermined"


@dataclasses.dataclass(frozen=True)
class GateVerdict:
    """A session's mean gap held to a declared one by the one-sided regression gate."""

    declared: float  # the declared mean gap
    new: float  # the session's mean gap over its n seeds
    bound: float  # t * s_ref * sqrt(1/n + 1/n_ref): how far below (or above) it may lie
    n: int
    n_ref: int
    s_ref: float
    alpha_each: float  # alpha split over the session's variants, one-sided
    p_below: float  # one-sided p of a gap this far below the declared one
    p_above: float  # the same, above

    @property
    def failed(self) -> bool:
        """The gap fell below the declared one by more than the bound: a regression."""
        return self.new < self.declared - self.bound

    @property
    def stale(self) -> bool:
        """The gap rose above the declared one by more than the bound: an improvement the
        declaration does not know of (a warning, never a failure)."""
        return self.new > self.declared + self.bound


def regression_gate(declared: float, s_ref: float, n_ref: int, new: float, n: int, *,
                    alpha: float, variants: int = 1) -> GateVerdict:
    """The one-sided regression gate on a paired gap, after MLPerf's reference
    convergence points: the session's mean gap over ``n`` seeds fails when it lies
    below the ``declared`` mean gap (over ``n_ref`` reference seeds, spread ``s_ref``)
    by more than t(1 - alpha/variants, n_ref - 1) * s_ref * sqrt(1/n + 1/n_ref).

    Under unchanged code the session's mean and the declared one are independent
    estimates of one gap, so their difference has variance s^2 (1/n + 1/n_ref); the
    reference seeds' spread stands for s, which is why t has n_ref - 1 degrees of
    freedom and why one seed (n = 1) is judged by the same rule (a prediction bound for
    one new run). ``alpha`` is split over the ``variants`` a session judges, so the
    chance that any of them fails on unchanged code is at most ``alpha``."""
    from scipy import stats

    check_alpha(alpha)
    if isinstance(variants, bool) or not isinstance(variants, int) or variants < 1:
        raise ValueError(f"variants expected a positive integer. Received: {variants!r}")
    if n < 1 or n_ref < 2:
        raise ValueError(f"the gate needs n >= 1 session seeds and n_ref >= 2 reference "
                         f"seeds. Received: n={n}, n_ref={n_ref}")
    alpha_each = alpha / variants
    scale = s_ref * np.sqrt(1 / n + 1 / n_ref)
    t = (new - declared) / scale
    return GateVerdict(declared=float(declared), new=float(new),
                       bound=float(stats.t.isf(alpha_each, n_ref - 1) * scale),
                       n=int(n), n_ref=int(n_ref), s_ref=float(s_ref), alpha_each=alpha_each,
                       p_below=float(stats.t.cdf(t, n_ref - 1)),
                       p_above=float(stats.t.sf(t, n_ref - 1)))


def clopper_pearson(failures: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper-Pearson) two-sided binomial interval of a rate seen as
    ``failures`` of ``trials`` independent trials."""
    from scipy import stats

    if not 0 <= failures <= trials or trials < 1:
        raise ValueError(f"0 <= failures <= trials and trials >= 1 expected. Received: "
                         f"{failures} of {trials}")
    tail = (1 - confidence) / 2
    low = 0.0 if failures == 0 else float(stats.beta.ppf(tail, failures, trials - failures + 1))
    high = 1.0 if failures == trials else float(stats.beta.ppf(1 - tail, failures + 1,
                                                               trials - failures))
    return low, high
