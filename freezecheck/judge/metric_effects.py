"""Curve claims on the gates' metric, whichever way it is better.

:mod:`freezecheck.judge.claims` measures a variant's effect on curves that rise (the
lag counts the epochs to first reach the level from below). A metric where lower is
better (a loss) is handed to it negated, so the lag counts the epochs to fall to the
level; the effect comes back in the metric's own signs and units (the gap is the
variant's value minus the baseline's, the level the metric's), which is how a
declarations file stores it and a person reads it. The judgements on an effect
(claims.declare, claims.judge_run) are symmetric in the sign, so they take it as it is.
For validation accuracy nothing changes: these call claims as it is.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from freezecheck.describe.recipe import VALIDATION_ACCURACY, Metric
from freezecheck.judge import claims


def measure_effect(variant_curves, baseline_curves, *, level: float, seeds=(),
                   metric: Metric = VALIDATION_ACCURACY) -> claims.Effect:
    """claims.measure_effect on ``metric``'s curves (seeds x epochs)."""
    if metric.higher_is_better:
        return claims.measure_effect(variant_curves, baseline_curves, level=level,
                                     seeds=seeds)
    return _turned(claims.measure_effect(np.negative(variant_curves),
                                         np.negative(baseline_curves), level=-level,
                                         seeds=seeds))


def run_effect(variant_curve, baseline_curve, *, level: float, seed: int | None = None,
               metric: Metric = VALIDATION_ACCURACY) -> claims.Effect:
    """claims.run_effect on one run's ``metric`` curve and its baseline's."""
    if metric.higher_is_better:
        return claims.run_effect(variant_curve, baseline_curve, level=level, seed=seed)
    return _turned(claims.run_effect(np.negative(variant_curve),
                                     np.negative(baseline_curve), level=-level, seed=seed))


def _turned(effect: claims.Effect) -> claims.Effect:
    """An effect measured on negated curves, in the metric's own signs: the gaps and
    the level negated back; the lag (epochs), standard errors, degrees of freedom and
    spreads are the same either way."""
    def negated(values):
        return tuple(-float(v) for v in values)

    return dataclasses.replace(
        effect, level=-effect.level, gap=negated(effect.gap),
        mean_gap=None if effect.mean_gap is None else -effect.mean_gap)


def explain_run(variant: str, claim: str, declared: claims.Effect, run: claims.Effect,
                findings: list, *, where: str, alpha: float,
                metric: Metric = VALIDATION_ACCURACY) -> str:
    """claims.explain_run, with the gaps in ``metric``'s units: claims says them in
    points, which is right for a fraction (accuracy) only."""
    if metric.fraction:
        return claims.explain_run(variant, claim, declared, run, findings, where=where,
                                  alpha=alpha)

    def show(finding, value):
        return (f"{value:+.2f} epochs" if finding.what == "lag"
                else metric.show_difference(value))

    quantities = len(declared.names())
    lines = [f"{variant}: {claims.PHRASES[claim]}, in {metric.label} ({where}; "
             f"{describe(declared, metric)}); this run is outside what the declared effect "
             f"predicts for one run (prediction interval, two-sided, alpha {alpha} over "
             f"{quantities} quantities: {alpha / quantities:.2g} each; "
             f"{describe(run, metric)}):"]
    for f in findings:
        lines.append(f"  {f.what:>8}: this run {show(f, f.new)}, declared "
                     f"{show(f, f.declared)}; one run may differ from it by "
                     f"{show(f, f.bound).lstrip('+')} at most; p = {f.p_value:.2g}")
    return "\n".join(lines)


def describe(effect: claims.Effect, metric: Metric = VALIDATION_ACCURACY) -> str:
    """claims.describe, with the gap in ``metric``'s units."""
    if metric.fraction:
        return claims.describe(effect)
    worst = int(np.argmax(np.abs(effect.gap)))
    seeds = effect.seeds
    where = (f"seed {seeds[0]}: " if len(seeds) == 1
             else f"seeds {seeds[0]}-{seeds[-1]}: " if seeds else "")
    return (f"{where}largest gap {metric.show_difference(effect.gap[worst])} at epoch "
            f"{worst + 1}, lag {effect.lag:+.2f} epochs")
