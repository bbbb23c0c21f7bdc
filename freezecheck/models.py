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

# Kernel initialisers a variant may draw its weights from. Keras' default, Glorot
# uniform, is what the experiment uses; "normal-S" is a zero-mean normal distribution of
# standard deviation S, at any positive scale. Biases always start at zero.
DEFAULT_INIT = "glorot_uniform"
NAMED_INITS = ("glorot_uniform", "he_normal", "lecun_normal", "orthogonal")
NORMAL_PREFIX = "normal-"


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
    return order_layers(model, WEIGHT_LAYERS[model], layers)


def order_layers(model: str, known, layers) -> tuple[str, ...]:
    """``layers``, each one of ``known`` (``model``'s weight layers) and none twice, in
    ``known``'s order."""
    if isinstance(layers, str):  # ("conv1") is a string, not a tuple: say so
        raise ConfigError(f"layers expected a list of layer names, not one string. "
                          f"Received: layers={layers!r}")
    layers = list(layers)
    unknown = [name for name in layers if name not in known]
    if unknown:
        raise ConfigError(
            f"Unknown layer for model {model!r}: expected names among "
            f"{', '.join(known)}. Received: layers={layers!r}"
        )
    if len(set(layers)) != len(layers):
        raise ConfigError(f"A layer is named twice. Received: layers={layers!r}")
    return tuple(name for name in known if name in layers)


def check_init(name: str) -> str:
    """Validate an initialiser name: one of NAMED_INITS or ``normal-S`` with S > 0."""
    if name in NAMED_INITS:
        return name
    try:
        scale = float(name[len(NORMAL_PREFIX):]) if name.startswith(NORMAL_PREFIX) else 0.0
    except (AttributeError, ValueError):
        scale = 0.0
    if not (0 < scale < float("inf")):
        raise ConfigError(
            f"Unknown initialiser: expected one of {', '.join(NAMED_INITS)} or "
            f"{NORMAL_PREFIX}S with a finite standard deviation S > 0 (e.g. normal-0.01). "
            f"Received: init={name!r}"
        )
    return name


def initializer(name: str):
    """The Keras initialiser an initialiser name (see :func:`check_init`) stands for."""
    from freezecheck.backend import keras as keras_module

    return _initializer(keras_module(), check_init(name))


def _initializer(keras, name: str):
    if name in NAMED_INITS:
        return name
    return keras.initializers.RandomNormal(mean=0.0, stddev=float(name[len(NORMAL_PREFIX):]))


def build(model: str, frozen=(), kernel_inits=None):
    """Build an uncompiled ``model`` whose layers named in ``frozen`` are not trainable.

    Kernels are drawn by Keras' default Glorot uniform initialiser, or, for the layers
    named in ``kernel_inits`` (layer name -> initialiser name, see :func:`check_init`),
    by the one named there; biases start at zero. Draws come from the global seed, so
    callers seed first. Freezing happens here, before any compile, which is when both
    Keras 2 and Keras 3 read ``trainable``.
    """
    frozen = check_layer_names(model, frozen)
    kernel_inits = dict(kernel_inits or {})
    check_layer_names(model, tuple(kernel_inits))
    for name in kernel_inits.values():
        check_init(name)
    from freezecheck.backend import keras as keras_module

    keras = keras_module()
    layers = keras.layers

    def init(layer: str) -> dict:
        return {"kernel_initializer": _initializer(keras, kernel_inits.get(layer, DEFAULT_INIT))}

    if model == "lenet":
        body = [
            layers.Conv2D(20, 5, activation="relu", name="conv1", **init("conv1")),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(50, 5, activation="relu", name="conv2", **init("conv2")),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(500, activation="relu", name="fc1", **init("fc1")),
        ]
    else:
        body = [
            layers.Conv2D(6, 5, padding="same", activation="relu", name="conv1",
                          **init("conv1")),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(16, 5, activation="relu", name="conv2", **init("conv2")),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(120, activation="relu", name="fc1", **init("fc1")),
            layers.Dense(84, activation="relu", name="fc2", **init("fc2")),
        ]
    net = keras.Sequential(
        # uint8 pixels in, scaled to [0, 1] inside the model: the training arrays stay
        # uint8, a quarter of the memory float32 copies would take in every worker.
        [keras.Input((28, 28, 1), dtype="uint8", name="image"),
         layers.Rescaling(1 / 255, name="scale"), *body,
         layers.Dense(10, activation="softmax", name="out", **init("out"))],
        name=model,
    )
    for name in frozen:
        net.get_layer(name).trainable = False
    return net
