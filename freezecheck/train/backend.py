"""Which TensorFlow and Keras freezecheck runs on, and which it supports.

The version checks read package metadata only, so they cost nothing at start-up;
:func:`keras` imports TensorFlow and is called only by code that builds or trains.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform

from freezecheck.describe.recipe import THREADS_PER_PROCESS
from freezecheck.errors import UnsupportedVersionError

# Oldest and newest TensorFlow minor versions the tox matrix runs (see tox.ini).
SUPPORTED_TENSORFLOW = ((2, 15), (2, 21))
TENSORFLOW_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu")


def tensorflow_version() -> str | None:
    """The installed TensorFlow's version, from package metadata, or None."""
    for distribution in TENSORFLOW_DISTRIBUTIONS:
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def uses_legacy_keras() -> bool:
    """True where tf.keras is Keras 2: TensorFlow 2.15 and older, or tf-keras selected
    by TF_USE_LEGACY_KERAS=1 on 2.16 and later."""
    version = _minor(tensorflow_version() or "0.0")
    return version <= (2, 15) or os.environ.get("TF_USE_LEGACY_KERAS", "") in ("1", "true", "True")


def check_supported() -> str:
    """Return the TensorFlow version, or raise if it is missing or outside the range."""
    version = tensorflow_version()
    low, high = SUPPORTED_TENSORFLOW
    supported = f"{low[0]}.{low[1]} to {high[0]}.{high[1]}"
    if version is None:
        raise UnsupportedVersionError(
            f"TensorFlow is not installed. freezecheck supports TensorFlow {supported}: "
            f"pip install 'tensorflow-cpu>={low[0]}.{low[1]},<{high[0]}.{high[1] + 1}'"
        )
    if not (low <= _minor(version) <= high):
        raise UnsupportedVersionError(
            f"TensorFlow {version} is not supported: freezecheck supports TensorFlow "
            f"{supported}. Install a supported version, e.g. "
            f"pip install 'tensorflow-cpu=={high[0]}.{high[1]}.*'"
        )
    if uses_legacy_keras() and _minor(version) >= (2, 16):
        try:
            importlib.metadata.version("tf-keras")
        except importlib.metadata.PackageNotFoundError:
            raise UnsupportedVersionError(
                f"TF_USE_LEGACY_KERAS=1 asks for Keras 2, but tf-keras is not installed: "
                f"pip install 'tf-keras=={_minor(version)[0]}.{_minor(version)[1]}.*'"
            ) from None
    return version


def keras_version() -> str | None:
    """The version of the Keras package tf.keras is: ``keras``, or ``tf-keras`` where
    TF_USE_LEGACY_KERAS selects it."""
    legacy = uses_legacy_keras() and _minor(tensorflow_version() or "0.0") >= (2, 16)
    try:
        return importlib.metadata.version("tf-keras" if legacy else "keras")
    except importlib.metadata.PackageNotFoundError:
        return None


def environment_name() -> str:
    """A name for this environment, as the tox environments are named:
    ``py311-tf221``, or ``py311-tf221-keras2`` where tf-keras replaces Keras 3."""
    python = "".join(platform.python_version_tuple()[:2])
    major, minor = _minor(tensorflow_version() or "0.0")
    legacy = "-keras2" if uses_legacy_keras() and (major, minor) >= (2, 16) else ""
    return f"py{python}-tf{major}{minor}{legacy}"


def keras():
    """The Keras module TensorFlow trains with (``tf.keras``): Keras 2 or Keras 3.

    Every use of TensorFlow in freezecheck goes through here, so the first one fixes
    the process's thread counts before TensorFlow's runtime starts (it cannot change
    them afterwards): building a model in a test must not lock a later training run
    out of its recipe's thread count.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no start-up banner
    import tensorflow as tf

    global _threads_fixed
    if not _threads_fixed:
        _threads_fixed = True
        try:
            tf.config.threading.set_intra_op_parallelism_threads(THREADS_PER_PROCESS)
            tf.config.threading.set_inter_op_parallelism_threads(THREADS_PER_PROCESS)
        except RuntimeError:
            pass  # started by someone else; make_deterministic() says so if it matters
    return tf.keras


_threads_fixed = False


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int("".join(c for c in minor if c.isdigit()) or 0)
