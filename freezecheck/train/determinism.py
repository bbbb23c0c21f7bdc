"""Putting TensorFlow into a deterministic state: seeds, op determinism, thread counts.

TensorFlow promises identical results for identical inputs only on the same hardware,
software stack and thread count, so the thread count is part of a run's recipe. It can
be set once per process, before TensorFlow's runtime starts; a later request for a
different count is refused rather than silently ignored.

Keras draws the seed of every initialiser given none from Python's shared ``random``
generator (``keras.src.random.seed_generator.make_default_seed``; Keras 2 alike). Any
other thread of the process that draws from it between the seeding and the model's
build shifts every initial weight: a Dask worker's event loop does (connection
back-off, timer jitter), so a run trained there sometimes differed from the same run
trained anywhere else. :func:`own_python_random` gives the training thread a generator
of its own, seeded as the shared one would have been, so the runs are what they always
were when nothing else draws, and stay so when something does.
"""

from __future__ import annotations

import contextlib
import random
import threading

from freezecheck.errors import DeterminismError

# The functions of the `random` module that draw from, reseed or read its shared
# generator (those a Python version lacks are skipped).
_RANDOM_FUNCTIONS = ("seed", "getstate", "setstate", "random", "uniform", "triangular",
                     "randint", "choice", "randrange", "sample", "shuffle", "choices",
                     "normalvariate", "lognormvariate", "expovariate", "vonmisesvariate",
                     "gammavariate", "gauss", "betavariate", "paretovariate",
                     "weibullvariate", "getrandbits", "randbytes", "binomialvariate")
_OWN = threading.local()  # .generator: this thread's own, while it trains
_ROUTING = {"lock": threading.Lock(), "users": 0, "shared": {}}


@contextlib.contextmanager
def own_python_random(seed: int):
    """Within, ``random``'s module functions called from this thread draw from a
    generator of its own seeded with ``seed``; other threads keep the shared one.
    Outside every such block, ``random`` is exactly as it was."""
    _route(+1)
    previous = getattr(_OWN, "generator", None)
    _OWN.generator = random.Random(seed)
    try:
        yield
    finally:
        _OWN.generator = previous
        _route(-1)


def _route(change: int) -> None:
    """Install the per-thread routing for the first user, restore ``random`` after the last."""
    with _ROUTING["lock"]:
        _ROUTING["users"] += change
        shared = _ROUTING["shared"]
        if change > 0 and _ROUTING["users"] == 1:
            for name in _RANDOM_FUNCTIONS:
                if hasattr(random, name):
                    shared[name] = getattr(random, name)
                    setattr(random, name, _routed(name, shared[name]))
        elif change < 0 and _ROUTING["users"] == 0:
            for name, function in shared.items():
                setattr(random, name, function)
            shared.clear()


def _routed(name: str, shared):
    def draw(*args, **kwargs):
        own = getattr(_OWN, "generator", None)
        return (getattr(own, name) if own is not None else shared)(*args, **kwargs)
    draw.__name__ = draw.__qualname__ = name
    return draw


def make_deterministic(seed: int, threads: int) -> None:
    """Seed Python, numpy and TensorFlow, enable op determinism and fix thread counts.

    ``threads`` is used for both intra-op and inter-op parallelism. Raises
    :class:`DeterminismError` if this process already runs TensorFlow with other counts.
    """
    from freezecheck.train.backend import keras as keras_module

    keras = keras_module()  # first: fixes this process's threads if TF has not started
    import tensorflow as tf

    threading = tf.config.threading
    current = (threading.get_intra_op_parallelism_threads(),
               threading.get_inter_op_parallelism_threads())
    if current != (threads, threads):
        try:
            threading.set_intra_op_parallelism_threads(threads)
            threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError as exc:
            raise DeterminismError(
                f"TensorFlow already runs in this process with intra/inter-op threads "
                f"{current}; a run asking for threads={threads} cannot change that. Run "
                f"recipes with different thread counts in separate processes."
            ) from exc
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)
