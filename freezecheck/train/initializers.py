"""The Keras initialiser a variant's initialiser name stands for.

Keras is imported only when one is asked for. The names themselves, and their
validation, are in :mod:`freezecheck.describe.variants`.
"""

from __future__ import annotations

from freezecheck.describe.variants import NAMED_INITS, NORMAL_PREFIX, check_init


def initializer(name: str):
    """The Keras initialiser an initialiser name (see :func:`check_init`) stands for."""
    from freezecheck.train.backend import keras as keras_module

    return _initializer(keras_module(), check_init(name))


def _initializer(keras, name: str):
    if name in NAMED_INITS:
        return name
    return keras.initializers.RandomNormal(mean=0.0, stddev=float(name[len(NORMAL_PREFIX):]))
