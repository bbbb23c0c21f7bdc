"""The measure command's plan, seed ranges and how it finds a user's experiment (training
itself is the experiment's)."""

import json
import re
import sys
from pathlib import Path

import pytest

from freezecheck.builtin.commands import main
from freezecheck.builtin.measure import plan
from freezecheck.builtin.models import variant_of
from freezecheck.cli.locate import locate
from freezecheck.cli.measure import measured, placement, seed_range
from freezecheck.errors import ConfigError, FreezecheckError


@pytest.mark.parametrize("text, seeds", [("5", [0, 1, 2, 3, 4]), ("3-5", [3, 4, 5]), ("0-0", [0])])
def test_seed_ranges(text, seeds):
    assert seed_range(text) == seeds


@pytest.mark.parametrize("text", ["0", "5-3", "-1", "x", "1-y", ""])
def test_a_range_without_seeds_is_refused(text):
    with pytest.raises(ConfigError, match="seeds expected N >= 1"):
        seed_range(text)


def test_a_re_run_reads_what_its_measurements_file_holds_and_refuses_a_bad_line(tmp_path):
    line = {"environment": "envA", "dataset": "mnist", "variant": "lenet5[none]", "seed": 3,
            "val_accuracy": [0.97, 0.99], "final_val_accuracy": 0.99}
    out = tmp_path / "m.jsonl"
    assert measured(out) == set()  # not written yet
    out.write_text("")
    assert measured(out) == set()  # nothing measured yet
    out.write_text(json.dumps(line) + "\n")
    assert measured(out) == {("lenet5[none]", 3)}
    out.write_text(json.dumps(line) + "\n" + json.dumps(line | {"seed": -1}) + "\n")
    with pytest.raises(FreezecheckError, match=rf"^{re.escape(str(out))}:2: field 'seed' is "
                                               rf"-1, not an integer >= 0 \(expected a "
                                               rf"measurement line"):
        measured(out)


def test_plan_runs_every_pair_costliest_first():
    cheap, dear = variant_of("lenet5", ("conv1",)), variant_of("lenet", ("fc1",))
    pairs = plan([cheap, dear], [0, 1])
    assert pairs == [(dear, 0), (dear, 1), (cheap, 0), (cheap, 1)]


def test_bad_arguments_exit_2_naming_the_problem(capsys, tmp_path):
    args = ["measure", "--store-dir", str(tmp_path), "--out", str(tmp_path / "m.jsonl")]
    assert main(args + ["--seeds", "0"]) == 2
    assert "--seeds expected N >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(args + ["--dataset", "cifar"])
    assert exit_.value.code == 2
    assert "invalid choice: 'cifar' (choose from 'mnist', 'fashion-mnist')" in capsys.readouterr().err


EXPERIMENT_MODULE = '''
import freezecheck

def build():
    raise AssertionError("measure's checks build no model")

def experiment(name):
    return freezecheck.Experiment(name, build=build, layers=("a", "b"), data=lambda: None,
                                  recipe=freezecheck.Recipe(epochs=1),
                                  gates=freezecheck.Gates(min_accuracy=0.5, curve_band=0.1,
                                                          curve_level=0.5, curve_max_lag=1))
'''


@pytest.fixture(autouse=True)
def _restore_import_path(monkeypatch):
    """locate() puts a module's directory first on sys.path, as pytest does."""
    monkeypatch.setattr(sys, "path", list(sys.path))


def module(tmp_path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(EXPERIMENT_MODULE + body)
    return path


def test_an_experiment_is_found_by_name_or_as_the_only_one(tmp_path):
    one = module(tmp_path, "test_fc_one", "TestMine = experiment('mine').tests()\n")
    ref = locate(str(one))
    assert (ref.path, ref.name) == (str(one), "mine") and ref.load().name == "mine"
    two = module(tmp_path, "test_fc_two", "a = experiment('a')\nb = experiment('b')\n")
    assert locate(f"{two}::b").load().name == "b"
    with pytest.raises(ConfigError, match=r"declares 2 experiments: name one, .*::a, .*::b"):
        locate(str(two))
    with pytest.raises(ConfigError, match="declares no experiment named 'c': expected one of a, b"):
        locate(f"{two}::c")


def test_what_is_not_an_experiment_module_is_refused_by_name(tmp_path):
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(ConfigError, match=r"expected PATH::NAME.*notes.txt is not a Python file"):
        locate(str(tmp_path / "notes.txt"))
    empty = tmp_path / "test_fc_empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(ConfigError, match="declares no freezecheck.Experiment at module level"):
        locate(str(empty))
    broken = tmp_path / "test_fc_broken.py"
    broken.write_text("import not_a_module_anywhere\n")
    with pytest.raises(ConfigError, match=r"importing .*test_fc_broken.py failed: "
                                          r"ModuleNotFoundError"):
        locate(str(broken))


def test_the_built_in_options_do_not_apply_to_an_experiment(capsys, tmp_path):
    path = module(tmp_path, "test_fc_options", "mine = experiment('mine')\n")
    args = ["measure", "--experiment", str(path), "--store-dir", str(tmp_path),
            "--out", str(tmp_path / "m.jsonl")]
    assert main(args + ["--tier", "smoke", "--models", "lenet"]) == 2
    err = capsys.readouterr().err
    assert "--models, --tier choose what the built-in experiment measures" in err
    assert "Leave out --models, --tier" in err
    assert not (tmp_path / "m.jsonl").exists()


def test_an_experiments_measurements_are_not_read_as_the_built_in_ones(capsys, tmp_path):
    lines = tmp_path / "m.jsonl"
    lines.write_text(json.dumps({"variant": "mine[a]", "experiment": "t.py::mine"}) + "\n")
    assert main(["findings", str(lines), "--out", str(tmp_path / "f")]) == 2
    assert "holds runs of t.py::mine (measure --experiment)" in capsys.readouterr().err


A, B = "x86_64:aaaa", "x86_64:bbbb"


def test_a_sweep_keeps_to_the_clients_cpu_type_or_else_the_commonest():
    types = {"tcp://w1": A, "tcp://w2": B, "tcp://w3": B}
    assert placement(types, own=A) == (A, ["tcp://w1"], {"tcp://w2": B, "tcp://w3": B})
    assert placement(types, own="arm64:cccc") == (B, ["tcp://w2", "tcp://w3"], {"tcp://w1": A})
    assert placement(types, own=A, wanted=B)[1] == ["tcp://w2", "tcp://w3"]
    assert placement(types, own=A, wanted="any") == (None, ["tcp://w1", "tcp://w2",
                                                            "tcp://w3"], {})
    assert placement({"tcp://w1": A}, own=B) == (A, ["tcp://w1"], {})


def test_a_cpu_type_no_worker_has_is_refused_naming_those_there():
    with pytest.raises(ConfigError, match=r"--cpu-type x86_64:cccc: no worker has it; the "
                                          r"workers have x86_64:aaaa \(1\), x86_64:bbbb \(2\)"):
        placement({"w1": A, "w2": B, "w3": B}, own=A, wanted="x86_64:cccc")


def test_the_built_in_sweep_keys_and_trains_a_run_as_a_session_does(monkeypatch):
    """One store-key scheme: a run `measure --families` stores is the one a session's
    fixture asks for (Experiment.store_key), trained through the experiment's train."""
    from freezecheck.builtin import measure
    from freezecheck.builtin.experiment import EXPERIMENTS
    from freezecheck.train.data import Dataset

    data = Dataset.__new__(Dataset)
    object.__setattr__(data, "sha256", {"train": "a", "validation": "b", "test": "c"})
    monkeypatch.setitem(measure._DATA, ("mnist", None), data)
    trained = []
    monkeypatch.setattr(EXPERIMENTS["lenet5"], "train",
                        lambda variant, recipe, data: trained.append(variant.id) or "record")
    variant = variant_of("lenet5", ("conv1",))
    result = measure.train_task(variant, 3, "full", "mnist", None)
    recipe = measure.recipe_for(variant, 3, "full")
    assert result["record"] == "record" and trained == ["lenet5[conv1]"]
    assert result["key"] == EXPERIMENTS["lenet5"].store_key(variant, recipe, data)
