"""A run's seeds are its own: other threads drawing from Python's shared `random` (as a
Dask worker's event loop does) change nothing (freezecheck/train/determinism.py)."""

from __future__ import annotations

import contextlib
import random
import threading

import numpy as np
import pytest

from freezecheck.train.determinism import own_python_random


@contextlib.contextmanager
def another_thread_drawing():
    """A thread that draws from the shared generator as fast as it can until the end."""
    stop = threading.Event()
    started = threading.Event()

    def draw():
        started.set()
        while not stop.is_set():
            random.random()

    thread = threading.Thread(target=draw, daemon=True)
    thread.start()
    started.wait()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def test_within_the_block_this_thread_draws_its_own_seeded_sequence():
    expected = random.Random(7)
    with another_thread_drawing(), own_python_random(7):
        drawn = [random.randint(1, 10**9) for _ in range(20_000)]
        random.seed(7)  # reseeding (as keras.utils.set_random_seed does) reseeds its own
        again = random.random()
    assert drawn == [expected.randint(1, 10**9) for _ in range(20_000)]
    assert again == random.Random(7).random()


def test_outside_every_block_random_is_exactly_as_it_was():
    functions = {name: getattr(random, name) for name in ("random", "randint", "seed")}
    with own_python_random(1), own_python_random(2):
        assert random.randint is not functions["randint"]
    assert all(getattr(random, name) is f for name, f in functions.items())
    random.seed(3)
    assert random.random() == random.Random(3).random()


def test_other_threads_keep_the_shared_generator():
    random.seed(11)
    seen = []
    with own_python_random(5):
        other = threading.Thread(target=lambda: seen.append(random.random()))
        other.start()
        other.join()
        mine = random.random()
    assert seen == [random.Random(11).random()]  # the shared generator's next draw
    assert mine == random.Random(5).random()


@pytest.mark.training
def test_a_run_is_bitwise_the_same_while_another_thread_draws(tmp_path):
    """The digits example's MLP, trained quietly and then while a thread draws from
    `random` without pause: the same initial and final weights and curves. Before the
    training thread had a generator of its own, Keras' unseeded initialisers drew from
    the shared one, and runs on Dask workers sometimes differed this way."""
    import freezecheck

    def build():
        from freezecheck.train.backend import keras as keras_module

        keras = keras_module()  # tf-keras where TF_USE_LEGACY_KERAS=1 makes it TF's
        return keras.Sequential([keras.Input((16,)),
                                 keras.layers.Dense(32, activation="relu", name="hidden"),
                                 keras.layers.Dense(4, activation="softmax", name="out")])

    rng = np.random.default_rng(0)
    images = rng.normal(size=(600, 16)).astype(np.float32)
    labels = (images[:, :4].argmax(axis=1)).astype(np.int64)
    experiment = freezecheck.Experiment(
        "quiet", build=build, layers=("hidden", "out"),
        data=freezecheck.arrays(train=(images[:400], labels[:400]),
                                validation=(images[400:500], labels[400:500]),
                                test=(images[500:], labels[500:])),
        recipe=freezecheck.Recipe(epochs=2, batch_size=50),
        gates=freezecheck.Gates(min_accuracy=0.5, curve_band=0.1, curve_level=0.5,
                                curve_max_lag=1))
    baseline = experiment.baseline
    quiet = experiment.train(baseline, experiment.recipe, experiment.data())
    with another_thread_drawing():
        busy = experiment.train(baseline, experiment.recipe, experiment.data())
    assert quiet.history == busy.history
    for path in quiet.weights_before:
        assert quiet.weights_before[path].tobytes() == busy.weights_before[path].tobytes()
        assert quiet.weights_after[path].tobytes() == busy.weights_after[path].tobytes()
