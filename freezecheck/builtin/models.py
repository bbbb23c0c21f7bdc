"""The two LeNets, with stable layer names: the built-in experiment's models.

Layer names are the handle by which variants freeze layers, fingerprints name
variables and reports name curves, so they never change. Keras is imported only inside
:func:`build`, so the names and counts here can be read without TensorFlow.
"""

from __future__ import annotations

from freezecheck.describe.variants import DEFAULT_INIT, Variant, check_init, order_layers
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
    return order_layers(model, WEIGHT_LAYERS[model], layers)


def variant_of(model: str, frozen=(), init: str = DEFAULT_INIT) -> Variant:
    """The :class:`Variant` of built-in ``model`` freezing ``frozen``, kernels from ``init``."""
    return Variant(model, tuple(frozen), init, layers=WEIGHT_LAYERS[check_model_name(model)])


def build_variant(variant: Variant):
    """The uncompiled network of ``variant`` (:func:`build`)."""
    return build(variant.model, variant.frozen, variant.kernel_inits)


def as_inputs(images):
    """28x28 images as the models take them: with a channel axis (a view, no copy)."""
    return images[..., None]


def train(variant: Variant, recipe, data):
    """Train built-in ``variant`` (freezecheck.train.training.train, looked up when
    called, so that a test may stand a planted fault in for it)."""
    from freezecheck.train import training

    return training.train(variant, recipe, data, build=build_variant, inputs=as_inputs)


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
    from freezecheck.train.initializers import initializer

    net = network(model, lambda layer: initializer(kernel_inits.get(layer, DEFAULT_INIT)))
    for name in frozen:
        net.get_layer(name).trainable = False
    return net


def network(model: str, kernel_initializer=None):
    """The uncompiled ``model``, every layer trainable, in the form an Experiment's
    ``build`` takes: ``kernel_initializer(layer name)`` is the initialiser of that
    layer's kernel (default: Keras' default, Glorot uniform)."""
    check_model_name(model)
    from freezecheck.train.backend import keras as keras_module

    keras = keras_module()
    layers = keras.layers

    def init(layer: str) -> dict:
        return {"kernel_initializer": kernel_initializer(layer) if kernel_initializer
                else DEFAULT_INIT}

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
    return net
