"""Reading and verifying the MNIST IDX files, and the fixed validation hold-out.

Needs only numpy. The four official files are looked for in a directory (given by
``--freezecheck-data-dir`` or ``FREEZECHECK_DATA_DIR``), each as ``NAME.gz`` or plain
``NAME``. Every file is decompressed, its IDX header parsed strictly, and the sha256 of
the decompressed bytes checked against the pinned official value before any array is
returned. With no directory given, the files are fetched once into the Keras cache with
``keras.utils.get_file``, which checks the pinned sha256 of the ``.gz`` it downloads.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

from freezecheck.errors import DataFormatError, DataIntegrityError, DataMissingError

DATA_DIR_ENV = "FREEZECHECK_DATA_DIR"

IMAGES_MAGIC = 2051  # IDX: unsigned byte, 3 dimensions
LABELS_MAGIC = 2049  # IDX: unsigned byte, 1 dimension
IMAGE_SIDE = 28
NUM_CLASSES = 10

# The last 5,000 of the 60,000 training images are held out as the validation set,
# the split under which the experiment was first measured. It is a fixed slice, not a
# random draw, so it is the same in every run, version and worker.
VALIDATION_SIZE = 5_000


@dataclasses.dataclass(frozen=True)
class IdxFile:
    """One of the four files: its name, what it holds, and its pinned hashes."""

    name: str
    magic: int
    count: int
    sha256: str  # of the decompressed IDX bytes
    gz_sha256: str  # of the official .gz, for downloads


# sha256 values as published alongside the official files (torchvision and TensorFlow
# Datasets check the same); see ../shared/data/mnist/README.md.
MNIST_FILES = (
    IdxFile(
        "train-images-idx3-ubyte",
        IMAGES_MAGIC,
        60_000,
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    IdxFile(
        "train-labels-idx1-ubyte",
        LABELS_MAGIC,
        60_000,
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    IdxFile(
        "t10k-images-idx3-ubyte",
        IMAGES_MAGIC,
        10_000,
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    IdxFile(
        "t10k-labels-idx1-ubyte",
        LABELS_MAGIC,
        10_000,
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
)

# Mirrors that serve the official .gz files byte for byte (the first is the one
# torchvision uses; the second is the original site, often unavailable).
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)
CACHE_SUBDIR = "datasets/freezecheck-mnist"

HOW_TO_POINT_AT_LOCAL = (
    "Point freezecheck at a directory holding the four official MNIST files "
    "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
    "t10k-labels-idx1-ubyte, each plain or .gz) with --freezecheck-data-dir=DIR "
    f"or the environment variable {DATA_DIR_ENV}=DIR."
)


@dataclasses.dataclass(frozen=True)
class Mnist:
    """The verified data set as uint8 arrays.

    Images have shape (n, 28, 28), labels shape (n,). ``train_*`` are the first 55,000
    training images, ``val_*`` the held-out last 5,000, ``test_*`` the 10,000 test images.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    sha256: dict[str, str]  # file name -> verified sha256 of its decompressed bytes
    source: str  # the directory the files were read from


def parse_idx(raw: bytes, *, magic: int, name: str = "<bytes>") -> np.ndarray:
    """Parse IDX bytes holding unsigned bytes, strictly.

    The header must carry ``magic`` (2051 for images, 2049 for labels), images must be
    28x28, and the payload must be exactly as long as the header says: no more, no less.
    Returns a read-only-safe copy as a uint8 array of shape (count, 28, 28) or (count,).
    """
    ndim = {IMAGES_MAGIC: 3, LABELS_MAGIC: 1}[magic]
    header_size = 4 + 4 * ndim
    if len(raw) >= 4 and int.from_bytes(raw[0:4], "big") != magic:
        raise DataFormatError(
            f"{name}: wrong magic number {int.from_bytes(raw[0:4], 'big')} (expected "
            f"{magic}, {'images' if magic == IMAGES_MAGIC else 'labels'}). Is it the "
            f"right file, or a file of another kind under this name?"
        )
    if len(raw) < header_size:
        raise DataFormatError(
            f"{name}: truncated: {len(raw)} bytes, shorter than the {header_size}-byte "
            f"IDX header. Replace the file with an intact copy."
        )
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if ndim == 3 and dims[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataFormatError(
            f"{name}: wrong image shape {dims[1]}x{dims[2]} (expected "
            f"{IMAGE_SIDE}x{IMAGE_SIDE})."
        )
    expected = header_size + int(np.prod(dims, dtype=np.int64))
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has trailing bytes"
        raise DataFormatError(
            f"{name}: {what}: {len(raw)} bytes, but its header {dims} needs exactly "
            f"{expected}. Replace the file with an intact copy."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(dims).copy()


def read_idx_file(directory: Path, spec: IdxFile) -> tuple[np.ndarray, str]:
    """Read, parse and verify one file of ``directory``; return its array and sha256."""
    path = _find(directory, spec.name)
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataFormatError(
            f"{path}: not a complete gzip file ({exc}): truncated or corrupted. "
            f"Replace it with an intact copy."
        ) from exc
    except OSError as exc:
        raise DataMissingError(f"{path}: cannot be read ({exc}).") from exc
    array = parse_idx(raw, magic=spec.magic, name=str(path))
    if len(array) != spec.count:
        raise DataFormatError(
            f"{path}: holds {len(array)} items, expected {spec.count}."
        )
    digest = hashlib.sha256(raw).hexdigest()
    if digest != spec.sha256:
        raise DataIntegrityError(
            f"{path}: content differs from the official {spec.name}.\n"
            f"  expected sha256 (decompressed): {spec.sha256}\n"
            f"  actual sha256   (decompressed): {digest}\n"
            f"The file is corrupted or is not the official MNIST file. Replace it with "
            f"the official copy (the .gz published with sha256 {spec.gz_sha256})."
        )
    if spec.magic == LABELS_MAGIC and array.max(initial=0) >= NUM_CLASSES:
        raise DataFormatError(f"{path}: holds a label above {NUM_CLASSES - 1}.")
    return array, digest


def load_mnist(data_dir: str | os.PathLike | None = None) -> Mnist:
    """Load and verify MNIST, then split off the validation hold-out.

    ``data_dir`` falls back to ``$FREEZECHECK_DATA_DIR``, then to the Keras cache, into
    which the files are downloaded when they are not already there.
    """
    directory = resolve_data_dir(data_dir)
    arrays, hashes = {}, {}
    for spec in MNIST_FILES:
        arrays[spec.name], hashes[spec.name] = read_idx_file(directory, spec)
    train_x, train_y = arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"]
    split = len(train_x) - VALIDATION_SIZE
    return Mnist(
        train_images=train_x[:split],
        train_labels=train_y[:split],
        val_images=train_x[split:],
        val_labels=train_y[split:],
        test_images=arrays["t10k-images-idx3-ubyte"],
        test_labels=arrays["t10k-labels-idx1-ubyte"],
        sha256=hashes,
        source=str(directory),
    )


def resolve_data_dir(data_dir: str | os.PathLike | None) -> Path:
    """The directory to read: the argument, else the environment, else the cache."""
    given = data_dir if data_dir not in (None, "") else os.environ.get(DATA_DIR_ENV)
    if given:
        directory = Path(given).expanduser()
        if not directory.is_dir():
            raise DataMissingError(
                f"MNIST data directory {str(directory)!r} does not exist or is not a "
                f"directory. {HOW_TO_POINT_AT_LOCAL}"
            )
        return directory
    return download_mnist()


def download_mnist() -> Path:
    """Fetch the four official .gz files into the Keras cache, each hash-checked.

    Works only where a network is reachable; otherwise the error says how to use a
    local copy instead.
    """
    from freezecheck.backend import keras as keras_module

    keras = keras_module()  # heavy; only needed when nothing local was given

    directory = None
    for spec in MNIST_FILES:
        errors = []
        for mirror in MNIST_MIRRORS:
            try:
                path = keras.utils.get_file(
                    fname=spec.name + ".gz",
                    origin=mirror + spec.name + ".gz",
                    file_hash=spec.gz_sha256,
                    hash_algorithm="sha256",
                    cache_subdir=CACHE_SUBDIR,
                )
                directory = Path(path).parent
                break
            except Exception as exc:  # get_file raises bare Exception on URL errors
                errors.append(f"{mirror}: {exc}")
        else:
            raise DataMissingError(
                f"No MNIST data directory was given and {spec.name}.gz could not be "
                f"downloaded (no network?):\n  " + "\n  ".join(errors) + "\n"
                + HOW_TO_POINT_AT_LOCAL
            )
    return directory


def _find(directory: Path, name: str) -> Path:
    for candidate in (directory / (name + ".gz"), directory / name):
        if candidate.is_file():
            return candidate
    raise DataMissingError(
        f"{directory}: missing {name} (looked for {name}.gz and {name}). "
        + HOW_TO_POINT_AT_LOCAL
    )
