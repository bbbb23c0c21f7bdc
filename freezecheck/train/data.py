"""A data set as a training run takes it, and checking a data file against its pinned hash.

Needs only numpy. An experiment's data set comes from :func:`freezecheck.arrays`, or
from files its data function reads and checks with :func:`verify_file`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np

from freezecheck.errors import DataIntegrityError, DataMissingError


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A verified data set as arrays: inputs (``*_images``, first axis the examples)
    and integer labels, split into training, validation (per-epoch accuracy) and test
    (once, at the end)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    sha256: dict[str, str]
    """File name -> verified sha256 of its decompressed bytes (for
    :func:`freezecheck.arrays`, one digest of the arrays); part of every run's store
    key."""
    source: str
    """The directory the files were read from."""
    name: str
    """Which data set."""


def verify_file(path, sha256: str) -> bytes:
    """The bytes of ``path``, after checking their sha256 against the pinned ``sha256``:
    for a user experiment whose data are files. Refuses a missing file or other content,
    naming the file, both hashes, and what to do."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataMissingError(f"{path}: cannot be read ({exc.strerror or exc}). Put the "
                               f"file there, or point the experiment at its directory.") from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != sha256.lower():
        raise DataIntegrityError(
            f"{path}: content differs from the pinned file.\n"
            f"  expected sha256: {sha256.lower()}\n"
            f"  actual sha256:   {digest}\n"
            f"Replace it with the file the experiment was declared with, or, if the data "
            f"changed on purpose, pin the new hash (runs of the old data are not reused).")
    return raw
