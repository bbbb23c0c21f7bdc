"""The built-in experiment's data sets, MNIST and Fashion-MNIST: their IDX files read
and verified, and the fixed validation hold-out.

Needs only numpy. Two data sets share the format and the four file names: MNIST and
Fashion-MNIST. The files are looked for in a directory (``--freezecheck-data-dir``, else
the data set's environment variable, else the directory a system package installs them
into), each as ``NAME.gz`` or plain ``NAME``. Every file is decompressed, its IDX header
parsed strictly, and the sha256 of the decompressed bytes checked against the pinned
value before any array is returned. With no directory found, the files are fetched once
into the Keras cache with ``keras.utils.get_file``, which checks the pinned hash of each
``.gz`` it downloads.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

from freezecheck.errors import (ConfigError, DataFormatError, DataIntegrityError,
                                DataMissingError)
from freezecheck.train.data import Dataset

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
    gz_hash: str  # of the published .gz, for downloads (algorithm: the data set's)


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

# sha256 of the decompressed files of Debian's package dataset-fashion-mnist
# (0.0~git20200523.55506a9-1), measured here. Debian re-compressed the .gz files, so
# their bytes differ from the upstream ones; the upstream .gz MD5s, as published in the
# Fashion-MNIST README (Xiao, Rasul and Vollgraf, 2017), check a download instead.
FASHION_MNIST_FILES = (
    IdxFile("train-images-idx3-ubyte", IMAGES_MAGIC, 60_000,
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    IdxFile("train-labels-idx1-ubyte", LABELS_MAGIC, 60_000,
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "25c81989df183df01b3e8a0aad5dffbe"),
    IdxFile("t10k-images-idx3-ubyte", IMAGES_MAGIC, 10_000,
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "bef4ecab320f06d8554ea6380940ec79"),
    IdxFile("t10k-labels-idx1-ubyte", LABELS_MAGIC, 10_000,
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            "bb300cfdad3c16e7a12a480ee83cd310"),
)


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """Where one data set comes from and how its files are recognised."""

    name: str  # as given to --freezecheck-dataset
    title: str  # as written in messages
    files: tuple[IdxFile, ...]
    env_var: str  # names its directory when no option does
    mirrors: tuple[str, ...]  # serve the published .gz files byte for byte
    gz_hash_algorithm: str
    system_dir: str | None = None  # where a system package installs the files
    install_hint: str = ""

    @property
    def cache_subdir(self) -> str:
        return f"datasets/freezecheck-{self.name}"

    def how_to_point_at_local(self) -> str:
        names = ", ".join(spec.name for spec in self.files)
        return (f"Point freezecheck at a directory holding the four {self.title} files "
                f"({names}, each plain or .gz) with --freezecheck-data-dir=DIR or the "
                f"environment variable {self.env_var}=DIR.{self.install_hint}")


DATASETS = {
    "mnist": DatasetSpec(
        "mnist", "MNIST", MNIST_FILES, DATA_DIR_ENV,
        # The first serves the official .gz files as torchvision does; the second is
        # the original site, often unavailable.
        ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://yann.lecun.com/exdb/mnist/"),
        "sha256"),
    "fashion-mnist": DatasetSpec(
        "fashion-mnist", "Fashion-MNIST", FASHION_MNIST_FILES, "FREEZECHECK_FASHION_MNIST_DIR",
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        "md5", system_dir="/usr/share/datasets/fashion-mnist",
        install_hint=" On Debian, `apt-get install dataset-fashion-mnist` installs them "
                     "into /usr/share/datasets/fashion-mnist, which is then found."),
}
DATASET_NAMES = tuple(DATASETS)
# Where each data set's directory is looked for, for the option's help.
DATA_DIR_DEFAULTS = ", ".join(
    f"${spec.env_var}{' or ' + spec.system_dir if spec.system_dir else ''} for {spec.title}"
    for spec in DATASETS.values())
# Data set name -> how reports title it.
TITLES = {name: spec.title for name, spec in DATASETS.items()}


def check_dataset_name(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise ConfigError(f"Unknown dataset: expected one of {', '.join(DATASET_NAMES)}. "
                          f"Received: dataset={name!r}")
    return DATASETS[name]


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


def read_idx_file(directory: Path, spec: IdxFile, dataset: DatasetSpec = None) -> tuple[np.ndarray, str]:
    """Read, parse and verify one file of ``directory``; return its array and sha256."""
    dataset = dataset or DATASETS["mnist"]
    path = _find(directory, spec.name, dataset)
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
            f"{path}: content differs from the official {dataset.title} {spec.name}.\n"
            f"  expected sha256 (decompressed): {spec.sha256}\n"
            f"  actual sha256   (decompressed): {digest}\n"
            + _identify(digest, dataset)
            + f"Replace it with the official copy (the .gz published with "
            f"{dataset.gz_hash_algorithm} {spec.gz_hash})."
        )
    if spec.magic == LABELS_MAGIC and array.max(initial=0) >= NUM_CLASSES:
        raise DataFormatError(f"{path}: holds a label above {NUM_CLASSES - 1}.")
    return array, digest


def _identify(digest: str, expected: DatasetSpec) -> str:
    """Say so when a file is another data set's (the usual mix-up: same file names)."""
    for other in DATASETS.values():
        if other is not expected and any(f.sha256 == digest for f in other.files):
            return (f"It is the {other.title} file: this session reads {expected.title} "
                    f"(--freezecheck-dataset={expected.name}), so point "
                    f"--freezecheck-data-dir at a {expected.title} directory, or select "
                    f"--freezecheck-dataset={other.name}.\n")
    return f"The file is corrupted or is not the official {expected.title} file. "


def load_dataset(name: str = "mnist", data_dir: str | os.PathLike | None = None) -> Dataset:
    """Load and verify data set ``name``, then split off the validation hold-out.

    ``data_dir`` falls back to the data set's environment variable, then to the
    directory its system package installs (Fashion-MNIST), then to the Keras cache, into
    which the files are downloaded when they are not already there.
    """
    dataset = check_dataset_name(name)
    directory = resolve_data_dir(data_dir, dataset)
    arrays, hashes = {}, {}
    for spec in dataset.files:
        arrays[spec.name], hashes[spec.name] = read_idx_file(directory, spec, dataset)
    train_x, train_y = arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"]
    split = len(train_x) - VALIDATION_SIZE
    return Dataset(
        train_images=train_x[:split],
        train_labels=train_y[:split],
        val_images=train_x[split:],
        val_labels=train_y[split:],
        test_images=arrays["t10k-images-idx3-ubyte"],
        test_labels=arrays["t10k-labels-idx1-ubyte"],
        sha256=hashes,
        source=str(directory),
        name=dataset.name,
    )


def load_mnist(data_dir: str | os.PathLike | None = None) -> Dataset:
    """MNIST, verified (:func:`load_dataset`)."""
    return load_dataset("mnist", data_dir)


def resolve_data_dir(data_dir: str | os.PathLike | None, dataset: DatasetSpec = None) -> Path:
    """The directory to read: the argument, else the environment, else the system
    package's directory, else the cache."""
    dataset = dataset or DATASETS["mnist"]
    given = data_dir if data_dir not in (None, "") else os.environ.get(dataset.env_var)
    if given:
        directory = Path(given).expanduser()
        if not directory.is_dir():
            raise DataMissingError(
                f"{dataset.title} data directory {str(directory)!r} does not exist or is "
                f"not a directory. {dataset.how_to_point_at_local()}"
            )
        return directory
    if dataset.system_dir and Path(dataset.system_dir).is_dir():
        return Path(dataset.system_dir)
    return download(dataset)


def check_data_dir(name: str, data_dir: str | os.PathLike) -> Path:
    """The given directory, if it exists and holds the data set's four files (plain or
    .gz); else a DataMissingError naming what is missing. Reads nothing: the content is
    verified when the data set is loaded. For a usage error at start-up, said once."""
    dataset = check_dataset_name(name)
    directory = resolve_data_dir(data_dir, dataset)
    for spec in dataset.files:
        _find(directory, spec.name, dataset)
    return directory


def download(dataset: DatasetSpec) -> Path:
    """Fetch the four published .gz files into the Keras cache, each hash-checked.

    Works only where a network is reachable; otherwise the error says how to use a
    local copy instead.
    """
    from freezecheck.train.backend import keras as keras_module

    keras = keras_module()  # heavy; only needed when nothing local was given

    directory = None
    for spec in dataset.files:
        errors = []
        for mirror in dataset.mirrors:
            try:
                path = keras.utils.get_file(
                    fname=spec.name + ".gz",
                    origin=mirror + spec.name + ".gz",
                    file_hash=spec.gz_hash,
                    hash_algorithm=dataset.gz_hash_algorithm,
                    cache_subdir=dataset.cache_subdir,
                )
                directory = Path(path).parent
                break
            except Exception as exc:  # get_file raises bare Exception on URL errors
                errors.append(f"{mirror}: {exc}")
        else:
            raise DataMissingError(
                f"No {dataset.title} data directory was given and {spec.name}.gz could "
                f"not be downloaded (no network?):\n  " + "\n  ".join(errors) + "\n"
                + dataset.how_to_point_at_local()
            )
    return directory


def _find(directory: Path, name: str, dataset: DatasetSpec) -> Path:
    for candidate in (directory / (name + ".gz"), directory / name):
        if candidate.is_file():
            return candidate
    raise DataMissingError(
        f"{directory}: missing {name} (looked for {name}.gz and {name}). "
        + dataset.how_to_point_at_local()
    )
