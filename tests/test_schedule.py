"""Ordering and sharding: baselines first, costliest next, shards that partition the session."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from freezecheck.errors import ConfigError
from freezecheck.plugin.schedule import Unit, order, parse_shard, shard


def experiment_units():
    return [Unit("lenet[none]", 55), Unit("lenet[conv1]", 41, "lenet[none]"),
            Unit("lenet[out]", 55, "lenet[none]"), Unit("lenet5[none]", 37),
            Unit("lenet5[conv1]", 18, "lenet5[none]"), Unit("tests/test_data.py", 1.6)]


def test_baselines_run_first_then_the_costliest():
    assert order(experiment_units()) == [
        "lenet[none]", "lenet5[none]", "lenet[out]", "lenet[conv1]",
        "lenet5[conv1]", "tests/test_data.py"]


@st.composite
def unit_sets(draw):
    baselines = [Unit(f"m{i}[none]", draw(st.floats(1, 100))) for i in range(draw(st.integers(0, 3)))]
    others = [Unit(f"u{i}", draw(st.floats(0, 100)),
                   draw(st.sampled_from([None, *[b.name for b in baselines]])))
              for i in range(draw(st.integers(0, 12)))]
    return baselines + others


@given(unit_sets(), st.integers(1, 5))
def test_shards_partition_the_units_the_same_way_every_time(units, count):
    shards = shard(units, count)
    names = [name for names in shards for name in names]
    assert sorted(names) == sorted(u.name for u in units)  # each unit once, none lost
    assert shard(list(reversed(units)), count) == shards  # independent of collection order


def test_two_shards_of_the_experiment_are_close_in_cost():
    loads = []
    for names in shard(experiment_units(), 2):
        units = {u.name: u for u in experiment_units()}
        needed = {units[n].needs for n in names if units[n].needs} - set(names)
        loads.append(sum(units[n].cost for n in set(names) | needed))
    # The greedy rule's bound: an even split plus one unit (here, a baseline trained twice).
    units = experiment_units()
    assert max(loads) <= sum(u.cost for u in units) / 2 + max(u.cost for u in units), loads


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", ""])
def test_bad_shard_is_refused(text):
    with pytest.raises(ConfigError, match="shard expected K/N"):
        parse_shard(text)


def test_shards_on_the_command_line_split_the_collected_tests(pytester):
    pytester.makepyfile(test_copied=(__import__("pathlib").Path(__file__).with_name(
        "test_experiment.py").read_text()))
    collected = []
    for option in ([], ["--freezecheck-shard=1/2"], ["--freezecheck-shard=2/2"]):
        result = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider", *option)
        collected.append(set(re.findall(r"^test_copied\.py::\S+", result.stdout.str(), re.M)))
    everything, first, second = collected
    assert everything and first and second
    assert first | second == everything and not first & second
    # A variant's tests stay together: its training is never split between machines.
    variants = [{re.search(r"\[(.*)\]", t)[1] for t in shard} for shard in (first, second)]
    assert not variants[0] & variants[1] - {"lenet[none]", "lenet5[none]"}


def test_a_bad_shard_option_is_a_usage_error(pytester):
    result = pytester.runpytest("--freezecheck-shard=3/2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--freezecheck-shard: shard expected K/N*Received: '3/2'*"])
