"""Training one variant: ``train(variant, recipe, data) -> RunRecord``.

The one place that trains. It returns what happened and asserts nothing; tests judge.
"""

from __future__ import annotations

import platform
import resource
import time

import numpy as np

from freezecheck.describe.recipe import Recipe
from freezecheck.describe.variants import Variant
from freezecheck.errors import ConfigError
from freezecheck.train import backend
from freezecheck.train.backend import keras as keras_module
from freezecheck.train.data import Dataset
from freezecheck.train.determinism import make_deterministic, own_python_random
from freezecheck.train.records import RunRecord


def train(variant: Variant, recipe: Recipe, data: Dataset, build, inputs=None,
          compile=None) -> RunRecord:
    """Train ``variant`` from a fresh seeded initialisation with ``recipe`` on ``data``.

    ``build(variant)`` returns the uncompiled network, its ``variant.frozen`` layers
    already set not trainable. ``inputs(images)`` turns an image array into what the
    network takes (default: the arrays as they are).

    Validation accuracy is measured after every epoch on the held-out images; test
    accuracy once, at the end. Weights are snapshotted right after initialisation and
    after the last epoch. ``recipe.training`` chooses the loop: freezecheck's compiled
    whole-epoch loop, or Keras' ``fit``. ``compile(net)``, if given, compiles the network
    in place of freezecheck's recipe (its own optimizer, loss and metrics); only ``fit``
    trains such a network.
    """
    if compile is not None and recipe.training != "fit":
        raise ValueError("a network compiled by its experiment trains through fit only")
    with own_python_random(recipe.seed):  # no other thread's draws reach this run
        return _train(variant, recipe, data, build, inputs, compile)


def _train(variant: Variant, recipe: Recipe, data: Dataset, build, inputs,
           compile=None) -> RunRecord:
    make_deterministic(recipe.seed, recipe.threads)
    keras = keras_module()

    prepare = inputs or _unchanged
    x_train, y_train = prepare(data.train_images), data.train_labels
    if recipe.train_images is not None:
        x_train, y_train = x_train[: recipe.train_images], y_train[: recipe.train_images]
    validation = prepare(data.val_images), data.val_labels

    net = build(variant)
    before = snapshot(net)
    steps_per_epoch = -(-len(x_train) // recipe.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(
        recipe.learning_rate, decay_steps=recipe.epochs * steps_per_epoch
    )
    optimizer = keras.optimizers.Adam(schedule)
    started = time.perf_counter()
    if recipe.training == "fit":
        history, epoch_seconds, evaluate = _train_with_fit(net, optimizer, recipe, x_train,
                                                           y_train, validation, compile)
    else:
        history, epoch_seconds, evaluate = _train_with_loop(net, optimizer, recipe, x_train,
                                                            y_train, validation)
    train_seconds = time.perf_counter() - started
    test_loss, test_accuracy = evaluate(prepare(data.test_images), data.test_labels)
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


def _train_with_loop(net, optimizer, recipe: Recipe, x_train, y_train, validation):
    """The compiled whole-epoch loop: (history, seconds per epoch, evaluate)."""
    loop = compile_epoch(net, optimizer, x_train, y_train, recipe.batch_size)
    evaluate = compile_evaluate(net)
    # The shuffle order of every epoch comes from the recipe's seed alone.
    orders = np.random.default_rng(recipe.seed)
    history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
    epoch_seconds = []
    for _ in range(recipe.epochs):
        epoch_started = time.perf_counter()
        loss, accuracy = loop(orders.permutation(len(x_train)).astype(np.int32))
        val_loss, val_accuracy = evaluate(*validation)
        epoch_seconds.append(time.perf_counter() - epoch_started)
        for key, value in (("loss", loss), ("accuracy", accuracy),
                           ("val_loss", val_loss), ("val_accuracy", val_accuracy)):
            history[key].append(value)
    return history, epoch_seconds, evaluate


def _train_with_fit(net, optimizer, recipe: Recipe, x_train, y_train, validation,
                    compile=None):
    """Keras' own ``compile`` + ``fit``, as users train: (history, seconds per epoch,
    evaluate). Keras shuffles every epoch from the global seed that
    :func:`make_deterministic` set, so this path is deterministic too, though its
    order is not the loop's. ``compile`` comes after freezing, which is when both
    Keras 2 and Keras 3 read ``trainable``."""
    keras = keras_module()
    if compile is None:
        net.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(),
                    metrics=["accuracy"])
    else:
        compile(net)
    timer = _EpochTimer(keras)
    fitted = net.fit(x_train, y_train.astype(np.int32), batch_size=recipe.batch_size,
                     epochs=recipe.epochs, validation_data=(validation[0],
                                                            validation[1].astype(np.int32)),
                     shuffle=True, verbose=0, callbacks=[timer.callback])
    missing = [key for key in HISTORY_KEYS if key not in fitted.history]
    if missing:
        raise ConfigError(f"compile expected the metrics to include 'accuracy' (the gates' "
                          f"metric). Received: a fit history of {sorted(fitted.history)}; "
                          f"pass metrics=['accuracy', ...] to model.compile")
    # An experiment's own compile: every metric fit reports is kept; the gates read
    # accuracy.
    kept = HISTORY_KEYS if compile is None else fitted.history
    history = {key: [float(v) for v in fitted.history[key]] for key in kept}

    def evaluate(images, labels):
        results = net.evaluate(images, labels.astype(np.int32), batch_size=1000,
                               verbose=0, return_dict=True)
        return float(results["loss"]), float(results["accuracy"])

    return history, timer.seconds, evaluate


class _EpochTimer:
    """Wall-clock seconds of each epoch of ``fit`` (validation included, as in the loop)."""

    def __init__(self, keras):
        self.seconds: list[float] = []
        timer = self

        class Callback(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                timer.started = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                timer.seconds.append(time.perf_counter() - timer.started)

        self.callback = Callback()


HISTORY_KEYS = ("accuracy", "loss", "val_accuracy", "val_loss")


def compile_epoch(net, optimizer, images: np.ndarray, labels: np.ndarray, batch_size: int):
    """A function ``epoch(order) -> (mean loss, accuracy)`` that trains ``net`` on one
    pass over ``images`` in the given order (an int32 permutation of their indices).

    The whole epoch is one TensorFlow graph over tensors held in memory: no per-step
    Python and no input pipeline. On this kind of 2-core CPU it trains the built-in
    experiment's smaller network at one thread 1.6 times as fast as ``model.fit`` does
    with both cores (README, "Speed"),
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


def _unchanged(images: np.ndarray) -> np.ndarray:
    return images


def _short_name(weight) -> str:
    # Keras 3 names a variable "kernel"; Keras 2 "conv1/kernel:0".
    return weight.name.split("/")[-1].split(":")[0]
