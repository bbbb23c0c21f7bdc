"""What a set of seeds establishes about a variant's curve, and whether new seeds keep it.

Needs numpy and scipy. The statistical curve mode declares, from measured seeds, one of
three claims about a variant against its baseline, and judges later seeds by what that
claim says, never by whether significance is reached again:

``follows``
    Equivalence within the curve tolerance, established by two one-sided tests (TOST,
    Schuirmann 1987) at every epoch against the band, and on the lag in epochs to
    reach the level against ``max_lag``. Equivalence must hold at every epoch, an
    intersection-union test, so each test runs at the full ``alpha`` (Berger and Hsu
    1996). New seeds break the claim by showing, with confidence, a gap beyond the
    tolerance: a one-sided test against the band at some epoch (or against
    ``max_lag``). A smaller gap, or one that is merely not shown to be inside the band,
    is no evidence of change. The mean gap is held to its measured value instead, as
    under the other claims (``_held_to_band`` says why). Bonferroni over the epochs,
    the mean gap and the lag.
``leaves``
    A difference established: the gap at some epoch, or the lag, differs from zero
    (Yuen's test, two-sided, Bonferroni over the epochs, the mean gap and the lag).
    The measured effect is stored (gap per epoch, mean gap and lag, each with its
    standard error and degrees of freedom). New seeds break the claim only when their effect is inconsistent with
    the stored one: the difference of the two estimates, whose variance is the sum of
    both (they come from disjoint seeds), is significant at some epoch or in the lag.
    This is the replication test of Patil, Peng and Leek (2016): the new estimate must
    fall in the prediction interval the stored one makes for it. A sign flipped with
    confidence falls outside it; a loss of significance does not.
``undetermined``
    Neither established. The measured effect is stored all the same and new seeds are
    judged by the same consistency test, so a variant the measurements could not
    classify is still held to what they showed.

Every per-quantity test uses Yuen's trimmed-mean statistics from
:mod:`freezecheck.judge.statistics` (olympic means, winsorized variances with the rounding
floor, Welch-Satterthwaite degrees of freedom). Under unchanged code each judgement
fails with probability at most ``alpha``; how often it does in practice is measured by
:func:`replication_failures` on disjoint halves of measured seeds.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from freezecheck.errors import ConfigError
from freezecheck.judge.statistics import (ACCURACY_STEP, EPOCH_STEP, MIN_SEEDS, epochs_to_level,
                                          halves, paired_trimmed, seed_curves, yuen)

CLAIMS = ("follows", "leaves", "undetermined")
# How a failure message says what was declared.
PHRASES = {
    "follows": "declared to follow its baseline's curve within the tolerance",
    "leaves": "declared to leave its baseline's curve by its measured effect",
    "undetermined": "declared undetermined against its baseline's curve (neither following "
                    "nor leaving it was established), so held to its measured effect",
}


@dataclasses.dataclass(frozen=True)
class Effect:
    """A variant's difference from its baseline over a set of seeds.

    ``gap`` is per epoch the olympic-mean validation accuracy of the variant minus the
    baseline's (a fraction); ``mean_gap`` the same of each seed's accuracy averaged
    over the epochs (the area between the curves, per epoch); ``lag`` is the
    olympic-mean epochs to first reach ``level`` of the variant minus the baseline's
    (never counts as one past the last epoch). Each comes with its standard error and
    degrees of freedom: Yuen's test (Welch-Satterthwaite), or for the mean gap its
    one-sample form on the per-seed differences (statistics.paired_trimmed).

    The mean gap is what sees a variant that learns a little slower at every epoch: a
    few tenths of a point at each epoch is within one epoch's scatter, but averaged over
    the epochs it is not (docs/statistics.md, "Power"). Effects stored before it was
    measured have none, and are judged without it.
    """

    seeds: tuple[int, ...]
    level: float
    gap: tuple[float, ...]
    gap_se: tuple[float, ...]
    gap_dof: tuple[float, ...]
    lag: float
    lag_se: float
    lag_dof: float
    # How far one run's gap (per epoch) and lag scatter: the square root of the sum of
    # the variant's and the baseline's sample variances (plus the rounding floor of
    # each). What a single run is judged by (judge_run); absent in effects stored
    # before it was measured, and in one run's own effect.
    run_gap_sd: tuple[float, ...] = ()
    run_lag_sd: float | None = None
    mean_gap: float | None = None
    mean_gap_se: float | None = None
    mean_gap_dof: float | None = None
    run_mean_gap_sd: float | None = None

    @property
    def epochs(self) -> int:
        return len(self.gap)

    @property
    def has_mean(self) -> bool:
        return self.mean_gap is not None

    def names(self) -> list[str]:
        """What each of :meth:`quantities` is, as messages name it."""
        return ([f"epoch {i + 1}" for i in range(self.epochs)]
                + (["mean"] if self.has_mean else []) + ["lag"])

    def quantities(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(estimate, standard error, dof): the epochs' gaps, the mean gap (if measured),
        then the lag."""
        mean = ([self.mean_gap], [self.mean_gap_se], [self.mean_gap_dof]) if self.has_mean \
            else ([], [], [])
        return (np.r_[self.gap, mean[0], self.lag], np.r_[self.gap_se, mean[1], self.lag_se],
                np.r_[self.gap_dof, mean[2], self.lag_dof])

    def run_sd(self) -> np.ndarray:
        """How far one run scatters, per quantity (see ``run_gap_sd``)."""
        mean = [self.run_mean_gap_sd] if self.has_mean else []
        return np.r_[self.run_gap_sd, mean, self.run_lag_sd]

    def without_mean(self) -> "Effect":
        return dataclasses.replace(self, mean_gap=None, mean_gap_se=None, mean_gap_dof=None,
                                   run_mean_gap_sd=None)

    def as_dict(self) -> dict:
        """JSON-ready builtins, rounded to what the measurement resolves."""
        def r(values):
            return [round(float(v), 6) for v in values]
        def one(value):
            return None if value is None else round(float(value), 6)
        stored = {"seeds": list(self.seeds), "level": self.level,
                  "gap": r(self.gap), "gap_se": r(self.gap_se), "gap_dof": r(self.gap_dof),
                  "lag": one(self.lag), "lag_se": one(self.lag_se), "lag_dof": one(self.lag_dof),
                  "run_gap_sd": r(self.run_gap_sd), "run_lag_sd": one(self.run_lag_sd)}
        if self.has_mean:
            stored.update(mean_gap=one(self.mean_gap), mean_gap_se=one(self.mean_gap_se),
                          mean_gap_dof=one(self.mean_gap_dof),
                          run_mean_gap_sd=one(self.run_mean_gap_sd))
        return stored

    @classmethod
    def from_dict(cls, data: dict) -> "Effect":
        return cls(seeds=tuple(data["seeds"]), level=data["level"],
                   gap=tuple(data["gap"]), gap_se=tuple(data["gap_se"]),
                   gap_dof=tuple(data["gap_dof"]), lag=data["lag"], lag_se=data["lag_se"],
                   lag_dof=data["lag_dof"], run_gap_sd=tuple(data.get("run_gap_sd", ())),
                   run_lag_sd=data.get("run_lag_sd"), mean_gap=data.get("mean_gap"),
                   mean_gap_se=data.get("mean_gap_se"), mean_gap_dof=data.get("mean_gap_dof"),
                   run_mean_gap_sd=data.get("run_mean_gap_sd"))


def measure_effect(variant_curves, baseline_curves, *, level: float, seeds=()) -> Effect:
    """The effect of per-seed validation curves (seeds x epochs) against the baseline's."""
    a, b = seed_curves(variant_curves, baseline_curves)
    curve = yuen(a, b, step=ACCURACY_STEP)
    a_lag, b_lag = epochs_to_level(a, level), epochs_to_level(b, level)
    lag = yuen(a_lag, b_lag, step=EPOCH_STEP)
    # Paired by seed: variant and baseline of one seed share their seed's draw of
    # everything not frozen, so their difference scatters far less than either.
    mean_gaps = a.mean(axis=1) - b.mean(axis=1)
    mean = paired_trimmed(mean_gaps, step=ACCURACY_STEP)
    return Effect(seeds=tuple(int(s) for s in seeds), level=level,
                  gap=tuple(curve.difference), gap_se=tuple(curve.standard_error),
                  gap_dof=tuple(curve.dof), lag=float(lag.difference),
                  lag_se=float(lag.standard_error), lag_dof=float(lag.dof),
                  run_gap_sd=tuple(_run_sd(a, b, ACCURACY_STEP)),
                  run_lag_sd=float(_run_sd(a_lag, b_lag, EPOCH_STEP)),
                  mean_gap=float(mean.difference), mean_gap_se=float(mean.standard_error),
                  mean_gap_dof=float(mean.dof),
                  run_mean_gap_sd=float(np.sqrt(np.var(mean_gaps, ddof=1)
                                                + 2 * ACCURACY_STEP ** 2 / 12)))


def _run_sd(a: np.ndarray, b: np.ndarray, step: float) -> np.ndarray:
    """How far one run of ``a`` minus one run of ``b`` scatters (seeds on axis 0):
    plain sample variances, not winsorized ones, because a single run is not trimmed;
    each with the variance of its rounding as a floor."""
    floor = step ** 2 / 12
    return np.sqrt(np.var(a, axis=0, ddof=1) + np.var(b, axis=0, ddof=1) + 2 * floor)


def _margins(effect: Effect, band: float, max_lag: int) -> np.ndarray:
    return np.r_[np.full(effect.epochs + effect.has_mean, band), max_lag]


def _comparable(declared: Effect, new: Effect) -> Effect:
    """``new`` judged on the quantities ``declared`` has: without the mean gap when the
    declaration was stored before it was measured."""
    return new if declared.has_mean else new.without_mean()


def declare(effect: Effect, *, band: float, max_lag: int, alpha: float) -> str:
    """The claim ``effect`` establishes at ``alpha``: follows, leaves or undetermined.

    Equivalence is preferred when both hold (a gap that is significant but inside the
    tolerance is what the tolerance calls the same curve)."""
    from scipy import stats

    estimate, se, dof = effect.quantities()
    margin = _margins(effect, band, max_lag)
    # TOST at every quantity, each at alpha (intersection-union).
    upper = stats.t.isf(alpha, dof)
    if np.all(np.abs(estimate) + upper * se < margin):
        return "follows"
    # Two-sided tests against zero, Bonferroni over the quantities.
    critical = stats.t.isf(alpha / len(estimate) / 2, dof)
    if np.any(np.abs(estimate) > critical * se):
        return "leaves"
    return "undetermined"


@dataclasses.dataclass(frozen=True)
class Finding:
    """One quantity (an epoch's gap, or the lag) at which new seeds break a claim."""

    what: str  # "epoch 3" or "lag"
    new: float
    new_se: float
    declared: float | None  # the stored estimate, for leaves/undetermined
    declared_se: float | None
    bound: float  # the limit the new estimate crossed (band, or the prediction interval)
    p_value: float


def judge(claim: str, declared: Effect, new: Effect, *, band: float, max_lag: int,
          alpha: float) -> list[Finding]:
    """Where ``new`` breaks ``claim`` (made with ``declared``); empty if it keeps it.

    Bonferroni over the epochs, the mean gap and the lag, so under unchanged code the
    chance of any finding is at most ``alpha``."""
    from scipy import stats

    if claim not in CLAIMS:
        raise ValueError(f"claim expected one of {CLAIMS}. Received: claim={claim!r}")
    if new.epochs != declared.epochs:
        raise ConfigError(f"the declared effect has {declared.epochs} epochs, the new runs "
                          f"have {new.epochs} epochs: they were not trained on the same recipe")
    new = _comparable(declared, new)
    estimate, se, dof = new.quantities()
    names = new.names()
    per_test = alpha / len(estimate)
    to_band = _held_to_band(claim, new)
    findings = []
    if np.any(to_band):
        margin = _margins(new, band, max_lag)
        # One-sided: is |gap| beyond the margin with confidence?
        p = stats.t.sf((np.abs(estimate) - margin) / se, dof)
        for i in np.flatnonzero(to_band & (p < per_test)):
            findings.append(Finding(names[i], float(estimate[i]), float(se[i]), None, None,
                                    float(np.copysign(margin[i], estimate[i])), float(p[i])))
    stored, stored_se, stored_dof = declared.quantities()
    combined_se = np.sqrt(se ** 2 + stored_se ** 2)
    combined_dof = combined_se ** 4 / (se ** 4 / dof + stored_se ** 4 / stored_dof)
    p = 2 * stats.t.sf(np.abs(estimate - stored) / combined_se, combined_dof)
    half_width = stats.t.isf(per_test / 2, combined_dof) * combined_se
    for i in np.flatnonzero(~to_band & (p < per_test)):
        findings.append(Finding(names[i], float(estimate[i]), float(se[i]), float(stored[i]),
                                float(stored_se[i]), float(half_width[i]), float(p[i])))
    return findings


def _held_to_band(claim: str, effect: Effect) -> np.ndarray:
    """Which quantities ``judge`` holds to the tolerance (the rest to the declared effect).

    Under ``follows``, the epochs' gaps and the lag, which the tolerance was measured
    for. Not the mean gap: the band is how far one epoch of one run may stray, while
    the mean gap, paired by seed and averaged over the epochs, scatters far less (the
    built-in variants that follow have standard errors of 0.01 to 0.03 points against
    a band of 1.5), so a variant can learn measurably slower at every epoch and stay
    inside the band (docs/statistics.md, "Power"). It is held to its measured value,
    as under the other claims."""
    to_band = np.full(len(effect.names()), claim == "follows")
    if effect.has_mean:
        to_band[effect.epochs] = False
    return to_band


def run_effect(variant_curve, baseline_curve, *, level: float, seed: int | None = None) -> Effect:
    """The effect of one run of the variant against one of its baseline (one session at
    one seed): per-epoch gaps and the lag, without a standard error of their own."""
    a = np.asarray([variant_curve], dtype=np.float64)
    b = np.asarray([baseline_curve], dtype=np.float64)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"one curve each of equal epochs expected. Received shapes "
                         f"{a.shape[1:]} and {b.shape[1:]}")
    lag = epochs_to_level(a, level) - epochs_to_level(b, level)
    epochs = a.shape[1]
    return Effect(seeds=() if seed is None else (int(seed),), level=level,
                  gap=tuple(float(g) for g in a[0] - b[0]), gap_se=(0.0,) * epochs,
                  gap_dof=(np.inf,) * epochs, lag=float(lag[0]), lag_se=0.0,
                  lag_dof=np.inf, mean_gap=float(np.mean(a[0] - b[0])), mean_gap_se=0.0,
                  mean_gap_dof=np.inf)


def judge_run(declared: Effect, run: Effect, *, alpha: float) -> list[Finding]:
    """Where one run's effect (:func:`run_effect`) is inconsistent with the declared
    one; empty if it is consistent.

    One run of each is not an estimate of a mean but one draw around it, so it is held
    to the prediction interval for a single new observation (Hahn and Meeker 1991,
    Statistical Intervals, ch. 4): the declared estimate plus or minus t(n - 1) times
    the square root of one run's variance (``run_gap_sd``, ``run_lag_sd``) plus the
    declared estimate's own (its standard error squared), n the declared seeds.
    Pairing a variant with its baseline at the same seed is not assumed to help, which
    only widens the interval. Bonferroni over the epochs, the mean gap and the lag, so under
    unchanged code the chance of any finding is at most ``alpha``.
    """
    from scipy import stats

    if run.epochs != declared.epochs:
        raise ConfigError(f"the declared effect has {declared.epochs} epochs, this run has "
                          f"{run.epochs} epochs: they were not trained on the same recipe")
    n = len(declared.seeds)
    if n < MIN_SEEDS or declared.run_lag_sd is None:
        raise ConfigError(f"the declared effect (seeds {declared.seeds}) cannot judge one "
                          f"run: it needs at least {MIN_SEEDS} seeds and the spread of one "
                          f"run (run_gap_sd, run_lag_sd). Regenerate it with `freezecheck "
                          f"expectations FILE...`.")
    run = _comparable(declared, run)
    estimate = run.quantities()[0]
    stored, stored_se, _ = declared.quantities()
    run_sd = declared.run_sd()
    prediction_se = np.sqrt(run_sd ** 2 + stored_se ** 2)
    per_test = alpha / len(estimate)
    p = 2 * stats.t.sf(np.abs(estimate - stored) / prediction_se, n - 1)
    half_width = stats.t.isf(per_test / 2, n - 1) * prediction_se
    names = run.names()
    return [Finding(names[i], float(estimate[i]), 0.0, float(stored[i]),
                    float(stored_se[i]), float(half_width[i]), float(p[i]))
            for i in np.flatnonzero(p < per_test)]


def explain_run(variant: str, claim: str, declared: Effect, run: Effect,
                findings: list[Finding], *, where: str, alpha: float) -> str:
    """The failure message of one run judged by :func:`judge_run`."""
    quantities = len(declared.names())
    lines = [f"{variant}: {PHRASES[claim]} ({where}; {describe(declared)}); this run "
             f"is outside what the declared effect predicts for one run (prediction "
             f"interval, two-sided, alpha {alpha} over {quantities} quantities: "
             f"{alpha / quantities:.2g} each; {describe(run)}):"]
    for f in findings:
        lines.append(f"  {f.what:>8}: this run {show(f, f.new)}, declared "
                     f"{show(f, f.declared)}; one run may differ from it by "
                     f"{show(f, f.bound).lstrip('+')} at most; p = {f.p_value:.2g}")
    return "\n".join(lines)


def show(finding: Finding, value: float) -> str:
    """``value`` (a quantity of ``finding``) as a person reads it: points or epochs."""
    return f"{value:+.2f} epochs" if finding.what == "lag" else f"{value * 100:+.2f} points"


def report(claim: str, findings: list[Finding], *, alpha: float, quantities: int,
           band: float, max_lag: int) -> str:
    """The findings as lines a person reads: which test, which epoch, by how much."""
    per_test = alpha / quantities
    test = f"alpha {alpha} over {quantities} quantities: {per_test:.2g} each"
    beyond = [f for f in findings if f.declared is None]  # held to the tolerance
    moved = [f for f in findings if f.declared is not None]  # held to the declared effect
    parts = []
    if beyond:
        parts.append(f"the gap to the baseline is beyond the tolerance (band "
                     f"+-{band * 100:.2f} points, lag +-{max_lag} epochs) with confidence "
                     f"(one-sided test against the tolerance, {test}):")
        parts += [f"  {f.what:>8}: {show(f, f.new)} (standard error "
                  f"{show(f, f.new_se).lstrip('+')}); the limit is {show(f, f.bound)}; "
                  f"p = {f.p_value:.2g}" for f in beyond]
    if moved:
        what = "the mean gap" if claim == "follows" else "the effect"
        parts.append(f"{what} is inconsistent with the declared one (difference of the two "
                     f"estimates, two-sided, {test}):")
        parts += [f"  {f.what:>8}: now {show(f, f.new)}, declared {show(f, f.declared)}; "
                  f"they may differ by {show(f, f.bound).lstrip('+')} at most; "
                  f"p = {f.p_value:.2g}" for f in moved]
    return "\n".join(parts)


def explain(variant: str, claim: str, declared: Effect, new: Effect, findings: list[Finding],
            *, where: str, alpha: float, band: float, max_lag: int) -> str:
    """The failure message: what was declared and where, the new effect, and each
    epoch (or the lag) that breaks the claim."""
    detail = report(claim, findings, alpha=alpha, quantities=len(declared.names()),
                    band=band, max_lag=max_lag)
    return (f"{variant}: {PHRASES[claim]} ({where}; {describe(declared)}); the new seeds "
            f"break it ({describe(new)}): {detail}")


def describe(effect: Effect) -> str:
    """The effect in a few words: its seeds, largest gap and lag."""
    worst = int(np.argmax(np.abs(effect.gap)))
    seeds = effect.seeds
    where = (f"seed {seeds[0]}: " if len(seeds) == 1
             else f"seeds {seeds[0]}-{seeds[-1]}: " if seeds else "")
    return (f"{where}largest gap {effect.gap[worst] * 100:+.2f} points at epoch "
            f"{worst + 1}, lag {effect.lag:+.2f} epochs")


@dataclasses.dataclass(frozen=True)
class Replication:
    """How often a claim declared from one half of the seeds fails on the other half."""

    variant: str
    claims: dict[str, int]  # claim declared -> how many halves declared it
    failures: int
    judgements: int

    @property
    def rate(self) -> float:
        return self.failures / self.judgements if self.judgements else 0.0


def _split(variant_curves, baseline_curves, seeds, *, level: float, variant: str):
    """For every split of the seeds into two disjoint halves: the effect declared from
    the first half, the curves, and the indices of the second half."""
    a = np.asarray(variant_curves, dtype=np.float64)
    b = np.asarray(baseline_curves, dtype=np.float64)
    n = a.shape[0]
    if n // 2 < MIN_SEEDS:
        raise ConfigError(f"{variant}: replication needs two halves of at least "
                          f"{MIN_SEEDS} seeds; got {n} seeds")
    seeds = list(seeds)
    for one, two in halves(n):
        declared = measure_effect(a[one], b[one], level=level, seeds=[seeds[i] for i in one])
        yield declared, a, b, seeds, two


def replication_failures(variant_curves, baseline_curves, seeds, *, band: float,
                         max_lag: int, level: float, alpha: float,
                         variant: str = "variant") -> Replication:
    """Split the seeds (shared by variant and baseline) into two disjoint halves in
    every way; declare from one half, judge the other, both ways round.

    Nothing changes between the halves, so every failure is a false alarm of the
    declaration check."""
    counts = dict.fromkeys(CLAIMS, 0)
    failures = judgements = 0
    for declared, a, b, seeds, two in _split(variant_curves, baseline_curves, seeds,
                                             level=level, variant=variant):
        new = measure_effect(a[two], b[two], level=level, seeds=[seeds[i] for i in two])
        claim = declare(declared, band=band, max_lag=max_lag, alpha=alpha)
        counts[claim] += 1
        judgements += 1
        failures += bool(judge(claim, declared, new, band=band, max_lag=max_lag, alpha=alpha))
    return Replication(variant, counts, failures, judgements)


def single_run_failures(variant_curves, baseline_curves, seeds, *, level: float,
                        alpha: float, variant: str = "variant") -> tuple[int, int]:
    """(failures, judgements): declare the effect from one half of the seeds, in every
    split into disjoint halves, and judge each seed of the other half as one session at
    that seed would (:func:`judge_run`). Nothing changes between the halves, so every
    failure is a false alarm of the single-run check."""
    failures = judgements = 0
    for declared, a, b, seeds, two in _split(variant_curves, baseline_curves, seeds,
                                             level=level, variant=variant):
        for i in two:
            run = run_effect(a[i], b[i], level=level, seed=seeds[i])
            judgements += 1
            failures += bool(judge_run(declared, run, alpha=alpha))
    return failures, judgements
