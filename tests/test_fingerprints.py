"""Bitwise fingerprints and diffs: any single changed element is caught, equal arrays pass."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from freezecheck.judge.fingerprints import changes, diff, fingerprint

arrays = hnp.arrays(
    dtype=st.sampled_from([np.float32, np.float64, np.int32, np.uint8]),
    shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=6),
)


@given(arrays)
def test_equal_arrays_have_equal_fingerprints_and_no_diff(array):
    copy = array.copy()
    assert fingerprint(array) == fingerprint(copy)
    assert diff("layer/kernel", array, copy) is None


@given(arrays, st.data())
def test_any_single_changed_element_is_caught(array, data):
    index = data.draw(st.tuples(*(st.integers(0, n - 1) for n in array.shape)))
    bit = data.draw(st.integers(0, array.dtype.itemsize * 8 - 1))
    changed = array.copy()
    # Flip one bit of one element: the smallest change there is.
    raw = changed.reshape(-1).view(np.uint8)
    flat = int(np.ravel_multi_index(index, array.shape))
    raw[flat * array.dtype.itemsize + bit // 8] ^= np.uint8(1 << (bit % 8))

    found = diff("layer/kernel", array, changed)
    assert found is not None
    assert found.changed == 1
    assert found.first_indices == (tuple(index),)
    assert found.hash_before == fingerprint(array) != found.hash_after


def test_negative_zero_counts_as_a_change():
    before = np.zeros(3, np.float32)
    after = before.copy()
    after[1] = -0.0
    found = diff("conv1/bias", before, after)
    assert found is not None and found.changed == 1 and found.largest_change == 0.0


def test_nan_to_nan_is_unchanged_but_value_to_nan_is_a_change():
    before = np.array([1.0, np.nan], np.float32)
    assert diff("v", before, before.copy()) is None
    after = np.array([np.nan, np.nan], np.float32)
    found = diff("v", before, after)
    assert found.changed == 1 and np.isnan(found.largest_change)


def test_report_names_path_count_largest_change_indices_and_hashes():
    before = np.zeros((4, 4), np.float32)
    after = before.copy()
    after[1, 2], after[3, 0] = 0.5, -2.0
    found = diff("fc1/kernel", before, after)
    text = found.describe()
    assert "fc1/kernel: 2 of 16 elements changed, largest change 2" in text
    assert "(1, 2), (3, 0)" in text
    assert fingerprint(before) in text and fingerprint(after) in text


def test_changes_lists_only_changed_paths_in_order():
    before = {"a/kernel": np.zeros(2), "a/bias": np.zeros(1), "b/kernel": np.ones(2)}
    after = {"a/kernel": np.zeros(2), "a/bias": np.ones(1), "b/kernel": np.zeros(2)}
    assert [c.path for c in changes(before, after, ["b/kernel", "a/kernel", "a/bias"])] == [
        "b/kernel", "a/bias"]


def test_shape_change_is_a_change():
    found = diff("v", np.zeros((2, 2)), np.zeros(4))
    assert found.changed == 4
