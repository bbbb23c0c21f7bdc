"""The freezecheck command: --version, --help of every subcommand, the console script,
the commands installed packages add; bad input refused by file, line and field, bad
arguments by name and value.

The built-in experiment's commands are added explicitly here (``plugins=``), so that
these tests do not depend on whether the installed metadata lists its entry point."""

import argparse
import functools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from freezecheck import __version__
from freezecheck.builtin.commands import register as builtin_commands
from freezecheck.cli import main as cli
from freezecheck.cli import plugins
from freezecheck.errors import ConfigError
from freezecheck.plugin.options import OPTIONS

COMMANDS_PAGE = Path(__file__).parents[1] / "docs" / "commands.md"
ROOT = Path(__file__).parents[1]

main = functools.partial(cli.main, plugins=[builtin_commands])


def subcommands(plugins=(builtin_commands,)):
    parser = cli.build_parser(plugins=list(plugins))
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return action.choices


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"freezecheck {__version__}"


def test_the_installed_console_script_and_python_dash_m_agree():
    script = Path(sys.executable).with_name("freezecheck")
    assert script.exists(), "the freezecheck console script is not installed ([project.scripts])"
    by_script = subprocess.run([script, "--help"], capture_output=True, text=True, check=True)
    by_module = subprocess.run([sys.executable, "-m", "freezecheck", "--help"],
                               capture_output=True, text=True, check=True)
    assert by_script.stdout == by_module.stdout
    for name in subcommands(plugins=[register for _, register in plugins.installed()]):
        assert name in by_script.stdout


def test_the_library_alone_has_the_generic_commands():
    assert sorted(subcommands(plugins=())) == [
        "compare", "declare", "false-alarms", "identical", "measure", "replication"]


def test_the_built_in_experiment_adds_its_commands_through_an_entry_point():
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    assert declared[plugins.GROUP] == {"builtin": "freezecheck.builtin.commands:register"}
    assert sorted(set(subcommands()) - set(subcommands(plugins=()))) == [
        "expectations", "findings", "power"]


def test_the_installed_entry_point_is_the_built_in_experiments():
    """Where freezecheck is installed from this pyproject.toml (its metadata lists the
    group), the command finds the built-in experiment's commands by itself."""
    from importlib.metadata import distribution

    points = [p for p in distribution("freezecheck").entry_points if p.group == plugins.GROUP]
    if not points:
        pytest.skip("the installed metadata predates the freezecheck.commands entry point: "
                    "reinstall freezecheck (pip install -e .) to test it")
    assert ("builtin = 'freezecheck.builtin.commands:register' (entry point group "
            "freezecheck.commands)", builtin_commands) in plugins.installed()
    assert {"expectations", "findings"} <= set(cli.build_parser()._subparsers._group_actions[0].choices)


def test_a_command_a_package_adds_runs_and_one_of_the_librarys_names_is_refused(capsys):
    def mine(command_line):
        hello = command_line.add_command("hello", lambda args: print(f"hello {args.who}") or 0,
                                         help="say hello")
        hello.add_argument("who", help="whom")

    assert cli.main(["hello", "you"], plugins=[mine]) == 0
    assert capsys.readouterr().out == "hello you\n"

    def clash(command_line):
        command_line.add_command("compare", lambda args: 0, help="no")

    with pytest.raises(ConfigError, match="adds the command 'compare', which freezecheck "
                                          "already has"):
        cli.build_parser(plugins=[clash])


def test_an_entry_point_that_cannot_be_loaded_is_named(monkeypatch, capsys):
    from importlib.metadata import EntryPoint

    broken = EntryPoint("broken", "no_such_module_here:register", plugins.GROUP)
    monkeypatch.setattr("importlib.metadata.entry_points", lambda group: [broken])
    assert cli.main(["compare", "x"]) == 2
    assert capsys.readouterr().err == (
        "freezecheck: broken = 'no_such_module_here:register' (entry point group "
        "freezecheck.commands) could not be loaded: ModuleNotFoundError: No module named "
        "'no_such_module_here'\n")


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_option_a_subcommand_lists_exists_and_has_help(name, capsys):
    parser = subcommands()[name]
    with pytest.raises(SystemExit):
        main([name, "--help"])
    text = capsys.readouterr().out
    listed = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", text))
    # The help may refer to the pytest plugin's options: those must exist there.
    pytest_options = {o for o in listed if o.startswith("--freezecheck-")}
    assert pytest_options <= {"--freezecheck-" + n.replace("_", "-") for n in OPTIONS}
    listed -= pytest_options
    accepted = set(parser._option_string_actions)
    assert listed <= accepted, f"{name} --help lists options it does not take: {listed - accepted}"
    for action in parser._actions:
        assert action.help, f"{name}: {action.option_strings or action.dest} has no help text"
        for option in action.option_strings:
            assert option in text, f"{name} --help does not list {option}"


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_the_commands_page_names_every_subcommand_and_option(name):
    page = COMMANDS_PAGE.read_text()
    assert f"`freezecheck {name}" in page
    for action in subcommands()[name]._actions:
        for option in action.option_strings:
            if option not in ("-h", "--help"):
                assert f"`{option}`" in page, f"docs/commands.md does not mention {name} {option}"


# --- bad input: every command that reads records names the file, line and field -------

LINE = {"environment": "envA", "dataset": "mnist", "variant": "lenet5[none]", "seed": 0,
        "val_accuracy": [0.97, 0.99], "final_val_accuracy": 0.99}
READERS = ["expectations", "findings", "replication", "false-alarms"]


def run_command(name, path, tmp_path, capsys, *extra):
    """Run ``name`` on ``path``; its status and stderr."""
    outputs = {"expectations": ["--out", str(tmp_path / "table.json")],
               "findings": ["--out", str(tmp_path / "plots")]}
    status = main([name, str(path), *outputs.get(name, []), *extra])
    return status, capsys.readouterr().err


def lines_file(tmp_path, *lines):
    path = tmp_path / "m.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    return path


@pytest.mark.parametrize("name", READERS)
def test_a_line_without_a_field_is_named_by_file_line_and_field(name, tmp_path, capsys):
    broken = {k: v for k, v in LINE.items() if k != "environment"}
    path = lines_file(tmp_path, json.dumps(LINE), json.dumps(broken))
    status, err = run_command(name, path, tmp_path, capsys)
    assert status == 2
    assert err == (f"freezecheck {name}: {path}:2: field 'environment' missing (expected a "
                   f"measurement line written by freezecheck measure)\n")


@pytest.mark.parametrize("name", READERS)
@pytest.mark.parametrize("field, value, expected", [
    ("seed", "3", "an integer >= 0"),
    ("dataset", 7, "a non-empty string"),
    ("val_accuracy", [0.9, 97.5], "a non-empty list of accuracies"),
    ("final_val_accuracy", None, "an accuracy, a number in [0, 1]"),
    ("variant", "lenet5", "a variant id"),
])
def test_a_field_of_the_wrong_type_is_named_with_its_value(name, field, value, expected,
                                                           tmp_path, capsys):
    path = lines_file(tmp_path, json.dumps(LINE | {field: value}))
    status, err = run_command(name, path, tmp_path, capsys)
    assert status == 2
    assert err.startswith(f"freezecheck {name}: {path}:1: field {field!r} is "
                          f"{json.dumps(value)}, not {expected}")


@pytest.mark.parametrize("name", READERS)
def test_a_line_that_is_not_json_is_named_by_its_line(name, tmp_path, capsys):
    path = lines_file(tmp_path, json.dumps(LINE), "", '{"environment": "envA", "seed')
    status, err = run_command(name, path, tmp_path, capsys)
    assert status == 2
    assert err.startswith(f"freezecheck {name}: {path}:3: not valid JSON (")


@pytest.mark.parametrize("name", READERS)
def test_an_empty_file_is_refused(name, tmp_path, capsys):
    path = lines_file(tmp_path, "")
    status, err = run_command(name, path, tmp_path, capsys)
    assert status == 2
    assert err == (f"freezecheck {name}: {path}: holds no measurement line (expected a file "
                   f"of measurement lines, as freezecheck measure --out writes)\n")


@pytest.mark.parametrize("name", READERS)
def test_a_missing_file_is_named_without_a_traceback(name, tmp_path, capsys):
    status, err = run_command(name, tmp_path / "nowhere.jsonl", tmp_path, capsys)
    assert status == 2
    assert err.startswith(f"freezecheck {name}: {tmp_path / 'nowhere.jsonl'}: no such file")
    assert "Errno" not in err


@pytest.mark.parametrize("name", ["expectations", "findings"])
def test_a_line_of_no_built_in_variant_is_refused_by_the_built_in_commands(name, tmp_path,
                                                                           capsys):
    path = lines_file(tmp_path, json.dumps(LINE | {"variant": "lenet5[nope]"}))
    status, err = run_command(name, path, tmp_path, capsys)
    assert status == 2
    assert err.startswith(f"freezecheck {name}: {path}:1: field 'variant' is "
                          f"\"lenet5[nope]\", not a variant of the built-in experiment")


def test_a_missing_file_exits_2_without_a_traceback_from_the_console(tmp_path):
    done = subprocess.run([sys.executable, "-m", "freezecheck", "replication",
                           str(tmp_path / "nowhere.jsonl")],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "nowhere.jsonl: no such file" in done.stderr


@pytest.mark.parametrize("name", READERS)
def test_a_bad_run_of_a_results_json_is_named_by_its_index_and_field(name, tmp_path, capsys):
    run = {"variant": "lenet5[none]", "recipe": {"seed": 0}, "val_accuracy": [0.97, 0.99],
           "final_val_accuracy": 0.99}
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"environment": "envA", "dataset": "mnist",
                                "runs": [run, run | {"recipe": {}}]}))
    status, err = run_command(name, path, tmp_path, capsys)
    assert status == 2
    assert err.startswith(f"freezecheck {name}: {path}: runs[1]: field 'recipe.seed' missing")


def test_a_report_that_names_no_data_set_is_the_built_in_experiments_alone(tmp_path, capsys):
    """Reports before schema 2 name no data set: the built-in experiment's commands read
    them as MNIST's; replication and false-alarms, which read any experiment's, refuse
    them naming the field."""
    run = {"variant": "lenet5[none]", "recipe": {"seed": 0}, "val_accuracy": [0.97, 0.99],
           "final_val_accuracy": 0.99}
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"environment": "envA", "runs": [run]}))
    assert run_command("expectations", path, tmp_path, capsys)[0] == 0
    status, err = run_command("replication", path, tmp_path, capsys)
    assert status == 2
    assert err.startswith(f"freezecheck replication: {path}: field 'dataset' missing")


def test_a_page_that_does_not_exist_is_named_and_nothing_is_written(tmp_path, capsys):
    path = lines_file(tmp_path, json.dumps(LINE))
    status, err = run_command("expectations", path, tmp_path, capsys,
                              "--page", str(tmp_path / "none.md"))
    assert status == 2
    assert err.startswith(f"freezecheck expectations: {tmp_path / 'none.md'}: no such file")
    assert not (tmp_path / "table.json").exists()


# --- bad arguments: named with the value received and what is expected ------------------

def seeds_file(tmp_path, variant="lenet5[none]", seeds=10):
    return lines_file(tmp_path, *(json.dumps(LINE | {
        "variant": variant, "seed": s, "val_accuracy": [0.97 + s / 1000, 0.985, 0.99]})
        for s in range(seeds)))


@pytest.mark.parametrize("name, args, message", [
    ("replication", ["--alpha", "0"],
     "--alpha expected a number in (0, 1). Received: --alpha=0.0"),
    ("replication", ["--alpha", "1"],
     "--alpha expected a number in (0, 1). Received: --alpha=1.0"),
    ("replication", ["--alpha", "nan"],
     "--alpha expected a number in (0, 1). Received: --alpha=nan"),
    ("false-alarms", ["--alphas", "0.01,0"],
     "--alphas expected comma-separated numbers in (0, 1), e.g. 0.01,0.05. Received: "
     "--alphas='0.01,0' (0.0 is not in (0, 1))"),
    ("false-alarms", ["--alphas", "0.01,,0.05"],
     "--alphas expected comma-separated numbers in (0, 1), e.g. 0.01,0.05. Received: "
     "--alphas='0.01,,0.05'"),
    ("false-alarms", ["--group-size", "0"],
     "--group-size expected an integer >= 5: the statistical mode compares groups of at "
     "least 5 seeds. Received: --group-size=0"),
    ("false-alarms", ["--group-size", "4"],
     "--group-size expected an integer >= 5: the statistical mode compares groups of at "
     "least 5 seeds. Received: --group-size=4"),
])
def test_an_out_of_range_number_is_refused_naming_the_argument(name, args, message,
                                                               tmp_path, capsys):
    status, err = run_command(name, seeds_file(tmp_path), tmp_path, capsys, *args)
    assert status == 2
    assert err.startswith(f"freezecheck {name}: {message}")


def test_measure_refuses_no_workers(tmp_path, capsys):
    assert main(["measure", "--workers", "0", "--store-dir", str(tmp_path),
                 "--out", str(tmp_path / "m.jsonl")]) == 2
    assert capsys.readouterr().err == (
        "freezecheck measure: --workers expected a positive integer. Received: --workers=0\n")


def test_an_unknown_variant_is_refused_with_those_that_can_be_split(tmp_path, capsys):
    status, err = run_command("false-alarms", seeds_file(tmp_path), tmp_path, capsys,
                              "--variant", "lenet5[nope]")
    assert status == 2
    assert err == ("freezecheck false-alarms: --variant expected a variant the measurement "
                   "files hold; those with the 10 seeds two groups of --group-size 5 need: "
                   "lenet5[none]. Received: 'lenet5[nope]'\n")


def test_a_variant_with_too_few_seeds_for_two_groups_is_refused(tmp_path, capsys):
    status, err = run_command("false-alarms", seeds_file(tmp_path, seeds=9), tmp_path, capsys)
    assert status == 2
    assert err.startswith("freezecheck false-alarms: --variant lenet5[none] has at most 9 "
                          "seeds in one environment and data set; two groups of --group-size "
                          "5 need 10.")


def test_replication_without_ten_seeds_of_a_variant_is_refused(tmp_path, capsys):
    status, err = run_command("replication", seeds_file(tmp_path, seeds=9), tmp_path, capsys)
    assert status == 2
    assert "no variant is measured at ten or more seeds" in err


def test_the_options_page_generates_its_table_from_the_plugins_option_table():
    """docs/options.md holds the marker its MkDocs hook fills in from OPTIONS and FLAGS,
    so the page cannot miss an option; and the hook's table names every one."""
    import importlib.util

    from freezecheck.plugin.options import FLAGS

    root = Path(__file__).parents[1]
    spec = importlib.util.spec_from_file_location("options_table", root / "docs" / "options_table.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    page = (root / "docs" / "options.md").read_text()
    assert hook.MARKER in page
    table = hook.on_page_markdown(page, None, None, None)
    for name in [*OPTIONS, *FLAGS]:
        assert f"--freezecheck-{name.replace('_', '-')}" in table, name
        if name in OPTIONS:
            assert f"`freezecheck_{name}`" in table, name
