"""The variant families: which variants each holds, their ids, and the option that picks them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from freezecheck.builtin.families import (FAMILIES, INITS, OTHER_INITS, blocks, family,
                                          parse_families, variants)
from freezecheck.builtin.models import MODEL_NAMES, WEIGHT_LAYERS, variant_of
from freezecheck.describe.variants import DEFAULT_INIT
from freezecheck.errors import ConfigError


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_blocks_are_every_contiguous_run_of_two_or_more_leaving_one_layer_trainable(model):
    layers = WEIGHT_LAYERS[model]
    found = blocks(model)
    expected = {layers[i:j] for i in range(len(layers)) for j in range(i + 2, len(layers) + 1)
                if j - i < len(layers)}
    assert set(found) == expected and len(found) == len(expected)
    assert layers[:-1] in found  # the Extreme Learning Machine: only the output trains


def test_family_sizes():
    sizes = {(m, f): len(family(f, m)) for m in MODEL_NAMES for f in FAMILIES}
    assert sizes == {
        ("lenet", "single"): 5, ("lenet", "blocks"): 5, ("lenet", "inits"): 8 * (4 + 2),
        ("lenet", "init-baselines"): 8,
        ("lenet5", "single"): 6, ("lenet5", "blocks"): 9, ("lenet5", "inits"): 8 * (5 + 2),
        ("lenet5", "init-baselines"): 8,
    }


def test_the_required_distributions_are_there_with_glorot_the_default():
    assert INITS[0] == DEFAULT_INIT == "glorot_uniform"
    assert {"he_normal", "lecun_normal", "orthogonal", "normal-0.001", "normal-0.01",
            "normal-0.1", "normal-1", "normal-10"} == set(OTHER_INITS)


def test_ids_read_as_documented_and_are_unique():
    chosen = variants(FAMILIES)
    ids = [v.id for v in chosen]
    assert len(set(ids)) == len(ids)
    assert "lenet5[conv1+conv2]" in ids
    assert "lenet5[conv2:normal-0.001]" in ids
    assert "lenet5[conv1+conv2+fc1+fc2:normal-10]" in ids
    assert "lenet[none:orthogonal]" in ids


@given(st.lists(st.sampled_from(FAMILIES), min_size=1, unique=True),
       st.lists(st.sampled_from(MODEL_NAMES), min_size=1, unique=True))
def test_every_model_starts_with_its_baseline_and_nothing_repeats(names, models):
    chosen = variants(tuple(names), tuple(models))
    assert len(set(chosen)) == len(chosen)
    starts = [i for i, v in enumerate(chosen) if v.is_baseline]
    assert [chosen[i].model for i in starts] == list(models)
    # each model's variants together, in the order the models were asked for
    assert [v.model for v in chosen] == sorted((v.model for v in chosen), key=models.index)


@pytest.mark.parametrize("text, expected", [
    ("blocks", ("blocks",)), ("inits, single", ("single", "inits")), ("all", FAMILIES)])
def test_parse_families(text, expected):
    assert parse_families(text) == expected


@pytest.mark.parametrize("text", ["", "all,blocks", "block", ","])
def test_bad_family_list_is_refused_naming_the_choices(text):
    with pytest.raises(ConfigError, match="families expected a comma-separated list"):
        parse_families(text)


def test_unknown_family_is_refused():
    with pytest.raises(ConfigError, match="Unknown family"):
        family("pairs", "lenet")


def test_init_variants_change_only_frozen_layers():
    for v in family("inits", "lenet5"):
        assert v.frozen and set(v.kernel_inits) == set(v.frozen)
    for v in family("init-baselines", "lenet5"):
        assert set(v.kernel_inits) == set(WEIGHT_LAYERS["lenet5"]) and v.baseline == variant_of("lenet5")
