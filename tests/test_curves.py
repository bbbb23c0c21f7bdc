"""Curve comparison: identical curves pass, it is symmetric, wider tolerances never fail more."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from freezecheck.errors import ConfigError
from freezecheck.judge.curves import CurveTolerance, compare_curves, epochs_to_reach

accuracy = st.floats(0.0, 1.0, allow_nan=False)
tolerances = st.builds(
    CurveTolerance,
    band=st.floats(0.0, 0.2),
    level=st.floats(0.5, 1.0, exclude_min=True),
    max_lag=st.integers(0, 5),
)


@st.composite
def curve_pairs(draw):
    n = draw(st.integers(1, 20))
    return draw(st.lists(accuracy, min_size=n, max_size=n)), draw(
        st.lists(accuracy, min_size=n, max_size=n))


@given(st.lists(accuracy, min_size=1, max_size=20), tolerances)
def test_identical_curves_pass(curve, tolerance):
    assert compare_curves(curve, curve, tolerance).ok


@given(curve_pairs(), tolerances)
def test_comparison_is_symmetric(pair, tolerance):
    a, b = pair
    forward, backward = compare_curves(a, b, tolerance), compare_curves(b, a, tolerance)
    assert forward.ok == backward.ok
    assert [d.epoch for d in forward.outside_band] == [d.epoch for d in backward.outside_band]
    assert forward.largest_deviation == backward.largest_deviation


@given(curve_pairs(), tolerances, st.floats(0.0, 0.2), st.integers(0, 5))
def test_wider_tolerance_never_fails_where_narrower_passes(pair, narrow, extra_band, extra_lag):
    wide = CurveTolerance(min(1.0, narrow.band + extra_band), narrow.level,
                          narrow.max_lag + extra_lag)
    if compare_curves(*pair, narrow).ok:
        assert compare_curves(*pair, wide).ok


@given(curve_pairs(), tolerances)
def test_band_failures_are_exactly_the_epochs_beyond_the_band(pair, tolerance):
    a, b = pair
    expected = [i + 1 for i, (x, y) in enumerate(zip(a, b)) if abs(x - y) > tolerance.band]
    assert [d.epoch for d in compare_curves(a, b, tolerance).outside_band] == expected


def test_report_names_epochs_and_distance_outside_the_band():
    tolerance = CurveTolerance(band=0.01, level=0.99, max_lag=1)
    result = compare_curves([0.95, 0.985, 0.991], [0.975, 0.988, 0.992], tolerance)
    assert not result.ok
    text = result.report("lenet[conv1]", "lenet[none]")
    assert "at 1 epoch(s)" in text
    assert "epoch   1: 0.9500 vs 0.9750 (-2.50 points, 1.50 beyond the band)" in text


def test_slower_rate_fails_even_inside_the_band():
    tolerance = CurveTolerance(band=0.01, level=0.99, max_lag=1)
    slow = [0.982, 0.985, 0.988, 0.989, 0.990]
    fast = [0.985, 0.990, 0.991, 0.991, 0.991]
    result = compare_curves(slow, fast, tolerance)
    assert not result.outside_band and not result.ok
    assert "first reached 99.00% at epoch 5" in result.report() and "epoch 2" in result.report()


def test_only_one_curve_reaching_the_level_fails():
    tolerance = CurveTolerance(band=0.05, level=0.99, max_lag=10)
    result = compare_curves([0.98, 0.985], [0.98, 0.991], tolerance)
    assert not result.ok and "never" in result.report()


def test_epochs_to_reach_is_one_based():
    assert epochs_to_reach([0.5, 0.99, 0.999], 0.99) == 2
    assert epochs_to_reach([0.5], 0.99) is None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"band": -0.1, "level": 0.9, "max_lag": 1}, "band=-0.1"),
        ({"band": 0.1, "level": 1.5, "max_lag": 1}, "level=1.5"),
        ({"band": 0.1, "level": 0.9, "max_lag": -1}, "max_lag=-1"),
    ],
)
def test_tolerance_outside_its_range_is_refused(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        CurveTolerance(**kwargs)


def test_curves_of_different_length_are_refused():
    with pytest.raises(ValueError, match="lengths 2 and 3"):
        compare_curves([0.1, 0.2], [0.1, 0.2, 0.3], CurveTolerance(0.1, 0.9, 1))
