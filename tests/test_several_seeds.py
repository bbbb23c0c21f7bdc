"""The several-seed mode for a user's experiment: measured over five seeds with
`freezecheck measure --experiment`, declared with `freezecheck declare`, then judged
with ``--freezecheck-seeds=5``: green on the seeds it was declared from, red when a
layer changes behaviour, the failure naming the declared claim."""

import subprocess
import sys

import pytest

EXPERIMENT = '''
import numpy as np
import freezecheck

LAYERS = ("h1", "h2", "out")


def build():
    from freezecheck.train.backend import keras as keras_module

    keras = keras_module()
    return keras.Sequential([
        keras.Input((8,)),
        keras.layers.Dense(16, activation="relu", name="h1"),
        keras.layers.Dense(16, activation="relu", name="h2"),
        keras.layers.Dense(3, activation="softmax", name="out"),
    ])


def data():
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=3.0, size=(3, 8))
    labels = rng.integers(0, 3, 1500)
    points = (centres[labels] + rng.normal(size=(1500, 8))).astype(np.float32)
    return freezecheck.arrays(train=(points[:1200], labels[:1200]),
                              validation=(points[1200:], labels[1200:]), name="clusters")


experiment = freezecheck.Experiment(
    "seeds-toy", build=build, layers=LAYERS, data=data,
    recipe=freezecheck.Recipe(epochs=4, batch_size=32, learning_rate=5e-3),
    gates=freezecheck.Gates(min_accuracy=0.9, curve_band=0.1, curve_level=0.9,
                            curve_max_lag=1),
    variants=[freezecheck.Freeze("h1"), freezecheck.Freeze("h2")],
)

TestSeedsToy = experiment.tests()
'''

# The planted change: the first hidden layer's kernels drawn a thousand times smaller.
# Frozen there, h1 passes almost nothing on; trainable, it grows out of it.
HEALTHY = 'name="h1")'
PLANTED = 'name="h1", kernel_initializer=keras.initializers.RandomNormal(stddev=1e-3))'


def _freezecheck(directory, *args):
    return subprocess.run([sys.executable, "-m", "freezecheck", *args], cwd=directory,
                          capture_output=True, text=True, timeout=1500)


@pytest.mark.training
def test_measured_declared_and_judged_over_five_seeds_and_a_changed_layer_is_red(
        pytester, tmp_path):
    pytester.makepyfile(test_toy=EXPERIMENT)
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider -p no:randomly\n")
    store = tmp_path / "store"
    measured = _freezecheck(pytester.path, "measure", "--experiment", "test_toy.py::seeds-toy",
                            "--seeds", "5", "--workers", "1", "--store-dir", str(store),
                            "--out", "measurements.jsonl")
    assert measured.returncode == 0, measured.stderr
    declared = _freezecheck(pytester.path, "declare", "--experiment", "test_toy.py::seeds-toy",
                            "measurements.jsonl")
    assert declared.returncode == 0, declared.stderr
    assert (pytester.path / "declarations" / "seeds-toy.json").is_file()

    args = (f"--freezecheck-store-dir={store}", "--freezecheck-report-dir=report",
            "--freezecheck-seeds=5", "-k", "not reference", "-rfs")
    green = pytester.runpytest_subprocess(*args)
    # 3 trainable + 2 frozen + 3 accuracy + 2 curve tests, every run loaded from the store.
    green.assert_outcomes(passed=10)
    green.stdout.fnmatch_lines(["freezecheck: seeds-toy[[]h1] seed 4: *loaded from the store*"])
    assert "trained in" not in green.stdout.str()

    source = (pytester.path / "test_toy.py").read_text()
    assert HEALTHY in source
    (pytester.path / "test_toy.py").write_text(source.replace(HEALTHY, PLANTED))
    red = pytester.runpytest_subprocess(*args)
    # seeds-toy[h1]'s accuracy and curve; h1 trainable (the baseline, [h2]) grows out of it.
    red.assert_outcomes(passed=8, failed=2)
    # Each line ends with the message under CI=true, whose short summary is uncut.
    red.stdout.fnmatch_lines([
        "FAILED test_toy.py::TestSeedsToy::test_reaches_accuracy_gate[[]seeds-toy[[]h1]]*",
        "FAILED test_toy.py::TestSeedsToy::test_curve_follows_baseline[[]seeds-toy[[]h1]]*"])
    red.stdout.fnmatch_lines(["seeds-toy[[]h1]: declared * against its baseline *(*; seeds 0-4: "
                              "*); the new seeds break it (seeds 0-4: *): the mean gap over 5 "
                              "seed(s) is * below the declared * by more than *"])
