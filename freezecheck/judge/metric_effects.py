"""Effects on the gates' metric, whichever way it is better.

:mod:`freezecheck.judge.claims` works on curves that rise: a gap is the variant's value
minus its baseline's, the lag counts the epochs to first reach the level from below,
and its regression gate is one-sided, failing a gap that falls. A metric where lower is
better (a loss) is handed to it negated, so its gaps are signed as for an accuracy,
positive where the variant is better (the baseline's loss minus the variant's), the lag
counts the epochs to fall to the level, and the one-sided gate fails a loss that rises.
Such an effect is declared and judged in that orientation; its ``level`` is kept in the
metric's own units, as the gates state it. Messages say gaps in the metric's units
(points for a fraction). For validation accuracy nothing changes: these call claims as
it is.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from freezecheck.describe.recipe import VALIDATION_ACCURACY, Metric
from freezecheck.judge import claims


def measure_effect(variant_curves, baseline_curves, *, level: float, seeds=(),
                   metric: Metric = VALIDATION_ACCURACY) -> claims.Effect:
    """claims.measure_effect on ``metric``'s curves (seeds x epochs), gaps positive
    where the variant is better."""
    if metric.higher_is_better:
        return claims.measure_effect(variant_curves, baseline_curves, level=level,
                                     seeds=seeds)
    effect = claims.measure_effect(np.negative(variant_curves), np.negative(baseline_curves),
                                   level=-level, seeds=seeds)
    return dataclasses.replace(effect, level=level)  # the level as the gates state it


def run_effect(variant_curve, baseline_curve, *, level: float, seed: int | None = None,
               metric: Metric = VALIDATION_ACCURACY) -> claims.Effect:
    """claims.run_effect on one run's ``metric`` curve and its baseline's."""
    return measure_effect([variant_curve], [baseline_curve], level=level,
                          seeds=() if seed is None else (seed,), metric=metric)


def show(metric: Metric):
    """How messages say a gap of ``metric``: in points for a fraction, else as it is."""
    return claims.points if metric.fraction else metric.show_difference


def explain(variant: str, claim: str, declared: claims.Effect, new: claims.Effect,
            findings: list, *, where: str, alpha: float, variants: int = 1,
            metric: Metric = VALIDATION_ACCURACY) -> str:
    """claims.explain in ``metric``'s units, saying how a lower-is-better metric's gaps
    are signed."""
    text = claims.explain(variant, claim, declared, new, findings, where=where, alpha=alpha,
                          variants=variants, show=show(metric))
    if metric.higher_is_better:
        return text
    return (f"{text}\n(gaps of {metric.label} are signed as for an accuracy: the "
            f"baseline's value minus the variant's, positive where the variant is better)")


def stale_warning(variant: str, claim: str, declared: claims.Effect, new: claims.Effect,
                  finding, *, where: str, alpha: float, variants: int = 1,
                  metric: Metric = VALIDATION_ACCURACY, regenerate: str):
    """The StaleDeclarationWarning of ``finding`` (claims.stale): its text is the full
    explanation and how to regenerate; its ``stale`` the figures the session report
    shows, with a one-paragraph message saying the variant, the declared and new mean
    gaps, the gate's bound and ``regenerate``."""
    from freezecheck.errors import StaleDeclarationWarning

    say, verdict = show(metric), finding.verdict
    signed = ("" if metric.higher_is_better else
              f" (gaps of {metric.label} signed positive where the variant is better)")
    message = (f"{variant}: stale declaration, not a failure: the mean gap over {verdict.n} "
               f"seed(s) is {say(verdict.new)}, above the declared {say(verdict.declared)} "
               f"by more than the bound {say(verdict.bound).lstrip('+')}{signed}. "
               f"Regenerate the declarations: {regenerate}")
    figures = {"variant": variant, "claim": claim, "metric": metric.name, "seeds": verdict.n,
               "reference_seeds": verdict.n_ref, "declared_mean_gap": verdict.declared,
               "new_mean_gap": verdict.new, "bound": verdict.bound, "regenerate": regenerate,
               "message": message}
    detail = explain(variant, claim, declared, new, [finding], where=where, alpha=alpha,
                     variants=variants, metric=metric)
    return StaleDeclarationWarning(f"stale declaration: {detail}\nRegenerate the "
                                   f"declarations: {regenerate}", figures)
