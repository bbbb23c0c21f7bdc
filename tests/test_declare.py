"""Measured declarations for any experiment: `freezecheck declare` turns an
experiment's measurements into the data file its tests judge by
(examples/own-recipe, measured over five seeds)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[1] / "examples" / "own-recipe"
MEASUREMENTS = "measurements/py311-tf221.jsonl"


def _declare(directory: Path, *extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "freezecheck", "declare", "--experiment",
                           "test_own_recipe.py::sgd-digits", *extra],
                          cwd=directory, capture_output=True, text=True, timeout=120)


def test_the_committed_declarations_are_what_the_command_makes(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "own", ignore=shutil.ignore_patterns("declarations"))
    made = _declare(tmp_path / "own", MEASUREMENTS)
    assert made.returncode == 0, made.stderr
    written = json.loads((tmp_path / "own" / "declarations" / "sgd-digits.json").read_text())
    committed = json.loads((EXAMPLE / "declarations" / "sgd-digits.json").read_text())
    assert written["measured"] == committed["measured"]
    part = written["measured"]["py311-tf221"]["sklearn-digits"]
    assert sorted(part["variants"]) == ["sgd-digits[hidden]", "sgd-digits[none]", "sgd-digits[out]"]
    assert all(len(entry["seeds"]) == 5 for entry in part["variants"].values())


def test_a_line_of_another_experiment_is_refused_naming_it(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "own")
    foreign = tmp_path / "own" / "foreign.jsonl"
    line = json.loads((EXAMPLE / MEASUREMENTS).read_text().splitlines()[0])
    foreign.write_text(json.dumps({**line, "variant": "digits[none]"}) + "\n")
    refused = _declare(tmp_path / "own", str(foreign))
    assert refused.returncode == 2
    assert "foreign.jsonl:1: variant 'digits[none]' is not one of experiment 'sgd-digits'" \
        in refused.stderr


@pytest.mark.training
def test_the_tests_judge_by_the_declarations_and_a_planted_regression_fails(pytester):
    """The frozen variants fall short of the gate: declared in the file, they pass
    within their measured range; without it, they fail; a learning rate ten times lower
    throughout (the schedule's boundary at 0) fails them and the baseline."""
    from freezecheck.train.backend import environment_name

    pytest.importorskip("sklearn", reason="the example's data set ships with scikit-learn "
                                          "(pip install -e '.[examples]')")
    measured_in = json.loads((EXAMPLE / "declarations" / "sgd-digits.json").read_text())
    if environment_name() not in measured_in["measured"]:
        # Another TensorFlow trains other runs; the ranges measured here would be
        # borrowed, which is not what this test is about.
        pytest.skip(f"the example's declarations were measured in "
                    f"{', '.join(measured_in['measured'])}, not {environment_name()}")
    for name in ("test_own_recipe.py", "pytest.ini"):
        shutil.copy(EXAMPLE / name, pytester.path / name)
    shutil.copytree(EXAMPLE / "declarations", pytester.path / "declarations")
    args = ("-n", "2", "-p", "no:cacheprovider", "-k", "accuracy_gate",
            "--freezecheck-report-dir=report", "--freezecheck-store-dir=store")
    declared = pytester.runpytest_subprocess(*args)
    declared.assert_outcomes(passed=3)
    declared.stdout.fnmatch_lines(["*sgd-digits[[]out] * declared short, within its measured range"])
    shutil.rmtree(pytester.path / "declarations")
    undeclared = pytester.runpytest_subprocess(*args)
    undeclared.assert_outcomes(passed=1, failed=2)
    source = (pytester.path / "test_own_recipe.py").read_text()
    planted = source.replace("[2 * recipe.epochs // 3 * steps_per_epoch]", "[0]")
    assert planted != source
    (pytester.path / "test_own_recipe.py").write_text(planted)
    shutil.copytree(EXAMPLE / "declarations", pytester.path / "declarations")
    regressed = pytester.runpytest_subprocess(*args)
    regressed.assert_outcomes(failed=3)
