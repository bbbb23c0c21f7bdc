"""The experiment: every variant's frozen weights, accuracy and curve, on real MNIST (or Fashion-MNIST).

One training run per variant per session (the run store sees to that); the tests only
judge the records. Every test of a variant is in one xdist group, so the worker that
trains a variant is the one that judges it.
"""

from __future__ import annotations

import pytest

from freezecheck.curves import compare_curves
from freezecheck.fingerprints import changes
from freezecheck.backend import environment_name
from freezecheck.expectations import judge_accuracy, judge_curve, lookup
from freezecheck.variants import experiment

pytestmark = pytest.mark.training

VARIANTS = experiment()
FROZEN = [v for v in VARIANTS if not v.is_baseline]


def cases(variants):
    return [pytest.param(v, id=v.id, marks=pytest.mark.xdist_group(v.id)) for v in variants]


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


def variable_paths(record, layers):
    paths = [path for layer in layers for path in record.variables_of(layer)]
    assert paths, f"no variables recorded for layers {layers}: the record is malformed"
    return paths


@pytest.mark.parametrize("variant", cases(FROZEN))
def test_frozen_weights_bitwise_unchanged(variant, freezecheck_run):
    record = freezecheck_run(variant)
    changed = changes(record.weights_before, record.weights_after,
                      variable_paths(record, variant.frozen))
    if changed:
        pytest.fail(
            f"{variant}: {len(changed)} frozen variable(s) changed during training:\n"
            + "\n".join("  " + c.describe() for c in changed)
            + "\nA layer set trainable=False was updated anyway. Check that it is frozen "
            "before the model is compiled (Keras 3 reads `trainable` when the train "
            "function is built) and that the optimizer touches only trainable variables.",
            pytrace=False,
        )


@pytest.mark.parametrize("variant", cases(VARIANTS))
def test_trainable_weights_changed(variant, freezecheck_run):
    record = freezecheck_run(variant)
    paths = variable_paths(record, variant.trainable)
    moved = {c.path for c in changes(record.weights_before, record.weights_after, paths)}
    unchanged = [p for p in paths if p not in moved]
    if unchanged:
        pytest.fail(
            f"{variant}: {len(unchanged)} trainable variable(s) ended bitwise equal to "
            f"their initial values: {', '.join(unchanged)}.\nTraining did not update "
            f"them: a zero learning rate, a layer frozen by mistake, or a step that "
            f"applies no gradients.",
            pytrace=False,
        )


@pytest.mark.parametrize("variant", cases(VARIANTS))
def test_reaches_accuracy_gate(variant, freezecheck_run, freezecheck_settings):
    """The gate, or, for a variant measured to fall short of it, the declared range."""
    gate = freezecheck_settings.gate(variant.model)
    expectation, table = declared(freezecheck_settings, variant)
    record = freezecheck_run(variant)
    problem = judge_accuracy(record.final_val_accuracy, expectation, gate,
                             table.spreads.get(variant.model, 0.0) if table else 0.0)
    if problem:
        curve = ", ".join(f"{a:.4f}" for a in record.val_accuracy)
        where = f" (measured in {table.where})" if expectation else ""
        pytest.fail(
            f"{variant}: final validation accuracy {problem}{where}; test accuracy "
            f"{record.test_accuracy:.4f}.\n  validation accuracy per epoch: {curve}",
            pytrace=False)


@pytest.mark.parametrize("variant", cases(FROZEN))
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


@pytest.mark.parametrize("variant", cases(VARIANTS))
def test_curve_matches_stored_reference(variant, freezecheck_run, freezecheck_settings,
                                        freezecheck_references, record_property):
    if freezecheck_settings.tier != "full" or freezecheck_settings.dataset != "mnist":
        pytest.skip("reference curves are kept for the full tier on MNIST only")
    record = freezecheck_run(variant)
    references = freezecheck_references
    if references.regenerate:
        path = references.write(record)
        pytest.fail(f"regenerated {path}: review it, commit it, and run again without "
                    f"--freezecheck-regen-references.", pytrace=False)
    found = references.find(variant.id)
    if found is None:
        pytest.fail(f"no reference curve for {variant} in environment "
                    f"{references.environment}, nor in any supported environment: expected "
                    f"{references.path(variant.id)}.\n" + references.how_to_create(),
                    pytrace=False)
    reference, whose = found
    path = references.path(variant.id, whose)
    # Which environment's reference judged this run, whether it passes or fails.
    record_property("reference_environment", whose)
    borrowed = "" if whose == references.environment else references.borrowed(whose) + " "
    if reference["recipe"] != record.recipe:
        pytest.fail(f"the reference {path} was made with recipe "
                    f"{reference['recipe']}, this run used {record.recipe}.\n"
                    + borrowed + references.how_to_create(), pytrace=False)
    comparison = compare_curves(record.val_accuracy, reference["val_accuracy"],
                                freezecheck_settings.gates.curve)
    record_property("largest_reference_deviation", comparison.largest_deviation)
    if not comparison.ok:
        pytest.fail(
            comparison.report(variant.id, f"its {whose} reference")
            + f"\n  this run:  {', '.join(f'{a:.4f}' for a in record.val_accuracy)}"
            + f"\n  reference: {', '.join(f'{a:.4f}' for a in reference['val_accuracy'])}"
            + f"\n  ({path}, made with {reference['versions']})"
            + (f"\n{borrowed}{references.how_to_create()}" if borrowed else ""),
            pytrace=False,
        )
