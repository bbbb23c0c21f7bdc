"""A pytest plugin that runs tests in a fixed shuffled order (seed from SHUFFLE_SEED).

Used by benchmarks/repeat_runs.py to show that results do not depend on test order:
    PYTHONPATH=benchmarks pytest -p shuffle_order ...
Every xdist worker shuffles with the same seed, so all collect the same order.
"""

import os
import random


def pytest_collection_modifyitems(items):
    random.Random(int(os.environ.get("SHUFFLE_SEED", "1"))).shuffle(items)
