"""Freezing and determinism on a few training steps of synthetic data (seconds, not minutes)."""

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from freezecheck.builtin.models import WEIGHT_LAYERS, train, variant_of
from freezecheck.describe.recipe import Recipe
from freezecheck.judge.fingerprints import changes

# Two steps of 32 images: enough for Adam to move every trainable weight.
FEW_STEPS = Recipe(epochs=1, batch_size=32, train_images=64)


@st.composite
def frozen_subsets(draw):
    model = draw(st.sampled_from(sorted(WEIGHT_LAYERS)))
    layers = WEIGHT_LAYERS[model]
    # Proper subsets: with every layer frozen there is nothing to train.
    frozen = draw(st.sets(st.sampled_from(layers), max_size=len(layers) - 1))
    return variant_of(model, tuple(frozen))


def moved_paths(record, layers):
    paths = [p for layer in layers for p in record.variables_of(layer)]
    return {c.path for c in changes(record.weights_before, record.weights_after, paths)}, paths


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frozen_subsets())
def test_training_leaves_exactly_the_frozen_layers_bitwise_unchanged(synthetic_mnist, variant):
    record = train(variant, FEW_STEPS, synthetic_mnist)
    moved, frozen_paths = moved_paths(record, variant.frozen)
    assert not moved, f"{variant}: frozen variables changed: {sorted(moved)}"
    moved, trainable_paths = moved_paths(record, variant.trainable)
    assert moved == set(trainable_paths), f"{variant}: unchanged trainable variables"


@pytest.mark.parametrize("path", ["loop", "fit"])
def test_same_configuration_trains_bitwise_identically(synthetic_mnist, path):
    variant = variant_of("lenet5", ("conv2",))
    recipe = dataclasses.replace(FEW_STEPS, training=path)
    first = train(variant, recipe, synthetic_mnist)
    second = train(variant, recipe, synthetic_mnist)
    assert first.history == second.history
    assert first.test_accuracy == second.test_accuracy
    for path in first.weights_after:
        assert first.weights_before[path].tobytes() == second.weights_before[path].tobytes()
        assert first.weights_after[path].tobytes() == second.weights_after[path].tobytes()


@pytest.mark.parametrize("frozen", [("conv1",), ("fc1", "out")])
def test_fit_leaves_exactly_the_frozen_layers_bitwise_unchanged(synthetic_mnist, frozen):
    """Keras' own fit, the path users train with, from the same initial weights as the loop."""
    variant = variant_of("lenet5", frozen)
    record = train(variant, dataclasses.replace(FEW_STEPS, training="fit"), synthetic_mnist)
    moved, _ = moved_paths(record, variant.frozen)
    assert not moved, f"{variant}: frozen variables changed under fit: {sorted(moved)}"
    moved, trainable_paths = moved_paths(record, variant.trainable)
    assert moved == set(trainable_paths), f"{variant}: unchanged trainable variables under fit"
    loop = train(variant, FEW_STEPS, synthetic_mnist)
    assert all(loop.weights_before[p].tobytes() == record.weights_before[p].tobytes()
               for p in loop.weights_before)
    assert record.recipe["training"] == "fit" and "training" not in loop.recipe


def test_another_seed_gives_other_weights(synthetic_mnist):
    variant = variant_of("lenet5")
    first = train(variant, FEW_STEPS, synthetic_mnist)
    other = train(variant, Recipe(epochs=1, batch_size=32, train_images=64, seed=1), synthetic_mnist)
    assert first.weights_before["conv1/kernel"].tobytes() != other.weights_before["conv1/kernel"].tobytes()


def test_a_second_thread_count_in_one_process_is_refused(synthetic_mnist):
    from freezecheck.errors import DeterminismError
    from freezecheck.train.determinism import make_deterministic

    make_deterministic(0, FEW_STEPS.threads)
    with pytest.raises(DeterminismError, match="threads=2"):
        make_deterministic(0, 2)
