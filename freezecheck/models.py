"""The two LeNets, with stable layer names.

Layer names are the handle by which variants freeze layers, fingerprints name
variables and reports name curves, so they never change. Keras is imported only inside
:func:`build`, so the names and counts here can be read without TensorFlow.
"""

from __future__ import annotations

from freezecheck.errors import ConfigError

# Weight layers in order, input to output. Pooling and flatten layers have no weights.
WEIGHT_LAYERS = {
    # Caffe's MNIST LeNet, the one framework tutorials train.
    "lenet": ("conv1", "conv2", "fc1", "out"),
    # LeNet-5 (LeCun et al., 1998) in its modern form: ReLU, max-pooling.
    "lenet5": ("conv1", "conv2", "fc1", "fc2", "out"),
}

# Trainable parameter counts, asserted by the tests against the built models.
PARAMETER_COUNTS = {"lenet": 431_080, "lenet5": 61_706}

MODEL_NAMES = tuple(WEIGHT_LAYERS)


def check_model_name(model: str) -> str:
    if model not in WEIGHT_LAYERS:
        raise ConfigError(
            f"Unknown model: expected one of {', '.join(MODEL_NAMES)}. Received: "
            f"model={model!r}"
        )
    return model


def check_layer_names(model: str, layers) -> tuple[str, ...]:
    """Validate a collection of weight-layer names of ``model``; return them in model order."""
    check_model_name(model)
    known = WEIGHT_LAYERS[model]
    unknown = [name for name in layers if name not in known]
    if unknown:
        raise ConfigError(
            f"Unknown layer for model {model!r}: expected names among "
            f"{', '.join(known)}. Received: layers={list(layers)!r}"
        )
    if len(set(layers)) != len(layers):
        raise ConfigError(f"A layer is named twice. Received: layers={list(layers)!r}")
    return tuple(name for name in known if name in layers)


def build(model: str, frozen=()):
    """Build an uncompiled ``model`` whose layers named in ``frozen`` are not trainable.

    Weights are drawn by Keras' default initialisers (Glorot uniform kernels, zero
    biases) from the global seed, so callers seed first. Freezing happens here, before
    any compile, which is when both Keras 2 and Keras 3 read ``trainable``.
    """
    frozen = check_layer_names(model, frozen)
    from freezecheck.backend import keras as keras_module

    keras = keras_module()
    layers = keras.layers

    if model == "lenet":
        body = [
            layers.Conv2D(20, 5, activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(50, 5, activation="relu", name="conv2"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(500, activation="relu", name="fc1"),
        ]
    else:
        body = [
            layers.Conv2D(6, 5, padding="same", activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(16, 5, activation="relu", name="conv2"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(120, activation="relu", name="fc1"),
            layers.Dense(84, activation="relu", name="fc2"),
        ]
    net = keras.Sequential(
        # uint8 pixels in, scaled to [0, 1] inside the model: the training arrays stay
        # uint8, a quarter of the memory float32 copies would take in every worker.
        [keras.Input((28, 28, 1), dtype="uint8", name="image"),
         layers.Rescaling(1 / 255, name="scale"), *body,
         layers.Dense(10, activation="softmax", name="out")],
        name=model,
    )
    for name in frozen:
        net.get_layer(name).trainable = False
    return net
