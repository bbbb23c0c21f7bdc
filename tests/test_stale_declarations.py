"""A stale declaration is reported, never a failure: a toy experiment measured over five
seeds and declared, its declared gap then made far worse than the runs, passes, and the
stale declaration is said in the terminal, summary.md, index.html, results.json
(validated against its schema) and the JUnit XML, through an xdist worker."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pytest

EXPERIMENT = '''
import numpy as np
import freezecheck


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
    labels = rng.integers(0, 3, 600)
    points = (centres[labels] + rng.normal(size=(600, 8))).astype(np.float32)
    return freezecheck.arrays(train=(points[:450], labels[:450]),
                              validation=(points[450:], labels[450:]), name="clusters")


experiment = freezecheck.Experiment(
    "stale-toy", build=build, layers=("h1", "h2", "out"), data=data,
    recipe=freezecheck.Recipe(epochs=3, batch_size=32, learning_rate=3e-2),
    gates=freezecheck.Gates(min_accuracy=0.5, curve_band=0.5, curve_level=0.5,
                            curve_max_lag=2),
    variants=[freezecheck.Freeze("h1"), freezecheck.Freeze("h2")],
)

TestStaleToy = experiment.tests()
'''

STALE = "stale-toy[h1]"
# How far below the runs the declared gaps are planted: 40 points, far beyond the bound.
PLANTED_DROP = 0.4
REGENERATE = ("Regenerate the declarations: `freezecheck measure --experiment "
              "test_toy.py::stale-toy --seeds 0-4 --out stale-toy-remeasured.jsonl`, then "
              "`freezecheck declare --experiment test_toy.py::stale-toy "
              "stale-toy-remeasured.jsonl`")


def _freezecheck(directory, *args):
    return subprocess.run([sys.executable, "-m", "freezecheck", *args], cwd=directory,
                          capture_output=True, text=True, timeout=900)


def _validate(document):
    import jsonschema

    from freezecheck.reporting.report import results_schema

    jsonschema.validate(document, results_schema(), cls=jsonschema.Draft202012Validator,
                        format_checker=jsonschema.FormatChecker())


@pytest.mark.training
def test_a_stale_declaration_passes_and_is_reported_everywhere(pytester, tmp_path):
    pytester.makepyfile(test_toy=EXPERIMENT)
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider -p no:randomly\n")
    store = tmp_path / "store"
    measured = _freezecheck(pytester.path, "measure", "--experiment", "test_toy.py::stale-toy",
                            "--seeds", "5", "--workers", "1", "--store-dir", str(store),
                            "--out", "measurements.jsonl")
    assert measured.returncode == 0, measured.stderr
    declared = _freezecheck(pytester.path, "declare", "--experiment", "test_toy.py::stale-toy",
                            "measurements.jsonl")
    assert declared.returncode == 0, declared.stderr
    # The plant: the declaration says h1 does far worse against its baseline than it does.
    path = pytester.path / "declarations" / "stale-toy.json"
    document = json.loads(path.read_text())
    (part,) = (p for datasets in document["measured"].values() for p in datasets.values())
    effect = part["variants"][STALE]["effect"]
    effect["mean_gaps"] = [gap - PLANTED_DROP for gap in effect["mean_gaps"]]
    path.write_text(json.dumps(document))

    result = pytester.runpytest_subprocess(
        "-n", "1", f"--freezecheck-store-dir={store}", "--freezecheck-report-dir=report",
        "--junitxml=junit.xml", "-k", "curve_follows_baseline")
    # Stale is not a failure: both curve tests pass, nothing trains again.
    result.assert_outcomes(passed=2, warnings=1)
    assert "trained in" not in result.stdout.str()
    said = (f"{STALE}: stale declaration, not a failure: the mean gap over 1 seed(s) is "
            f"*, above the declared -* by more than the bound * points. {REGENERATE}")
    said_pattern = said.replace("[", "[[]")
    result.stdout.fnmatch_lines(["*= freezecheck =*",
                                 f"{STALE.replace('[', '[[]')} * meets the gate; stale declaration",
                                 "1 stale declaration(s), not failures: *",
                                 f"  {said_pattern}"])
    result.stdout.fnmatch_lines(["*StaleDeclarationWarning: stale declaration: "
                                 f"{STALE.replace('[', '[[]')}: declared *"])

    report = pytester.path / "report"
    results = json.loads((report / "results.json").read_text())
    _validate(results)
    (stale,) = results["stale_declarations"]
    test_id = f"test_toy.py::TestStaleToy::test_curve_follows_baseline[{STALE}]"
    assert stale["test"] == test_id and stale["variant"] == STALE
    assert stale["new_mean_gap"] - stale["declared_mean_gap"] > stale["bound"] > 0
    assert stale["seeds"] == 1 and stale["reference_seeds"] == 5
    assert stale["metric"] == "val_accuracy" and REGENERATE in stale["message"]
    assert results["tests"][test_id]["outcome"] == "passed"

    summary = (report / "summary.md").read_text()
    assert "## Stale declarations" in summary
    assert f"- `{test_id}`: {stale['message']}" in summary
    assert "meets the gate; stale declaration" in summary

    page = (report / "index.html").read_text()
    import html

    assert '<h2 id="stale-declarations">Stale declarations</h2>' in page
    assert html.escape(stale["message"]) in page

    cases = {case.get("name"): case for case in
             ElementTree.parse(pytester.path / "junit.xml").getroot().iter("testcase")}
    properties = {p.get("name"): p.get("value")
                  for p in cases[f"test_curve_follows_baseline[{STALE}]"].iter("property")}
    assert properties["freezecheck_stale_declaration"] == stale["message"]
    assert properties["freezecheck_verdict"] == "passed"
    other = {p.get("name") for p in
             cases["test_curve_follows_baseline[stale-toy[h2]]"].iter("property")}
    assert "freezecheck_stale_declaration" not in other


def test_over_several_seeds_a_stale_declaration_carries_its_figures_and_the_command():
    """curve_breaks_claim (--freezecheck-seeds=5): an improvement beyond the bound is
    no failure, and its warning carries what the report shows, with the declaration's
    own command to regenerate it."""
    import numpy as np

    from freezecheck.builtin.models import variant_of
    from freezecheck.builtin.settings import full_curve
    from freezecheck.errors import StaleDeclarationWarning
    from freezecheck.experiment import Declared
    from freezecheck.judge import claims
    from freezecheck.judge.expectations import Expectation
    from freezecheck.judge.several_seeds import curve_breaks_claim

    tolerance = full_curve("mnist")
    variant = variant_of("lenet5", ("conv2",))
    rng = np.random.default_rng(0)
    baseline = np.array([0.97, 0.98, 0.985, 0.99]) + rng.normal(0, 0.001, (5, 4))
    curves = baseline - 0.002 + rng.normal(0, 0.001, (5, 4))
    measured = claims.measure_effect(curves, baseline, level=tolerance.level, seeds=range(5))
    planted = {**measured.as_dict(),
               "mean_gaps": [g - 0.05 for g in measured.as_dict()["mean_gaps"]]}
    declared = Declared(Expectation(seeds=tuple(range(5)), finals=(0.99,) * 5,
                                    follows_baseline=True, curve_claim="follows",
                                    effect=planted),
                        where="env, data", source="the table", regenerate="`make declare`")
    with pytest.warns(StaleDeclarationWarning) as caught:
        assert curve_breaks_claim(variant, declared, curves, baseline, range(5), tolerance,
                                  0.01, variants=3) is None
    (warning,) = [w.message for w in caught]
    figures = warning.stale
    assert figures["variant"] == variant.id and figures["seeds"] == 5
    assert figures["reference_seeds"] == 5 and figures["claim"] == "follows"
    assert figures["new_mean_gap"] - figures["declared_mean_gap"] > figures["bound"] > 0
    assert figures["message"].endswith("Regenerate the declarations: `make declare`")
    assert "alpha 0.01 over 3 variant(s)" in str(warning)
