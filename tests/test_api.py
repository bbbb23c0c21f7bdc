"""The public experiment API: declarations refused before anything trains, and a user
experiment built from scratch in a temporary directory, run by pytest as a user runs it."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

import pytest

import freezecheck
from freezecheck.describe.session import SessionOptions
from freezecheck.errors import ConfigError, DataIntegrityError, DataMissingError

LAYERS = ("h1", "bn", "h2", "out")


def _build(kernel_initializer):  # never called: declarations are checked without Keras
    raise AssertionError("built at declaration")


def _data():
    rng = np.random.default_rng(0)
    return freezecheck.arrays(train=(rng.normal(size=(20, 8)), rng.integers(0, 3, 20)),
                              validation=(rng.normal(size=(6, 8)), rng.integers(0, 3, 6)))


def _declare(**changes):
    fields = dict(build=_build, layers=LAYERS, data=_data, recipe=freezecheck.Recipe(epochs=2),
                  gates=freezecheck.Gates(0.9, 0.05, 0.9, 1))
    return freezecheck.Experiment("toy", **{**fields, **changes})


@pytest.mark.parametrize("changes, message", [
    ({"variants": [freezecheck.Freeze("h9")]},
     "experiment 'toy': variant Freeze(layers=('h9',), init='glorot_uniform'): Unknown layer"),
    ({"variants": [freezecheck.Freeze()]}, "an empty variant, Freeze() freezes nothing"),
    ({"variants": [freezecheck.Freeze("h1"), freezecheck.Freeze("h1")]},
     "variant toy[h1] is declared twice"),
    ({"variants": [freezecheck.Freeze(*LAYERS)]}, "freezes every weight layer"),
    ({"variants": [freezecheck.Freeze("h1", init="normal-0")]}, "Received: init='normal-0'"),
    ({"layers": "h1"}, "layers expected a non-empty list of weight-layer names. Received: layers='h1'"),
    ({"layers": ("h1", "h1")}, "a layer is named twice"),
    ({"layers": ("h1", "a layer")}, "layer names expected letters"),
    ({"recipe": {"epochs": 2}}, "recipe expected a freezecheck.Recipe. Received: {'epochs': 2}"),
    ({"data": [1, 2]}, "data expected a Dataset"),
    ({"build": lambda size: None}, "build expected no arguments, or one named kernel_initializer"),
    ({"expectations": {"toy[h7]": None}}, "expectations name an unknown variant"),
    ({"seed_spread": 2}, "seed_spread expected a number in [0, 1). Received: seed_spread=2"),
])
def test_bad_declaration_is_refused_naming_the_experiment_and_field(changes, message):
    with pytest.raises(ConfigError) as caught:
        _declare(**changes)
    assert message in str(caught.value)


def test_variant_with_init_needs_a_build_that_takes_the_initialiser():
    with pytest.raises(ConfigError, match="build takes no kernel_initializer argument"):
        _declare(build=lambda: None, variants=[freezecheck.Freeze("h1", init="he_normal")])


def test_a_model_of_another_keras_than_tensorflow_trains_with_is_refused(monkeypatch):
    """As `import keras` (Keras 3) gives where TF_USE_LEGACY_KERAS=1 makes TensorFlow train
    with tf-keras, whose optimizer fails deep inside on the other Keras' variables."""
    import types

    from freezecheck.train import backend

    class ModelOfTheOtherKeras:
        layers = ()

        def get_layer(self, name):
            raise AssertionError("not reached")

    class Model:  # the Model class of the Keras TensorFlow trains with
        pass

    monkeypatch.setattr(backend, "keras", lambda: types.SimpleNamespace(Model=Model))
    monkeypatch.setattr(backend, "keras_version", lambda: "2.21.0")
    monkeypatch.setattr(backend, "environment_name", lambda: "py311-tf221-keras2")
    experiment = _declare(build=lambda: ModelOfTheOtherKeras())
    with pytest.raises(ConfigError, match=re.escape(
            "build expected to return a model of the Keras TensorFlow trains with, tf-keras "
            "2.21.0 (TF_USE_LEGACY_KERAS=1 selects it). Received: a ")
            + r"\S*ModelOfTheOtherKeras"):
        experiment.build_variant(experiment.baseline)


@pytest.mark.parametrize("name", ["", "1st", "a b", "x[y]", None])
def test_bad_experiment_name_is_refused(name):
    with pytest.raises(ConfigError, match="Experiment name expected"):
        freezecheck.Experiment(
            name, build=_build, layers=LAYERS, data=_data, recipe=freezecheck.Recipe(epochs=1),
            gates=freezecheck.Gates(0.9, 0.05, 0.9, 1))


def test_recipe_out_of_range_is_refused():
    with pytest.raises(ConfigError, match="epochs expected a positive integer. Received: epochs=0"):
        freezecheck.Recipe(epochs=0)
    with pytest.raises(ConfigError, match="training expected one of loop, fit"):
        freezecheck.Recipe(epochs=1, training="eager")


@pytest.mark.parametrize("pairs, message", [
    (dict(train=(np.zeros((3, 2)), np.zeros(2, int)), validation=(np.zeros((1, 2)), [0])),
     "train expected as many inputs as labels"),
    (dict(train=(np.zeros((3, 2)), np.zeros(3)), validation=(np.zeros((1, 2)), [0])),
     "train labels expected a 1-D array of integer class indices"),
    (dict(train=(np.zeros((3, 2)), np.zeros(3, int)), validation=(np.zeros((1, 3)), [0])),
     "expected one shape per example"),
    (dict(train=(np.zeros((3, 2)), -np.ones(3, int)), validation=(np.zeros((1, 2)), [0])),
     "labels expected class indices from 0"),
    (dict(train=(np.zeros((3, 2)), np.eye(3, dtype=int)), validation=(np.zeros((1, 2)), [0])),
     "train labels expected a 1-D array of integer class indices. Received: one-hot "
     "labels of shape (3, 3); pass labels.argmax(axis=1)"),
    (dict(train=(np.full((3, 2), 255, np.uint8), np.zeros(3, int)),
          validation=(np.zeros((1, 2), np.uint8), [0])),
     "train inputs expected floats scaled to a small range (e.g. [0, 1]). Received: uint8 "
     "values up to 255"),
])
def test_bad_arrays_are_refused(pairs, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        freezecheck.arrays(**pairs)


def test_unscaled_inputs_are_accepted_when_the_model_scales_them():
    data = freezecheck.arrays(train=(np.full((3, 2), 255, np.uint8), np.zeros(3, int)),
                              validation=(np.zeros((1, 2), np.uint8), [0]), allow_unscaled=True)
    assert data.train_images.dtype == np.uint8


@pytest.mark.training
def test_a_build_that_ignores_the_seed_is_refused_before_training(pytester):
    pytester.makepyfile(test_unseeded='''
import numpy as np
import freezecheck

_draws = np.random.default_rng()  # unseeded: every build differs


def build():
    from freezecheck.train.backend import keras as keras_module

    keras = keras_module()
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="a"),
                            keras.layers.Dense(2, activation="softmax", name="b")])
    net.get_layer("a").kernel.assign(_draws.normal(size=(4, 2)).astype("float32"))
    return net


def data():
    rng = np.random.default_rng(0)
    return freezecheck.arrays(train=(rng.normal(size=(20, 4)), rng.integers(0, 2, 20)),
                              validation=(rng.normal(size=(8, 4)), rng.integers(0, 2, 8)))


TestUnseeded = freezecheck.Experiment(
    "unseeded", build=build, layers=("a", "b"), data=data,
    recipe=freezecheck.Recipe(epochs=1), gates=freezecheck.Gates(0.5, 0.1, 0.5, 1)).tests()
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k",
                                           "unseeded[none] and accuracy_gate")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*build expected to give the same initial weights every time "
                                 "under one seed. Received: two builds at seed 0 differ in *a/kernel*"])
    assert "During handling" not in result.stdout.str()  # said once, not chained


def test_arrays_hash_covers_content_shape_and_dtype():
    x, y = np.arange(12, dtype=np.float32).reshape(6, 2), np.array([0, 1, 0, 1, 0, 1])
    base = freezecheck.arrays((x, y), (x, y)).sha256
    assert base == freezecheck.arrays((x.copy(), y.copy()), (x, y)).sha256
    changed = x.copy()
    changed[0, 0] = 1
    assert base != freezecheck.arrays((changed, y), (x, y)).sha256
    assert base != freezecheck.arrays((x.astype(np.float64), y), (x, y)).sha256
    assert base != freezecheck.arrays((x.reshape(6, 2, 1), y), (x.reshape(6, 2, 1), y)).sha256


def test_verify_file_refuses_other_content_and_missing_files(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"abc")
    digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert freezecheck.verify_file(path, digest) == b"abc"
    with pytest.raises(DataIntegrityError, match=f"{path}: content differs"):
        freezecheck.verify_file(path, "0" * 64)
    with pytest.raises(DataMissingError, match="cannot be read"):
        freezecheck.verify_file(tmp_path / "absent.bin", digest)


def test_ids_are_accepted_by_k_and_none_is_part_of_another():
    declared = _declare(
        build=_build,
        variants=freezecheck.each_layer_alone(LAYERS) + freezecheck.blocks(LAYERS)
        + freezecheck.with_inits([freezecheck.Freeze("h1"), freezecheck.Freeze()],
                                 ["normal-1", "normal-10"])[:3])
    ids = [v.id for v in declared.variants]
    assert ids[:3] == ["toy[none]", "toy[h1]", "toy[bn]"]
    assert "toy[h1+bn]" in ids and "toy[h1:normal-1]" in ids and "toy[h1:normal-10]" in ids
    ident = re.compile(r"(\w|:|\+|-|\.|\[|\]|\\|/)+")  # pytest's -k grammar, an ident
    for i, one in enumerate(ids):
        assert ident.fullmatch(one), one
        assert not any(one in other for other in ids[:i] + ids[i + 1:]), one


def test_importing_the_api_imports_no_tensorflow(pytester):
    result = pytester.run(
        sys.executable, "-c",
        "import sys, freezecheck; freezecheck.Experiment; freezecheck.arrays; "
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    assert result.ret == 0
    assert result.outlines[-1] == "[]"


# --- a user experiment, from nothing, in a temporary directory --------------------------

EXPERIMENT = '''
import numpy as np
import freezecheck

LAYERS = ("h1", "bn", "h2", "out")
LEAKY = {leaky}


def build(kernel_initializer):
    from freezecheck.train.backend import keras as keras_module
    import tensorflow as tf

    keras = keras_module()

    class LeakyBatchNormalization(keras.layers.BatchNormalization):
        """Updates its moving mean in training even when frozen: the planted bug."""

        def call(self, inputs, training=None, **kwargs):
            if training:
                mean = tf.reduce_mean(inputs, axis=0)
                self.moving_mean.assign(self.moving_mean * 0.9 + mean * 0.1)
            return super().call(inputs, training=training, **kwargs)

    norm = LeakyBatchNormalization if LEAKY else keras.layers.BatchNormalization
    return keras.Sequential([
        keras.Input((8,)),
        keras.layers.Dense(32, activation="relu", name="h1",
                           kernel_initializer=kernel_initializer("h1")),
        norm(name="bn"),
        keras.layers.Dense(32, activation="relu", name="h2",
                           kernel_initializer=kernel_initializer("h2")),
        keras.layers.Dense(3, activation="softmax", name="out",
                           kernel_initializer=kernel_initializer("out")),
    ])


def data():
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=3.0, size=(3, 8))
    labels = rng.integers(0, 3, 800)
    points = (centres[labels] + rng.normal(size=(800, 8))).astype(np.float32)
    return freezecheck.arrays(train=(points[:600], labels[:600]),
                              validation=(points[600:], labels[600:]), name="clusters")


experiment = freezecheck.Experiment(
    "toy", build=build, layers=LAYERS, data=data,
    recipe=freezecheck.Recipe(epochs=3, batch_size=32, learning_rate=5e-3),
    gates=freezecheck.Gates(min_accuracy=0.9, curve_band=0.1, curve_level=0.9, curve_max_lag=1),
    variants=[freezecheck.Freeze("h1"), freezecheck.Freeze("bn"), freezecheck.Freeze("h1", "bn"),
              freezecheck.Freeze("h2", init="normal-0.1")],
)

TestToy = experiment.tests()
'''

IDS = ["toy[none]", "toy[h1]", "toy[bn]", "toy[h1+bn]", "toy[h2:normal-0.1]"]


def _write(pytester, leaky=False):
    pytester.makepyfile(test_toy=EXPERIMENT.format(leaky=leaky))
    pytester.makeini("[pytest]\naddopts = --dist=loadgroup -p no:cacheprovider\n")


def _run(pytester, store, *args):
    return pytester.runpytest_subprocess(
        f"--freezecheck-store-dir={store}", "--freezecheck-report-dir=report", *args)


@pytest.mark.training
def test_every_session_option_applies_to_a_users_experiment_or_stops_the_session(
        pytester, tmp_path):
    """Seed, gates and references directory change what the user's experiment does;
    an option it cannot apply stops the session naming it, before anything trains."""
    _write(pytester)
    store, chosen = tmp_path / "store", ["-k", "toy[none] or toy[h1]"]
    seeded = _run(pytester, store, "-n", "2", "--freezecheck-seed=3",
                  "--freezecheck-references-dir=refs", "--freezecheck-regen-references",
                  *chosen)
    seeded.stdout.fnmatch_lines(["freezecheck: toy[[]none] seed 3: *trained in *",
                                 "*; seed 3"])
    results = json.loads((pytester.path / "report" / "results.json").read_text())
    assert {run["seed"] for run in results["runs"]} == {3}
    assert sorted(p.name for p in (pytester.path / "refs").glob("*/*.json")) == \
        ["toy[h1].json", "toy[none].json"]
    assert not (pytester.path / "references").exists()
    for path in (pytester.path / "refs").glob("*/*.json"):
        assert json.loads(path.read_text())["recipe"]["seed"] == 3
    # Gates from the command line hold the user's variants to them (the same runs,
    # loaded from the store): a lag of -1 epochs cannot be met, a band of 0.5 is.
    strict = _run(pytester, store, "--freezecheck-seed=3", "--freezecheck-curve-band=0.5",
                  "--freezecheck-curve-level=1.0", "--freezecheck-min-accuracy=0.999",
                  "--freezecheck-references-dir=refs", "-rf", *chosen)
    strict.stdout.fnmatch_lines(["*loaded from the store*",
                                 "*gates: final validation accuracy >= *99.9%; curve within "
                                 "+-50.0 points of the baseline's, 100.0% reached*"])
    strict.assert_outcomes(passed=8)
    # An option the experiment cannot apply: one usage error naming both, nothing trained.
    for option, said in [("--freezecheck-tier=smoke", "offers the tier(s) full"),
                         ("--freezecheck-dataset=cifar10", "has the data set(s) data"),
                         ("--freezecheck-families=blocks", "declares no families"),
                         ("--freezecheck-seeds=5", "declares no curve claims")]:
        refused = _run(pytester, tmp_path / "unused", option)
        assert refused.ret == pytest.ExitCode.USAGE_ERROR, option
        assert f"{option}: experiment 'toy' {said}" in refused.stderr.str(), refused.stderr.str()
        assert not (tmp_path / "unused").exists()


@pytest.mark.training
def test_each_training_path_keeps_its_own_references(pytester, tmp_path):
    """Regenerating for fit writes beside the loop's references, never over them, and a
    fit session then passes against its own."""
    _write(pytester)
    store, chosen = tmp_path / "store", ["-k", "toy[none] or toy[h1]"]
    _run(pytester, store, "-n", "2", "--freezecheck-regen-references", *chosen)
    loop_files = {p: p.read_bytes() for p in (pytester.path / "references").glob("*/*.json")}
    assert len(loop_files) == 2
    fit = ["--freezecheck-training=fit", *chosen]
    _run(pytester, store, "-n", "2", "--freezecheck-regen-references", *fit)
    assert {p: p.read_bytes() for p in (pytester.path / "references").glob("*/*.json")} == \
        loop_files
    fit_files = sorted(p.name for p in (pytester.path / "references").glob("*/fit/*.json"))
    assert fit_files == ["toy[h1].json", "toy[none].json"]
    _run(pytester, store, "-n", "2", *fit).assert_outcomes(passed=8)
    _run(pytester, store, "-n", "2", *chosen).assert_outcomes(passed=8)


@pytest.mark.training
def test_user_experiment_runs_selects_by_id_and_catches_a_leaking_frozen_batchnorm(
        pytester, tmp_path):
    _write(pytester)
    store = tmp_path / "store"
    # The first session writes the references (and fails those tests, by design).
    first = _run(pytester, store, "-n", "2", "--freezecheck-regen-references")
    first.assert_outcomes(passed=23 - len(IDS), failed=len(IDS))
    assert sorted(p.name for p in (pytester.path / "references").glob("*/*.json")) == \
        sorted(f"{i}.json" for i in IDS)
    # Then everything passes, from the store.
    second = _run(pytester, store, "-n", "2", "-v")
    tests_per_variant = {"toy[none]": 3, "toy[h1]": 5, "toy[bn]": 5, "toy[h1+bn]": 5,
                         "toy[h2:normal-0.1]": 5}
    second.assert_outcomes(passed=sum(tests_per_variant.values()))
    second.stdout.fnmatch_lines(["*PASSED test_toy.py::TestToy::"
                                 "test_frozen_weights_bitwise_unchanged[[]toy[[]bn[]][]]*"])
    # Every id, given to -k verbatim, selects exactly its own tests, under -n 2.
    for variant_id, count in tests_per_variant.items():
        selected = _run(pytester, store, "-n", "2", "-v", "-k", variant_id)
        selected.assert_outcomes(passed=count)
        ran = [line for line in selected.outlines if " PASSED " in line]
        assert len(ran) == count and all(f"[{variant_id}]" in line for line in ran), ran
    # The planted regression: a BatchNormalization that updates its moving mean a second
    # time, even when frozen. The frozen-weights tests of the variants freezing it turn
    # red; and since every variant's moving mean now ends elsewhere, so does every
    # variant's reference test: same environment as its reference, other results.
    _write(pytester, leaky=True)
    leaky = _run(pytester, tmp_path / "store-leaky", "-n", "2")
    leaky.assert_outcomes(passed=sum(tests_per_variant.values()) - 2 - len(IDS),
                          failed=2 + len(IDS))
    # One pattern at a time: workers finish, and so list failures, in either order.
    for frozen in ("bn", "h1+bn"):
        leaky.stdout.fnmatch_lines(["*FAILED test_toy.py::TestToy::"
                                    f"test_frozen_weights_bitwise_unchanged[[]toy[[]{frozen}[]][]]*"])
    for variant_id in IDS:
        leaky.stdout.fnmatch_lines([f"*FAILED test_toy.py::TestToy::test_curve_matches_stored_"
                                    f"reference[[]{variant_id.replace('[', '[[]')}[]]*"])
    leaky.stdout.fnmatch_lines(["*bn/moving_mean: * elements changed*"])
    leaky.stdout.fnmatch_lines(["*toy[[]none]: same environment (CPU *), other results*",
                                "*weights after training: * variable(s) differ*",
                                "*bn/moving_mean*"])
    assert "bn/moving_variance: " not in leaky.stdout.str()


@pytest.mark.training
def test_a_model_that_contradicts_its_declaration_fails_before_training(pytester, tmp_path):
    pytester.makepyfile(test_bad='''
import numpy as np
import freezecheck


def build():
    from freezecheck.train.backend import keras as keras_module

    keras = keras_module()
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])


def data():
    x = np.zeros((10, 5), np.float32)
    return freezecheck.arrays(train=(x, np.zeros(10, int)), validation=(x, np.zeros(10, int)))


TestBad = freezecheck.Experiment(
    "bad", build=build, layers=("out",), data=data, recipe=freezecheck.Recipe(epochs=1),
    gates=freezecheck.Gates(0.5, 0.1, 0.5, 1), variants=[]).tests()
''')
    store = tmp_path / "store"
    result = pytester.runpytest_subprocess(f"--freezecheck-store-dir={store}",
                                           "--freezecheck-report-dir=report", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines([
        "*freezecheck: bad[[]none[]]: nothing trained:*",
        "*experiment 'bad': layers expected to name the model's weight layers in order: "
        "the model built has [[]'dense*'[]]. Received: layers=[[]'out'[]]*"])
    # In full once; the other tests of the experiment say it in one line. Counted in the
    # failures' sections only: under CI=true pytest's short summary repeats each message uncut.
    failures = result.stdout.str().split("short test summary info")[0]
    assert failures.count("Name every weight layer") == 1
    assert failures.count("was refused before training, as the first test") == 2
    assert not [p for p in store.iterdir() if not p.name.endswith(".lock")]


def test_an_undeclarable_experiment_is_a_collection_error(pytester):
    pytester.makepyfile(test_bad='''
import freezecheck

TestBad = freezecheck.Experiment(
    "bad", build=lambda: None, layers=("a", "b"), data=lambda: None,
    recipe=freezecheck.Recipe(epochs=1), gates=freezecheck.Gates(0.5, 0.1, 0.5, 1),
    variants=[freezecheck.Freeze("c")]).tests()
''')
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ConfigError: experiment 'bad': variant Freeze(layers=('c',)*"
                                 "Unknown layer for model 'bad'*"])


def test_two_experiments_of_one_name_are_a_usage_error_naming_both_modules(pytester):
    declaration = '''
import freezecheck

TestToy = freezecheck.Experiment(
    "{name}", build=lambda: None, layers=("a", "b"), data=lambda: None,
    recipe=freezecheck.Recipe(epochs=1), gates=freezecheck.Gates(0.5, 0.1, 0.5, 1)).tests()
'''
    pytester.makepyfile(test_one=declaration.format(name="toy"),
                        test_two=declaration.format(name="toy"))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*two experiments are named 'toy' (test_one.py and "
                                 "test_two.py)*Give each experiment its own name*"])
    # Under xdist too: the usage error, not an internal error of xdist's.
    under_xdist = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    assert under_xdist.ret == pytest.ExitCode.USAGE_ERROR
    said = under_xdist.stdout.str() + under_xdist.stderr.str()
    assert "two experiments are named 'toy' (test_one.py and test_two.py)" in said
    assert "INTERNALERROR" not in said
    # Renamed, both are collected.
    pytester.makepyfile(test_two=declaration.format(name="toy2"))
    assert pytester.runpytest_inprocess("-p", "no:cacheprovider", "--collect-only").ret == 0


def test_an_experiment_can_answer_per_session_by_overriding_its_methods(pytester):
    """The extension point the built-in experiment is written with: a subclass that
    skips the reference tests on a tier, and declares per session (here, refuses a
    variant on another data set). Both are answered before anything trains."""
    pytester.makepyfile(test_tiered='''
import numpy as np
import freezecheck


class Tiered(freezecheck.Experiment):
    def why_no_references(self, options):
        tier = self.tier_name(options)
        return f"no references on the {tier} tier" if tier != "full" else None

    def declared(self, variant, options):
        if variant.frozen and self.dataset_name(options) != "mnist":
            raise freezecheck.ConfigError(f"{variant.id}: not measured on {options.dataset}")
        return super().declared(variant, options)


def data():
    rng = np.random.default_rng(0)
    return freezecheck.arrays(train=(rng.normal(size=(20, 4)), rng.integers(0, 2, 20)),
                              validation=(rng.normal(size=(8, 4)), rng.integers(0, 2, 8)))


GATES = freezecheck.Gates(0.5, 0.1, 0.5, 1)
TestTiered = Tiered("tiered", build=lambda: None, layers=("a", "b"),
                    data={"mnist": data, "fashion-mnist": data},
                    recipe=freezecheck.Recipe(epochs=1), gates=GATES,
                    tiers={"smoke": freezecheck.Tier(freezecheck.Recipe(epochs=1), GATES)}).tests()
''')
    skipped = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-rs", "--freezecheck-tier=smoke", "-k", "reference")
    skipped.assert_outcomes(skipped=3)
    skipped.stdout.fnmatch_lines(["*no references on the smoke tier*"])
    refused = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-rf", "--freezecheck-dataset=fashion-mnist",
        "--freezecheck-min-accuracy=0.5", "-k", "accuracy_gate and tiered[a]")
    refused.assert_outcomes(failed=1)
    refused.stdout.fnmatch_lines(["*tiered[[]a[]]: not measured on fashion-mnist*"])
    assert "nothing trained" not in refused.stdout.str()  # refused before training


@pytest.mark.training
def test_an_experiments_own_compile_trains_through_fit_and_a_compiled_build_is_refused(
        pytester, tmp_path):
    """compile= brings the optimiser and loss; the run says fit; the loop is refused by
    name; a model that build returns compiled is refused, saying why."""
    pytester.makepyfile(test_sgd='''
import numpy as np
import freezecheck

COMPILED_IN_BUILD = {compiled}


def build():
    from freezecheck.train.backend import keras as keras_module

    keras = keras_module()
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, name="a"),
                            keras.layers.Dense(2, activation="softmax", name="b")])
    if COMPILED_IN_BUILD:
        net.compile(optimizer="sgd", loss="mse")
    return net


def compile(model, recipe):
    from freezecheck.train.backend import keras as keras_module

    keras = keras_module()
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    return freezecheck.arrays(train=(x[:150], y[:150]), validation=(x[150:], y[150:]))


TestSgd = freezecheck.Experiment(
    "sgd", build=build, layers=("a", "b"), data=data, compile=compile,
    recipe=freezecheck.Recipe(epochs=3, batch_size=16),
    gates=freezecheck.Gates(0.5, 0.5, 0.5, 3)).tests()
''')
    pytester.makefile(".py", test_sgd=pytester.path.joinpath("test_sgd.py").read_text()
                      .replace("{compiled}", "False"))
    args = ("-p", "no:cacheprovider", "--freezecheck-report-dir=report", "-k",
            "reaches_accuracy_gate and sgd[none]")
    ran = pytester.runpytest_subprocess(*args)
    ran.assert_outcomes(passed=1)
    results = json.loads((pytester.path / "report" / "results.json").read_text())
    assert results["runs"][0]["recipe"]["training"] == "fit"
    loop = pytester.runpytest_subprocess(*args, "--freezecheck-training=loop")
    assert loop.ret == pytest.ExitCode.USAGE_ERROR
    assert "--freezecheck-training=loop: experiment 'sgd' compiles its own model" in \
        loop.stderr.str()
    pytester.makefile(".py", test_sgd=pytester.path.joinpath("test_sgd.py").read_text()
                      .replace("COMPILED_IN_BUILD = False", "COMPILED_IN_BUILD = True"))
    compiled = pytester.runpytest_subprocess(*args)
    compiled.assert_outcomes(failed=1)
    compiled.stdout.fnmatch_lines(["*build expected to return an uncompiled model. Received: "
                                   "a compiled one.*compile=function*"])


PATCHED_KERAS = '''
"""A patch to Keras from outside the project, as a library upgrade might bring: h1's
kernel learns at half the rate."""
import keras

_update_step = keras.optimizers.Adam.update_step


def update_step(self, gradient, variable, learning_rate):
    name = str(getattr(variable, "path", None) or variable.name)
    if "h1" in name and "kernel" in name:
        learning_rate = learning_rate * 0.5
    return _update_step(self, gradient, variable, learning_rate)


keras.optimizers.Adam.update_step = update_step
'''


@pytest.mark.training
def test_on_the_references_own_environment_a_patched_keras_fails_bit_for_bit(pytester,
                                                                           tmp_path):
    """Same CPU type, versions and training path as the references: any difference
    fails, naming it; the tolerance alone would pass it, and says so when chosen."""
    from freezecheck.train.backend import keras_version

    if not keras_version().startswith("3."):
        pytest.skip("the patch is written against Keras 3's optimizer")
    _write(pytester)
    chosen = ["-k", "reference and (toy[none] or toy[h1] or toy[bn])"]
    _run(pytester, tmp_path / "store", "--freezecheck-regen-references", *chosen)
    again = _run(pytester, tmp_path / "fresh", *chosen)  # trained again: bit for bit
    again.assert_outcomes(passed=3)
    pytester.makeconftest(PATCHED_KERAS)
    patched = _run(pytester, tmp_path / "patched", "-rf", *chosen)
    patched.assert_outcomes(passed=1, failed=2)  # toy[h1] freezes h1: nothing to patch
    patched.stdout.fnmatch_lines(["*same environment (CPU *), other results*",
                                  "*h1/kernel*"])
    relaxed = _run(pytester, tmp_path / "patched", "--freezecheck-reference-match=tolerance",
                   *chosen)
    relaxed.assert_outcomes(passed=3)


def test_families_of_a_users_experiment_run_only_when_named(pytester):
    """Declared on the experiment, not run by default, selected by one option; a family
    it does not declare stops the session naming the ones it does."""
    pytester.makepyfile(test_fam='''
import freezecheck

LAYERS = ("a", "b", "c")
TestFam = freezecheck.Experiment(
    "fam", build=lambda: None, layers=LAYERS, data=lambda: None,
    recipe=freezecheck.Recipe(epochs=1), gates=freezecheck.Gates(0.5, 0.1, 0.5, 1),
    families={"blocks": freezecheck.blocks(LAYERS),
              "pairs": [freezecheck.Freeze("a", "c"), freezecheck.Freeze("a")]}).tests()
''')

    def collected(*args):
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--collect-only", "-q",
                                              *args)
        return result, {re.search(r"\[fam\[(.+)\]\]", line).group(1)
                        for line in result.outlines if "[fam[" in line}

    _, default = collected()
    assert default == {"none", "a", "b", "c"}
    _, blocks = collected("--freezecheck-families=blocks")
    assert blocks == default | {"a+b", "b+c"}
    _, every = collected("--freezecheck-families=all")
    assert every == default | {"a+b", "b+c", "a+c"}  # "a" is a default variant already
    refused, _ = collected("--freezecheck-families=inits")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    assert ("--freezecheck-families=inits: experiment 'fam' declares the families blocks, "
            "pairs") in refused.stderr.str()


def test_alpha_is_split_over_the_variants_a_session_judges():
    """A session splits alpha over the variants it judges against the baseline: the
    default ones, and those of the families it runs, not every family declared."""
    from freezecheck.generated import alpha_split

    layers = ("a", "b", "c")
    experiment = freezecheck.Experiment(
        "fam", build=lambda: None, layers=layers, data=lambda: None,
        recipe=freezecheck.Recipe(epochs=1), gates=freezecheck.Gates(0.5, 0.1, 0.5, 1),
        families={"blocks": freezecheck.blocks(layers),
                  "pairs": [freezecheck.Freeze("a", "c"), freezecheck.Freeze("a")]})
    assert experiment.alpha_split("fam[a]") == 3  # tests(only="default"): a, b, c
    assert experiment.alpha_split("fam[a+b]") == 3  # only="families": a+b, b+c, a+c
    assert experiment.alpha_split("fam[a+b]", families=("blocks",)) == 2
    # tests(): one class of every variant, the session's families' tests kept
    assert alpha_split(experiment, experiment.variants, ()) == 3
    assert alpha_split(experiment, experiment.variants, ("blocks",)) == 5
    assert alpha_split(experiment, experiment.variants, ("blocks", "pairs")) == 6


FAMILY_TOY = '''
import numpy as np
import freezecheck


def build():
    from freezecheck.train.backend import keras as keras_module

    keras = keras_module()
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, name="a"),
                             keras.layers.Dense(8, name="b"),
                             keras.layers.Dense(2, activation="softmax", name="c")])


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    return freezecheck.arrays(train=(x[:150], y[:150]), validation=(x[150:], y[150:]))


TestFam = freezecheck.Experiment(
    "fam", build=build, layers=("a", "b", "c"), data=data,
    recipe=freezecheck.Recipe(epochs=2, batch_size=16),
    gates=freezecheck.Gates(0.5, 0.5, 0.5, 2), variants=[freezecheck.Freeze("a")],
    families={"pairs": [freezecheck.Freeze("a", "b")]}).tests()
'''


@pytest.mark.training
def test_a_family_variant_without_a_reference_skips_its_reference_test_saying_how_to_keep_one(
        pytester, tmp_path):
    """References are kept where made: the default variants' are judged against theirs
    as usual, a family's variant with none stored is skipped, naming the option and
    the way to keep one."""
    pytester.makepyfile(test_fam=FAMILY_TOY)
    args = ("-p", "no:cacheprovider", "-p", "no:randomly", f"--freezecheck-store-dir={tmp_path}",
            "--freezecheck-report-dir=report", "-k", "reference", "-rs")
    made = pytester.runpytest_subprocess(*args, "--freezecheck-regen-references")
    made.assert_outcomes(failed=2)  # regenerating fails by design: fam[none] and fam[a]
    assert sorted(p.name for p in (pytester.path / "references").glob("*/*.json")) == \
        ["fam[a].json", "fam[none].json"]
    judged = pytester.runpytest_subprocess(*args, "--freezecheck-families=pairs")
    judged.assert_outcomes(passed=2, skipped=1)
    judged.stdout.fnmatch_lines([
        "SKIPPED [[]1] *: fam[[]a+b] (family pairs) has no stored reference. To "
        "keep one, with --freezecheck-families=pairs: Create *'s own by running * with "
        "--freezecheck-regen-references *"])
    results = json.loads((pytester.path / "report" / "results.json").read_text())
    outcomes = {test.split("[", 1)[1][:-1]: entry["outcome"]
                for test, entry in results["tests"].items()}
    assert outcomes == {"fam[none]": "passed", "fam[a]": "passed", "fam[a+b]": "skipped"}


def test_a_data_set_is_loaded_again_from_another_directory(tmp_path):
    """Loaded once per process and directory: a session given another
    --freezecheck-data-dir must not reuse what an earlier one loaded."""
    seen = []

    def load(data_dir=None):
        seen.append(data_dir)
        x = np.zeros((4, 2), np.float32)
        return freezecheck.arrays(train=(x, np.zeros(4, int)), validation=(x, np.zeros(4, int)),
                                  name=f"from-{Path(data_dir).name}")

    experiment = freezecheck.Experiment(
        "dirs", build=lambda: None, layers=("a", "b"), data=load,
        recipe=freezecheck.Recipe(epochs=1), gates=freezecheck.Gates(0.5, 0.1, 0.5, 1))
    first = experiment.data_for(SessionOptions(data_dir=tmp_path / "one"))
    again = experiment.data_for(SessionOptions(data_dir=tmp_path / "one"))
    other = experiment.data_for(SessionOptions(data_dir=tmp_path / "two"))
    assert first is again and (first.name, other.name) == ("from-one", "from-two")
    assert len(seen) == 2
