"""The paired difference in epochs to reach a level (freezecheck/judge/rates.py)."""

import pytest
from scipy import stats

from freezecheck.judge.rates import measure_rate

LEVEL = 0.99


def curve(first: int | None, epochs: int = 6) -> list[float]:
    """A curve that first reaches LEVEL at epoch ``first`` (1-based; None: never)."""
    return [0.995 if first is not None and e >= first else 0.98 for e in range(1, epochs + 1)]


def test_the_difference_is_paired_by_seed():
    rate = measure_rate([curve(3), curve(4), curve(2)], [curve(1), curve(2), curve(2)],
                        level=LEVEL, seeds=[5, 6, 7])
    assert rate.variant_epochs == (3, 4, 2) and rate.baseline_epochs == (1, 2, 2)
    assert rate.differences == (2, 2, 0)
    assert rate.mean_difference == pytest.approx(4 / 3)
    assert rate.median("variant") == 3 and rate.median("baseline") == 2
    assert rate.seeds == (5, 6, 7)


def test_the_interval_is_a_t_interval_with_one_epoch_as_the_resolution():
    variant = [curve(e) for e in (3, 4, 3, 5, 4)]
    baseline = [curve(e) for e in (1, 2, 1, 2, 2)]
    rate = measure_rate(variant, baseline, level=LEVEL)
    low, high = rate.interval(0.01)
    d = [2, 2, 2, 3, 2]
    mean = sum(d) / 5
    variance = sum((x - mean) ** 2 for x in d) / 4 + 2 / 12  # the rounding floor
    half = stats.t.isf(0.005, 4) * (variance / 5) ** 0.5
    assert (low, high) == pytest.approx((mean - half, mean + half))
    assert rate.finding(0.01) == "later"


def test_no_difference_is_shown_where_the_interval_covers_zero():
    rate = measure_rate([curve(e) for e in (2, 1, 3, 2)], [curve(e) for e in (1, 2, 2, 3)],
                        level=LEVEL)
    assert rate.finding(0.01) == "no difference shown"
    sooner = measure_rate([curve(1)] * 5, [curve(e) for e in (4, 5, 4, 5, 4)], level=LEVEL)
    assert sooner.finding(0.01) == "sooner"


def test_a_seed_that_never_reaches_the_level_gives_no_interval():
    rate = measure_rate([curve(None), curve(3), curve(4)], [curve(2), curve(2), curve(None)],
                        level=LEVEL)
    assert rate.variant_epochs == (None, 3, 4) and rate.baseline_epochs == (2, 2, None)
    assert rate.variant_never == 1 and rate.baseline_never == 1 and rate.censored
    assert rate.differences == (1,)  # only where both reached it
    assert rate.mean_difference is None and rate.interval(0.01) is None
    assert rate.finding(0.01) == "not measured"
    assert measure_rate([curve(None)] * 3, [curve(1)] * 3, level=LEVEL).median("variant") is None


def test_unpaired_curves_are_refused():
    with pytest.raises(ValueError, match="paired curves"):
        measure_rate([curve(1)], [curve(1), curve(2)], level=LEVEL)
    with pytest.raises(ValueError, match="2 seeds named for 1 curves"):
        measure_rate([curve(1)], [curve(1)], level=LEVEL, seeds=[0, 1])
