"""The two LeNets: names, parameter counts, freezing before compile."""

import pytest

from freezecheck.builtin import models
from freezecheck.errors import ConfigError


@pytest.mark.parametrize("model", models.MODEL_NAMES)
def test_parameter_count_and_layer_names(model):
    net = models.build(model)
    assert net.count_params() == models.PARAMETER_COUNTS[model]
    weighted = tuple(layer.name for layer in net.layers if layer.weights)
    assert weighted == models.WEIGHT_LAYERS[model]


def test_lenet5_per_layer_parameter_counts():
    net = models.build("lenet5")
    counts = {name: net.get_layer(name).count_params() for name in models.WEIGHT_LAYERS["lenet5"]}
    assert counts == {"conv1": 156, "conv2": 2_416, "fc1": 48_120, "fc2": 10_164, "out": 850}


def test_frozen_layers_are_not_trainable_and_the_rest_are():
    net = models.build("lenet", ["fc1", "conv1"])
    assert {layer.name for layer in net.layers if layer.weights and not layer.trainable} == {"conv1", "fc1"}
    assert net.count_params() - sum(int(w.numpy().size) for w in net.trainable_weights) == 520 + 400_500


def test_unknown_model_is_refused_with_the_choices():
    with pytest.raises(ConfigError, match=r"expected one of lenet, lenet5. Received: model='alexnet'"):
        models.build("alexnet")


def test_unknown_layer_is_refused_with_the_choices():
    with pytest.raises(ConfigError, match=r"conv1, conv2, fc1, out. Received: layers=\['fc2'\]"):
        models.build("lenet", ["fc2"])


def test_duplicate_layer_is_refused():
    with pytest.raises(ConfigError, match="named twice"):
        models.check_layer_names("lenet", ["conv1", "conv1"])


@pytest.mark.parametrize("init", ["he_normal", "lecun_normal", "orthogonal", "normal-0.001", "normal-10"])
def test_named_layers_draw_their_kernels_from_the_named_distribution(init):
    import numpy as np

    from freezecheck.train.determinism import make_deterministic

    make_deterministic(0, 1)
    net = models.build("lenet5", ["fc1"], {"fc1": init})
    kernel = net.get_layer("fc1").kernel.numpy()
    make_deterministic(0, 1)
    default = models.build("lenet5", ["fc1"]).get_layer("fc1").kernel.numpy()
    assert not np.array_equal(kernel, default)
    if init.startswith("normal-"):
        scale = float(init.split("-")[1])
        assert abs(kernel.std() / scale - 1) < 0.05  # 10,080 draws
    if init == "orthogonal":  # 400 x 120: orthonormal columns
        np.testing.assert_allclose(kernel.T @ kernel, np.eye(120), atol=1e-4)
    assert not net.get_layer("fc1").bias.numpy().any()  # biases still start at zero


def test_default_initialiser_builds_the_same_weights_as_naming_it():
    import numpy as np

    from freezecheck.train.determinism import make_deterministic

    make_deterministic(3, 1)
    implicit = [w.numpy() for w in models.build("lenet").weights]
    make_deterministic(3, 1)
    explicit = [w.numpy() for w in models.build("lenet", (), {n: "glorot_uniform" for n in
                                                           models.WEIGHT_LAYERS["lenet"]}).weights]
    assert all(np.array_equal(a, b) for a, b in zip(implicit, explicit, strict=True))


@pytest.mark.parametrize("name", ["uniform", "normal-0", "normal--1", "normal-inf", "normal-x", 3])
def test_unknown_initialiser_is_refused_with_the_choices(name):
    with pytest.raises(ConfigError, match="Unknown initialiser: expected one of glorot_uniform"):
        models.check_init(name)
