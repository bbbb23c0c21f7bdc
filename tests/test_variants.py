"""The variant matrix: ids, baselines, the declared shortfalls."""

import pytest

from freezecheck.errors import ConfigError
from freezecheck.models import WEIGHT_LAYERS
from freezecheck.backend import SUPPORTED_TENSORFLOW
from freezecheck.expectations import DEFAULT_ENVIRONMENT, SHORTFALLS, shortfalls
from freezecheck.variants import Variant, experiment


def test_experiment_is_the_baseline_and_each_layer_frozen_alone():
    ids = [v.id for v in experiment()]
    assert ids == [
        "lenet-frozen=none", "lenet-frozen=conv1", "lenet-frozen=conv2", "lenet-frozen=fc1",
        "lenet-frozen=out", "lenet5-frozen=none", "lenet5-frozen=conv1",
        "lenet5-frozen=conv2", "lenet5-frozen=fc1", "lenet5-frozen=fc2", "lenet5-frozen=out",
    ]
    assert len(set(ids)) == len(ids)


def test_layers_are_kept_in_model_order_and_ids_join_them():
    variant = Variant("lenet5", ("fc1", "conv1"))
    assert variant.frozen == ("conv1", "fc1")
    assert variant.id == "lenet5-frozen=conv1+fc1"
    assert variant.trainable == ("conv2", "fc2", "out")
    assert variant.baseline == Variant("lenet5") and variant.baseline.is_baseline


def test_unknown_layer_is_refused():
    with pytest.raises(ConfigError, match="Unknown layer"):
        Variant("lenet", ("fc2",))


def test_declared_shortfalls_name_real_variants_and_are_consistent():
    known = {v.id for v in experiment()}
    for declared in SHORTFALLS.values():
        for variant_id, shortfall in declared.items():
            assert variant_id in known and not variant_id.endswith("=none"), variant_id
            # Declared means short of something: the gate, or the curve.
            assert not (shortfall.reaches_gate and shortfall.curve_follows_baseline), variant_id
            assert (shortfall.final_val_accuracy >= 0.99) == shortfall.reaches_gate, variant_id


def test_an_environment_without_measurements_is_judged_by_the_default_one():
    newest = f"py311-tf{SUPPORTED_TENSORFLOW[1][0]}{SUPPORTED_TENSORFLOW[1][1]}"
    assert DEFAULT_ENVIRONMENT == newest and DEFAULT_ENVIRONMENT in SHORTFALLS
    assert shortfalls("py399-tf299")[0] == DEFAULT_ENVIRONMENT
    assert shortfalls("py311-tf215") == ("py311-tf215", SHORTFALLS["py311-tf215"])


def test_every_model_has_a_weight_layer_list():
    assert all(WEIGHT_LAYERS[m] for m in WEIGHT_LAYERS)
