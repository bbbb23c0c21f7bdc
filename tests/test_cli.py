"""The freezecheck command: --version, --help of every subcommand, the console script."""

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from freezecheck import __version__
from freezecheck.cli.main import build_parser, main
from freezecheck.plugin.options import OPTIONS

COMMANDS_PAGE = Path(__file__).parents[1] / "docs" / "commands.md"


def subcommands():
    parser = build_parser()
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
    for name in subcommands():
        assert name in by_script.stdout


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
