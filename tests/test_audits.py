"""replication and false-alarms on any experiment's measurements: lines as
``freezecheck measure --experiment`` writes them, each judged by the curve gates it
records or, failing that, by its experiment's."""

import json
import sys

import numpy as np
import pytest

from freezecheck.cli.main import curve_tolerance, main
from freezecheck.describe.recipe import CurveTolerance
from freezecheck.errors import ConfigError

GATES = {"min_accuracy": 0.8, "curve_band": 0.02, "curve_level": 0.85, "curve_max_lag": 1}

TOY_MODULE = '''
import freezecheck

def build():
    raise AssertionError("the audits build no model")

toy = freezecheck.Experiment(
    "toy", build=build, layers=("h1", "h2", "out"), data=lambda: None,
    recipe=freezecheck.Recipe(epochs=6),
    gates=freezecheck.Gates(min_accuracy=0.8, curve_band=0.02, curve_level=0.85,
                            curve_max_lag=1))
'''


@pytest.fixture(autouse=True)
def _restore_import_path(monkeypatch):
    """locate() puts a module's directory first on sys.path, as pytest does."""
    monkeypatch.setattr(sys, "path", list(sys.path))


def toy_line(variant: str, seed: int, curve, *, experiment="/x/test_toy.py::toy",
             gates=GATES) -> dict:
    """One measurement line of the toy experiment, every field measure writes."""
    frozen = variant[variant.index("[") + 1:-1]
    return {
        "schema": 3, "environment": "py311-tf221", "variant": variant, "model": "toy",
        "frozen": [] if frozen == "none" else frozen.split("+"), "init": "glorot_uniform",
        "dataset": "toy-data", "tier": None, "seed": seed,
        "recipe": {"epochs": len(curve), "batch_size": 32, "seed": seed},
        "val_accuracy": curve, "val_loss": [1 - a for a in curve],
        "final_val_accuracy": curve[-1], "test_accuracy": curve[-1] - 0.001,
        "frozen_unchanged": True, "train_seconds": 1.5, "versions": {"tensorflow": "2.21.0"},
        "key": f"k{variant}{seed}", "worker": "in-process", "host": "h", "cpu": "x86_64:aa",
        **({"experiment": experiment} if experiment else {}),
        **({"curve_gates": gates} if gates else {}),
    }


def toy_lines(**line) -> list[dict]:
    """Ten seeds of the baseline, of a variant that follows it and of one that learns
    slower (three points below it at every epoch, then at the level an epoch late)."""
    rng = np.random.default_rng(0)
    base = 0.95 - 0.25 * np.exp(-np.arange(1, 7) / 1.5)
    lines = []
    for variant, shift in (("toy[none]", 0.0), ("toy[h1]", 0.0), ("toy[h2+out]", -0.03)):
        for seed in range(10):
            curve = [round(float(a), 4) for a in base + shift + rng.normal(0, 0.002, 6)]
            lines.append(toy_line(variant, seed, curve, **line))
    return lines


def write(path, lines) -> str:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return str(path)


def replication_rows(out: str) -> dict:
    """variant -> its row's cells (environment, data set, variant, seeds, claims, ...)."""
    return {cells[2]: cells for cells in
            ([c.strip() for c in line.strip("|").split("|")] for line in out.splitlines()
             if line.startswith("| py311-tf221 | toy-data |"))}


def test_replication_judges_a_toy_experiments_variants_by_its_own_gates(tmp_path, capsys):
    path = write(tmp_path / "toy.jsonl", toy_lines())
    assert main(["replication", path], plugins=[]) == 0
    out = capsys.readouterr().out
    rows = replication_rows(out)
    assert sorted(rows) == ["`toy[h1]`", "`toy[h2+out]`"]
    assert rows["`toy[h1]`"][3] == rows["`toy[h2+out]`"][3] == "0-9"
    # Three points below its baseline at every epoch, beyond the 0.15-point margin,
    # whichever half it is declared from; no half fails the other.
    assert rows["`toy[h2+out]`"][4] == "leaves / leaves / leaves"
    assert rows["`toy[h2+out]`"][5] == "0 of 2"
    assert "| 4 at five seeds | 0 | 0 | 0.0% | 0.0% to 60.2% |" in out  # 2 variants x 2 halves
    assert "| 20 at one seed | 0 | 0 | 0.0% | 0.0% to 16.8% |" in out


def test_false_alarms_split_a_toy_experiments_baseline_by_default(tmp_path, capsys):
    path = write(tmp_path / "toy.jsonl", toy_lines())
    assert main(["false-alarms", path, "--alphas", "0.01"], plugins=[]) == 0
    out = capsys.readouterr().out
    assert "| py311-tf221 | toy-data | 10 | 0.01 | " in out
    assert " of 126 | " in out


def test_a_line_is_judged_by_the_gates_it_records_else_by_its_experiments(tmp_path):
    module = tmp_path / "test_toy.py"
    module.write_text(TOY_MODULE.replace("curve_band=0.02", "curve_band=0.05"))
    tolerance = curve_tolerance()
    [recorded] = toy_lines()[:1]
    assert tolerance(recorded) == CurveTolerance(0.02, 0.85, 1)
    named = toy_line("toy[h1]", 0, [0.9], experiment=f"{module}::toy", gates=None)
    assert tolerance(named) == CurveTolerance(0.05, 0.85, 1)  # the module's, as declared
    neither = toy_line("toy[h1]", 0, [0.9], experiment=None, gates=None)
    with pytest.raises(ConfigError, match=r"toy\[h1\] seed 0 \(py311-tf221, toy-data\): its "
                                          r"line records no curve gates and names no "
                                          r"experiment"):
        tolerance(neither)
    assert curve_tolerance([lambda row: CurveTolerance(0.1, 0.5, 3)])(neither) == \
        CurveTolerance(0.1, 0.5, 3)


def test_the_gates_recorded_decide_the_verdicts(tmp_path, capsys):
    """The same curves under a margin wider than the block's three points: it no longer
    leaves its baseline, it differs from it by less than the margin."""
    narrow = write(tmp_path / "narrow.jsonl", toy_lines())
    wide = write(tmp_path / "wide.jsonl", toy_lines(gates={**GATES, "curve_margin": 0.05}))
    declared = {}
    for name, path in (("narrow", narrow), ("wide", wide)):
        assert main(["replication", path], plugins=[]) == 0
        declared[name] = replication_rows(capsys.readouterr().out)["`toy[h2+out]`"][4]
    assert declared == {"narrow": "leaves / leaves / leaves",
                        "wide": "small difference / small difference / small difference"}


def test_the_built_in_experiments_lines_are_judged_by_its_full_tier():
    """Its lines record no gates: the tolerance its commands add says them."""
    from freezecheck.builtin.commands import curve_tolerance as builtin_tolerance
    from freezecheck.builtin.settings import full_curve

    line = {"environment": "e", "dataset": "fashion-mnist", "variant": "lenet5[fc1]",
            "seed": 0, "val_accuracy": [0.9], "final_val_accuracy": 0.9}
    assert curve_tolerance([builtin_tolerance])(line) == full_curve("fashion-mnist")
    assert builtin_tolerance({**line, "variant": "toy[none]"}) is None
