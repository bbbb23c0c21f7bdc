"""The built-in experiment's fixtures, for its families' tests (tests/test_families.py)
and the suite's own tests: a pytest plugin of the repository's test suite, registered
by its root conftest.py, never by the freezecheck plugin.

Every run goes through the plugin's one path, ``freezecheck_experiment_run``, with the
built-in model's Experiment: the same store keys as tests/test_experiment.py's.
"""

from __future__ import annotations

import pytest

from freezecheck.builtin.experiment import EXPERIMENTS, builtin_references, settings_for
from freezecheck.generated import experiment_data


@pytest.fixture(scope="session")
def freezecheck_settings(freezecheck_options):
    """The built-in experiment's Settings of this session: tier, recipes, gates, data
    set, seeds and families."""
    return settings_for(freezecheck_options)


@pytest.fixture(scope="session")
def freezecheck_data(freezecheck_options):
    """The built-in experiment's data set of this session, verified against its pinned
    hashes, loaded once per process."""
    return experiment_data(next(iter(EXPERIMENTS.values())), freezecheck_options)


@pytest.fixture
def freezecheck_run(freezecheck_experiment_run):
    """A function ``run(variant, seed=None) -> RunRecord`` for a built-in variant (the
    session's first seed by default): trains once per session, then reuses."""
    return lambda variant, seed=None: freezecheck_experiment_run(
        EXPERIMENTS[variant.model], variant, seed)


@pytest.fixture(scope="session")
def freezecheck_references(freezecheck_options):
    """This environment's stored reference curves of the built-in experiment."""
    return builtin_references(freezecheck_options)
