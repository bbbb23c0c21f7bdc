"""python -m freezecheck compare: one table and one plot across environments."""

import json

import pytest

from freezecheck.cli.main import main

GATES = {"min_accuracy": 0.99, "curve_band": 0.01, "curve_level": 0.985, "curve_max_lag": 2}


def write_report(directory, environment, runs):
    directory.mkdir()
    (directory / "results.json").write_text(json.dumps({
        "schema_version": 1, "environment": environment, "gates": GATES, "tests": {},
        "runs": [{"variant": v, "final_val_accuracy": a, "epochs_to_level": e} for v, a, e in runs],
    }))
    return directory


def test_table_marks_what_moved_beyond_the_tolerance(tmp_path, capsys):
    old = write_report(tmp_path / "a", "py311-tf215", [
        ("lenet[none]", 0.9942, 3), ("lenet[fc1]", 0.9918, 5)])
    new = write_report(tmp_path / "b", "py311-tf221", [
        ("lenet[none]", 0.9940, 3), ("lenet[fc1]", 0.9790, None)])
    assert main(["compare", str(old), str(new), "--out", str(tmp_path / "out")]) == 0
    table = (tmp_path / "out" / "compare.md").read_text()
    assert "| lenet[none] | 99.42% | 3 | 99.40% | 3 |" in table
    assert "| lenet[fc1] | 99.18% | 5 | 97.90% * | never * |" in table
    assert (tmp_path / "out" / "compare.png").read_bytes()[:4] == b"\x89PNG"
    assert "py311-tf215 accuracy" in capsys.readouterr().out


def test_a_directory_without_a_report_is_refused_by_name(tmp_path, capsys):
    assert main(["compare", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert f"{tmp_path / 'results.json'}: no such file" in capsys.readouterr().err


def test_no_directory_is_a_usage_error():
    with pytest.raises(SystemExit):
        main(["compare"])


def test_a_report_over_several_seeds_is_compared_at_its_first_seed(tmp_path):
    one = write_report(tmp_path / "a", "py311-tf215", [("lenet[none]", 0.9942, 3)])
    many = tmp_path / "b"
    many.mkdir()
    (many / "results.json").write_text(json.dumps({
        "schema_version": 2, "environment": "py311-tf221", "dataset": "mnist", "gates": GATES,
        "tests": {}, "runs": [
            {"variant": "lenet[none]", "seed": seed, "final_val_accuracy": accuracy,
             "epochs_to_level": 3} for seed, accuracy in ((1, 0.9936), (2, 0.9990))]}))
    assert main(["compare", str(one), str(many), "--out", str(tmp_path / "out")]) == 0
    assert "| lenet[none] | 99.42% | 3 | 99.36% | 3 |" in (tmp_path / "out" / "compare.md").read_text()


def test_reports_of_every_readable_schema_are_compared_together(tmp_path):
    """A session writes version 3 (tests with their messages, the session's metadata);
    compare reads it beside versions 1 and 2, whose runs it reads alike."""
    from freezecheck.reporting.report import SCHEMA_VERSION, Context, write_results

    one = write_report(tmp_path / "a", "py311-tf215", [("lenet[none]", 0.9942, 3)])
    two = tmp_path / "b"
    two.mkdir()
    (two / "results.json").write_text(json.dumps({
        "schema_version": 2, "environment": "py311-tf216", "dataset": "mnist", "gates": GATES,
        "tests": {"t.py::test_x[lenet[none]]": "passed"}, "runs": [
            {"variant": "lenet[none]", "seed": 0, "final_val_accuracy": 0.9938,
             "epochs_to_level": 3}]}))
    run = {"variant": "lenet[none]", "seed": 0, "model": "lenet", "frozen": [],
           "val_accuracy": [0.98, 0.9936], "train_accuracy": [0.97, 0.99],
           "final_val_accuracy": 0.9936, "test_accuracy": 0.993, "level": 0.99,
           "epochs_to_level": 2, "train_seconds": 3.0, "versions": {}}
    three = write_results(tmp_path / "c", {"lenet[none] seed=0000": run},
                          {"t.py::test_x[lenet[none]]": {"outcome": "failed", "message": "m",
                                                         "duration": 1.0, "worker": "gw0"}},
                          Context("py311-tf221", gates=GATES))
    assert json.loads((three / "results.json").read_text())["schema_version"] == SCHEMA_VERSION == 4
    assert main(["compare", str(one), str(two), str(three), "--out", str(tmp_path / "out")]) == 0
    assert "| lenet[none] | 99.42% | 3 | 99.38% | 3 | 99.36% | 2 |" in \
        (tmp_path / "out" / "compare.md").read_text()


def test_an_unknown_report_schema_is_refused(tmp_path, capsys):
    report = write_report(tmp_path / "a", "py311-tf215", [("lenet[none]", 0.9942, 3)])
    data = json.loads((report / "results.json").read_text()) | {"schema_version": 9}
    (report / "results.json").write_text(json.dumps(data))
    assert main(["compare", str(report), "--out", str(tmp_path / "out")]) == 2
    assert "expected one of (1, 2, 3, 4)" in capsys.readouterr().err


def header(table: str) -> list[str]:
    return [cell.strip() for cell in table.splitlines()[0].strip("|").split("|")]


def rows(table: str) -> list[str]:
    return [line.split("|")[1].strip() for line in table.splitlines()[2:]
            if line.startswith("| ")]


def test_two_reports_of_one_environment_are_told_apart_by_their_directories(tmp_path):
    runs = [("lenet[none]", 0.9942, 3)]
    one = write_report(tmp_path / "shard-1", "py311-tf221", runs)
    two = write_report(tmp_path / "shard-2", "py311-tf221", runs)
    other = write_report(tmp_path / "old", "py311-tf215", runs)
    assert main(["compare", str(one), str(two), str(other), "--out", str(tmp_path / "out")]) == 0
    columns = header((tmp_path / "out" / "compare.md").read_text())
    assert columns == ["variant", "py311-tf221 (shard-1) accuracy",
                       "py311-tf221 (shard-1) epochs to 99%", "py311-tf221 (shard-2) accuracy",
                       "py311-tf221 (shard-2) epochs to 99%", "py311-tf215 accuracy",
                       "py311-tf215 epochs to 99%"]


def test_directories_of_one_name_are_told_apart_by_their_parents(tmp_path):
    (tmp_path / "epyc").mkdir()
    (tmp_path / "xeon").mkdir()
    runs = [("lenet[none]", 0.9942, 3)]
    one = write_report(tmp_path / "epyc" / "py311-tf221", "py311-tf221", runs)
    two = write_report(tmp_path / "xeon" / "py311-tf221", "py311-tf221", runs)
    assert main(["compare", str(one), str(two), "--out", str(tmp_path / "out")]) == 0
    columns = header((tmp_path / "out" / "compare.md").read_text())
    assert columns[1::2] == ["py311-tf221 (epyc/py311-tf221) accuracy",
                             "py311-tf221 (xeon/py311-tf221) accuracy"]


def test_a_directory_given_twice_is_refused(tmp_path, capsys):
    one = write_report(tmp_path / "a", "py311-tf215", [("lenet[none]", 0.9942, 3)])
    assert main(["compare", str(one), str(tmp_path / "." / "a"), "--out",
                 str(tmp_path / "out")]) == 2
    assert "given twice" in capsys.readouterr().err


def test_each_model_shows_its_baseline_first_then_its_variants_in_family_order(tmp_path):
    runs = [("lenet5[out]", 0.991, 3), ("lenet5[none]", 0.992, 3), ("lenet5[fc2]", 0.991, 3),
            ("lenet5[conv1+conv2]", 0.98, 5), ("lenet5[conv1]", 0.991, 3),
            ("lenet[fc1]", 0.99, 3), ("lenet[none]", 0.994, 3),
            ("digits[hidden1]", 0.95, None), ("digits[none]", 0.96, None)]
    one = write_report(tmp_path / "a", "py311-tf215", runs)
    two = write_report(tmp_path / "b", "py311-tf221", runs)
    assert main(["compare", str(one), str(two), "--out", str(tmp_path / "out")]) == 0
    # Models by name, none first because it is the built-in one.
    assert rows((tmp_path / "out" / "compare.md").read_text()) == [
        "digits[none]", "digits[hidden1]",
        "lenet[none]", "lenet[fc1]",
        "lenet5[none]", "lenet5[conv1]", "lenet5[fc2]", "lenet5[out]", "lenet5[conv1+conv2]"]


def test_fail_beyond_exits_1_and_names_what_moved_beyond_the_tolerance(tmp_path, capsys):
    old = write_report(tmp_path / "a", "py311-tf215", [
        ("lenet[none]", 0.9942, 3), ("lenet[fc1]", 0.9918, 5)])
    new = write_report(tmp_path / "b", "py311-tf221", [
        ("lenet[none]", 0.9940, 3), ("lenet[fc1]", 0.9790, None)])
    args = ["compare", str(old), str(new), "--out", str(tmp_path / "out")]
    assert main(args + ["--fail-beyond"]) == 1
    assert capsys.readouterr().err == (
        "freezecheck compare: 2 values beyond the tolerance (--fail-beyond):\n"
        "  lenet[fc1] in py311-tf221: final accuracy 97.90%, 99.18% in py311-tf215 "
        "(tolerance 1.0%)\n"
        "  lenet[fc1] in py311-tf221: epochs to 99% never, 5 in py311-tf215 (tolerance 2)\n")
    assert main(args) == 0  # without the flag the table marks them, the status does not


def test_fail_beyond_exits_0_when_nothing_moved_beyond_the_tolerance(tmp_path, capsys):
    old = write_report(tmp_path / "a", "py311-tf215", [("lenet[none]", 0.9942, 3)])
    new = write_report(tmp_path / "b", "py311-tf221", [("lenet[none]", 0.9940, 5)])
    assert main(["compare", str(old), str(new), "--out", str(tmp_path / "out"),
                 "--fail-beyond"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("change, message", [
    (lambda run: {k: v for k, v in run.items() if k != "final_val_accuracy"},
     "runs[1]: field 'final_val_accuracy' missing (expected a run of a results.json"),
    (lambda run: run | {"epochs_to_level": "3"},
     "runs[1]: field 'epochs_to_level' is \"3\", not an integer >= 0 or null"),
])
def test_a_bad_run_is_named_by_its_index_and_field(change, message, tmp_path, capsys):
    report = write_report(tmp_path / "a", "py311-tf215", [("lenet[none]", 0.9942, 3)] * 2)
    data = json.loads((report / "results.json").read_text())
    data["runs"][1] = change(data["runs"][1])
    (report / "results.json").write_text(json.dumps(data))
    assert main(["compare", str(report), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith(
        f"freezecheck compare: {report / 'results.json'}: {message}")


def test_a_report_that_is_not_json_is_named_by_its_line(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "results.json").write_text('{"schema_version": 2,\n"runs": [\n')
    assert main(["compare", str(tmp_path / "a"), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith(
        f"freezecheck compare: {tmp_path / 'a' / 'results.json'}:3: not valid JSON (")


def test_reports_without_a_run_are_refused(tmp_path, capsys):
    one = write_report(tmp_path / "a", "py311-tf215", [])
    two = write_report(tmp_path / "b", "py311-tf221", [])
    assert main(["compare", str(one), str(two), "--out", str(tmp_path / "out")]) == 2
    assert "no run in any of the reports" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_users_variants_keep_their_declared_order_where_runs_carry_it(tmp_path):
    """From schema 3 each run carries its index in its experiment's declaration."""
    declared = ["digits[none]", "digits[out]", "digits[hidden1]", "digits[hidden1+hidden2]"]
    for name in ("a", "b"):
        directory = tmp_path / name
        directory.mkdir()
        (directory / "results.json").write_text(json.dumps({
            "schema_version": 1, "environment": "py311-tf221",
            "gates": GATES, "tests": {},
            "runs": [{"variant": v, "final_val_accuracy": 0.95, "epochs_to_level": None,
                      "index": i} for i, v in reversed(list(enumerate(declared)))]}))
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"),
                 "--out", str(tmp_path / "out")]) == 0
    assert rows((tmp_path / "out" / "compare.md").read_text()) == declared
