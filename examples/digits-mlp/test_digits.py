"""An MLP on scikit-learn's 8x8 digits, each weight layer frozen at its random initial
weights in turn, and both hidden layers at once.

Run from this directory: ``pytest -n auto``.
"""

import numpy as np

import freezecheck

LAYERS = ("hidden1", "hidden2", "out")


def build(kernel_initializer):
    """An uncompiled MLP whose weight layers carry the names in LAYERS."""
    import keras  # inside: collecting the tests imports no TensorFlow

    return keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(128, activation="relu", name="hidden1",
                           kernel_initializer=kernel_initializer("hidden1")),
        keras.layers.Dense(128, activation="relu", name="hidden2",
                           kernel_initializer=kernel_initializer("hidden2")),
        keras.layers.Dense(10, activation="softmax", name="out",
                           kernel_initializer=kernel_initializer("out")),
    ])


def load_digits():
    """1,797 real 8x8 images that ship with scikit-learn: a fixed split, no download."""
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    images = (images / 16.0).astype(np.float32)  # pixel values 0..16 -> 0..1
    labels = labels.astype(np.int64)
    return freezecheck.arrays(train=(images[:1297], labels[:1297]),
                              validation=(images[1297:1547], labels[1297:1547]),
                              test=(images[1547:], labels[1547:]), name="sklearn-digits")


experiment = freezecheck.Experiment(
    "digits",
    build=build,
    layers=LAYERS,
    data=load_digits,
    recipe=freezecheck.Recipe(epochs=30, batch_size=32, learning_rate=2e-3),
    # 250 validation images: one image is 0.4 points, and the baseline's own curve
    # moves by up to 6.4 points from one epoch to the next (README.md here).
    gates=freezecheck.Gates(min_accuracy=0.93, curve_band=0.08, curve_level=0.9,
                            curve_max_lag=2),
    variants=freezecheck.each_layer_alone(LAYERS) + [freezecheck.Freeze("hidden1", "hidden2")],
    # Both hidden layers frozen: a random-feature model that trains only its output
    # layer. Measured at seed 0 (README.md here): it falls short of the gate.
    expectations={"digits[hidden1+hidden2]": freezecheck.Expectation(
        seeds=(0,), finals=(0.864,), follows_baseline=False)},
    seed_spread=0.03,
)

TestDigits = experiment.tests()
