"""What a set of seeds establishes about a variant against its baseline, and the gate that
holds later sessions to it.

Needs numpy and scipy. The primary quantity is the **paired gap**: at each seed, the
variant's validation accuracy averaged over the epochs minus its baseline's at the same
seed (both start from the same draws for every layer not frozen and see the data in the
same order, so the difference scatters far less than either curve). The final-epoch gap
is the second quantity; the gap at each epoch and the lag in epochs to reach the curve
level are reported, never gated on alone.

A declaration, made from measured seeds (:func:`measure_effect`), states one claim about
the mean paired gap against a margin ``margin`` (delta) fixed in advance for the
experiment (``CurveTolerance.margin``), from its two-sided (1 - alpha) confidence
interval (:func:`freezecheck.judge.statistics.margin_claim`):

``follows``
    the interval lies inside +-delta and covers 0;
``small difference``
    it lies inside +-delta and excludes 0;
``leaves``
    it lies wholly beyond delta;
``undetermined``
    anything else (too few seeds, or a gap near delta).

Whatever the claim, a later session is held to the declared mean gap by one rule, the
one-sided regression gate (:func:`freezecheck.judge.statistics.regression_gate`): it
fails when its mean gap over n seeds falls below the declared one by more than
t * s_ref * sqrt(1/n + 1/n_ref), s_ref the spread of the variant's own paired gaps over
its n_ref reference seeds, alpha split over the session's variants; at one seed n = 1.
A gap above the declared one by as much is an improvement the declaration does not know
of: reported as a stale declaration, never a failure.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from freezecheck.errors import ConfigError
from freezecheck.judge.statistics import (MIN_SEEDS, GateVerdict, confidence_interval,
                                          epochs_to_level, gap_spread, margin_claim,
                                          regression_gate)

CLAIMS = ("follows", "small difference", "leaves", "undetermined")
# How a message says what was declared.
PHRASES = {
    "follows": "declared to follow its baseline (mean gap inside the margin, 0 not excluded)",
    "small difference": "declared to differ from its baseline by less than the margin",
    "leaves": "declared to leave its baseline by more than the margin",
    "undetermined": "declared undetermined against its baseline (neither inside nor beyond "
                    "the margin was established)",
}


@dataclasses.dataclass(frozen=True)
class Effect:
    """A variant's paired difference from its baseline over a set of seeds.

    ``mean_gaps`` holds, per seed, the variant's validation accuracy averaged over the
    epochs minus the baseline's at that seed (a fraction); ``final_gaps`` the same of the
    final epoch. ``gap`` (per epoch) and ``lag`` (epochs to first reach ``level``, never
    counted as one past the last epoch) are the means over the seeds of the paired
    differences, kept to be reported."""

    seeds: tuple[int, ...]
    level: float
    mean_gaps: tuple[float, ...]
    final_gaps: tuple[float, ...]
    gap: tuple[float, ...]
    lag: float

    @property
    def n(self) -> int:
        return len(self.mean_gaps)

    @property
    def epochs(self) -> int:
        return len(self.gap)

    @property
    def mean_gap(self) -> float:
        return float(np.mean(self.mean_gaps))

    @property
    def final_gap(self) -> float:
        return float(np.mean(self.final_gaps))

    @property
    def spread(self) -> float:
        """s_ref: the spread of the per-seed mean gaps (statistics.gap_spread)."""
        return gap_spread(self.mean_gaps)

    def interval(self, alpha: float, *, final: bool = False) -> tuple[float, float]:
        """The (1 - alpha) confidence interval of the mean gap (or the final gap)."""
        return confidence_interval(self.final_gaps if final else self.mean_gaps, alpha)

    def as_dict(self) -> dict:
        """JSON-ready builtins, rounded to what the measurement resolves."""
        def r(values):
            return [round(float(v), 6) for v in values]
        return {"seeds": list(self.seeds), "level": self.level, "mean_gaps": r(self.mean_gaps),
                "final_gaps": r(self.final_gaps), "gap": r(self.gap),
                "lag": round(float(self.lag), 6)}

    @classmethod
    def from_dict(cls, data: dict) -> "Effect":
        if "mean_gaps" not in data:
            raise ConfigError("a declared effect without per-seed mean gaps (written before "
                              "the margin claims): regenerate the declarations "
                              "(`freezecheck declare`, or `freezecheck expectations` for the "
                              "built-in experiment)")
        return cls(seeds=tuple(data["seeds"]), level=data["level"],
                   mean_gaps=tuple(data["mean_gaps"]), final_gaps=tuple(data["final_gaps"]),
                   gap=tuple(data["gap"]), lag=data["lag"])


def paired_curves(variant_curves, baseline_curves, seeds=()):
    """The variant's and the baseline's curves as float arrays (seeds x epochs, row i of
    both at the same seed) and the seeds as a tuple; a ValueError where they do not
    pair."""
    a = np.asarray(variant_curves, dtype=np.float64)
    b = np.asarray(baseline_curves, dtype=np.float64)
    if a.ndim != 2 or a.shape != b.shape or a.shape[0] < 1:
        raise ValueError(f"paired curves expected: seeds x epochs, the same shape for "
                         f"variant and baseline. Received shapes {a.shape} and {b.shape}")
    seeds = tuple(int(s) for s in seeds)
    if seeds and len(seeds) != a.shape[0]:
        raise ValueError(f"{len(seeds)} seeds named for {a.shape[0]} curves")
    return a, b, seeds


def measure_effect(variant_curves, baseline_curves, *, level: float, seeds=()) -> Effect:
    """The effect of per-seed validation curves (seeds x epochs, row i of both at the same
    seed) against the baseline's."""
    a, b, seeds = paired_curves(variant_curves, baseline_curves, seeds)
    return Effect(seeds=seeds, level=level,
                  mean_gaps=tuple(float(g) for g in a.mean(axis=1) - b.mean(axis=1)),
                  final_gaps=tuple(float(g) for g in a[:, -1] - b[:, -1]),
                  gap=tuple(float(g) for g in (a - b).mean(axis=0)),
                  lag=float(np.mean(epochs_to_level(a, level) - epochs_to_level(b, level))))


def run_effect(variant_curve, baseline_curve, *, level: float, seed: int | None = None) -> Effect:
    """The effect of one run of the variant against one of its baseline (a session at
    one seed)."""
    return measure_effect([variant_curve], [baseline_curve], level=level,
                          seeds=() if seed is None else (seed,))


def check_margin(margin) -> float:
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 < margin < 1:
        raise ConfigError(f"margin expected a number in (0, 1) (a fraction of accuracy). "
                          f"Received: margin={margin!r}")
    return float(margin)


def declare(effect: Effect, *, margin: float, alpha: float) -> str:
    """The claim ``effect`` establishes about its mean gap against +-``margin`` at
    ``alpha`` (module docstring)."""
    check_margin(margin)
    if effect.n < MIN_SEEDS:
        raise ConfigError(f"a claim needs at least {MIN_SEEDS} seeds; the effect has "
                          f"{effect.n}")
    return margin_claim(*effect.interval(alpha), margin)


def final_claim(effect: Effect, *, margin: float, alpha: float) -> str:
    """The same claim about the final-epoch gap: the second quantity, reported."""
    check_margin(margin)
    return margin_claim(*effect.interval(alpha, final=True), margin)


@dataclasses.dataclass(frozen=True)
class Finding:
    """Where a session's effect breaks the gate (``stale`` False) or outgrows its
    declaration (``stale`` True)."""

    what: str  # "mean gap"
    verdict: GateVerdict
    stale: bool = False


def gate(declared: Effect, new: Effect, *, alpha: float, variants: int = 1) -> GateVerdict:
    """``new``'s mean gap held to ``declared``'s by the one-sided regression gate."""
    if new.epochs != declared.epochs:
        raise ConfigError(f"the declared effect has {declared.epochs} epochs, the new runs "
                          f"have {new.epochs} epochs: they were not trained on the same recipe")
    if declared.n < MIN_SEEDS:
        raise ConfigError(f"the declared effect (seeds {declared.seeds}) has {declared.n} "
                          f"seeds; the gate needs at least {MIN_SEEDS}. Measure more seeds "
                          f"and regenerate the declarations.")
    return regression_gate(declared.mean_gap, declared.spread, declared.n, new.mean_gap, new.n,
                           alpha=alpha, variants=variants)


def judge(claim: str, declared: Effect, new: Effect, *, alpha: float,
          variants: int = 1) -> list[Finding]:
    """Where ``new`` (any number of seeds) breaks the gate of ``declared`` (stated as
    ``claim``); empty if it keeps it. A stale declaration is not a failure: see
    :func:`stale`."""
    if claim not in CLAIMS:
        raise ValueError(f"claim expected one of {CLAIMS}. Received: claim={claim!r}")
    verdict = gate(declared, new, alpha=alpha, variants=variants)
    return [Finding("mean gap", verdict)] if verdict.failed else []


def stale(declared: Effect, new: Effect, *, alpha: float, variants: int = 1) -> Finding | None:
    """The finding that ``new`` improved on ``declared`` beyond the gate's bound, or None."""
    verdict = gate(declared, new, alpha=alpha, variants=variants)
    return Finding("mean gap", verdict, stale=True) if verdict.stale else None


def judge_run(declared: Effect, run: Effect, *, alpha: float, variants: int = 1) -> list[Finding]:
    """One run (:func:`run_effect`) held to ``declared`` by the same gate, n = 1."""
    if run.n != 1:
        raise ValueError(f"one run expected; the effect has {run.n} seeds")
    verdict = gate(declared, run, alpha=alpha, variants=variants)
    return [Finding("mean gap", verdict)] if verdict.failed else []


def points(value: float) -> str:
    return f"{value * 100:+.2f} points"


def report(claim: str, findings: list[Finding], *, alpha: float, variants: int = 1,
           show=points) -> str:
    """The findings as lines a person reads: the rule, the two gaps, the bound.
    ``show`` says a gap (default: in points, for an accuracy)."""
    lines = []
    for f in findings:
        v = f.verdict
        direction = "above" if f.stale else "below"
        lines.append(
            f"the {f.what} over {v.n} seed(s) is {show(v.new)}, {direction} the declared "
            f"{show(v.declared)} by more than {show(v.bound).lstrip('+')} "
            f"(one-sided, t(n_ref - 1 = {v.n_ref - 1}) * s_ref {show(v.s_ref).lstrip('+')} * "
            f"sqrt(1/{v.n} + 1/{v.n_ref}), alpha {alpha} over {variants} variant(s): "
            f"{v.alpha_each:.2g}; p = {v.p_above if f.stale else v.p_below:.2g})")
    return "\n".join(lines)


def describe(effect: Effect, *, alpha: float | None = None, margin: float | None = None,
             show=points) -> str:
    """The effect in a few words: seeds, mean gap (with its interval when ``alpha`` is
    given and there are seeds enough), final gap, largest epoch gap and lag. ``show``
    says a gap (default: in points, for an accuracy)."""
    seeds = effect.seeds
    where = (f"seed {seeds[0]}: " if len(seeds) == 1
             else f"seeds {seeds[0]}-{seeds[-1]}: " if seeds else "")
    interval = ""
    if alpha is not None and effect.n >= 2:
        low, high = effect.interval(alpha)
        interval = f" [{show(low)}, {show(high)}] ({1 - alpha:.0%} CI)"
    margin_text = f", margin +-{show(margin).lstrip('+')}" if margin is not None else ""
    worst = int(np.argmax(np.abs(effect.gap)))
    return (f"{where}mean gap {show(effect.mean_gap)}{interval}{margin_text}; final gap "
            f"{show(effect.final_gap)}; largest epoch gap {show(effect.gap[worst])} at "
            f"epoch {worst + 1}; lag {effect.lag:+.2f} epochs")


def explain(variant: str, claim: str, declared: Effect, new: Effect, findings: list[Finding],
            *, where: str, alpha: float, variants: int = 1, show=points) -> str:
    """The message of a failed (or stale) gate: what was declared and where, the new
    effect, and the rule it broke. ``show`` says a gap (default: in points)."""
    whose = "this run" if new.n == 1 else "the new seeds"
    verb = "outgrow" if findings and findings[0].stale else "break"
    verb += "s it" if new.n == 1 else " it"
    return (f"{variant}: {PHRASES[claim]} ({where}; {describe(declared, alpha=alpha, show=show)}); "
            f"{whose} {verb} ({describe(new, show=show)}): "
            f"{report(claim, findings, alpha=alpha, variants=variants, show=show)}")


def explain_run(variant: str, claim: str, declared: Effect, run: Effect,
                findings: list[Finding], *, where: str, alpha: float, variants: int = 1,
                show=points) -> str:
    """The message of one run's failed gate (:func:`judge_run`)."""
    return explain(variant, claim, declared, run, findings, where=where, alpha=alpha,
                   variants=variants, show=show)
