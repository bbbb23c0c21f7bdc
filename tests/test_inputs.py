"""Bad input to the library: each is refused with an error naming the argument and value."""

import pytest

from freezecheck.builtin.models import variant_of
from freezecheck.builtin.settings import Settings
from freezecheck.describe.recipe import Gates, Recipe
from freezecheck.errors import ConfigError


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"epochs": 0}, "epochs expected a positive integer. Received: epochs=0"),
        ({"epochs": -2}, "epochs expected a positive integer. Received: epochs=-2"),
        ({"epochs": 1.5}, "epochs expected a positive integer. Received: epochs=1.5"),
        ({"epochs": 1, "seed": -1}, "seed expected a non-negative integer. Received: seed=-1"),
        ({"epochs": 1, "seed": "0"}, "seed expected a non-negative integer. Received: seed='0'"),
        ({"epochs": 1, "batch_size": 0}, "batch_size expected a positive integer"),
        ({"epochs": 1, "threads": 0}, "threads expected a positive integer"),
        ({"epochs": 1, "learning_rate": 0}, "learning_rate expected a number in (0, 1]"),
        ({"epochs": 1, "train_images": 0}, "train_images expected a positive integer"),
    ],
)
def test_bad_recipe_is_refused(kwargs, message):
    with pytest.raises(ConfigError) as caught:
        Recipe(**kwargs)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "model, frozen, message",
    [
        ("alexnet", (), "Unknown model: expected one of lenet, lenet5. Received: model='alexnet'"),
        ("lenet", ("fc2",), "Unknown layer for model 'lenet'"),
        ("lenet", ("",), "Received: layers=['']"),
        ("lenet5", ("conv1", "conv1"), "A layer is named twice. Received: layers=['conv1', 'conv1']"),
    ],
)
def test_bad_variant_is_refused(model, frozen, message):
    with pytest.raises(ConfigError) as caught:
        variant_of(model, frozen)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"min_accuracy": 0.0}, "min_accuracy expected a number in (0, 1]. Received: min_accuracy=0.0"),
        ({"min_accuracy": 1.01}, "min_accuracy expected a number in (0, 1]"),
        ({"curve_band": 1.5}, "band expected a number in [0, 1]. Received: band=1.5"),
        ({"curve_level": 0.0}, "level expected a number in (0, 1]"),
        ({"curve_max_lag": -1}, "max_lag expected a non-negative integer. Received: max_lag=-1"),
    ],
)
def test_bad_gate_is_refused(overrides, message):
    values = {"min_accuracy": 0.99, "curve_band": 0.01, "curve_level": 0.985, "curve_max_lag": 2}
    with pytest.raises(ConfigError) as caught:
        Gates(**(values | overrides))
    assert message in str(caught.value)


def test_unknown_tier_is_refused():
    with pytest.raises(ConfigError, match="tier expected one of full, smoke. Received: tier='fast'"):
        Settings.for_tier("fast")
