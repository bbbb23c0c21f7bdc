"""What each variant is expected to do, per environment and data set.

Pure Python. The table itself is data, a declarations file
(freezecheck/judge/declarations.py), made from real training runs by a command (never
written by hand); this module looks a variant up in it and judges a run against it. For each variant it holds the final
validation accuracy of every measured seed and whether the curve followed the
baseline's, so a variant is declared either to reach the gate (every measured seed did)
or to fall short of it, with the measured floor and ceiling. Tests assert the
declaration in both directions: a variant that reaches the gate and should not is
reported as loudly as one that misses it.

TensorFlow promises identical results only within one version, so each environment has
its own measurements; a variant an environment has none of its own for (never measured
there) is judged by the default environment's, and every message says so.
"""

from __future__ import annotations

import dataclasses
import math

from freezecheck.describe.recipe import VALIDATION_ACCURACY, Metric
from freezecheck.describe.variants import DEFAULT_INIT, parse_id

@dataclasses.dataclass(frozen=True)
class Expectation:
    """One variant's measured behaviour in one environment, on one data set."""

    seeds: tuple[int, ...]
    """The measured seeds."""
    finals: tuple[float, ...]
    """Final value of the gates' metric (validation accuracy unless the gates name
    another) per seed, in seed order."""
    follows_baseline: bool
    """At the first seed, the curve kept the full tier's tolerance."""
    curve_claim: str | None = None
    """With >= 5 seeds of the variant and its baseline: what those seeds establish
    about the mean paired gap against the margin (``follows``, ``small difference``,
    ``leaves`` or ``undetermined``; freezecheck/judge/claims.py)."""
    effect: dict | None = None
    """The measured effect ``curve_claim`` rests on, as stored (see
    claims.Effect.as_dict)."""

    @property
    def floor(self) -> float:
        """The lowest final value measured."""
        return min(self.finals)

    @property
    def ceiling(self) -> float:
        """The highest final value measured."""
        return max(self.finals)

    def kind(self, gate: float, metric: Metric = VALIDATION_ACCURACY) -> str:
        """``reaches`` (every seed reached ``gate``: at or above it, or at or below it
        where lower is better), ``short`` (none did) or ``mixed``."""
        reached = [metric.reaches(final, gate) for final in self.finals]
        if all(reached):
            return "reaches"
        return "short" if not any(reached) else "mixed"

    def describe(self, gate: float, metric: Metric = VALIDATION_ACCURACY) -> str:
        """The kind and the measured range, as messages say it."""
        spread = (metric.show(self.floor) if len(self.finals) == 1
                  else f"{metric.show(self.floor)} to {metric.show(self.ceiling)}")
        seeds = "seed" if len(self.seeds) == 1 else "seeds"
        return (f"{self.kind(gate, metric)} ({spread} at {seeds} "
                f"{', '.join(map(str, self.seeds))})")


@dataclasses.dataclass(frozen=True)
class Lookup:
    """The expectations that apply to a session, and where each was measured."""

    environment: str  # the session's
    dataset: str
    default_environment: str  # whose measurements stand in for the session's
    expectations: dict[str, Expectation]
    measured_in: dict[str, str]  # variant id -> the environment it was measured in
    # per model, its baseline's highest minus lowest final accuracy over >= 5 seeds
    spreads: dict[str, float]
    # the metrics the expectations were declared on (declarations name any but
    # validation accuracy), as judge_accuracy must read them
    metrics: frozenset = frozenset({"val_accuracy"})

    def where(self, variant_id: str) -> str:
        """Where ``variant_id``'s expectation was measured, as messages say it."""
        source = self.measured_in.get(variant_id)
        if source == self.environment:
            return f"{source}, {self.dataset}"
        if source is None:
            searched = (self.environment if self.environment == self.default_environment
                        else f"{self.environment} or {self.default_environment}")
            return f"{searched}, {self.dataset}"
        return (f"{source}, {self.dataset}; {self.environment} has no measurements of "
                f"its own for it")


def lookup(environment: str, dataset: str, table: dict,
           default_environment: str) -> Lookup:
    """The expectations for ``dataset`` in ``environment``, from ``table`` (a
    declarations table, freezecheck/judge/declarations.py): per variant its own
    measurement there, else ``default_environment``'s. Likewise per model the seed
    spread, which takes five seeds of the baseline: an environment measured at one seed
    borrows the default one's, as the width other seeds land within."""
    expectations, measured_in, spreads, metrics = {}, {}, {}, set()
    for source in dict.fromkeys((default_environment, environment)):  # own last: it wins
        part = table.get(source, {}).get(dataset, {})
        if part.get("variants"):
            metrics.add((part.get("metric") or {}).get("name", "val_accuracy"))
        for variant, row in part.get("variants", {}).items():
            expectations[variant] = Expectation(
                seeds=tuple(row["seeds"]), finals=tuple(row["finals"]),
                follows_baseline=row["follows_baseline"],
                curve_claim=row.get("curve_claim"), effect=row.get("effect"))
            measured_in[variant] = source
        spreads.update(part.get("seed_spread") or {})
    return Lookup(environment=environment, dataset=dataset,
                  default_environment=default_environment, expectations=expectations,
                  measured_in=measured_in, spreads=spreads,
                  metrics=frozenset(metrics or {"val_accuracy"}))


def judge_accuracy(value: float, expectation: Expectation | None, gate: float,
                   slack: float, metric: Metric = VALIDATION_ACCURACY) -> str | None:
    """Why ``value`` (a final accuracy, or the olympic mean of several seeds'; or of
    the gates' ``metric``) breaks ``expectation``; None if it keeps it. Without an
    expectation, the gate applies.

    A declared shortfall must stay short of the gate and must not fall below its
    measured floor by more than the seed spread; a mixed variant may leave its measured
    range by the seed spread on either side. The seed spread is the larger of ``slack``
    (its model's baseline: highest minus lowest final accuracy over its seeds) and the
    variant's own measured range: other seeds, or another environment, land anywhere
    within about that much of the measured ones.
    """
    if expectation is None or expectation.kind(gate, metric) == "reaches":
        if metric.reaches(value, gate):
            return None
        declared = "" if expectation is None else (
            f"; declared to reach it: {expectation.describe(gate, metric)}")
        side = "below" if metric.higher_is_better else "above"
        return f"{value:.4f} is {side} the gate {gate:.4f}{declared}"
    spread = max(slack, expectation.ceiling - expectation.floor)
    low, high = expectation.floor - spread, expectation.ceiling + spread
    if expectation.kind(gate, metric) == "short" and metric.reaches(value, gate):
        return (f"{value:.4f} reaches the gate {gate:.4f}, but is declared to fall short "
                f"of it: {expectation.describe(gate, metric)}. If this is the new "
                f"behaviour, measure it again and regenerate the table")
    if not low <= value <= high:
        return (f"{value:.4f} is outside the declared {expectation.describe(gate, metric)}, "
                f"widened by the seed spread {spread:.4f} to [{low:.4f}, {high:.4f}]")
    return None


def measured_gates(found: Lookup) -> dict[str, float]:
    """model -> a gate measured from its baseline in ``found``: the lowest final
    validation accuracy over the measured seeds, rounded down to a tenth of a point."""
    gates = {}
    for variant_id, expectation in found.expectations.items():
        model, frozen, init = parse_id(variant_id)
        if not frozen and init == DEFAULT_INIT:
            gates[model] = gate_from_baseline(expectation.finals)
    return gates


def gate_from_baseline(finals) -> float:
    """The lowest of a baseline's final accuracies, rounded down to a tenth of a point."""
    return math.floor(min(finals) * 1000) / 1000


def judge_curve(variant, expectation: Expectation | None, where: str, run_curve,
                baseline_curve, tolerance, alpha: float, *, source: str, variants: int = 1,
                regenerate: str = "") -> tuple[str | None, float]:
    """Why one run's curve (one seed of ``variant`` and of its baseline) breaks what is
    declared for it, or None; and the largest per-epoch gap between the two. The curves
    are of ``tolerance.metric``: validation accuracy, unless the gates name another.

    - Declared over five or more seeds (any claim): the one-sided regression gate at
      n = 1 (claims.judge_run): the run's mean gap to its baseline must not fall below
      the declared mean gap by more than t * s_ref * sqrt(1 + 1/n_ref), alpha split
      over the session's ``variants``. A run above it by as much is reported as a
      stale declaration (StaleDeclarationWarning, its figures and ``regenerate``, the
      command that regenerates ``source``, on it), not a failure. The per-epoch gaps
      and the lag are in the message, not gated on alone.
    - Nothing declared (the smoke tier, an unmeasured variant), or declared from fewer
      seeds: the tolerance, band and lag (freezecheck/judge/curves.py), to be kept, or
      left if the one measured seed left it.
    """
    import warnings

    from freezecheck.judge import metric_effects
    from freezecheck.judge.curves import compare_curves

    comparison = compare_curves(run_curve, baseline_curve, tolerance)
    metric = tolerance.metric
    name, baseline_name = variant.id, variant.baseline.id
    curves = (f"\n  {name}: {', '.join(f'{a:.4f}' for a in run_curve)}"
              f"\n  {baseline_name}: {', '.join(f'{a:.4f}' for a in baseline_curve)}")
    again = f"\nIf this is the new behaviour, measure it again and regenerate {source}."
    claim = expectation.curve_claim if expectation else None
    if claim is not None:
        from freezecheck.judge import claims

        effect = claims.Effect.from_dict(expectation.effect)
        run = metric_effects.run_effect(run_curve, baseline_curve, level=effect.level,
                                        metric=metric)
        findings = claims.judge_run(effect, run, alpha=alpha, variants=variants)
        if findings:
            return (metric_effects.explain(name, claim, effect, run, findings, where=where,
                                           alpha=alpha, variants=variants, metric=metric)
                    + again + curves, comparison.largest_deviation)
        improved = claims.stale(effect, run, alpha=alpha, variants=variants)
        if improved:
            warnings.warn(metric_effects.stale_warning(
                name, claim, effect, run, improved, where=where, alpha=alpha,
                variants=variants, metric=metric,
                regenerate=regenerate or f"measure it again and regenerate {source}"),
                stacklevel=2)
        return None, comparison.largest_deviation
    wanted = expectation is None or expectation.follows_baseline
    if wanted and not comparison.ok:
        return comparison.report(name, baseline_name) + curves, comparison.largest_deviation
    if not wanted and comparison.ok:
        largest = (f"{comparison.largest_deviation * 100:.2f} points" if metric.fraction
                   else f"{comparison.largest_deviation:.4f}")
        return (f"{name}: declared to leave its baseline's curve tolerance (measured in "
                f"{where}), but keeps it (largest gap {largest})." + again + curves), \
            comparison.largest_deviation
    return None, comparison.largest_deviation
