"""The experiment: every variant's frozen weights, accuracy and curve, on real MNIST (or Fashion-MNIST).

One training run per variant per session (the run store sees to that); the tests only
judge the records. Every test of a variant is in one xdist group, so the worker that
trains a variant is the one that judges it.
"""

from __future__ import annotations

import pytest

from freezecheck.builtin.families import experiment
from freezecheck.judge import checks
from freezecheck.judge.expectations import judge_curve, lookup
from freezecheck.plugin.schedule import variant_cases
from freezecheck.train.backend import environment_name

pytestmark = pytest.mark.training

VARIANTS = experiment()
FROZEN = [v for v in VARIANTS if not v.is_baseline]


def declared(settings, variant):
    """(expectation or None, where it was measured) on the full tier; the smoke tier
    has none (every variant must reach its gate and follow its baseline there). On
    MNIST an unmeasured variant is held to the finding itself; on another data set,
    whose gate comes from measurements, it fails saying how to measure it."""
    if settings.tier != "full":
        return None, None
    table = lookup(environment_name(), settings.dataset)
    expectation = table.expectations.get(variant.id)
    if expectation is None and settings.dataset != "mnist":
        pytest.fail(table.how_to_measure(variant), pytrace=False)
    return expectation, table


@pytest.mark.parametrize("variant", variant_cases(FROZEN))
def test_frozen_weights_bitwise_unchanged(variant, freezecheck_run):
    problem = checks.frozen_weights_changed(variant, freezecheck_run(variant))
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.mark.parametrize("variant", variant_cases(VARIANTS))
def test_trainable_weights_changed(variant, freezecheck_run):
    problem = checks.trainable_weights_unchanged(variant, freezecheck_run(variant))
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.mark.parametrize("variant", variant_cases(VARIANTS))
def test_reaches_accuracy_gate(variant, freezecheck_run, freezecheck_settings):
    """The gate, or, for a variant measured to fall short of it, the declared range."""
    gate = freezecheck_settings.gate(variant.model)
    expectation, table = declared(freezecheck_settings, variant)
    problem = checks.accuracy_missed(
        variant, freezecheck_run(variant), gate, expectation, table.where if table else "",
        table.spreads.get(variant.model, 0.0) if table else 0.0)
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.mark.parametrize("variant", variant_cases(FROZEN))
def test_curve_follows_baseline(variant, freezecheck_run, freezecheck_settings, record_property):
    """Within the tolerance of the baseline's curve, or, for a variant measured to
    leave it (freezecheck/measured.py), consistent with its measured effect
    (expectations.judge_curve); either way, a change is reported."""
    expectation, table = declared(freezecheck_settings, variant)
    problem, largest = judge_curve(
        variant, expectation, table.where if table else "", freezecheck_run(variant).val_accuracy,
        freezecheck_run(variant.baseline).val_accuracy, freezecheck_settings.gates.curve,
        freezecheck_settings.alpha)
    record_property("largest_curve_deviation", largest)
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.mark.parametrize("variant", variant_cases(VARIANTS))
def test_curve_matches_stored_reference(variant, freezecheck_run, freezecheck_settings,
                                        freezecheck_references, record_property):
    if freezecheck_settings.tier != "full" or freezecheck_settings.dataset != "mnist":
        pytest.skip("reference curves are kept for the full tier on MNIST only")
    problem = checks.reference_missed(variant, freezecheck_run(variant), freezecheck_references,
                                      freezecheck_settings.gates.curve, record_property)
    if problem:
        pytest.fail(problem, pytrace=False)
