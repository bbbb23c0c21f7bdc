"""Which tests run first, and which run where: ordering and sharding the session.

Pure Python. Tests are scheduled in units that must stay together: all tests of one
variant (they share its training run, and ``xdist_group`` keeps them on one worker), or
all tests of one other module. A unit's cost is an estimate in seconds.

- Order (one machine, ``pytest -n auto``): the units that others reuse (the baselines)
  first, then the rest, costliest first. Longest-first keeps both workers busy to the
  end: the short units left over fill the gaps (the classic LPT rule).
- Shards (several machines, ``--freezecheck-shard=K/N``): units go to shards greedily,
  costliest first, each to the shard that would finish soonest, counting a baseline's
  training in every shard that needs it. The split depends only on the collected tests,
  so every shard of a CI matrix computes the same one, and the shards together run
  every test once.
"""

from __future__ import annotations

import dataclasses

from freezecheck.errors import ConfigError

# Other modules: a pytester test that trains takes about this long; the rest, nothing.
TRAINING_TEST_SECONDS = 20.0
OTHER_TEST_SECONDS = 0.1


@dataclasses.dataclass(frozen=True)
class Unit:
    """Tests that run together, what they cost, and which unit's run they reuse."""

    name: str
    cost: float
    needs: str | None = None


def order(units: list[Unit]) -> list[str]:
    """Unit names in the order to run them."""
    needed = {u.needs for u in units if u.needs}
    return [u.name for u in sorted(units, key=lambda u: (u.name not in needed, -u.cost, u.name))]


def shard(units: list[Unit], count: int) -> list[list[str]]:
    """Split units into ``count`` shards of about equal cost; names per shard, in order."""
    by_name = {u.name: u for u in units}
    loads = [0.0] * count
    assigned: list[list[str]] = [[] for _ in range(count)]
    trained: list[set[str]] = [set() for _ in range(count)]  # runs each shard makes

    def added_cost(unit: Unit, i: int) -> float:
        cost = 0.0 if unit.name in trained[i] else unit.cost
        if unit.needs in by_name and unit.needs not in trained[i]:
            cost += by_name[unit.needs].cost  # this shard trains the baseline too
        return cost

    for unit in sorted(units, key=lambda u: (-u.cost, u.name)):
        best = min(range(count), key=lambda i: (loads[i] + added_cost(unit, i), i))
        loads[best] += added_cost(unit, best)
        assigned[best].append(unit.name)
        trained[best].update(n for n in (unit.name, unit.needs) if n in by_name)
    return [order([by_name[n] for n in names]) for names in assigned]


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> (K, N), 1 <= K <= N; or a ConfigError saying what is expected."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        index = count = 0
    if not 1 <= index <= count:
        raise ConfigError(f"shard expected K/N with 1 <= K <= N, e.g. 1/2. Received: {text!r}")
    return index, count
