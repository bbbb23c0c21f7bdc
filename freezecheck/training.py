"""Training one variant: ``train(variant, recipe, data) -> RunRecord``.

The one place that trains. It returns what happened and asserts nothing; tests judge.
"""

from __future__ import annotations

import platform
import resource
import time

import numpy as np

from freezecheck import models
from freezecheck import backend
from freezecheck.backend import keras as keras_module
from freezecheck.config import Recipe
from freezecheck.data import Mnist
from freezecheck.determinism import make_deterministic
from freezecheck.records import RunRecord
from freezecheck.variants import Variant


def train(variant: Variant, recipe: Recipe, data: Mnist) -> RunRecord:
    """Train ``variant`` from a fresh seeded initialisation with ``recipe`` on ``data``.

    Validation accuracy is measured after every epoch on the held-out images; test
    accuracy once, at the end. Weights are snapshotted right after initialisation and
    after the last epoch.
    """
    make_deterministic(recipe.seed, recipe.threads)
    keras = keras_module()

    x_train, y_train = _as_inputs(data.train_images), data.train_labels
    if recipe.train_images is not None:
        x_train, y_train = x_train[: recipe.train_images], y_train[: recipe.train_images]
    x_val, x_test = _as_inputs(data.val_images), _as_inputs(data.test_images)

    net = models.build(variant.model, variant.frozen)
    before = snapshot(net)
    steps_per_epoch = -(-len(x_train) // recipe.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(
        recipe.learning_rate, decay_steps=recipe.epochs * steps_per_epoch
    )
    net.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    timer = _epoch_timer()
    started = time.perf_counter()
    fitted = net.fit(
        x_train, y_train,
        batch_size=recipe.batch_size,
        epochs=recipe.epochs,
        validation_data=(x_val, data.val_labels),
        shuffle=True,
        callbacks=[timer],
        verbose=0,
    )
    train_seconds = time.perf_counter() - started
    test_loss, test_accuracy = net.evaluate(
        x_test, data.test_labels, batch_size=recipe.batch_size, verbose=0
    )
    return RunRecord(
        variant_id=variant.id,
        model=variant.model,
        frozen=list(variant.frozen),
        recipe=recipe.as_dict(),
        history={k: [float(x) for x in v] for k, v in sorted(fitted.history.items())},
        test_accuracy=float(test_accuracy),
        test_loss=float(test_loss),
        epoch_seconds=timer.seconds,
        train_seconds=train_seconds,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
        versions=versions(),
        data_sha256=dict(data.sha256),
        weights_before=before,
        weights_after=snapshot(net),
    )


def snapshot(net) -> dict[str, np.ndarray]:
    """Copies of every weight of ``net``, keyed ``layer/variable`` in model order."""
    return {
        f"{layer.name}/{_short_name(w)}": np.array(w.numpy(), copy=True)
        for layer in net.layers
        for w in layer.weights
    }


def versions() -> dict[str, str]:
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": backend.keras_version(),
        "numpy": np.__version__,
    }


def _as_inputs(images: np.ndarray) -> np.ndarray:
    """uint8 (n, 28, 28) -> uint8 (n, 28, 28, 1), a view; the model scales to [0, 1]."""
    return images[..., None]


def _short_name(weight) -> str:
    # Keras 3 names a variable "kernel"; Keras 2 "conv1/kernel:0".
    return weight.name.split("/")[-1].split(":")[0]


def _epoch_timer():
    """A Keras callback whose ``seconds`` list gets each epoch's wall time."""
    class EpochTimer(keras_module().callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    return EpochTimer()
