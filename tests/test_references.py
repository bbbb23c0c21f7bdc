"""Stored reference curves: regenerated only by the flag (which fails), then compared
(bit for bit in the same environment, else within the tolerance); borrowed from the
nearest supported environment where an environment has none.

The full tier's recipe is swapped, by the pytester conftest, for a two-epoch run on
2,000 images, so that the reference machinery runs as in the full tier, in seconds.
"""

import configparser
import itertools
import json
import re
from pathlib import Path

import pytest

from freezecheck.builtin.experiment import shipped_references as shipped_root
from freezecheck.judge.references import (SUPPORTED_ENVIRONMENTS, References, _coordinates,
                                          fallback_order)
from freezecheck.train.backend import environment_name
from freezecheck.train.store import cpu_type

ROOT = Path(__file__).parent.parent

EXPERIMENT_FILE = Path(__file__).with_name("test_experiment.py")
TINY_FULL_TIER = """
import dataclasses
import freezecheck.builtin.settings as _config
_config.FULL_RECIPES = {model: dataclasses.replace(recipe, epochs=2, train_images=2000)
                        for model, recipe in _config.FULL_RECIPES.items()}
"""


def run(pytester, data_dir, *args):
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-rf", "-k", "reference and lenet5 and (none or out)",
        f"--freezecheck-data-dir={data_dir}", "--freezecheck-references-dir=refs", *args)


@pytest.mark.training
def test_references_are_written_only_by_the_flag_and_then_compared(pytester, mnist_dir):
    pytester.makepyfile(test_copied_experiment=EXPERIMENT_FILE.read_text())
    pytester.makeconftest(TINY_FULL_TIER)
    folder = pytester.path / "refs" / environment_name()

    missing = run(pytester, mnist_dir)
    missing.assert_outcomes(failed=2)
    missing.stdout.fnmatch_lines(["*no reference curve for lenet5[[]none] in environment*",
                                  "*--freezecheck-regen-references*"])
    assert not folder.exists()

    regenerating = run(pytester, mnist_dir, "--freezecheck-regen-references")
    regenerating.assert_outcomes(failed=2)
    regenerating.stdout.fnmatch_lines(["*regenerated*lenet5[[]out].json*"])
    stored = json.loads((folder / "lenet5[out].json").read_text())
    assert stored["environment"] == environment_name() and len(stored["val_accuracy"]) == 2
    assert stored["cpu"] == cpu_type() and stored["training"] == "loop"
    assert {"conv1/kernel", "out/bias"} <= set(stored["weights_after_sha256"])

    # Same CPU type, versions and training path: judged bit for bit.
    run(pytester, mnist_dir, "--junitxml=junit.xml").assert_outcomes(passed=2)
    junit = (pytester.path / "junit.xml").read_text()
    assert junit.count('name="reference_judged_by" value="exact"') == 2

    stored["val_accuracy"][1] += 0.001  # inside the tolerance, but not the same result
    (folder / "lenet5[out].json").write_text(json.dumps(stored))
    moved = run(pytester, mnist_dir)
    moved.assert_outcomes(passed=1, failed=1)
    moved.stdout.fnmatch_lines([
        f"*lenet5[[]out]: same environment (CPU {cpu_type()}, TensorFlow *, training loop), "
        f"other results than its {environment_name()} reference*",
        "*validation accuracy differs at 1 of 2 epoch(s):*",
        "*epoch   2: * this run, * the reference*",
        "*Judged by the tolerance alone the run would pass*"])

    stored["val_accuracy"][1] += 0.05  # as if this environment had converged faster ...
    stored["cpu"] = "x86_64:0123456789abcdef"  # ... on another CPU type: the tolerance
    (folder / "lenet5[out].json").write_text(json.dumps(stored))
    moved = run(pytester, mnist_dir)
    moved.assert_outcomes(passed=1, failed=1)
    moved.stdout.fnmatch_lines([f"*left the band*its {environment_name()} reference at 1 epoch(s)*",
                                "*epoch   2:*-5.10 points*",
                                "*judged by the tolerance: another environment: CPU*"])


@pytest.mark.training
def test_an_environment_without_references_borrows_the_nearest_and_says_so(pytester, mnist_dir):
    """A supported environment with no reference of its own is judged by the nearest
    one's, within the same tolerance, and says whose, pass or fail."""
    pytester.makepyfile(test_copied_experiment=EXPERIMENT_FILE.read_text())
    pytester.makeconftest(TINY_FULL_TIER)
    run(pytester, mnist_dir, "--freezecheck-regen-references").assert_outcomes(failed=2)
    nearest = fallback_order(environment_name())[0]
    (pytester.path / "refs" / environment_name()).rename(pytester.path / "refs" / nearest)

    borrowed = run(pytester, mnist_dir, "--junitxml=junit.xml")
    borrowed.assert_outcomes(passed=2)
    borrowed.stdout.fnmatch_lines([
        "*freezecheck reference curves borrowed*",
        f"{environment_name()} has no reference of its own for 2 variant(s), compared with "
        f"{nearest}'s*: lenet5[[]none], lenet5[[]out]",
        f"Create {environment_name()}'s own *--freezecheck-regen-references*"])
    junit = (pytester.path / "junit.xml").read_text()
    assert junit.count(f'name="reference_environment" value="{nearest}"') == 2
    assert junit.count('name="reference_judged_by" value="tolerance"') == 2

    stored = json.loads((pytester.path / "refs" / nearest / "lenet5[out].json").read_text())
    stored["val_accuracy"][1] += 0.05
    (pytester.path / "refs" / nearest / "lenet5[out].json").write_text(json.dumps(stored))
    moved = run(pytester, mnist_dir)
    moved.assert_outcomes(passed=1, failed=1)
    moved.stdout.fnmatch_lines([f"*left the band*its {nearest} reference at 1 epoch(s)*",
                                f"*{environment_name()} has no reference of its own for this "
                                f"variant: compared with {nearest}'s*Create*own*"
                                f"--freezecheck-regen-references*"])


@pytest.mark.parametrize("environment, nearest", [
    ("py311-tf218", ["py311-tf219", "py311-tf217", "py311-tf220", "py311-tf216"]),
    ("py311-tf221", ["py312-tf221", "py311-tf221-keras2", "py311-tf220"]),  # Keras before Python
    ("py312-tf218", ["py311-tf218"]),  # a TensorFlow the range allows, not tox.ini
    ("py311-tf215", ["py311-tf216", "py311-tf217"]),  # the nearest TensorFlow, either Keras
    ("py311-tf216-keras2", ["py311-tf216", "py311-tf215", "py311-tf217"]),
    ("py311-tf221-keras2", ["py311-tf221", "py312-tf221", "py311-tf220"]),
])
def test_fallback_prefers_the_nearest_tensorflow_then_the_keras_line(environment, nearest):
    order = fallback_order(environment)
    assert order[:len(nearest)] == nearest
    assert sorted(order) == sorted(set(SUPPORTED_ENVIRONMENTS) - {environment})


def test_find_takes_the_own_reference_then_the_nearest_then_none(tmp_path):
    def store(environment, value):
        (tmp_path / environment).mkdir(exist_ok=True)
        (tmp_path / environment / "lenet5[out].json").write_text(json.dumps(value))

    references = References(tmp_path, "py311-tf218")
    assert references.find("lenet5[out]") is None
    store("py311-tf215", "keras 2")
    store("py311-tf221", "newest")
    assert references.find("lenet5[out]") == ("newest", "py311-tf221")
    store("py311-tf217", "nearest")
    assert references.find("lenet5[out]") == ("nearest", "py311-tf217")
    store("py311-tf218", "own")
    assert references.find("lenet5[out]") == ("own", "py311-tf218")
    assert "pytest -n auto --freezecheck-regen-references" in references.how_to_create()


def test_the_built_in_references_say_the_tox_command_of_a_supported_environment():
    from freezecheck.builtin.experiment import builtin_references
    from freezecheck.describe.session import SessionOptions

    told = builtin_references(SessionOptions()).how_to_create()
    if environment_name() in SUPPORTED_ENVIRONMENTS:
        assert f"tox -e {environment_name()} -- tests/test_experiment.py" in told
    else:
        assert "pytest -n auto tests/test_experiment.py --freezecheck-tier=full" in told


def test_the_given_directory_is_read_before_the_shipped_references_and_is_where_they_are_written(
        tmp_path):
    shipped = shipped_root()
    assert (shipped / "py311-tf221" / "lenet5[out].json").is_file()  # package data
    references = References(tmp_path, "py311-tf221", also=[shipped])
    reference, whose = references.find("lenet5[out]")
    assert whose == "py311-tf221" and len(reference["val_accuracy"]) == 15
    (tmp_path / "py311-tf221").mkdir()
    (tmp_path / "py311-tf221" / "lenet5[out].json").write_text(json.dumps("own"))
    assert references.find("lenet5[out]") == ("own", "py311-tf221")
    assert references.path("lenet5[out]") == tmp_path / "py311-tf221" / "lenet5[out].json"
    assert References(tmp_path / "elsewhere", "py311-tf221").find("lenet5[out]") is None


def test_a_user_experiments_missing_reference_says_how_to_make_its_own():
    command = "pytest -n auto tests/test_digits.py --freezecheck-regen-references"
    text = References(Path("refs"), "py311-tf218", regen_command=command).how_to_create()
    assert f"`{command}`" in text and "tox" not in text and "test_experiment" not in text


@pytest.mark.parametrize("environment", SUPPORTED_ENVIRONMENTS)
def test_every_supported_environment_ships_its_own_reference_for_every_builtin_variant(
        environment):
    """Made by a full-tier run in that environment: its versions are the name's, its
    curve has the full recipe's epochs. None is borrowed in a supported environment."""
    from freezecheck.builtin.experiment import EXPERIMENTS
    from freezecheck.builtin.settings import FULL_RECIPES

    keras, tf_minor, python_minor = _coordinates(environment)
    for model, experiment in EXPERIMENTS.items():
        for variant in experiment.variants:
            if variant.id in experiment.family_of:
                continue  # the families (run on demand, over seeds) keep none
            path = shipped_root() / environment / f"{variant.id}.json"
            assert path.is_file(), (
                f"{path} is missing: tox -e {environment} -- tests/test_experiment.py "
                "--freezecheck-tier=full --freezecheck-regen-references "
                "--freezecheck-references-dir=freezecheck/builtin/references")
            stored = json.loads(path.read_text())
            versions = stored["versions"]
            assert (stored["environment"], stored["variant"]) == (environment, variant.id)
            assert versions["python"].startswith(f"3.{python_minor}."), path
            assert versions["tensorflow"].startswith(f"2.{tf_minor}."), path
            assert versions["keras"].startswith(f"{keras}."), path
            assert len(stored["val_accuracy"]) == FULL_RECIPES[model].epochs, path


def test_supported_environments_are_the_tox_environments():
    ini = configparser.ConfigParser()
    ini.read(ROOT / "tox.ini")
    names = []
    for line in ini["tox"]["envlist"].split():
        parts = re.split(r"\{([^}]*)\}", line)  # py311-tf{215,216} -> every combination
        choices = [part.split(",") if i % 2 else [part] for i, part in enumerate(parts)]
        names += ["".join(combination) for combination in itertools.product(*choices)]
    assert sorted(names) == sorted(SUPPORTED_ENVIRONMENTS)
