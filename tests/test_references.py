"""Stored reference curves: regenerated only by the flag (which fails), then compared.

The full tier's recipe is swapped, by the pytester conftest, for a one-epoch run on
2,000 images, so that the reference machinery runs as in the full tier, in seconds.
"""

import json
from pathlib import Path

import pytest

from freezecheck.backend import environment_name

pytestmark = pytest.mark.training

EXPERIMENT_FILE = Path(__file__).with_name("test_experiment.py")
TINY_FULL_TIER = """
import dataclasses
import freezecheck.config as _config
_config.FULL_RECIPES = {model: dataclasses.replace(recipe, epochs=2, train_images=2000)
                        for model, recipe in _config.FULL_RECIPES.items()}
"""


def run(pytester, data_dir, *args):
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-rf", "-k", "reference and lenet5 and (none or out)",
        f"--freezecheck-data-dir={data_dir}", "--freezecheck-references-dir=refs", *args)


def test_references_are_written_only_by_the_flag_and_then_compared(pytester, mnist_dir):
    pytester.makepyfile(test_copied_experiment=EXPERIMENT_FILE.read_text())
    pytester.makeconftest(TINY_FULL_TIER)
    folder = pytester.path / "refs" / environment_name()

    missing = run(pytester, mnist_dir)
    missing.assert_outcomes(failed=2)
    missing.stdout.fnmatch_lines(["*no reference curve for lenet5-frozen=none in environment*",
                                  "*--freezecheck-regen-references*"])
    assert not folder.exists()

    regenerating = run(pytester, mnist_dir, "--freezecheck-regen-references")
    regenerating.assert_outcomes(failed=2)
    regenerating.stdout.fnmatch_lines(["*regenerated*lenet5-frozen=out.json*"])
    stored = json.loads((folder / "lenet5-frozen=out.json").read_text())
    assert stored["environment"] == environment_name() and len(stored["val_accuracy"]) == 2

    run(pytester, mnist_dir).assert_outcomes(passed=2)

    stored["val_accuracy"][1] += 0.05  # as if this environment had converged faster
    (folder / "lenet5-frozen=out.json").write_text(json.dumps(stored))
    moved = run(pytester, mnist_dir)
    moved.assert_outcomes(passed=1, failed=1)
    moved.stdout.fnmatch_lines([f"*left the band*its {environment_name()} reference at 1 epoch(s)*",
                                "*epoch   2:*-5.00 points*"])
