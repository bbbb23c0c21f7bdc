"""The statistical curve mode: Yuen's test, the olympic mean, and its false alarms."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from freezecheck.errors import ConfigError
from freezecheck.judge.statistics import (compare_seeds, epochs_to_level, false_alarm_rate,
                                          olympic_mean, yuen)


def samples(columns):
    return hnp.arrays(np.float64, st.tuples(st.integers(5, 9), st.just(columns)),
                      elements=st.floats(0, 1, allow_nan=False, width=32))


def test_olympic_mean_drops_the_best_and_the_worst():
    assert olympic_mean([0.1, 0.5, 0.6, 0.7, 100.0]) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="at least 3"):
        olympic_mean([1.0, 2.0])


@settings(deadline=None)
@given(st.integers(1, 4).flatmap(lambda columns: st.tuples(samples(columns), samples(columns))))
def test_yuen_is_scipys_trimmed_welch_test_for_one_trimmed_value_each_side(pair):
    a, b = pair
    # 20% trimming of 5 to 9 values trims one at each end: the olympic mean.
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        theirs = stats.ttest_ind(a, b, equal_var=False, trim=0.2, axis=0)
        mine = yuen(a, b, step=0.0)

    def spread(x):  # the winsorized spread is zero when the 2nd and 2nd-last values agree
        x = np.sort(x, axis=0)
        return x[-2] > x[1]
    defined = spread(a) & spread(b)  # else the test is undefined (production adds a floor)
    np.testing.assert_allclose(mine.p_value[defined], theirs.pvalue[defined],
                               rtol=1e-6, atol=1e-12)


def test_samples_that_agree_exactly_are_not_different_and_the_floor_avoids_division_by_zero():
    same = np.full((5, 3), 0.99)
    assert np.all(yuen(same, same).p_value == 1.0)
    # One validation image apart at every seed: the rounding floor keeps the test
    # defined, and a difference of the measurement's own resolution is not significant.
    apart = yuen(same + 1 / 5000, same)
    assert np.all(np.isfinite(apart.p_value)) and np.all(apart.p_value > 0.01)


def curves(rng, seeds, epochs, shift=0.0, noise=0.002):
    base = 1 - 0.1 * np.exp(-np.arange(1, epochs + 1) / 2)
    return np.clip(base + shift + rng.normal(0, noise, (seeds, epochs)), 0, 1)


def test_a_variant_drawn_like_its_baseline_passes_and_a_shifted_one_fails_naming_the_test():
    rng = np.random.default_rng(0)
    baseline = curves(rng, 5, 10)
    assert compare_seeds(curves(rng, 5, 10), baseline, alpha=0.01, level=0.97).ok
    worse = compare_seeds(curves(rng, 5, 10, shift=-0.02), baseline, alpha=0.01, level=0.97)
    assert not worse.ok and worse.epochs_outside
    text = worse.report("v", "b")
    assert "Yuen's trimmed-mean test, two-sided, alpha 0.01 over 10 epochs" in text
    assert "epoch   1:" in text and "the band is +-" in text


def test_a_later_arrival_at_the_level_is_a_rate_failure():
    baseline = np.tile(np.linspace(0.95, 0.995, 10), (5, 1))
    late = np.tile(np.r_[np.full(6, 0.95), np.linspace(0.96, 0.995, 4)], (5, 1))
    comparison = compare_seeds(late, baseline, alpha=0.01, level=0.98)
    assert comparison.rate_differs
    assert "differ significantly (Yuen's test, two-sided" in comparison.report()


def test_epochs_to_level_counts_never_as_one_past_the_end():
    assert list(epochs_to_level([[0.1, 0.99, 0.5], [0.1, 0.2, 0.3]], 0.9)) == [2.0, 4.0]


def test_fewer_than_five_seeds_is_refused_saying_how_many_are_needed():
    with pytest.raises(ConfigError, match="needs at least 5 seeds of the variant; got 4"):
        compare_seeds(np.zeros((4, 3)), np.zeros((5, 3)), alpha=0.01, level=0.9)


def test_false_alarm_rate_counts_each_split_once():
    rng = np.random.default_rng(1)
    alarms, splits = false_alarm_rate(curves(rng, 10, 6), 5, alpha=0.01, level=0.95)
    assert splits == 126  # C(10, 5) / 2
    assert 0 <= alarms <= splits
    shifted = np.r_[curves(rng, 5, 6), curves(rng, 5, 6, shift=-0.05)]
    assert false_alarm_rate(shifted, 5, alpha=0.01, level=0.95)[0] >= 1  # the true split


def test_significance_flips_count_halves_whose_verdicts_disagree():
    from freezecheck.judge.statistics import significance_flips

    rng = np.random.default_rng(2)
    same = curves(rng, 10, 6)
    flips, halves = significance_flips(same, curves(rng, 10, 6), alpha=0.01, level=0.95)
    assert halves == 252 and flips <= halves
    # Half the variant's seeds far below the baseline: some halves see it, others not.
    mixed = np.r_[curves(rng, 5, 6), curves(rng, 5, 6, shift=-0.05)]
    assert significance_flips(mixed, curves(rng, 10, 6), alpha=0.01, level=0.95)[0] > 0


def test_pairing_by_seed_removes_what_a_pair_shares():
    """Per-seed differences of two correlated samples: the paired test's standard error
    is that of the differences, far below the unpaired one's."""
    from freezecheck.judge.statistics import paired_trimmed, yuen

    rng = np.random.default_rng(0)
    shared = rng.normal(0, 0.01, 8)  # each seed's draw, common to variant and baseline
    variant = shared - 0.002 + rng.normal(0, 0.0005, 8)
    baseline = shared + rng.normal(0, 0.0005, 8)
    paired = paired_trimmed(variant - baseline)
    unpaired = yuen(variant, baseline)
    assert paired.difference == pytest.approx(-0.002, abs=0.0006)
    assert paired.standard_error < unpaired.standard_error / 5
    assert paired.p_value < 0.01 < unpaired.p_value


def test_margin_claim_reads_an_interval_against_the_margin():
    from freezecheck.judge.statistics import margin_claim

    assert margin_claim(-0.001, 0.001, 0.0015) == "follows"
    assert margin_claim(-0.0014, -0.0002, 0.0015) == "small difference"
    assert margin_claim(0.0002, 0.0014, 0.0015) == "small difference"
    assert margin_claim(-0.004, -0.002, 0.0015) == "leaves"
    assert margin_claim(0.002, 0.004, 0.0015) == "leaves"
    assert margin_claim(-0.002, -0.001, 0.0015) == "undetermined"  # excludes 0, crosses delta
    assert margin_claim(-0.002, 0.002, 0.0015) == "undetermined"


def test_confidence_interval_is_the_plain_t_interval_with_the_rounding_floor():
    from freezecheck.judge.statistics import confidence_interval, rounding_floor

    gaps = np.array([-0.002, -0.001, 0.0, -0.0015, -0.0005])
    low, high = confidence_interval(gaps, 0.01)
    s = np.sqrt(np.var(gaps, ddof=1) + rounding_floor())
    half = stats.t.isf(0.005, 4) * s / np.sqrt(5)
    assert (low, high) == pytest.approx((gaps.mean() - half, gaps.mean() + half))
    assert confidence_interval(np.zeros(5), 0.01)[1] > 0  # agreeing seeds: a defined width


def test_regression_gate_is_one_sided_and_splits_alpha_over_the_variants():
    from freezecheck.judge.statistics import regression_gate

    bound = stats.t.isf(0.01 / 4, 9) * 0.002 * np.sqrt(1 / 5 + 1 / 10)
    just_out = regression_gate(-0.001, 0.002, 10, -0.001 - bound * 1.01, 5, alpha=0.01,
                               variants=4)
    just_in = regression_gate(-0.001, 0.002, 10, -0.001 - bound * 0.99, 5, alpha=0.01,
                              variants=4)
    assert just_out.bound == pytest.approx(bound)
    assert just_out.failed and not just_out.stale and just_out.p_below < 0.01 / 4
    assert not just_in.failed and just_in.p_below > 0.01 / 4
    above = regression_gate(-0.001, 0.002, 10, -0.001 + bound * 1.01, 5, alpha=0.01,
                            variants=4)
    assert above.stale and not above.failed
    one = regression_gate(0.0, 0.002, 10, 0.0, 1, alpha=0.01)
    assert one.bound == pytest.approx(stats.t.isf(0.01, 9) * 0.002 * np.sqrt(1.1))
    with pytest.raises(ValueError, match="n_ref >= 2"):
        regression_gate(0.0, 0.002, 1, 0.0, 1, alpha=0.01)


def test_clopper_pearson_is_the_exact_binomial_interval():
    from freezecheck.judge.statistics import clopper_pearson

    assert clopper_pearson(0, 28)[0] == 0.0
    assert clopper_pearson(0, 28)[1] == pytest.approx(1 - 0.025 ** (1 / 28))
    low, high = clopper_pearson(3, 10)
    assert stats.binom.sf(2, 10, low) == pytest.approx(0.025)
    assert stats.binom.cdf(3, 10, high) == pytest.approx(0.025)
    with pytest.raises(ValueError, match="failures <= trials"):
        clopper_pearson(3, 2)
