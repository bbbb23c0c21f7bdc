"""MNIST as a user's script reads it: the four IDX files, checked against their published
sha256, split as the suite splits them (the last 5,000 training images held out for
validation). Needs only numpy, so the PyTorch peer can use it in its own venv.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
from pathlib import Path

import numpy as np

# sha256 of each decompressed file, as published beside the official files (torchvision
# and TensorFlow Datasets check the same).
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
VALIDATION_SIZE = 5_000  # the suite's hold-out: the last 5,000 of the 60,000


@dataclasses.dataclass(frozen=True)
class Mnist:
    train_images: np.ndarray  # uint8 (55000, 28, 28)
    train_labels: np.ndarray
    val_images: np.ndarray  # uint8 (5000, 28, 28)
    val_labels: np.ndarray


def read_idx(directory: Path, name: str) -> np.ndarray:
    """The array in ``directory``/``name`` (plain or .gz), after its hash is checked."""
    plain, packed = directory / name, directory / f"{name}.gz"
    if plain.is_file():
        raw = plain.read_bytes()
    elif packed.is_file():
        raw = gzip.decompress(packed.read_bytes())
    else:
        raise SystemExit(f"--data-dir {directory}: neither {name} nor {name}.gz is there")
    if hashlib.sha256(raw).hexdigest() != SHA256[name]:
        raise SystemExit(f"--data-dir {directory}: {name} is not the published MNIST file "
                         f"(its sha256 differs)")
    dimensions = raw[3]  # IDX: two zero bytes, the type (0x08, unsigned byte), dimensions
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dimensions))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dimensions).reshape(shape)


def load_mnist(data_dir) -> Mnist:
    directory = Path(data_dir)
    images = read_idx(directory, "train-images-idx3-ubyte")
    labels = read_idx(directory, "train-labels-idx1-ubyte")
    held = len(images) - VALIDATION_SIZE
    return Mnist(images[:held], labels[:held], images[held:], labels[held:])
