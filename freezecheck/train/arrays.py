"""A data set from arrays in memory, checked before anything trains on it."""

from __future__ import annotations

import hashlib

import numpy as np

from freezecheck.errors import ConfigError
from freezecheck.train.data import Dataset


def arrays(train, validation, test=None, *, name: str = "arrays",
           allow_unscaled: bool = False) -> Dataset:
    """A data set from in-memory arrays: ``(inputs, integer labels)`` pairs for training,
    validation (judged every epoch) and test (once at the end; the validation pair if
    not given). Its sha256, part of every run's store key, covers the arrays' dtypes,
    shapes and bytes. Integer inputs above 1 (8-bit images, 0-255) and one-hot labels
    are refused, naming the fix; ``allow_unscaled=True`` accepts unscaled inputs for a
    model that scales them itself."""
    pairs = {"train": train, "validation": validation, "test": validation if test is None else test}
    checked = {}
    for part, pair in pairs.items():
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise ConfigError(f"data {name!r}: {part} expected an (inputs, labels) pair. "
                              f"Received: {type(pair).__name__}")
        inputs, labels = np.asarray(pair[0]), np.asarray(pair[1])
        if labels.ndim == 2 and labels.shape[1] > 1 and np.isin(labels, (0, 1)).all() \
                and (labels.sum(axis=1) == 1).all():
            raise ConfigError(f"data {name!r}: {part} labels expected a 1-D array of integer "
                              f"class indices. Received: one-hot labels of shape "
                              f"{labels.shape}; pass labels.argmax(axis=1)")
        if np.issubdtype(inputs.dtype, np.integer) and not allow_unscaled and inputs.size \
                and int(inputs.max()) > 1:
            raise ConfigError(
                f"data {name!r}: {part} inputs expected floats scaled to a small range "
                f"(e.g. [0, 1]). Received: {inputs.dtype} values up to {int(inputs.max())}, "
                f"which trains far worse. Scale them (x.astype('float32') / 255 for "
                f"8-bit images), or pass allow_unscaled=True if the model scales its "
                f"own inputs (a Rescaling layer, say).")
        if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
            raise ConfigError(f"data {name!r}: {part} labels expected a 1-D array of integer "
                              f"class indices. Received: shape {labels.shape}, dtype {labels.dtype}")
        if len(inputs) != len(labels) or not len(labels):
            raise ConfigError(f"data {name!r}: {part} expected as many inputs as labels, at "
                              f"least one. Received: {len(inputs)} inputs, {len(labels)} labels")
        if labels.min() < 0:
            raise ConfigError(f"data {name!r}: {part} labels expected class indices from 0. "
                              f"Received: a label {int(labels.min())}")
        checked[part] = (inputs, labels)
    shapes = {part: inputs.shape[1:] for part, (inputs, _) in checked.items()}
    if len(set(shapes.values())) != 1:
        raise ConfigError(f"data {name!r}: train, validation and test inputs expected one "
                          f"shape per example. Received: {shapes}")
    digest = hashlib.sha256()
    for part in pairs:
        for array in checked[part]:
            array = np.ascontiguousarray(array)
            digest.update(f"{part}{array.dtype.str}{array.shape}".encode())
            digest.update(array.tobytes())
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = checked.values()
    return Dataset(train_x, train_y, val_x, val_y, test_x, test_y,
                   sha256={"arrays": digest.hexdigest()}, source=name, name=name)
