"""Transfer-learning shape: a small CNN whose convolution + BatchNormalization backbone
is frozen while its head trains, on scikit-learn's 8x8 digits.

The frozen BatchNormalization layers hold non-trainable moving statistics; the suite
checks that they, too, stay bitwise as they were. Run from this directory:
``pytest -n auto``.
"""

import numpy as np

import freezecheck

BACKBONE = ("conv1", "bn1", "conv2", "bn2")
LAYERS = BACKBONE + ("head", "out")


def build():
    """An uncompiled CNN: backbone (two conv + BatchNormalization blocks), then head."""
    import keras  # inside: collecting the tests imports no TensorFlow

    layers = keras.layers
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        layers.Conv2D(16, 3, padding="same", name="conv1"),
        layers.BatchNormalization(name="bn1"),
        layers.ReLU(name="relu1"),
        layers.Conv2D(32, 3, padding="same", name="conv2"),
        layers.BatchNormalization(name="bn2"),
        layers.ReLU(name="relu2"),
        layers.MaxPooling2D(2, name="pool"),
        layers.Flatten(name="flatten"),
        layers.Dense(64, activation="relu", name="head"),
        layers.Dense(10, activation="softmax", name="out"),
    ])


def load_digits():
    """scikit-learn's 1,797 real 8x8 digit images as (8, 8, 1) arrays, a fixed split."""
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    images = (images / 16.0).astype(np.float32).reshape(-1, 8, 8, 1)
    labels = labels.astype(np.int64)
    return freezecheck.arrays(train=(images[:1297], labels[:1297]),
                              validation=(images[1297:1547], labels[1297:1547]),
                              test=(images[1547:], labels[1547:]), name="sklearn-digits")


experiment = freezecheck.Experiment(
    "backbone",
    build=build,
    layers=LAYERS,
    data=load_digits,
    recipe=freezecheck.Recipe(epochs=20, batch_size=32, learning_rate=2e-3),
    # 250 validation images: one image is 0.4 points (README.md here).
    gates=freezecheck.Gates(min_accuracy=0.9, curve_band=0.05, curve_level=0.9,
                            curve_max_lag=3),
    # The transfer-learning case: the whole backbone frozen, only the head trains.
    variants=[freezecheck.Freeze(*BACKBONE)],
    # Measured at seed 0 (README.md here): it still reaches the gate, but learns
    # visibly slower than the baseline, so its curve is declared to leave the band.
    expectations={"backbone[conv1+bn1+conv2+bn2]": freezecheck.Expectation(
        seeds=(0,), finals=(0.936,), follows_baseline=False)},
)

TestBackbone = experiment.tests()
