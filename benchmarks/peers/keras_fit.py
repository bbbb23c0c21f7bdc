"""Peer: the frozen-layer experiment as first done, with plain Keras ``model.fit``.

    python benchmarks/peers/keras_fit.py --data-dir DIR \\
        [--models lenet,lenet5] [--epochs-lenet 10] [--epochs-lenet5 15] \\
        [--train-images 55000] [--variants lenet5[none],lenet5[conv1]]

Why it exists: benchmarks/speed.py compares the suite's cost with what a user
would otherwise write. This is that script, the naive way: float32 inputs scaled by
1/255 in numpy, ``compile`` + ``fit`` with Keras defaults, TensorFlow's default thread
counts, no op determinism. It trains, one after another, each model's baseline
("MODEL[none]") and each weight layer frozen alone at its random initial weights
("MODEL[LAYER]"), with the suite's recipe: Glorot-uniform kernels and zero biases
(Keras defaults), Adam at 2e-3 with cosine decay to 0 over all steps, batch size 64,
shuffled every epoch, sparse categorical cross-entropy, seed 0 before each variant.

Output: one JSON line on stdout, nothing else there; logs go to stderr.
    {"framework": "keras", "versions": {...}, "runs": [{"variant", "epochs",
     "epoch_seconds", "train_images", "final_val_accuracy", "val_accuracy"}, ...],
     "wall_seconds": ...}
An epoch's seconds include its validation pass (Keras runs it before ``on_epoch_end``),
and the first epoch of each variant includes graph tracing, as a user would see.
``wall_seconds`` runs from loading the data to the end of the last variant (interpreter
start-up and the TensorFlow import are outside it; time the process for those).
"""

from __future__ import annotations

import json
import math
import os
import platform
import time

import numpy as np
import tensorflow as tf

from mnist import load_mnist
from peer_cli import (BATCH_SIZE, LEARNING_RATE, PARAMETER_COUNTS, SEED, log, parse_args)

keras = tf.keras


def build(model: str, frozen: str) -> keras.Model:
    """An uncompiled ``model``; the layer named ``frozen`` (or none) is not trainable."""
    layers = keras.layers
    if model == "lenet":
        body = [
            layers.Conv2D(20, 5, activation="relu", name="conv1"),
            layers.MaxPooling2D(2),
            layers.Conv2D(50, 5, activation="relu", name="conv2"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(500, activation="relu", name="fc1"),
        ]
    else:
        body = [
            layers.Conv2D(6, 5, padding="same", activation="relu", name="conv1"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 5, activation="relu", name="conv2"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(120, activation="relu", name="fc1"),
            layers.Dense(84, activation="relu", name="fc2"),
        ]
    net = keras.Sequential([keras.Input((28, 28, 1)), *body,
                            layers.Dense(10, activation="softmax", name="out")])
    # Guards against a typo in the layers above silently changing the experiment.
    assert net.count_params() == PARAMETER_COUNTS[model], net.count_params()
    if frozen != "none":
        # Must happen before compile: that is when Keras reads ``trainable``.
        net.get_layer(frozen).trainable = False
    return net


class EpochTimer(keras.callbacks.Callback):
    def __init__(self, variant: str):
        super().__init__()
        self.variant, self.seconds = variant, []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)
        log(f"{self.variant} epoch {epoch + 1}: {self.seconds[-1]:.1f} s, "
            f"val_accuracy {logs['val_accuracy']:.4f}")


def train(variant: str, epochs: int, x, y, val) -> dict:
    model, frozen = variant[:-1].split("[")
    keras.backend.clear_session()  # free the previous variant's graph and weights
    # Same seed before every variant, so each frozen layer keeps exactly the initial
    # weights its baseline started from.
    keras.utils.set_random_seed(SEED)
    net = build(model, frozen)
    steps = epochs * math.ceil(len(x) / BATCH_SIZE)  # fit keeps the last partial batch
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=steps)
    net.compile(optimizer=keras.optimizers.Adam(schedule),
                loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer(variant)
    history = net.fit(x, y, batch_size=BATCH_SIZE, epochs=epochs, validation_data=val,
                      shuffle=True, callbacks=[timer], verbose=0)
    curve = [float(a) for a in history.history["val_accuracy"]]
    return {"variant": variant, "epochs": epochs, "epoch_seconds": timer.seconds,
            "train_images": len(x), "final_val_accuracy": curve[-1],
            "val_accuracy": curve}


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    # Keep stdout for the one JSON line: anything else written to file descriptor 1
    # (Python prints, or native code in TensorFlow) is sent to stderr instead.
    result_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)

    start = time.perf_counter()
    d = load_mnist(args.data_dir)
    n = args.train_images
    x = d.train_images[:n].astype("float32")[..., None] / 255  # (n, 28, 28, 1)
    val = (d.val_images.astype("float32")[..., None] / 255, d.val_labels)
    epochs = {"lenet": args.epochs_lenet, "lenet5": args.epochs_lenet5}
    runs = [train(v, epochs[v.split("[")[0]], x, d.train_labels[:n], val)
            for v in args.variants]

    result = {
        "framework": "keras",
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__,
                     "keras": keras.__version__, "numpy": np.__version__},
        "runs": runs,
        "wall_seconds": time.perf_counter() - start,
    }
    print(json.dumps(result), file=result_out, flush=True)


if __name__ == "__main__":
    main()
