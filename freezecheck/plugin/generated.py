"""The test class an :class:`freezecheck.Experiment` generates.

Five tests per variant, the built-in experiment's, judged by the same functions
(freezecheck/judge/checks.py). Every test of a variant is in one xdist group, so the worker
that trains a variant is the one that judges it; the run store trains each variant
once per session whichever worker asks first.
"""

from __future__ import annotations

import pytest

from freezecheck.judge import checks
from freezecheck.plugin.schedule import variant_cases as _cases


def _fail_if(problem: str | None) -> None:
    if problem:
        pytest.fail(problem, pytrace=False)


def test_class(experiment) -> type:
    """A class of parametrized tests for ``experiment``; pytest collects it when it is
    assigned to a name starting with ``Test`` in a test module."""
    variants = experiment.variants
    frozen = [v for v in variants if v.frozen]

    @pytest.mark.training
    class Generated:
        __doc__ = f"The generated tests of experiment {experiment.name!r}."
        freezecheck_experiment = experiment

        @pytest.mark.parametrize("variant", _cases(frozen))
        def test_frozen_weights_bitwise_unchanged(self, variant, freezecheck_experiment_run):
            """Every variable of a frozen layer, non-trainable ones included, ends
            bitwise equal to its initial value."""
            _fail_if(checks.frozen_weights_changed(
                variant, freezecheck_experiment_run(experiment, variant)))

        @pytest.mark.parametrize("variant", _cases(variants))
        def test_trainable_weights_changed(self, variant, freezecheck_experiment_run):
            """Every variable of a trainable layer moved."""
            _fail_if(checks.trainable_weights_unchanged(
                variant, freezecheck_experiment_run(experiment, variant)))

        @pytest.mark.parametrize("variant", _cases(variants))
        def test_reaches_accuracy_gate(self, variant, freezecheck_experiment_run):
            """The final validation accuracy reaches the gate, or keeps the declared
            expectation."""
            expectation = experiment.expectations.get(variant.id)
            _fail_if(checks.accuracy_missed(
                variant, freezecheck_experiment_run(experiment, variant),
                experiment.gates.min_accuracy, expectation,
                f"experiment {experiment.name}'s declaration", experiment.seed_spread))

        @pytest.mark.parametrize("variant", _cases(variants[1:]))
        def test_curve_follows_baseline(self, variant, freezecheck_experiment_run,
                                        freezecheck_settings, record_property):
            """The validation curve within the band and lag of the baseline's, or
            consistent with the declared expectation."""
            from freezecheck.judge.expectations import judge_curve

            problem, largest = judge_curve(
                variant, experiment.expectations.get(variant.id),
                f"experiment {experiment.name}'s declaration",
                freezecheck_experiment_run(experiment, variant).val_accuracy,
                freezecheck_experiment_run(experiment, variant.baseline).val_accuracy,
                experiment.gates.curve, freezecheck_settings.alpha,
                source=f"the expectations declared for experiment {experiment.name}")
            record_property("largest_curve_deviation", largest)
            _fail_if(problem)

        @pytest.mark.parametrize("variant", _cases(variants))
        def test_curve_matches_stored_reference(self, request, variant,
                                                freezecheck_experiment_run,
                                                freezecheck_experiment_references,
                                                record_property):
            """The validation curve within the band and lag of the one stored for this
            environment (references/ENVIRONMENT/ID.json beside the test module)."""
            _fail_if(checks.reference_missed(
                variant, freezecheck_experiment_run(experiment, variant),
                freezecheck_experiment_references(experiment), experiment.gates.curve,
                record_property))

    # No test without a case: pytest would report an empty parameter set as a skip.
    if not frozen:
        del Generated.test_frozen_weights_bitwise_unchanged
    if len(variants) == 1:
        del Generated.test_curve_follows_baseline
    name = "Test" + "".join(part[:1].upper() + part[1:]
                            for part in experiment.name.replace(".", "-").replace("_", "-").split("-"))
    Generated.__name__ = Generated.__qualname__ = name
    return Generated
