"""Claims against a margin, and the one-sided regression gate (freezecheck/judge/claims.py,
freezecheck/judge/replication.py)."""

import numpy as np
import pytest
from scipy import stats

from freezecheck.errors import ConfigError
from freezecheck.judge import claims
from freezecheck.judge.replication import replicate

MARGIN, LEVEL, ALPHA = 0.0015, 0.97, 0.01


def curves(rng, seeds, epochs=10, shift=0.0, noise=0.002, delay=0.0):
    """Smooth rising curves, ``delay`` epochs late, shifted and with noise per seed."""
    t = np.arange(1, epochs + 1) - delay
    base = 1 - 0.1 * np.exp(-np.maximum(t, 0) / 2)
    return np.clip(base + shift + rng.normal(0, noise, (seeds, epochs)), 0, 1)


def pair(rng, seeds=5, shift=0.0, noise=0.002, delay=0.0):
    return (curves(rng, seeds, shift=shift, noise=noise, delay=delay),
            curves(rng, seeds, noise=noise))


def effect(rng, shift=0.0, seeds=5, noise=0.002, delay=0.0, first=0):
    a, b = pair(rng, seeds, shift, noise, delay)
    return claims.measure_effect(a, b, level=LEVEL, seeds=range(first, first + seeds))


def declare(e, margin=MARGIN):
    return claims.declare(e, margin=margin, alpha=ALPHA)


def test_the_primary_quantity_is_the_per_seed_paired_gap_of_the_mean_over_epochs():
    variant = [[0.90, 0.96, 0.98], [0.91, 0.95, 0.99]]
    baseline = [[0.92, 0.97, 0.98], [0.90, 0.96, 0.99]]
    e = claims.measure_effect(variant, baseline, level=0.96, seeds=[3, 4])
    assert e.mean_gaps == pytest.approx([-0.01, 0.0])
    assert e.final_gaps == pytest.approx([0.0, 0.0])
    assert e.gap == pytest.approx([-0.005, -0.01, 0.0])
    assert e.lag == pytest.approx(0.5)  # seed 3 reaches 96% an epoch later
    assert e.seeds == (3, 4) and e.n == 2


def test_claims_against_the_margin():
    rng = np.random.default_rng(0)
    assert declare(effect(rng, seeds=10, noise=0.0005)) == "follows"
    assert declare(effect(rng, shift=-0.0007, seeds=10, noise=0.0003)) == "small difference"
    assert declare(effect(rng, shift=-0.01, seeds=5)) == "leaves"
    assert declare(effect(rng, shift=-0.0015, seeds=5, noise=0.01)) == "undetermined"


def test_the_margin_is_what_decides_follows_from_leaves():
    e = effect(np.random.default_rng(1), shift=-0.004, seeds=10, noise=0.0005)
    assert declare(e, margin=0.0015) == "leaves"
    assert declare(e, margin=0.01) == "small difference"


def test_a_session_below_the_declared_gap_by_more_than_the_bound_fails():
    rng = np.random.default_rng(2)
    declared = effect(rng, seeds=10)
    claim = declare(declared)
    assert not claims.judge(claim, declared, effect(rng, seeds=5), alpha=ALPHA)
    dropped = effect(rng, seeds=5, shift=-0.004)
    findings = claims.judge(claim, declared, dropped, alpha=ALPHA)
    assert len(findings) == 1 and not findings[0].stale
    verdict = findings[0].verdict
    assert verdict.new < verdict.declared - verdict.bound
    assert verdict.bound == pytest.approx(stats.t.isf(ALPHA, 9) * declared.spread
                                          * np.sqrt(1 / 5 + 1 / 10))


def test_an_improvement_is_a_stale_declaration_not_a_failure():
    rng = np.random.default_rng(3)
    declared = effect(rng, seeds=10, shift=-0.005)
    better = effect(rng, seeds=5)
    assert not claims.judge(declare(declared), declared, better, alpha=ALPHA)
    stale = claims.stale(declared, better, alpha=ALPHA)
    assert stale is not None and stale.stale
    assert "above the declared" in claims.report("leaves", [stale], alpha=ALPHA)
    assert claims.stale(declared, effect(rng, seeds=5, shift=-0.005), alpha=ALPHA) is None


def test_one_run_is_judged_by_the_same_rule_with_n_1():
    rng = np.random.default_rng(4)
    declared = effect(rng, seeds=10)
    a, b = pair(rng, 1, shift=-0.01)
    run = claims.run_effect(a[0], b[0], level=LEVEL, seed=12)
    findings = claims.judge_run(declared, run, alpha=ALPHA, variants=9)
    assert findings
    verdict = findings[0].verdict
    assert verdict.n == 1 and verdict.alpha_each == pytest.approx(ALPHA / 9)
    assert verdict.bound == pytest.approx(stats.t.isf(ALPHA / 9, 9) * declared.spread
                                          * np.sqrt(1 + 1 / 10))
    message = claims.explain_run("v[x]", "follows", declared, run, findings, where="env, data",
                                 alpha=ALPHA, variants=9)
    assert "this run breaks it (seed 12:" in message
    assert "alpha 0.01 over 9 variant(s)" in message and "sqrt(1/1 + 1/10)" in message


@pytest.mark.parametrize("n", [1, 5])
@pytest.mark.parametrize("shift", [0.0, -0.004, -0.03])
def test_unchanged_code_fails_the_gate_at_most_about_alpha_of_the_time(n, shift):
    """Declared from ten seeds, judged on n fresh ones of the same law, 400 times (fixed
    draws). The gate is one-sided at alpha, so about 4 failures are expected; 10 or
    more would have probability below 0.01 if the rate were alpha."""
    rng = np.random.default_rng(5)
    failures = stale = 0
    for _ in range(400):
        declared = effect(rng, shift=shift, seeds=10)
        new = effect(rng, shift=shift, seeds=n)
        failures += bool(claims.judge(declare(declared), declared, new, alpha=ALPHA))
        stale += claims.stale(declared, new, alpha=ALPHA) is not None
    assert failures < 10 and stale < 10, (failures, stale)


def test_a_drop_of_a_few_tenths_of_a_point_is_caught_at_five_seeds():
    rng = np.random.default_rng(6)
    caught = 0
    for _ in range(50):
        declared = effect(rng, seeds=10)
        caught += bool(claims.judge("follows", declared, effect(rng, shift=-0.003, seeds=5),
                                    alpha=ALPHA))
    assert caught >= 45


def test_effects_survive_their_stored_form_and_an_old_one_is_refused():
    e = effect(np.random.default_rng(7))
    again = claims.Effect.from_dict(e.as_dict())
    assert again.mean_gaps == pytest.approx(e.mean_gaps, abs=1e-6)
    assert again.seeds == e.seeds and again.lag == pytest.approx(e.lag)
    with pytest.raises(ConfigError, match="regenerate the declarations"):
        claims.Effect.from_dict({"seeds": [0], "level": 0.9, "gap": [0.0], "gap_se": [0.0]})


def test_bad_inputs_are_refused_by_name():
    rng = np.random.default_rng(8)
    e = effect(rng)
    with pytest.raises(ConfigError, match="margin expected a number in"):
        claims.declare(e, margin=0, alpha=ALPHA)
    with pytest.raises(ValueError, match="claim expected one of"):
        claims.judge("maybe", e, e, alpha=ALPHA)
    with pytest.raises(ConfigError, match="not trained on the same recipe"):
        claims.judge("follows", e, claims.measure_effect(np.ones((5, 3)), np.ones((5, 3)),
                                                         level=LEVEL), alpha=ALPHA)
    small = effect(rng, seeds=4)
    with pytest.raises(ConfigError, match="needs at least 5"):
        claims.judge("follows", small, e, alpha=ALPHA)
    with pytest.raises(ConfigError, match="a claim needs at least 5 seeds"):
        declare(small)
    with pytest.raises(ValueError, match="paired curves expected"):
        claims.measure_effect(np.zeros((4, 3)), np.zeros((5, 3)), level=LEVEL)
    with pytest.raises(ValueError, match="variants expected a positive integer"):
        claims.judge("follows", e, e, alpha=ALPHA, variants=0)


def test_replication_judges_each_half_by_the_other_at_five_seeds_and_one():
    rng = np.random.default_rng(9)
    a, b = pair(rng, 10, shift=-0.002)
    result = replicate(a, b, range(10), level=LEVEL, margin=MARGIN, alpha=ALPHA,
                       variant="v[x]")
    assert (result.judgements, result.run_judgements) == (2, 10)
    assert result.failures == result.run_failures == 0
    assert all(c in claims.CLAIMS for c in (*result.claims, result.claim_all))
    with pytest.raises(ConfigError, match="v\\[x\\]: replication needs 10 seeds"):
        replicate(a[:9], b[:9], range(9), level=LEVEL, margin=MARGIN, alpha=ALPHA,
                  variant="v[x]")


def test_replication_fails_a_half_whose_gap_dropped():
    rng = np.random.default_rng(10)
    a, b = pair(rng, 10)
    a[5:] -= 0.005  # the second half learned half a point worse at every epoch
    result = replicate(a, b, range(10), level=LEVEL, margin=MARGIN, alpha=ALPHA)
    assert result.failures == 1 and result.stale == 1  # one direction fails, the other improves
