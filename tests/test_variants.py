"""Variants: ids, layers, initialisers and baselines."""

import pytest

from freezecheck.builtin.families import experiment
from freezecheck.builtin.models import WEIGHT_LAYERS, variant_of
from freezecheck.errors import ConfigError


def test_experiment_is_the_baseline_and_each_layer_frozen_alone():
    ids = [v.id for v in experiment()]
    assert ids == [
        "lenet[none]", "lenet[conv1]", "lenet[conv2]", "lenet[fc1]",
        "lenet[out]", "lenet5[none]", "lenet5[conv1]",
        "lenet5[conv2]", "lenet5[fc1]", "lenet5[fc2]", "lenet5[out]",
    ]
    assert len(set(ids)) == len(ids)


def test_layers_are_kept_in_model_order_and_ids_join_them():
    variant = variant_of("lenet5", ("fc1", "conv1"))
    assert variant.frozen == ("conv1", "fc1")
    assert variant.id == "lenet5[conv1+fc1]"
    assert variant.trainable == ("conv2", "fc2", "out")
    assert variant.baseline == variant_of("lenet5") and variant.baseline.is_baseline


def test_unknown_layer_is_refused():
    with pytest.raises(ConfigError, match="Unknown layer"):
        variant_of("lenet", ("fc2",))


def test_every_model_has_a_weight_layer_list():
    assert all(WEIGHT_LAYERS[m] for m in WEIGHT_LAYERS)


def test_init_enters_the_id_only_when_not_the_default_and_applies_to_frozen_layers():
    assert variant_of("lenet5", ("conv2",), "glorot_uniform").id == "lenet5[conv2]"
    frozen = variant_of("lenet5", ("conv2",), "normal-0.001")
    assert frozen.id == "lenet5[conv2:normal-0.001]"
    assert frozen.kernel_inits == {"conv2": "normal-0.001"} and not frozen.is_baseline
    everything = variant_of("lenet", (), "he_normal")
    assert everything.id == "lenet[none:he_normal]" and not everything.is_baseline
    assert everything.kernel_inits == {n: "he_normal" for n in WEIGHT_LAYERS["lenet"]}
    assert everything.baseline == variant_of("lenet")


def test_unknown_init_is_refused():
    with pytest.raises(ConfigError, match="Unknown initialiser"):
        variant_of("lenet", ("conv1",), "zeros")
