"""IDX parsing and MNIST verification: round trips, and a clear error for each bad input."""

import dataclasses
import gzip
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from freezecheck.builtin import datasets as data
from freezecheck.builtin.datasets import (IMAGES_MAGIC, LABELS_MAGIC, MNIST_FILES, load_mnist,
                                          parse_idx, read_idx_file)
from freezecheck.errors import (ConfigError, DataFormatError, DataIntegrityError,
                                DataMissingError)

LABELS = MNIST_FILES[1]  # train-labels-idx1-ubyte: the smallest file with 60,000 items


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


images = hnp.arrays(np.uint8, st.tuples(st.integers(0, 5), st.just(28), st.just(28)))
labels = hnp.arrays(np.uint8, st.tuples(st.integers(0, 50)))


@given(images)
def test_images_round_trip(array):
    np.testing.assert_array_equal(parse_idx(idx_bytes(array, IMAGES_MAGIC), magic=IMAGES_MAGIC), array)


@given(labels)
def test_labels_round_trip(array):
    np.testing.assert_array_equal(parse_idx(idx_bytes(array, LABELS_MAGIC), magic=LABELS_MAGIC), array)


@given(labels, st.integers(0, 7), st.integers(1, 255))
def test_corrupted_header_is_rejected(array, position, flip):
    raw = bytearray(idx_bytes(array, LABELS_MAGIC))
    raw[position] ^= flip
    with pytest.raises(DataFormatError):
        parse_idx(bytes(raw), magic=LABELS_MAGIC)


@given(labels.filter(len), st.data())
def test_truncated_or_padded_payload_is_rejected(array, draw):
    raw = idx_bytes(array, LABELS_MAGIC)
    cut = draw.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(DataFormatError, match="truncated"):
        parse_idx(raw[:cut], magic=LABELS_MAGIC)
    with pytest.raises(DataFormatError, match="trailing bytes"):
        parse_idx(raw + b"\0", magic=LABELS_MAGIC)


def test_wrong_magic_names_the_file_and_both_numbers():
    raw = idx_bytes(np.zeros(3, np.uint8), LABELS_MAGIC)
    with pytest.raises(DataFormatError, match=r"f\.idx: wrong magic number 2049 \(expected 2051"):
        parse_idx(raw, magic=IMAGES_MAGIC, name="f.idx")


def test_wrong_image_shape_is_rejected():
    with pytest.raises(DataFormatError, match="wrong image shape 32x32"):
        parse_idx(idx_bytes(np.zeros((1, 32, 32), np.uint8), IMAGES_MAGIC), magic=IMAGES_MAGIC)


def test_wrong_count_is_rejected(tmp_path):
    (tmp_path / LABELS.name).write_bytes(idx_bytes(np.zeros(10, np.uint8), LABELS_MAGIC))
    with pytest.raises(DataFormatError, match="holds 10 items, expected 60000"):
        read_idx_file(tmp_path, LABELS)


def test_hash_mismatch_names_file_both_hashes_and_fix(tmp_path):
    raw = idx_bytes(np.zeros(60_000, np.uint8), LABELS_MAGIC)
    (tmp_path / (LABELS.name + ".gz")).write_bytes(gzip.compress(raw))
    with pytest.raises(DataIntegrityError) as caught:
        read_idx_file(tmp_path, LABELS)
    text = str(caught.value)
    assert LABELS.name + ".gz" in text
    assert LABELS.sha256 in text and hashlib.sha256(raw).hexdigest() in text
    assert "Replace it with the official copy" in text
    assert isinstance(caught.value, OSError)


def test_truncated_gzip_is_rejected(tmp_path):
    packed = gzip.compress(idx_bytes(np.zeros(60_000, np.uint8), LABELS_MAGIC))
    (tmp_path / (LABELS.name + ".gz")).write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataFormatError, match="not a complete gzip file"):
        read_idx_file(tmp_path, LABELS)


def test_missing_file_says_how_to_point_at_a_local_copy(tmp_path):
    with pytest.raises(DataMissingError, match="missing train-images-idx3-ubyte.*--freezecheck-data-dir"):
        load_mnist(tmp_path)


def test_missing_directory_is_refused(tmp_path):
    with pytest.raises(DataMissingError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")


def test_environment_variable_is_used_when_no_directory_is_given(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "from-env"))
    with pytest.raises(DataMissingError, match="from-env"):
        load_mnist(None)


def test_without_network_or_local_copy_the_error_says_how_to_point_at_one(monkeypatch, tmp_path):
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # an empty cache
    unreachable = dataclasses.replace(data.DATASETS["mnist"], mirrors=("http://127.0.0.1:9/",))
    with pytest.raises(DataMissingError, match="(?s)could not be downloaded.*FREEZECHECK_DATA_DIR"):
        data.download(unreachable)


def test_real_mnist_loads_verified_with_the_documented_split(mnist_dir):
    mnist = load_mnist(mnist_dir)
    assert mnist.train_images.shape == (55_000, 28, 28)
    assert mnist.val_images.shape == (5_000, 28, 28)
    assert mnist.test_images.shape == (10_000, 28, 28)
    assert mnist.train_images.dtype == np.uint8
    assert mnist.sha256 == {spec.name: spec.sha256 for spec in MNIST_FILES}


def test_plain_and_gzip_files_read_the_same(mnist_dir, tmp_path):
    source = next(p for p in (os.path.join(mnist_dir, LABELS.name + ".gz"),
                              os.path.join(mnist_dir, LABELS.name)) if os.path.exists(p))
    if source.endswith(".gz"):
        (tmp_path / LABELS.name).write_bytes(gzip.decompress(Path(source).read_bytes()))
    else:
        shutil.copy(source, tmp_path / LABELS.name)
    plain, digest = read_idx_file(tmp_path, LABELS)
    assert digest == LABELS.sha256 and plain.shape == (60_000,)


def test_one_flipped_byte_is_refused_with_both_hashes(mnist_dir, tmp_path):
    for spec in MNIST_FILES:
        for name in (spec.name + ".gz", spec.name):
            if os.path.exists(os.path.join(mnist_dir, name)):
                shutil.copy(os.path.join(mnist_dir, name), tmp_path / name)
    raw = bytearray(gzip.decompress((tmp_path / (LABELS.name + ".gz")).read_bytes()))
    raw[1000] ^= 0x01  # label 1000 moves to a neighbouring class; header intact
    (tmp_path / (LABELS.name + ".gz")).unlink()
    (tmp_path / LABELS.name).write_bytes(bytes(raw))
    with pytest.raises(DataIntegrityError, match=f"expected sha256.*{LABELS.sha256}"):
        load_mnist(tmp_path)


FASHION = data.DATASETS["fashion-mnist"]


@pytest.fixture(scope="module")
def fashion_dir():
    if not os.path.isdir(FASHION.system_dir):
        pytest.skip(f"needs Fashion-MNIST: `apt-get install dataset-fashion-mnist` puts it "
                    f"in {FASHION.system_dir}")
    return FASHION.system_dir


def test_fashion_mnist_loads_verified_from_the_debian_package(fashion_dir, monkeypatch):
    monkeypatch.delenv(FASHION.env_var, raising=False)
    fashion = data.load_dataset("fashion-mnist")  # no directory given: the package's is found
    assert fashion.source == fashion_dir and fashion.name == "fashion-mnist"
    assert fashion.train_images.shape == (55_000, 28, 28)
    assert fashion.sha256 == {spec.name: spec.sha256 for spec in FASHION.files}
    assert sorted(np.unique(fashion.test_labels)) == list(range(10))


def test_mnist_files_given_for_fashion_mnist_are_named_for_what_they_are(mnist_dir):
    with pytest.raises(DataIntegrityError, match="(?s)It is the MNIST file.*--freezecheck-dataset=mnist"):
        data.load_dataset("fashion-mnist", mnist_dir)


def test_fashion_directory_variable_and_missing_files_name_the_data_set(tmp_path, monkeypatch):
    monkeypatch.setenv(FASHION.env_var, str(tmp_path))
    with pytest.raises(DataMissingError, match="(?s)missing train-images.*Fashion-MNIST.*apt-get install"):
        data.load_dataset("fashion-mnist")


def test_fashion_downloads_are_checked_against_the_published_md5s():
    assert FASHION.gz_hash_algorithm == "md5"
    assert all(len(spec.gz_hash) == 32 for spec in FASHION.files)
    assert len({spec.sha256 for spec in FASHION.files} | {s.sha256 for s in MNIST_FILES}) == 8


def test_unknown_dataset_is_refused_with_the_choices():
    with pytest.raises(ConfigError, match="expected one of mnist, fashion-mnist. Received: dataset='cifar10'"):
        data.load_dataset("cifar10")


def test_config_and_data_name_the_same_data_sets():
    from freezecheck.builtin.settings import DATASETS

    assert DATASETS == data.DATASET_NAMES
