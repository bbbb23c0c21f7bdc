"""What the several-seed mode asserts (``--freezecheck-seeds=N``, N > 1): the checks of
:mod:`freezecheck.judge.checks` over every seed of a session, as functions that return
why a variant's runs fail, or None.

- Frozen weights bitwise unchanged and trainable weights changed, at every seed.
- Accuracy: the centre of the seeds' final validation accuracies (the olympic mean from
  three seeds, statistics.centre) against the gate or the declared expectation.
- Curve: from :data:`MIN_SEEDS` seeds up, the seeds' effect against the baseline's same
  seeds is held to the effect declared for the variant (claims.judge); below that, the
  first seed's curve by the fixed tolerance, as a one-seed session at that seed.

Each message names the seeds and their figures.
"""

from __future__ import annotations

from freezecheck.judge import checks
from freezecheck.judge.statistics import MIN_SEEDS, centre


def seed_of(record) -> int:
    return record.recipe["seed"]


def frozen_weights_changed(variant, records) -> str | None:
    """Every frozen variable bitwise unchanged, at every seed."""
    return _at_every_seed(checks.frozen_weights_changed, variant, records)


def trainable_weights_unchanged(variant, records) -> str | None:
    """Every trainable variable moved, at every seed."""
    return _at_every_seed(checks.trainable_weights_unchanged, variant, records)


def _at_every_seed(check, variant, records) -> str | None:
    failed = [(seed_of(r), problem) for r in records if (problem := check(variant, r))]
    if not failed:
        return None
    seeds = ", ".join(str(seed) for seed, _ in failed)
    return (f"{variant}: failed at {len(failed)} of {len(records)} seeds ({seeds}):\n"
            + "\n".join(f"at seed {seed}: {problem}" for seed, problem in failed))


def accuracy_missed(variant, records, gate: float, expectation=None, where: str = "",
                    spread: float = 0.0, metric=None) -> str | None:
    """The centre of the seeds' final validation accuracies (or of the gates'
    ``metric``) reaches ``gate``, or keeps ``expectation``
    (judge.expectations.judge_accuracy)."""
    from freezecheck.describe.recipe import VALIDATION_ACCURACY
    from freezecheck.judge.expectations import judge_accuracy

    metric = metric or VALIDATION_ACCURACY
    finals = [metric.values(r.history, f"the run of {variant}")[-1] for r in records]
    problem = judge_accuracy(centre(finals), expectation, gate, spread, metric)
    if not problem:
        return None
    where = f" (measured in {where})" if expectation and where else ""
    per_seed = ", ".join(f"{seed_of(r)}: {final:.4f}" for r, final in zip(records, finals))
    return (f"{variant}: {summary_name(len(finals), metric.label)} {problem}{where}.\n"
            f"  final {metric.label} per seed: {per_seed}")


def summary_name(seeds: int, label: str = "validation accuracy") -> str:
    """What the figure a set of seeds is judged by is called (statistics.centre)."""
    if seeds == 1:
        return f"final {label}"
    if seeds == 2:
        return f"mean final {label} of 2 seeds"
    return f"olympic mean final {label} of {seeds} seeds"


def curve_breaks_claim(variant, declared, curves, baseline_curves, seeds, tolerance,
                       alpha: float, *, variants: int = 1) -> str | None:
    """The curves of ``seeds`` (seeds x epochs, the variant's and its baseline's) held
    to the effect declared for the variant (``declared``: experiment.Declared) by the
    one-sided regression gate, alpha split over the session's ``variants``; at least
    :data:`MIN_SEEDS` seeds. A gain beyond the same bound is a stale declaration
    (StaleDeclarationWarning, saying ``declared.regenerate``), not a failure. Raises a
    ConfigError when the effect cannot be compared (other epochs: another recipe)."""
    import warnings

    from freezecheck.judge import claims, metric_effects

    expectation = declared.expectation
    claim = expectation.curve_claim
    declared_effect = claims.Effect.from_dict(expectation.effect)
    new_effect = metric_effects.measure_effect(curves, baseline_curves, level=tolerance.level,
                                               seeds=seeds, metric=tolerance.metric)
    again = f"\nIf this is the new behaviour, measure it again and regenerate {declared.source}."
    findings = claims.judge(claim, declared_effect, new_effect, alpha=alpha, variants=variants)
    if findings:
        return metric_effects.explain(variant.id, claim, declared_effect, new_effect, findings,
                                      where=declared.where, alpha=alpha, variants=variants,
                                      metric=tolerance.metric) + again
    improved = claims.stale(declared_effect, new_effect, alpha=alpha, variants=variants)
    if improved:
        warnings.warn(metric_effects.stale_warning(
            variant.id, claim, declared_effect, new_effect, improved, where=declared.where,
            alpha=alpha, variants=variants, metric=tolerance.metric,
            regenerate=declared.regenerate or f"measure it again and regenerate "
                                              f"{declared.source}"), stacklevel=2)
    return None


def why_no_claim(variant, declared, seeds) -> str:
    """Why ``variant``'s curve has no claim to be judged by at ``seeds`` (a skip when
    the variant was measured at fewer seeds, a failure when nothing is declared)."""
    expectation = declared.expectation
    if expectation is not None:
        measured = ", ".join(map(str, expectation.seeds))
        return (f"{variant}: measured at {len(expectation.seeds)} seed(s) ({measured}; "
                f"{declared.where}), fewer than {MIN_SEEDS}: no curve claim declared, so "
                f"the curve is not judged at seeds {seeds[0]}-{seeds[-1]}. Measure "
                f"{MIN_SEEDS} or more seeds and regenerate {declared.source} to judge it.")
    return (f"{variant}: nothing is declared about its curve ({declared.where}), and "
            f"--freezecheck-seeds={len(seeds)} judges a curve by the claim measured over "
            f"{MIN_SEEDS} or more seeds. Measure it (`freezecheck measure --experiment "
            f"... --seeds {MIN_SEEDS}`) and declare it (`freezecheck declare`), or run "
            f"with --freezecheck-seeds={MIN_SEEDS - 1} or fewer (the first seed's curve "
            f"by the tolerance).")
