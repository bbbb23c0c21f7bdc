"""The variant matrix: ids, baselines, the declared shortfalls."""

import pytest

from freezecheck.errors import ConfigError
from freezecheck.models import WEIGHT_LAYERS
from freezecheck.variants import SHORTFALLS, Variant, experiment


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


def test_declared_shortfalls_name_real_variants_of_lenet5_only():
    known = {v.id for v in experiment()}
    # The experiment's claim holds for every lenet variant: none may be declared short.
    for variant_id, shortfall in SHORTFALLS.items():
        assert variant_id in known and variant_id.startswith("lenet5-")
        assert 0.9 < shortfall.final_val_accuracy < 0.99


def test_every_model_has_a_weight_layer_list():
    assert all(WEIGHT_LAYERS[m] for m in WEIGHT_LAYERS)
