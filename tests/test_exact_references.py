"""Exact where the environment is the same: a run in its own reference's environment
(CPU type, library versions, training path, recipe) must repeat it bit for bit; any
other is judged by the curve tolerance, and the test says which judged it.

No training: records are built from numpy arrays and references written from them
through the regeneration path (References.write).
"""

import dataclasses
import json

import numpy as np
import pytest

from freezecheck.describe.recipe import CurveTolerance
from freezecheck.judge.checks import reference_at_another_seed, reference_missed
from freezecheck.judge.fingerprints import fingerprints
from freezecheck.judge.references import (RELAXED, SCHEMA_VERSION, References, fallback_order,
                                          judgement)
from freezecheck.train.records import RunRecord
from freezecheck.train.store import cpu_type

ENVIRONMENT = "py311-tf221"
VERSIONS = {"python": "3.11.7", "tensorflow": "2.21.0", "keras": "3.15.1", "numpy": "2.4.6"}
CURVE = [0.9768, 0.9854, 0.9886, 0.9906]
TOLERANCE = CurveTolerance(band=0.015, level=0.985, max_lag=2)
SAME = (f"same environment (CPU {cpu_type()}, TensorFlow 2.21.0, Keras 3.15.1, numpy 2.4.6, "
        f"Python 3.11.7, training loop), other results")


@dataclasses.dataclass(frozen=True)
class Variant:
    id: str = "toy[out]"

    def __str__(self):
        return self.id


def record(curve=CURVE, training=None, variables=3, **changes) -> RunRecord:
    rng = np.random.default_rng(0)
    after = {f"dense{i}/kernel": rng.standard_normal((4, 3)).astype(np.float32)
             for i in range(variables)}
    recipe = {"epochs": len(curve), "batch_size": 64, "learning_rate": 0.002, "seed": 0,
              "threads": 1, "train_images": None}
    if training:
        recipe["training"] = training
    fields = dict(
        variant_id="toy[out]", model="toy", frozen=[], recipe=recipe,
        history={"val_accuracy": list(curve), "accuracy": list(curve)},
        test_accuracy=0.9902, test_loss=0.03, epoch_seconds=[1.0] * len(curve),
        train_seconds=4.0, peak_rss_mb=100.0, versions=dict(VERSIONS),
        data_sha256={"arrays": "ab" * 32},
        weights_before={p: np.zeros_like(a) for p, a in after.items()},
        weights_after=after)
    return RunRecord(**(fields | changes))


def flip_bit(array: np.ndarray, index: int = 0) -> np.ndarray:
    """``array`` with the lowest bit of one element's bytes flipped."""
    flipped = array.copy()
    flipped.reshape(-1).view(np.uint32)[index] ^= 1
    return flipped


class Judge:
    """reference_missed against references under ``root``, with its JUnit properties."""

    def __init__(self, root, environment=ENVIRONMENT):
        self.references = References(root, environment)
        self.properties = {}

    def __call__(self, run, **options):
        self.properties.clear()
        return reference_missed(Variant(), run, self.references, TOLERANCE,
                                self.properties.__setitem__, **options)

    def edit(self, change, environment=ENVIRONMENT):
        """Apply ``change`` to the stored reference (a dict, in place)."""
        path = self.references.path(Variant.id, environment)
        stored = json.loads(path.read_text())
        change(stored)
        path.write_text(json.dumps(stored))


@pytest.fixture
def judge(tmp_path):
    """A Judge whose environment has a reference written from ``record()``."""
    judge = Judge(tmp_path)
    judge.references.write(record())
    return judge


def test_a_regenerated_reference_records_what_an_exact_comparison_needs(tmp_path):
    run = record(training="fit")
    path = References(tmp_path, ENVIRONMENT).write(run)
    stored = json.loads(path.read_text())
    assert stored["schema_version"] == SCHEMA_VERSION == 2
    assert stored["cpu"] == cpu_type() and stored["cpu"].count(":") == 1
    assert stored["versions"] == VERSIONS and stored["training"] == "fit"
    assert stored["recipe"] == run.recipe and stored["data_sha256"] == run.data_sha256
    assert stored["val_accuracy"] == CURVE and stored["test_accuracy"] == 0.9902
    assert stored["weights_after_sha256"] == fingerprints(run.weights_after)
    assert sorted(stored["weights_after_sha256"]) == sorted(run.weights_after)
    assert all(len(h) == 64 for h in stored["weights_after_sha256"].values())
    written = References(tmp_path / "loop", ENVIRONMENT).write(record())
    assert json.loads(written.read_text())["training"] == "loop"  # left out of the recipe


def test_a_run_equal_to_its_reference_in_the_same_environment_passes_exactly(judge):
    assert judge(record()) is None
    assert judge.properties["reference_judged_by"] == "exact"
    assert judge.properties["reference_judged_by_reason"].startswith(
        f"same environment (CPU {cpu_type()}, TensorFlow 2.21.0")
    assert judge.properties["reference_environment"] == ENVIRONMENT
    assert judge.properties["largest_reference_deviation"] == 0.0


def test_one_flipped_bit_in_a_stored_weight_digest_fails_naming_that_weight(judge):
    ours = fingerprints(record().weights_after)["dense1/kernel"]
    theirs = ours[:-1] + format(int(ours[-1], 16) ^ 1, "x")
    judge.edit(lambda stored: stored["weights_after_sha256"].update({"dense1/kernel": theirs}))
    message = judge(record())
    assert message is not None and SAME in message
    assert "weights after training: 1 of 3 variable(s) differ:" in message
    assert (f"    dense1/kernel\n      sha256 this run  {ours}\n"
            f"      sha256 reference {theirs}") in message
    assert "dense0/kernel" not in message and "dense2/kernel" not in message
    assert "validation accuracy" not in message and "test accuracy" not in message
    assert "Judged by the tolerance alone the run would pass" in message
    for cause in ("not among the recorded versions", "a patched library", "nondeterminism",
                  "--freezecheck-regen-references", "--freezecheck-reference-match=tolerance"):
        assert cause in message
    assert judge.properties["reference_judged_by"] == "exact"


def test_one_flipped_bit_in_a_weight_of_the_run_fails_naming_that_weight(judge):
    run = record()
    run.weights_after["dense2/kernel"] = flip_bit(run.weights_after["dense2/kernel"], 5)
    message = judge(run)
    assert SAME in message and "1 of 3 variable(s) differ" in message
    flipped = fingerprints(run.weights_after)["dense2/kernel"]
    assert f"    dense2/kernel\n      sha256 this run  {flipped}\n" in message


def test_many_differing_weights_show_the_first_few_and_how_many(tmp_path):
    judge = Judge(tmp_path)
    judge.references.write(record(variables=8))
    run = record(variables=8)
    run.weights_after = {p: flip_bit(a) for p, a in run.weights_after.items()}
    message = judge(run)
    assert "weights after training: 8 of 8 variable(s) differ, the first 5:" in message
    assert "dense4/kernel" in message and "dense5/kernel" not in message


@pytest.mark.parametrize("stored", [0.9855, float(np.nextafter(0.9854, 1))],
                         ids=["fourth decimal", "one ulp"])
def test_one_epoch_differing_in_the_last_digit_fails_with_both_values(judge, stored):
    judge.edit(lambda reference: reference["val_accuracy"].__setitem__(1, stored))
    message = judge(record())
    assert SAME in message
    assert (f"validation accuracy differs at 1 of 4 epoch(s):\n    epoch   2: 0.9854 this "
            f"run, {stored!r} the reference") in message
    assert "weights after training" not in message
    assert "Judged by the tolerance alone the run would pass" in message


def test_the_test_accuracy_is_compared_exactly(judge):
    message = judge(record(test_accuracy=0.9902000000000001))
    assert SAME in message
    assert "test accuracy: 0.9902000000000001 this run, 0.9902 the reference" in message


def test_changed_data_are_named_as_the_likely_cause(judge):
    run = record(data_sha256={"arrays": "cd" * 32})
    run.weights_after["dense0/kernel"] = flip_bit(run.weights_after["dense0/kernel"])
    assert "The data differ from the reference's" in judge(run)


@pytest.mark.parametrize("where, change, reason", [
    ("cpu", lambda r: r.update(cpu="x86_64:0123456789abcdef"),
     f"another environment: CPU {cpu_type()} here, x86_64:0123456789abcdef in the reference"),
    ("tensorflow", lambda r: r["versions"].update(tensorflow="2.21.1"),
     "another environment: TensorFlow 2.21.0 here, 2.21.1 in the reference"),
    ("keras", lambda r: r["versions"].update(keras="3.15.0"),
     "another environment: Keras 3.15.1 here, 3.15.0 in the reference"),
    ("numpy", lambda r: r["versions"].update(numpy="2.4.5"),
     "another environment: numpy 2.4.6 here, 2.4.5 in the reference"),
    ("python", lambda r: r["versions"].update(python="3.11.8"),
     "another environment: Python 3.11.7 here, 3.11.8 in the reference"),
])
def test_another_cpu_or_version_is_judged_by_the_tolerance(judge, where, change, reason):
    def moved(stored):  # other results, within the tolerance
        change(stored)
        stored["val_accuracy"][1] += 0.01
        stored["test_accuracy"] = 0.99
        stored["weights_after_sha256"] = {p: "0" * 64 for p in stored["weights_after_sha256"]}

    judge.edit(moved)
    assert judge(record()) is None
    assert judge.properties["reference_judged_by"] == "tolerance"
    assert judge.properties["reference_judged_by_reason"] == reason

    judge.edit(lambda stored: stored["val_accuracy"].__setitem__(2, 0.95))  # beyond it
    message = judge(record())
    assert "left the band" in message and f"judged by the tolerance: {reason}" in message
    assert "same environment" not in message


def test_another_training_path_is_another_environment():
    run = record()
    stored = {"cpu": cpu_type(), "versions": VERSIONS, "training": "fit", "recipe": run.recipe,
              "weights_after_sha256": {}}
    judged = judgement(stored, run)
    assert (judged.by, judged.reason) == (
        "tolerance", "another environment: training loop here, fit in the reference")


def test_a_borrowed_reference_is_judged_by_the_tolerance(tmp_path):
    nearest = fallback_order("py311-tf218")[0]
    References(tmp_path, nearest).write(record())  # same CPU, versions and recipe as the run
    judge = Judge(tmp_path, "py311-tf218")
    judge.edit(lambda stored: stored["val_accuracy"].__setitem__(1, 0.9855), nearest)
    assert judge(record()) is None
    assert judge.properties["reference_environment"] == nearest
    assert judge.properties["reference_judged_by"] == "tolerance"
    assert judge.properties["reference_judged_by_reason"].startswith(f"borrowed {nearest}'s")


def test_exact_false_judges_a_same_environment_run_by_the_tolerance(judge):
    judge.edit(lambda stored: stored["val_accuracy"].__setitem__(1, 0.9855))
    assert judge(record(), exact=False) is None
    assert judge.properties["reference_judged_by"] == "tolerance"
    assert judge.properties["reference_judged_by_reason"] == RELAXED
    assert RELAXED == "relaxed by --freezecheck-reference-match=tolerance"

    judge.edit(lambda stored: stored["val_accuracy"].__setitem__(2, 0.95))
    message = judge(record(), exact=False)
    assert "left the band" in message and f"judged by the tolerance: {RELAXED}" in message
    assert judge(record(), exact=True) is not None  # and exact is the default
    assert judge.properties["reference_judged_by"] == "exact"


def test_a_reference_made_before_schema_2_is_judged_by_the_tolerance(judge):
    def old(stored):  # as every reference shipped so far
        for field in ("cpu", "training", "data_sha256", "weights_after_sha256"):
            del stored[field]
        stored["schema_version"] = 1
        stored["val_accuracy"][1] += 0.01

    judge.edit(old)
    assert judge(record()) is None
    assert judge.properties["reference_judged_by"] == "tolerance"
    assert judge.properties["reference_judged_by_reason"] == (
        "the reference records no cpu, training, weights_after_sha256 (made before schema "
        "version 2)")


def seed(run: RunRecord, value: int, **recipe) -> RunRecord:
    return dataclasses.replace(run, recipe={**run.recipe, "seed": value, **recipe})


def test_a_run_at_another_seed_is_not_judged_by_a_reference_of_seed_0(judge):
    """A session at an unseen seed (--freezecheck-seed=10) has no reference of its own:
    the reference test says so and skips; the other tests judge the run."""
    why = reference_at_another_seed(Variant(), seed(record(), 10), judge.references)
    assert why.startswith("toy[out]: the stored reference ")
    assert "is of seed 0, this run of seed 10" in why
    assert "--freezecheck-seed=10 --freezecheck-references-dir=DIR" in why
    assert reference_at_another_seed(Variant(), record(), judge.references) is None


def test_a_run_at_another_seed_and_another_recipe_is_a_recipe_change_and_fails(judge):
    run = seed(record(), 10, learning_rate=0.001)
    assert reference_at_another_seed(Variant(), run, judge.references) is None
    assert "was made with recipe" in judge(run)


def test_a_reference_an_experiment_ships_is_named_where_it_was_read(tmp_path):
    References(tmp_path / "shipped", ENVIRONMENT).write(record())
    references = References(tmp_path / "session", ENVIRONMENT, also=[tmp_path / "shipped"])
    why = reference_at_another_seed(Variant(), seed(record(), 10), references)
    assert f"the stored reference {tmp_path / 'shipped' / ENVIRONMENT / 'toy[out].json'} " in why
    edited = dataclasses.replace(record(), test_accuracy=0.5)
    message = reference_missed(Variant(), edited, references, TOLERANCE, lambda *a: None)
    assert f"reference {tmp_path / 'shipped' / ENVIRONMENT / 'toy[out].json'}:" in message
