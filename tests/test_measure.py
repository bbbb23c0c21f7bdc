"""The measure command's plan and seed ranges (training itself is the experiment's)."""

import pytest

from freezecheck.builtin.models import variant_of
from freezecheck.cli.main import main
from freezecheck.cli.measure import plan, seed_range
from freezecheck.errors import ConfigError


@pytest.mark.parametrize("text, seeds", [("5", [0, 1, 2, 3, 4]), ("3-5", [3, 4, 5]), ("0-0", [0])])
def test_seed_ranges(text, seeds):
    assert seed_range(text) == seeds


@pytest.mark.parametrize("text", ["0", "5-3", "-1", "x", "1-y", ""])
def test_a_range_without_seeds_is_refused(text):
    with pytest.raises(ConfigError, match="seeds expected N >= 1"):
        seed_range(text)


def test_plan_runs_every_pair_costliest_first():
    cheap, dear = variant_of("lenet5", ("conv1",)), variant_of("lenet", ("fc1",))
    pairs = plan([cheap, dear], [0, 1])
    assert pairs == [(dear, 0), (dear, 1), (cheap, 0), (cheap, 1)]


def test_bad_arguments_exit_2_naming_the_problem(capsys, tmp_path):
    args = ["measure", "--store-dir", str(tmp_path), "--out", str(tmp_path / "m.jsonl")]
    assert main(args + ["--seeds", "0"]) == 2
    assert "seeds expected N >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(args + ["--dataset", "cifar"])
    assert exit_.value.code == 2
    assert "invalid choice: 'cifar' (choose from 'mnist', 'fashion-mnist')" in capsys.readouterr().err
