"""Declaring a curve claim from seeds and judging new seeds by it (freezecheck/judge/claims.py)."""

import numpy as np
import pytest

from freezecheck.errors import ConfigError
from freezecheck.judge import claims

BAND, LAG, LEVEL, ALPHA = 0.015, 2, 0.97, 0.01


def curves(rng, seeds, epochs=10, shift=0.0, noise=0.002, delay=0.0):
    """Smooth rising curves, ``delay`` epochs late, shifted and with noise per seed."""
    t = np.arange(1, epochs + 1) - delay
    base = 1 - 0.1 * np.exp(-np.maximum(t, 0) / 2)
    return np.clip(base + shift + rng.normal(0, noise, (seeds, epochs)), 0, 1)


def effect(rng, shift=0.0, seeds=5, noise=0.002, delay=0.0):
    return claims.measure_effect(curves(rng, seeds, shift=shift, noise=noise, delay=delay),
                                 curves(rng, seeds, noise=noise), level=LEVEL,
                                 seeds=range(seeds))


def declare(e):
    return claims.declare(e, band=BAND, max_lag=LAG, alpha=ALPHA)


def judge(claim, declared, new):
    return claims.judge(claim, declared, new, band=BAND, max_lag=LAG, alpha=ALPHA)


def test_a_variant_drawn_like_its_baseline_is_declared_to_follow_it():
    assert declare(effect(np.random.default_rng(0))) == "follows"


def test_a_clear_and_large_difference_is_declared_to_leave():
    assert declare(effect(np.random.default_rng(0), shift=-0.03)) == "leaves"


def test_noise_too_large_to_say_either_is_undetermined():
    # Seeds spread by 2 points: no equivalence within 1.5 points, no difference from 0.
    assert declare(effect(np.random.default_rng(0), noise=0.02)) == "undetermined"


def test_a_significant_gap_inside_the_band_counts_as_following():
    e = effect(np.random.default_rng(0), shift=-0.004, noise=0.0005)
    assert declare(e) == "follows"


def test_follows_holds_each_epoch_to_the_band_with_confidence():
    rng = np.random.default_rng(1)
    declared = effect(rng)
    findings = judge("follows", declared, effect(rng, shift=-0.04))
    epochs = [f for f in findings if f.what.startswith("epoch")]
    assert epochs and all(f.new < -BAND and f.bound == -BAND for f in epochs)


def test_follows_holds_the_mean_gap_to_its_measured_value_not_to_the_band():
    """Slower by 0.8 points at every epoch: inside the 1.5-point band at each, so only
    the mean gap, held to what was measured, sees it; a gap merely not shown to be
    inside the band (noisier seeds) is no finding."""
    rng = np.random.default_rng(1)
    declared = effect(rng)
    findings = judge("follows", declared, effect(rng, shift=-0.008))
    assert [f.what for f in findings] == ["mean"]
    assert findings[0].declared == pytest.approx(declared.mean_gap)
    assert findings[0].bound < BAND / 3
    assert judge("follows", declared.without_mean(), effect(rng, shift=-0.008)) == []
    assert judge("follows", declared, effect(rng)) == []


def test_follows_is_broken_by_a_lag_beyond_max_lag():
    rng = np.random.default_rng(2)
    late = effect(rng, delay=5, noise=0.0005)
    findings = judge("follows", effect(rng), late)
    assert "lag" in {f.what for f in findings}


def test_leaves_is_kept_by_the_same_effect_and_broken_by_a_vanished_or_flipped_one():
    rng = np.random.default_rng(3)
    declared = effect(rng, shift=-0.03)
    assert judge("leaves", declared, effect(rng, shift=-0.03)) == []
    vanished = judge("leaves", declared, effect(rng))
    flipped = judge("leaves", declared, effect(rng, shift=+0.02))
    assert vanished and flipped
    assert all(f.declared < 0 for f in vanished)


def significant_at_an_epoch(e) -> bool:
    """Whether some epoch's gap alone differs from zero (Bonferroni over the quantities)."""
    from scipy import stats

    estimate, se, dof = e.quantities()
    k = e.epochs
    return bool(np.any(np.abs(estimate[:k])
                       > stats.t.isf(ALPHA / len(estimate) / 2, dof[:k]) * se[:k]))


def test_a_lost_significance_is_no_failure():
    """The false alarm this module exists to remove: a small effect declared from some
    seeds, not significant at any epoch at others, is consistent with its declaration."""
    rng = np.random.default_rng(29)
    declared = claims.measure_effect(curves(rng, 5, shift=-0.004), curves(rng, 5), level=LEVEL)
    new = claims.measure_effect(curves(rng, 5, shift=-0.004), curves(rng, 5), level=LEVEL)
    assert declare(declared) == "leaves" and significant_at_an_epoch(declared)
    assert not significant_at_an_epoch(new) and declare(new) != "leaves"
    assert judge("leaves", declared, new) == []


def test_an_effect_shrunk_at_every_epoch_is_caught_by_the_mean_gap():
    """A quarter of the declared effect at every epoch: within each epoch's scatter, but
    not on average over the epochs."""
    rng = np.random.default_rng(4)
    declared = claims.measure_effect(curves(rng, 5, shift=-0.004), curves(rng, 5), level=LEVEL)
    new = claims.measure_effect(curves(rng, 5, shift=-0.001), curves(rng, 5), level=LEVEL)
    findings = judge(declare(declared), declared, new)
    assert [f.what for f in findings] == ["mean"]
    assert judge(declare(declared), declared.without_mean(), new) == []  # per epoch: unseen


def test_report_names_the_test_the_epochs_and_the_limits():
    rng = np.random.default_rng(5)
    declared = effect(rng, shift=-0.03)
    findings = judge("leaves", declared, effect(rng))
    text = claims.report("leaves", findings, alpha=ALPHA, quantities=11, band=BAND, max_lag=LAG)
    assert "inconsistent with the declared one" in text and "alpha 0.01 over 11" in text
    assert "declared -3." in text and "p = " in text
    findings = judge("follows", effect(rng), effect(rng, shift=-0.04))
    text = claims.report("follows", findings, alpha=ALPHA, quantities=12, band=BAND, max_lag=LAG)
    assert "beyond the tolerance (band +-1.50 points, lag +-2 epochs)" in text
    assert "the limit is -1.50 points" in text
    assert "the mean gap is inconsistent with the declared one" in text
    assert "    mean: now -4." in text


def test_effects_survive_their_stored_form():
    e = effect(np.random.default_rng(6))
    again = claims.Effect.from_dict(e.as_dict())
    assert again.seeds == e.seeds and again.gap == pytest.approx(e.gap, abs=1e-6)
    assert declare(again) == declare(e)


def test_bad_inputs_are_refused_by_name():
    e = effect(np.random.default_rng(7))
    with pytest.raises(ValueError, match="claim expected one of"):
        claims.judge("differs", e, e, band=BAND, max_lag=LAG, alpha=ALPHA)
    short = claims.measure_effect(np.full((5, 3), 0.9), np.full((5, 3), 0.9), level=LEVEL)
    with pytest.raises(ConfigError, match="3 epochs"):
        claims.judge("follows", e, short, band=BAND, max_lag=LAG, alpha=ALPHA)
    with pytest.raises(ConfigError, match="at least 5 seeds of the variant; got 4"):
        claims.measure_effect(np.zeros((4, 3)), np.zeros((5, 3)), level=LEVEL)


@pytest.mark.parametrize("shift", [0.0, -0.004, -0.03])
def test_an_unchanged_variant_breaks_its_own_declaration_at_most_alpha_of_the_time(shift):
    """Declared from five seeds and judged on five fresh ones of the same law, 300
    times: the claims fail in at most alpha of the judgements (fixed draws, so the
    figure is the same at every run: 0, 1 and 1 of 300 when this was written)."""
    rng = np.random.default_rng(0)
    trials = 300
    failures = 0
    for _ in range(trials):
        declared, new = effect(rng, shift=shift), effect(rng, shift=shift)
        failures += bool(judge(declare(declared), declared, new))
    assert failures <= ALPHA * trials, f"{failures} of {trials} judgements failed"


def test_replication_counts_every_split_both_ways_and_catches_at_most_alpha_in_one_law():
    """Ten independent draws of ten seeds. The 252 splits of one draw share its seeds,
    so one unusual seed fails many of them (4 of 252 in the first draw); the rate is
    judged over the draws (10 of 2,520 when this was written)."""
    rng = np.random.default_rng(8)
    failures = judgements = 0
    for _ in range(10):
        variant, baseline = curves(rng, 10, shift=-0.004), curves(rng, 10)
        result = claims.replication_failures(variant, baseline, range(10), band=BAND,
                                             max_lag=LAG, level=LEVEL, alpha=ALPHA)
        assert result.judgements == 252  # C(10, 5): each half declares once
        assert sum(result.claims.values()) == 252
        failures += result.failures
        judgements += result.judgements
    assert failures <= ALPHA * judgements, f"{failures} of {judgements} judgements failed"


def test_replication_needs_two_halves_of_five():
    with pytest.raises(ConfigError, match="two halves of at least 5 seeds; got 9"):
        claims.replication_failures(np.zeros((9, 3)), np.zeros((9, 3)), range(9), band=BAND,
                                    max_lag=LAG, level=LEVEL, alpha=ALPHA, variant="v")


def one_run(rng, shift=0.0, noise=0.002, delay=0.0):
    return claims.run_effect(curves(rng, 1, shift=shift, noise=noise, delay=delay)[0],
                             curves(rng, 1, noise=noise)[0], level=LEVEL, seed=0)


@pytest.mark.parametrize("shift", [0.0, -0.004, -0.03])
def test_one_unchanged_run_breaks_its_declared_effect_at_most_alpha_of_the_time(shift):
    """Declared from five seeds, one fresh run of the same law judged by it, 300 times
    (fixed draws: 0, 0 and 0 of 300 when this was written)."""
    rng = np.random.default_rng(10)
    trials = 300
    failures = sum(bool(claims.judge_run(effect(rng, shift=shift), one_run(rng, shift=shift),
                                         alpha=ALPHA)) for _ in range(trials))
    assert failures <= ALPHA * trials, f"{failures} of {trials} judgements failed"


def test_one_run_whose_effect_vanished_grew_or_came_late_breaks_it():
    rng = np.random.default_rng(11)
    declared = effect(rng, shift=-0.03)
    for changed in (one_run(rng), one_run(rng, shift=-0.08), one_run(rng, shift=-0.03, delay=6)):
        findings = claims.judge_run(declared, changed, alpha=ALPHA)
        assert findings and all(f.new_se == 0.0 for f in findings)
    assert claims.judge_run(declared, one_run(rng, shift=-0.03), alpha=ALPHA) == []


def test_one_run_is_explained_with_its_interval():
    rng = np.random.default_rng(12)
    declared, run = effect(rng, shift=-0.03), one_run(rng)
    findings = claims.judge_run(declared, run, alpha=ALPHA)
    text = claims.explain_run("m[a]", "leaves", declared, run, findings, where="env, data",
                              alpha=ALPHA)
    assert text.startswith("m[a]: declared to leave its baseline's curve")
    assert "prediction interval, two-sided, alpha 0.01 over 12 quantities" in text
    assert "seed 0: largest gap" in text and "one run may differ from it by" in text


def test_one_run_needs_an_effect_with_the_spread_of_one_run():
    e = effect(np.random.default_rng(13))
    stored = e.as_dict()
    assert claims.Effect.from_dict(stored).run_gap_sd == pytest.approx(e.run_gap_sd, abs=1e-6)
    del stored["run_gap_sd"], stored["run_lag_sd"]
    with pytest.raises(ConfigError, match="Regenerate it with `freezecheck expectations"):
        claims.judge_run(claims.Effect.from_dict(stored), one_run(np.random.default_rng(0)),
                         alpha=ALPHA)
    with pytest.raises(ConfigError, match="3 epochs"):
        claims.judge_run(e, claims.run_effect([0.9] * 3, [0.9] * 3, level=LEVEL), alpha=ALPHA)
    with pytest.raises(ValueError, match="one curve each of equal epochs"):
        claims.run_effect([0.9] * 3, [0.9] * 4, level=LEVEL)


def test_single_runs_are_judged_in_every_split_and_catch_nothing_in_one_law():
    rng = np.random.default_rng(14)
    failures, judged = claims.single_run_failures(curves(rng, 10, shift=-0.004),
                                                  curves(rng, 10), range(10), level=LEVEL,
                                                  alpha=ALPHA)
    assert judged == 252 * 5 and failures <= ALPHA * judged
