"""Root conftest: test-suite settings shared by every test directory.

The freezecheck plugin itself is loaded through its pytest11 entry point (installed by
``pip install -e .``), not from here, so the suite runs the plugin exactly as users get it.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

# The built-in experiment's fixtures (its families' tests use them): a plugin of this
# suite's, not of freezecheck's, which knows nothing of the built-in experiment.
pytest_plugins = ["pytester", "freezecheck.builtin.fixtures"]

# Hypothesis profiles, chosen by HYPOTHESIS_PROFILE: "dev" (default) explores more,
# "ci" is derandomized so that a CI run never fails on a case a previous run never saw.
settings.register_profile("dev", max_examples=100)
settings.register_profile(
    "ci", max_examples=100, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def synthetic_mnist():
    """A small random stand-in for MNIST (same shapes and dtypes), for tests that train
    for a few steps and need no real data."""
    import numpy as np

    from freezecheck.train.data import Dataset

    rng = np.random.default_rng(0)

    def split(n):
        return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)

    (train_x, train_y), (val_x, val_y), (test_x, test_y) = split(256), split(64), split(64)
    return Dataset(train_x, train_y, val_x, val_y, test_x, test_y,
                   sha256={"synthetic": "seed-0"}, source="synthetic", name="synthetic")


@pytest.fixture(scope="session")
def mnist_dir(freezecheck_options):
    """The MNIST directory given to this session (option, ini or environment variable).

    Tests that need the real files skip, saying how to provide them, when none is given.
    """
    from freezecheck.builtin.datasets import DATA_DIR_ENV

    directory = freezecheck_options.data_dir or os.environ.get(DATA_DIR_ENV)
    if not directory:
        pytest.skip(f"needs the MNIST files: pass --freezecheck-data-dir=DIR or set {DATA_DIR_ENV}")
    return directory
