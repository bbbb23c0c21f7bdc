"""Planted regressions: each turns exactly the expected tests red, with a message naming the cause.

Each test runs the real experiment file, as a user would, in a pytester subprocess on
the smoke tier and a few LeNet-5 variants, with a regression planted by a conftest that
patches Keras or freezecheck at import time. The unplanted run of the same selection is
all green (``test_unplanted_selection_is_green``), so every red test below is the plant's.
"""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import pytest

from freezecheck.builtin.datasets import MNIST_FILES

pytestmark = pytest.mark.training

EXPERIMENT_FILE = Path(__file__).with_name("test_experiment.py")
SELECTION = "lenet5 and (none or conv1 or out)"  # baseline, a conv and the output layer
TESTS = ("test_frozen_weights_bitwise_unchanged", "test_trainable_weights_changed",
         "test_reaches_accuracy_gate", "test_curve_follows_baseline")

COUNT_TRAININGS = """
import freezecheck.train.training as _training
_train = _training.train
def _counted(variant, recipe, data, *args, **kwargs):
    with open("trainings.log", "a") as log:
        log.write(variant.id + "\\n")
    return _train(variant, recipe, data, *args, **kwargs)
_training.train = _counted
"""

# A layer frozen only after the train function has read the trainable variables, the
# way Keras 3 goes on training a layer frozen after a first fit without a new compile.
FROZEN_AFTER_TRAIN_FUNCTION_BUILT = """
import freezecheck.builtin.models as _models
_build = _models.build
def _build_unfrozen(model, frozen=(), kernel_inits=None):
    net = _build(model, (), kernel_inits)
    net._planted_frozen = tuple(frozen)
    return net
_models.build = _build_unfrozen
_compile_epoch = _training.compile_epoch
def _compile_then_freeze(net, *args, **kwargs):
    epoch = _compile_epoch(net, *args, **kwargs)
    for name in net._planted_frozen:
        net.get_layer(name).trainable = False  # too late: the fault
    return epoch
_training.compile_epoch = _compile_then_freeze
"""

# Decoupled weight decay applied to every weight of the model, frozen or not.
DECAY_EVERY_WEIGHT = """
_compile_epoch = _training.compile_epoch
def _compile_with_decay(net, *args, **kwargs):
    epoch = _compile_epoch(net, *args, **kwargs)
    def epoch_then_decay(order):
        result = epoch(order)
        for weight in net.weights:
            weight.assign(weight * 0.999)
        return result
    return epoch_then_decay
_training.compile_epoch = _compile_with_decay
"""

# A schedule that is zero throughout: every step runs and updates nothing.
ZERO_LEARNING_RATE = """
from freezecheck.train.backend import keras as _keras_module
keras = _keras_module()
keras.optimizers.schedules.CosineDecay = lambda *args, **kwargs: 0.0
"""

# One variant's learning rate cut fourfold: it converges slower than its baseline but
# still ends above the smoke floor, so only the curve comparison can catch it.
SLOWER_CONVERGENCE = """
import dataclasses
import freezecheck.train.training as _training
_train_unslowed = _training.train
def _slowed(variant, recipe, data, *args, **kwargs):
    if variant.id == "lenet5[out]":
        recipe = dataclasses.replace(recipe, learning_rate=recipe.learning_rate / 4)
    return _train_unslowed(variant, recipe, data, *args, **kwargs)
_training.train = _slowed
"""


def run_planted(pytester, data_dir, plant: str = "") -> tuple[set[str], set[str], str, list[str]]:
    """Run the selection with ``plant``; return (failed ids, errored ids, output, trained)."""
    pytester.makepyfile(test_copied_experiment=EXPERIMENT_FILE.read_text())
    pytester.makeconftest(COUNT_TRAININGS + plant)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-rfE", "-k", SELECTION, "--freezecheck-tier=smoke",
        f"--freezecheck-data-dir={data_dir}",
    )
    output = result.stdout.str()
    failed = set(re.findall(r"^FAILED test_copied_experiment\.py::(\S+)", output, re.M))
    errored = set(re.findall(r"^ERROR test_copied_experiment\.py::(\S+)", output, re.M))
    log = pytester.path / "trainings.log"
    trained = log.read_text().split() if log.exists() else []
    return failed, errored, output, trained


def ids(test: str, *variants: str) -> set[str]:
    return {f"TestLenet5::{test}[lenet5[{v}]]" for v in variants}


def test_unplanted_selection_is_green(pytester, mnist_dir):
    failed, errored, output, trained = run_planted(pytester, mnist_dir)
    assert not failed and not errored, output
    assert sorted(trained) == ["lenet5[conv1]", "lenet5[none]", "lenet5[out]"]


def test_layer_frozen_after_the_train_function_is_built_fails_the_bitwise_test(pytester, mnist_dir):
    failed, errored, output, _ = run_planted(pytester, mnist_dir, FROZEN_AFTER_TRAIN_FUNCTION_BUILT)
    assert failed == ids("test_frozen_weights_bitwise_unchanged", "conv1", "out"), output
    assert "frozen variable(s) changed during training" in output
    assert re.search(r"conv1/kernel: \d+ of 150 elements changed", output)
    assert re.search(r"out/bias: \d+ of 10 elements changed", output)


def test_decay_of_every_weight_fails_the_bitwise_test(pytester, mnist_dir):
    failed, errored, output, _ = run_planted(pytester, mnist_dir, DECAY_EVERY_WEIGHT)
    assert failed == ids("test_frozen_weights_bitwise_unchanged", "conv1", "out"), output
    assert re.search(r"conv1/kernel: \d+ of 150 elements changed, largest change", output)


def test_zero_learning_rate_fails_the_trainable_weights_check(pytester, mnist_dir):
    failed, errored, output, _ = run_planted(pytester, mnist_dir, ZERO_LEARNING_RATE)
    nothing_learned = ids("test_trainable_weights_changed", "none", "conv1", "out")
    below_gate = ids("test_reaches_accuracy_gate", "none", "conv1", "out")
    assert failed == nothing_learned | below_gate, output
    assert "trainable variable(s) ended bitwise equal to their initial values" in output


def test_slower_convergence_fails_the_curve_test_at_the_named_epochs(pytester, mnist_dir):
    failed, errored, output, _ = run_planted(pytester, mnist_dir, SLOWER_CONVERGENCE)
    assert failed == ids("test_curve_follows_baseline", "out"), output
    assert "lenet5[out]: validation accuracy left the band of +-3.00% around lenet5[none]" in output
    assert re.search(r"epoch +1: 0\.\d{4} vs 0\.\d{4} \(-\d+\.\d\d points", output)


@pytest.mark.parametrize("damage", ["flipped byte", "truncated"])
def test_damaged_data_file_is_refused_before_training(pytester, mnist_dir, damage):
    copy = pytester.path / "mnist"
    copy.mkdir()
    for spec in MNIST_FILES:
        source = Path(mnist_dir) / (spec.name + ".gz")
        if source.exists():
            (copy / spec.name).write_bytes(gzip.decompress(source.read_bytes()))
        else:
            shutil.copy(Path(mnist_dir) / spec.name, copy / spec.name)
    target = copy / "train-images-idx3-ubyte"
    raw = bytearray(target.read_bytes())
    if damage == "flipped byte":
        raw[16 + 784 * 123 + 400] ^= 0x80  # a pixel of image 123; the header is intact
    else:
        del raw[len(raw) // 2:]
    target.write_bytes(bytes(raw))

    failed, errored, output, trained = run_planted(pytester, copy)
    assert trained == [], "a variant trained on damaged data"
    assert not failed and len(errored) == 13, output  # every selected test, at set-up
    assert "MNIST refused, nothing trained" in output and str(target) in output
    if damage == "flipped byte":
        assert MNIST_FILES[0].sha256 in output  # the expected hash, beside the actual one
        assert "actual sha256" in output
    else:
        assert "truncated" in output
