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
from freezecheck.data import Dataset
from freezecheck.determinism import make_deterministic
from freezecheck.records import RunRecord
from freezecheck.variants import Variant


def train(variant: Variant, recipe: Recipe, data: Dataset) -> RunRecord:
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

    net = models.build(variant.model, variant.frozen, variant.kernel_inits)
    before = snapshot(net)
    steps_per_epoch = -(-len(x_train) // recipe.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(
        recipe.learning_rate, decay_steps=recipe.epochs * steps_per_epoch
    )
    loop = compile_epoch(net, keras.optimizers.Adam(schedule), x_train, y_train,
                         recipe.batch_size)
    evaluate = compile_evaluate(net)
    # The shuffle order of every epoch comes from the recipe's seed alone.
    orders = np.random.default_rng(recipe.seed)

    history: dict[str, list[float]] = {k: [] for k in ("accuracy", "loss", "val_accuracy", "val_loss")}
    epoch_seconds = []
    started = time.perf_counter()
    for _ in range(recipe.epochs):
        epoch_started = time.perf_counter()
        loss, accuracy = loop(orders.permutation(len(x_train)).astype(np.int32))
        val_loss, val_accuracy = evaluate(_as_inputs(data.val_images), data.val_labels)
        epoch_seconds.append(time.perf_counter() - epoch_started)
        for key, value in (("loss", loss), ("accuracy", accuracy),
                           ("val_loss", val_loss), ("val_accuracy", val_accuracy)):
            history[key].append(value)
    train_seconds = time.perf_counter() - started
    test_loss, test_accuracy = evaluate(_as_inputs(data.test_images), data.test_labels)
    return RunRecord(
        variant_id=variant.id,
        model=variant.model,
        frozen=list(variant.frozen),
        recipe=recipe.as_dict(),
        history=history,
        test_accuracy=test_accuracy,
        test_loss=test_loss,
        epoch_seconds=epoch_seconds,
        train_seconds=train_seconds,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
        versions=versions(),
        data_sha256=dict(data.sha256),
        weights_before=before,
        weights_after=snapshot(net),
    )


def compile_epoch(net, optimizer, images: np.ndarray, labels: np.ndarray, batch_size: int):
    """A function ``epoch(order) -> (mean loss, accuracy)`` that trains ``net`` on one
    pass over ``images`` in the given order (an int32 permutation of their indices).

    The whole epoch is one TensorFlow graph over tensors held in memory: no per-step
    Python and no input pipeline. On this kind of 2-core CPU it trains LeNet-5 at one
    thread 1.6 times as fast as ``model.fit`` does with both cores (README, "Speed"),
    with the same op-deterministic kernels, so results stay bitwise reproducible. XLA
    (``jit_compile``) was measured slower on this CPU and is not used.

    The trainable variables are read here, once: a layer frozen now stays frozen for
    every epoch, and one frozen later would still train (as in Keras 3, which reads
    ``trainable`` when its train function is built).
    """
    import tensorflow as tf

    keras = keras_module()
    trainable = list(net.trainable_variables)
    optimizer.build(trainable)  # its slots exist before the graph; none are made inside
    loss_of = keras.losses.SparseCategoricalCrossentropy()
    images, labels = tf.constant(images), tf.constant(labels.astype(np.int32))
    count, batch_size = len(images), int(batch_size)
    steps = -(-count // batch_size)

    @tf.function
    def epoch(order):
        loss_sum, correct = tf.constant(0.0), tf.constant(0, tf.int64)
        for step in tf.range(steps):
            batch = order[step * batch_size:(step + 1) * batch_size]
            x, y = tf.gather(images, batch), tf.gather(labels, batch)
            with tf.GradientTape() as tape:
                probabilities = net(x, training=True)
                loss = loss_of(y, probabilities)
            optimizer.apply_gradients(zip(tape.gradient(loss, trainable), trainable))
            loss_sum += loss * tf.cast(tf.size(y), tf.float32)
            correct += _count_correct(probabilities, y)
        return loss_sum / count, tf.cast(correct, tf.float64) / count

    def run(order: np.ndarray) -> tuple[float, float]:
        loss, accuracy = epoch(tf.constant(order))
        return float(loss), float(accuracy)

    return run


def compile_evaluate(net, batch_size: int = 1000):
    """A function ``evaluate(images, labels) -> (mean loss, accuracy)`` for ``net``."""
    import tensorflow as tf

    keras = keras_module()
    loss_of = keras.losses.SparseCategoricalCrossentropy(reduction="sum")

    @tf.function
    def batch_totals(x, y):
        probabilities = net(x, training=False)
        return loss_of(y, probabilities), _count_correct(probabilities, y)

    def run(images: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
        loss_sum, correct = 0.0, 0
        labels = labels.astype(np.int32)
        for start in range(0, len(images), batch_size):
            loss, hits = batch_totals(tf.constant(images[start:start + batch_size]),
                                      tf.constant(labels[start:start + batch_size]))
            loss_sum, correct = loss_sum + float(loss), correct + int(hits)
        return loss_sum / len(images), correct / len(images)

    return run


def _count_correct(probabilities, labels):
    import tensorflow as tf

    predicted = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
    return tf.reduce_sum(tf.cast(tf.equal(predicted, labels), tf.int64))


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
