"""Where the finding holds and where it breaks: the variant families, over many seeds.

Runs only with ``--freezecheck-families`` (else every test here is deselected), on the
full tier. Each variant's tests judge its runs at every seed of the session against the
expectations measured for it (freezecheck/measured.py): the bitwise check holds for every
variant and seed; accuracy and curve must do what the table declares, in both
directions. With five or more seeds the curve comparison is statistical
(freezecheck/judge/statistics.py); with fewer, the fixed tolerance at the first seed.
"""

from __future__ import annotations

import pytest

from freezecheck.builtin.families import variants as family_variants
from freezecheck.judge import claims
from freezecheck.builtin.experiment import builtin_lookup, how_to_measure
from freezecheck.judge.expectations import judge_accuracy, judge_curve
from freezecheck.judge.fingerprints import changes
from freezecheck.judge.statistics import MIN_SEEDS, centre
from freezecheck.train.backend import environment_name

pytestmark = [pytest.mark.training, pytest.mark.families]

# Tests that apply to some variants only; the others run for every variant.
APPLIES_TO = {
    "test_frozen_weights_bitwise_unchanged_at_every_seed": lambda v: bool(v.frozen),
    "test_curve_as_declared": lambda v: not v.is_baseline,
}


def pytest_generate_tests(metafunc):
    if "variant" not in metafunc.fixturenames:
        return
    from freezecheck.builtin.experiment import EXPERIMENTS, settings_for
    from freezecheck.generated import variant_cases
    from freezecheck.plugin.keys import OPTIONS_KEY

    settings = settings_for(metafunc.config.stash[OPTIONS_KEY])
    chosen = family_variants(settings.families or ("single",), settings.models)
    applies = APPLIES_TO.get(metafunc.function.__name__, lambda v: True)
    chosen = [v for v in chosen if applies(v)]
    metafunc.parametrize("variant", variant_cases(chosen, lambda v: EXPERIMENTS[v.model]))


@pytest.fixture
def runs(freezecheck_run, freezecheck_settings):
    """``runs(variant) -> [RunRecord]``, one per seed of the session."""
    return lambda variant: [freezecheck_run(variant, seed) for seed in freezecheck_settings.seeds]


@pytest.fixture
def expectations(freezecheck_settings):
    return builtin_lookup(environment_name(), freezecheck_settings.dataset)


@pytest.fixture(autouse=True)
def _full_tier_only(freezecheck_settings):
    if freezecheck_settings.tier != "full":
        pytest.skip("the families' expectations are measured on the full tier")


def declared(expectations, variant):
    expectation = expectations.expectations.get(variant.id)
    if expectation is None:
        pytest.fail(how_to_measure(expectations, variant), pytrace=False)
    return expectation


def summary(values) -> tuple[float, str]:
    """The figure a set of seeds is judged by, and what to call it."""
    what = {1: "final validation accuracy", 2: "mean final validation accuracy of 2 seeds"}
    return centre(values), what.get(
        len(values), f"olympic mean final validation accuracy of {len(values)} seeds")


def test_frozen_weights_bitwise_unchanged_at_every_seed(variant, runs):
    failures = []
    for record in runs(variant):
        paths = [p for layer in variant.frozen for p in record.variables_of(layer)]
        assert paths, f"no variables recorded for {variant.frozen}: the record is malformed"
        changed = changes(record.weights_before, record.weights_after, paths)
        failures += [f"  seed {record.recipe['seed']}: {c.describe()}" for c in changed]
    if failures:
        pytest.fail(f"{variant}: frozen variables changed during training:\n"
                    + "\n".join(failures), pytrace=False)


def test_trainable_weights_changed_at_every_seed(variant, runs):
    still = []
    for record in runs(variant):
        paths = [p for layer in variant.trainable for p in record.variables_of(layer)]
        moved = {c.path for c in changes(record.weights_before, record.weights_after, paths)}
        still += [f"seed {record.recipe['seed']}: {p}" for p in paths if p not in moved]
    if still:
        pytest.fail(f"{variant}: trainable variables ended bitwise equal to their initial "
                    f"values: {', '.join(still)}", pytrace=False)


def test_accuracy_as_declared(variant, runs, expectations, freezecheck_settings,
                              record_property):
    expectation = declared(expectations, variant)
    records = runs(variant)
    finals = [r.final_val_accuracy for r in records]
    value, what = summary(finals)
    record_property("judged_accuracy", value)
    gate = freezecheck_settings.gate(variant.model)
    slack = expectations.spreads.get(variant.model, 0.0)
    problem = judge_accuracy(value, expectation, gate, slack)
    if problem:
        seeds = ", ".join(f"{r.recipe['seed']}: {r.final_val_accuracy:.4f}" for r in records)
        pytest.fail(f"{variant}: {what} {problem} (measured in {expectations.where(variant.id)}).\n"
                    f"  per seed: {seeds}", pytrace=False)


def judged_variants(freezecheck_settings) -> int:
    """How many variants (baselines aside) the session's curve tests judge: the gate's
    alpha is split over them."""
    chosen = family_variants(freezecheck_settings.families or ("single",),
                             freezecheck_settings.models)
    return max(1, sum(not v.is_baseline for v in chosen))


def test_curve_as_declared(variant, runs, freezecheck_run, expectations, freezecheck_settings):
    expectation = declared(expectations, variant)
    seeds = freezecheck_settings.seeds
    variants = judged_variants(freezecheck_settings)
    if len(seeds) >= MIN_SEEDS:
        if expectation.curve_claim is None:
            pytest.skip(f"{variant}: measured at {len(expectation.seeds)} seed(s), fewer than "
                        f"{MIN_SEEDS}: no statistical declaration to check")
        tolerance = freezecheck_settings.gates.curve
        alpha = freezecheck_settings.alpha
        declared_effect = claims.Effect.from_dict(expectation.effect)
        new_effect = claims.measure_effect(
            [r.val_accuracy for r in runs(variant)],
            [freezecheck_run(variant.baseline, s).val_accuracy for s in seeds],
            level=tolerance.level, seeds=seeds)
        findings = claims.judge(expectation.curve_claim, declared_effect, new_effect,
                                alpha=alpha, variants=variants)
        where = expectations.where(variant.id)
        if findings:
            pytest.fail(claims.explain(variant.id, expectation.curve_claim, declared_effect,
                                       new_effect, findings, where=where, alpha=alpha,
                                       variants=variants), pytrace=False)
        improved = claims.stale(declared_effect, new_effect, alpha=alpha, variants=variants)
        if improved:
            import warnings

            from freezecheck.errors import StaleDeclarationWarning

            warnings.warn(StaleDeclarationWarning("stale declaration: " + claims.explain(
                variant.id, expectation.curve_claim, declared_effect, new_effect, [improved],
                where=where, alpha=alpha, variants=variants)))
        return
    problem, _ = judge_curve(variant, expectation, expectations.where(variant.id),
                             freezecheck_run(variant).val_accuracy,
                             freezecheck_run(variant.baseline).val_accuracy,
                             freezecheck_settings.gates.curve, freezecheck_settings.alpha,
                             source="freezecheck/builtin/expectations.json",
                             variants=variants)
    if problem:
        pytest.fail(f"at seed {seeds[0]}: {problem}", pytrace=False)
