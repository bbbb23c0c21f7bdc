"""The expectations table: how a run is judged against it, and how it is made."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from freezecheck.builtin.families import FAMILIES, variants
from freezecheck.builtin.commands import main
from freezecheck.builtin.settings import Settings
from freezecheck.describe.variants import parse_id
from freezecheck.errors import ConfigError
from freezecheck.builtin.experiment import (DEFAULT_ENVIRONMENT, builtin_lookup,
                                            how_to_measure, measured_table)
from freezecheck.judge import declarations
from freezecheck.judge.expectations import (Expectation, judge_accuracy, judge_curve, lookup,
                                            measured_gates)
from freezecheck.builtin import tabulate

ROOT = Path(__file__).parents[1]
MEASURED = measured_table()

REACHES = Expectation(seeds=(0, 1), finals=(0.9912, 0.9931), follows_baseline=True)
SHORT = Expectation(seeds=(0, 1, 2), finals=(0.9862, 0.9882, 0.9898), follows_baseline=True)
MIXED = Expectation(seeds=(0, 1), finals=(0.9882, 0.9906), follows_baseline=False)


def test_kinds_follow_the_measured_floor_and_ceiling():
    assert [e.kind(0.99) for e in (REACHES, SHORT, MIXED)] == ["reaches", "short", "mixed"]
    assert SHORT.describe(0.99) == "short (98.62% to 98.98% at seeds 0, 1, 2)"


@pytest.mark.parametrize("value, expectation, broken", [
    (0.9900, None, False), (0.9899, None, True),
    (0.9950, REACHES, False), (0.9890, REACHES, True),
    # a declared shortfall: must stay short, and above its floor less the spread (here
    # its own range, 0.36 points, wider than the baseline's 0.28)
    (0.9870, SHORT, False), (0.9827, SHORT, False), (0.9825, SHORT, True), (0.9900, SHORT, True),
    # mixed: anywhere in its range widened by the spread (the baseline's 0.28 points,
    # wider than its own 0.24), either side of the gate
    (0.9857, MIXED, False), (0.9931, MIXED, False), (0.9853, MIXED, True), (0.9935, MIXED, True),
])
def test_judging_catches_a_change_in_either_direction(value, expectation, broken):
    problem = judge_accuracy(value, expectation, 0.99, slack=0.0028)
    assert (problem is not None) == broken, problem


def test_a_shortfall_that_reaches_the_gate_says_to_remeasure():
    assert "declared to fall short" in judge_accuracy(0.991, SHORT, 0.99, 0.003)
    assert "regenerate the table" in judge_accuracy(0.991, SHORT, 0.99, 0.003)


def test_an_unmeasured_environment_is_judged_by_the_default_one_and_says_so():
    table = builtin_lookup("py399-tf299", "mnist")
    assert set(table.measured_in.values()) == {DEFAULT_ENVIRONMENT}
    assert "py399-tf299 has no measurements of its own" in table.where("lenet5[conv1]")


def test_an_environment_measured_at_one_seed_keeps_the_default_ones_other_variants_and_spread(
        monkeypatch):
    """Its own measurements win variant by variant; a variant it never measured (another
    family) is declared by the default environment's, saying so; and its models' seed
    spread, which one seed cannot give, is the default environment's, so that a
    declared shortfall measured at one seed is not held to that one value exactly."""
    default = DEFAULT_ENVIRONMENT

    def row(*finals):
        return {"seeds": list(range(len(finals))), "finals": list(finals),
                "follows_baseline": True}

    table = {
        default: {"mnist": {"seed_spread": {"lenet5": 0.003},
                            "variants": {"lenet5[fc1]": row(0.988, 0.989, 0.987, 0.989, 0.988),
                                         "lenet5[fc1+out]": row(0.98, 0.981, 0.979, 0.98, 0.98)}}},
        "py311-tf216": {"mnist": {"seed_spread": {},
                                  "variants": {"lenet5[fc1]": row(0.9880)}}},
    }
    own = lookup("py311-tf216", "mnist", table, default)
    assert own.expectations["lenet5[fc1]"].finals == (0.9880,)
    assert own.where("lenet5[fc1]") == "py311-tf216, mnist"
    assert own.expectations["lenet5[fc1+out]"].seeds == (0, 1, 2, 3, 4)
    assert own.where("lenet5[fc1+out]") == (
        f"{default}, mnist; py311-tf216 has no measurements of its own for it")
    assert own.spreads == {"lenet5": 0.003}
    fc1 = own.expectations["lenet5[fc1]"]
    assert judge_accuracy(0.9870, fc1, 0.99, own.spreads["lenet5"]) is None
    assert "outside the declared" in judge_accuracy(0.9840, fc1, 0.99, own.spreads["lenet5"])
    assert "py311-tf216 or" in own.where("lenet5[conv2]")  # measured nowhere


def test_the_committed_table_covers_every_family_on_mnist_with_five_seeds_where_required():
    table = MEASURED[DEFAULT_ENVIRONMENT]["mnist"]
    every = {v.id for v in variants(FAMILIES)}  # both models
    assert every <= set(table["variants"]), sorted(every - set(table["variants"]))
    for v in variants(("single", "blocks")):
        assert len(table["variants"][v.id]["seeds"]) >= 5, v.id
    assert set(table["seed_spread"]) == {"lenet", "lenet5"}


def test_the_committed_table_covers_what_ran_on_fashion_mnist():
    table = MEASURED[DEFAULT_ENVIRONMENT]["fashion-mnist"]["variants"]
    ran = {v.id for v in variants(FAMILIES, ("lenet5",))}
    assert ran <= set(table), sorted(ran - set(table))
    for v in variants(("single",), ("lenet5",)):
        assert len(table[v.id]["seeds"]) >= 5, v.id
    assert len(table["lenet[none]"]["seeds"]) >= 5  # LeNet's gate


def test_the_committed_table_is_consistent():
    for environment, datasets in MEASURED.items():
        for dataset, table in datasets.items():
            for variant_id, row in table["variants"].items():
                assert len(row["seeds"]) == len(row["finals"]) >= 1, variant_id
                assert all(0 <= a <= 1 for a in row["finals"]), variant_id
                baseline = parse_id(variant_id)[0] + "[none]"
                assert baseline in table["variants"], (environment, dataset, variant_id)


def test_fashion_gates_are_measured_from_the_baselines():
    gates = measured_gates(builtin_lookup(DEFAULT_ENVIRONMENT, "fashion-mnist"))
    assert set(gates) == {"lenet", "lenet5"}
    table = builtin_lookup(DEFAULT_ENVIRONMENT, "fashion-mnist").expectations
    for model, gate in gates.items():
        floor = table[f"{model}[none]"].floor
        assert floor - 0.001 < gate <= floor
    settings = Settings.for_tier("full", dataset="fashion-mnist", measured_gates=gates)
    assert settings.gate("lenet5") == gates["lenet5"] and settings.gates.curve_level < 0.99


def test_fashion_without_measured_gates_says_how_to_measure_them():
    with pytest.raises(ConfigError, match="no measured gate for lenet5.*python -m freezecheck measure"):
        Settings.for_tier("full", dataset="fashion-mnist", models=("lenet5",), measured_gates={})


def row(variant, seed, curve, environment="envA", dataset="mnist"):
    return {"environment": environment, "dataset": dataset, "variant": variant, "seed": seed,
            "val_accuracy": curve, "final_val_accuracy": curve[-1]}


def test_tabulate_declares_what_was_measured():
    """A claim, on which a statistical gate rests, from ten paired seeds; a variant
    measured at five (enough for a user's declaration) is recorded, with no claim."""
    base = [0.97, 0.98, 0.99]
    rows = [row("lenet5[none]", s, [a + s * 1e-4 for a in base]) for s in range(10)]
    rows += [row("lenet5[conv2]", s, [0.90, 0.93, 0.95 + s * 1e-4]) for s in range(10)]
    rows += [row("lenet5[fc1]", s, [0.90, 0.93, 0.95 + s * 1e-4]) for s in range(5)]
    table = tabulate.tabulate(rows)["envA"]["mnist"]
    conv2 = table["variants"]["lenet5[conv2]"]
    assert conv2["seeds"] == list(range(10)) and conv2["finals"][0] == 0.95
    assert conv2["follows_baseline"] is False and conv2["curve_claim"] == "leaves"
    assert conv2["effect"]["seeds"] == list(range(10)) and conv2["effect"]["gap"][0] < -0.05
    fc1 = table["variants"]["lenet5[fc1]"]
    assert fc1["seeds"] == [0, 1, 2, 3, 4] and fc1["follows_baseline"] is False
    assert "curve_claim" not in fc1 and "effect" not in fc1
    assert table["seed_spread"] == {"lenet5": pytest.approx(9e-4)}
    document = json.loads(declarations.document(tabulate.tabulate(rows), "the command"))
    assert document["made_with"] == "the command"
    assert document["measured"]["envA"]["mnist"] == table


def test_the_shipped_table_is_what_the_committed_measurements_make(tmp_path):
    """The table in the package is data made by the command, never edited by hand; the
    command writes where it is told, and only there."""
    files = sorted(str(p) for p in (ROOT / "measurements").glob("*/*.jsonl"))
    out = tmp_path / "expectations.json"
    assert main(["expectations", *files, "--out", str(out)]) == 0
    assert json.loads(out.read_text())["measured"] == MEASURED
    assert [p.name for p in tmp_path.iterdir()] == ["expectations.json"]


def test_a_run_measured_twice_with_different_results_is_refused():
    rows = [row("lenet5[none]", 0, [0.9, 0.99]), row("lenet5[none]", 0, [0.9, 0.98])]
    with pytest.raises(ConfigError, match="measured twice with different curves"):
        tabulate.tabulate(rows)


def test_a_variant_without_its_baseline_at_the_same_seed_is_refused():
    with pytest.raises(ConfigError, match=r"its baseline lenet5\[none\] not"):
        tabulate.tabulate([row("lenet5[fc1]", 3, [0.9, 0.99])])


def test_report_json_is_read_as_measurements(tmp_path):
    report = {"environment": "envB", "runs": [{
        "variant": "lenet[none]", "model": "lenet", "recipe": {"seed": 2},
        "val_accuracy": [0.98, 0.99], "final_val_accuracy": 0.99, "test_accuracy": 0.991,
        "train_seconds": 1.0}]}
    (tmp_path / "results.json").write_text(json.dumps(report))
    [read] = tabulate.read_rows([tmp_path / "results.json"])
    assert (read["environment"], read["dataset"], read["seed"]) == ("envB", "mnist", 2)


def committed_rows():
    """The measurement rows the committed declarations were made from (their made_with)."""
    made_with = json.loads((ROOT / "freezecheck" / "builtin" / "expectations.json")
                           .read_text())["made_with"]
    return tabulate.read_rows([ROOT / word for word in made_with.split()
                               if word.endswith(".jsonl")])


def test_the_findings_page_is_what_the_tooling_renders():
    """Every figure of docs/findings.md's tables and sentences comes from the
    declarations and the measurements they were made from."""
    from freezecheck.builtin import statements

    page = (ROOT / "docs" / "findings.md").read_text()
    assert list(tabulate.PAGE_BLOCK.finditer(page)), "docs/findings.md has no expectations table"
    assert list(statements.SEEDS_BLOCK.finditer(page)), "docs/findings.md has no seeds block"
    assert statements.render_page(page, MEASURED, committed_rows()) == page, (
        "docs/findings.md differs from what freezecheck/builtin/expectations.json and its "
        "measurements render: run the command in its made_with field with --page "
        "docs/findings.md")


def test_an_unmeasured_variant_is_told_how_to_measure_it():
    from freezecheck.builtin.models import variant_of

    text = how_to_measure(builtin_lookup(DEFAULT_ENVIRONMENT, "fashion-mnist"),
                          variant_of("lenet", ("fc1",), "normal-1"))
    assert "lenet[fc1:normal-1]: no expectation measured" in text
    assert "python -m freezecheck measure --dataset fashion-mnist --models lenet" in text


def test_every_committed_claim_is_kept_by_its_own_measured_seeds_in_halves():
    """Judged as a session would judge them, the committed measurements keep the
    committed claims: every variant declared from ten or more seeds, declared from its
    first five seeds and judged at its next five (with its baseline at the same seeds),
    and the reverse, as one session of five seeds and as five sessions of one seed,
    alpha split as that session splits it. No training: the measurements are the runs
    a session at those seeds reproduces bitwise."""

    from freezecheck.builtin.experiment import EXPERIMENTS
    from freezecheck.builtin.settings import full_curve
    from freezecheck.describe.recipe import DEFAULT_ALPHA
    from freezecheck.judge import claims

    files = sorted((ROOT / "measurements").glob("*/*.jsonl"))
    runs = tabulate.group(tabulate.read_rows(files))
    checked = []
    for environment, datasets in MEASURED.items():
        for dataset, table in datasets.items():
            curve = full_curve(dataset)
            for variant_id, entry in table["variants"].items():
                if entry.get("curve_claim") is None or len(entry["effect"]["seeds"]) < 10:
                    continue
                by_seed = runs[(environment, dataset)][variant_id]
                baseline = runs[(environment, dataset)][
                    tabulate.variant_from_id(variant_id).baseline.id]
                seeds = claims.Effect.from_dict(entry["effect"]).seeds
                # the smallest session that judges it: its own family alone, if any
                experiment = EXPERIMENTS[parse_id(variant_id)[0]]
                own = experiment.family_of.get(variant_id)
                split = experiment.alpha_split(variant_id, families=(own,) if own else ())
                for one, two in ((seeds[:5], seeds[5:10]), (seeds[5:10], seeds[:5])):
                    effect = {half: claims.measure_effect(
                        [by_seed[s]["val_accuracy"] for s in half],
                        [baseline[s]["val_accuracy"] for s in half],
                        level=curve.level, seeds=half) for half in (one, two)}
                    declared = effect[one]
                    claim = claims.declare(declared, margin=curve.margin, alpha=DEFAULT_ALPHA)
                    findings = claims.judge(claim, declared, effect[two],
                                            alpha=DEFAULT_ALPHA, variants=split)
                    assert not findings, (variant_id, two, findings)
                    for s in two:
                        run = claims.run_effect(by_seed[s]["val_accuracy"],
                                                baseline[s]["val_accuracy"],
                                                level=curve.level, seed=s)
                        findings = claims.judge_run(declared, run, alpha=DEFAULT_ALPHA,
                                                    variants=split)
                        assert not findings, (variant_id, s, split, findings)
                    checked.append((variant_id, two))
    assert checked, "no variant is declared from ten or more seeds"


def measured_effect(runs, variant_id, seeds, level):
    from freezecheck.judge import claims

    baseline = tabulate.variant_from_id(variant_id).baseline.id
    return claims.measure_effect([runs[variant_id][s]["val_accuracy"] for s in seeds],
                                 [runs[baseline][s]["val_accuracy"] for s in seeds],
                                 level=level, seeds=seeds)


def test_a_real_change_in_learning_breaks_a_declaration_and_no_change_does_not():
    """Power on real curves, without training: LeNet-5 with `out` frozen, declared from
    its measured seeds 0-4, is judged on the measured seeds 0-4 of variants that learn
    differently (two consecutive layers frozen: 1 to 1.5 points lower, later), as if
    `out` had started to learn like them; and on its own seeds, which keep it."""

    from freezecheck.builtin.settings import full_curve
    from freezecheck.describe.recipe import DEFAULT_ALPHA
    from freezecheck.judge import claims

    files = sorted((ROOT / "measurements" / "py311-tf221").glob("*.jsonl"))
    runs = tabulate.group(tabulate.read_rows(files))[("py311-tf221", "mnist")]
    curve = full_curve("mnist")
    seeds = [0, 1, 2, 3, 4]
    declared = measured_effect(runs, "lenet5[out]", seeds, curve.level)
    claim = claims.declare(declared, margin=curve.margin, alpha=DEFAULT_ALPHA)

    def judge(new):
        return claims.judge(claim, declared, new, alpha=DEFAULT_ALPHA)

    assert judge(declared) == []
    for changed in ("lenet5[conv1+conv2]", "lenet5[fc1+fc2]"):
        findings = judge(measured_effect(runs, changed, seeds, curve.level))
        assert findings, f"{changed}'s curves kept {claim} of lenet5[out]"
        verdict = findings[0].verdict
        assert verdict.new < verdict.declared and verdict.p_below < DEFAULT_ALPHA, verdict


def test_one_run_keeps_every_committed_effect_and_a_real_change_breaks_it():
    """The single-run check (a session at one seed) on real curves, without training.

    Unchanged: `conv2` and `fc1`, declared from seeds 0-4 and each of seeds 5-9 judged
    alone, and the reverse (10 runs each): none fails. And a run from another machine, outside the measurements: the
    full tier at seed 0 in CI on 2026-11-27 (TensorFlow 2.21.0, Python 3.11.7, a CPU
    whose runs differ from the measured ones; `conv2` reached 98.5% four epochs after
    its baseline) keeps `conv2`'s committed effect.
    Changed: runs of blocks that learn 1 to 3 points lower (`conv2+fc1`, `fc1+fc2`,
    seeds 0-4) judged as if they were `conv2` or `fc1` break it at every seed."""
    from freezecheck.builtin.settings import full_curve
    from freezecheck.describe.recipe import DEFAULT_ALPHA
    from freezecheck.judge import claims
    from freezecheck.judge.replication import replicate

    files = sorted((ROOT / "measurements" / "py311-tf221").glob("*.jsonl"))
    runs = tabulate.group(tabulate.read_rows(files))[("py311-tf221", "mnist")]
    level = full_curve("mnist").level
    base = runs["lenet5[none]"]
    table = builtin_lookup("py311-tf221", "mnist").expectations
    for variant_id in ("lenet5[conv2]", "lenet5[fc1]"):
        seeds = list(range(10))
        result = replicate([runs[variant_id][s]["val_accuracy"] for s in seeds],
                           [base[s]["val_accuracy"] for s in seeds], seeds, level=level,
                           margin=full_curve("mnist").margin, alpha=DEFAULT_ALPHA)
        assert result.run_judgements == 10 and result.run_failures == 0, result
        committed = claims.Effect.from_dict(table[variant_id].effect)
        for changed in ("lenet5[conv2+fc1]", "lenet5[fc1+fc2]"):
            for s in range(5):
                run = claims.run_effect(runs[changed][s]["val_accuracy"],
                                        base[s]["val_accuracy"], level=level, seed=s)
                assert claims.judge_run(committed, run, alpha=DEFAULT_ALPHA), (changed, s)

    conv2 = [0.9660, 0.9832, 0.9830, 0.9798, 0.9828, 0.9840, 0.9870, 0.9880, 0.9840, 0.9860,
             0.9884, 0.9884, 0.9892, 0.9890, 0.9890]
    baseline = [0.9772, 0.9836, 0.9852, 0.9844, 0.9870, 0.9904, 0.9890, 0.9910, 0.9892,
                0.9906, 0.9924, 0.9908, 0.9914, 0.9912, 0.9912]
    committed = claims.Effect.from_dict(table["lenet5[conv2]"].effect)
    assert claims.judge_run(committed, claims.run_effect(conv2, baseline, level=level),
                            alpha=DEFAULT_ALPHA) == []


def test_a_run_is_judged_by_what_its_variant_is_declared_to_do():
    """judge_curve: a variant declared over seeds (any claim) by the one-sided gate at
    n = 1, an improvement only warned of; with nothing declared, the tolerance; a
    one-seed declaration to leave is held to leaving."""
    from freezecheck.builtin.models import variant_of
    from freezecheck.builtin.settings import full_curve
    from freezecheck.errors import StaleDeclarationWarning
    from freezecheck.judge import claims

    tolerance = full_curve("mnist")
    variant = variant_of("lenet5", ("conv2",))
    rising = [0.97, 0.98, 0.985, 0.99, 0.99, 0.991, 0.992]
    late = [0.95, 0.96, 0.97, 0.975, 0.98, 0.985, 0.987]  # reaches 98.5% three epochs later
    worse = [a - 0.01 for a in late]
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.001, (2, 5, len(rising)))
    effect = claims.measure_effect(np.array(late) + noise[0], np.array(rising) + noise[1],
                                   level=tolerance.level, seeds=range(5))
    leaves = Expectation(seeds=tuple(range(5)), finals=(0.987,) * 5, follows_baseline=True,
                         curve_claim="leaves", effect=effect.as_dict())
    follows = dataclasses.replace(leaves, curve_claim="follows")
    one_seed_leaves = Expectation(seeds=(0,), finals=(0.987,), follows_baseline=False)

    def problem(expectation, run, variants=1):
        return judge_curve(variant, expectation, "env, data", run, rising, tolerance, 0.01,
                           source="the table", variants=variants)[0]

    assert problem(None, rising) is None
    assert "more than the allowed 2 epoch(s) apart" in problem(None, late)
    for declared in (leaves, follows):
        assert problem(declared, late) is None
        message = problem(declared, worse, variants=9)
        assert "this run breaks it" in message and "alpha 0.01 over 9 variant(s)" in message
        with pytest.warns(StaleDeclarationWarning, match="stale declaration: .*above the "
                                                         "declared"):
            assert problem(declared, rising) is None
    assert problem(one_seed_leaves, late) is None
    assert "but keeps it" in problem(one_seed_leaves, rising)
