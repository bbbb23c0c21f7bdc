"""The package's layout holds: imports run one way, the built-in experiment on top, and
the library under it names it nowhere, in code, strings or comments."""

import ast
import io
import re
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "freezecheck"

# Lowest first. A module imports only from its own part of the package or from a lower
# layer, whether at the top of the module or inside a function. The built-in experiment
# is on top: an ordinary user of the library, whose commands the command line finds
# through an entry point (freezecheck/cli/plugins.py), not an import.
LAYERS = [
    {"errors", "files"},
    {"describe"},
    {"train"},
    {"judge"},
    {"generated"},
    {"experiment"},
    {"reporting"},
    {"plugin"},
    {"cli"},
    {"__init__", "__main__"},
    {"builtin"},
]
LAYER_OF = {part: i for i, parts in enumerate(LAYERS) for part in parts}

# Everything under the built-in experiment: the library a user's experiment runs on.
LIBRARY = set(LAYER_OF) - {"builtin"}


def part_of(path: Path, package: Path = PACKAGE) -> str:
    """The package part a file belongs to: its subpackage, or its own name at the top."""
    relative = path.relative_to(package)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def library_files(package: Path = PACKAGE):
    return [p for p in sorted(package.rglob("*.py")) if part_of(p, package) in LIBRARY]


def imported_parts(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "freezecheck":
            if node.module != "freezecheck":
                yield node.lineno, node.module.split(".")[1]
                continue
            # Parts of the package, or names of the package itself (such as __version__,
            # which Python has loaded before any of its modules).
            for alias in node.names:
                if alias.name in LAYER_OF:
                    yield node.lineno, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("freezecheck."):
                    yield node.lineno, alias.name.split(".")[1]


def strings_and_comments(path: Path):
    """(line, text) of every string in ``path`` (docstrings, help texts, messages; an
    implicitly concatenated one whole, an f-string's literal parts joined) and of every
    comment."""
    source = path.read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            yield node.lineno, "".join(part.value for part in node.values
                                       if isinstance(part, ast.Constant))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string


def test_every_part_of_the_package_is_in_a_layer():
    parts = {part_of(path) for path in PACKAGE.rglob("*.py")}
    assert parts <= set(LAYER_OF), f"not in LAYERS: {sorted(parts - set(LAYER_OF))}"


def imports_against_the_layers(package: Path = PACKAGE) -> list[str]:
    upward = []
    for path in sorted(package.rglob("*.py")):
        mine = part_of(path, package)
        for line, theirs in imported_parts(path):
            if theirs != mine and LAYER_OF[theirs] >= LAYER_OF[mine]:
                upward.append(f"{path.relative_to(package)}:{line} imports {theirs}")
    return upward


def test_imports_run_one_way():
    upward = imports_against_the_layers()
    assert not upward, "imports against the layers:\n" + "\n".join(upward)


def test_the_built_in_experiment_is_on_top():
    assert LAYER_OF["builtin"] == max(LAYER_OF.values())
    assert [parts for parts in LAYERS if "builtin" in parts] == [{"builtin"}]


# The built-in experiment's package, modules, test modules, models and data sets.
NAMES_OF_THE_BUILT_IN_EXPERIMENT = re.compile(
    r"freezecheck\s*[./]\s*builtin|\bbuiltin\s*[./:]|test_experiment\.py|test_families|"
    r"lenet|mnist", re.I)
# The package's docstring says what the built-in experiment is.
ALLOWED = {("__init__.py", "the built-in experiment is LeNet on MNIST")}


def naming_the_built_in_experiment(package: Path = PACKAGE) -> list[str]:
    named = []
    for path in library_files(package):
        where = str(path.relative_to(package))
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if NAMES_OF_THE_BUILT_IN_EXPERIMENT.search(line) and not any(
                    where == file and text in line for file, text in ALLOWED):
                named.append(f"{where}:{number}: {line.strip()}")
        for number, text in strings_and_comments(path):
            flat = " ".join(text.split())
            if NAMES_OF_THE_BUILT_IN_EXPERIMENT.search(flat) and not any(
                    where == file and allowed in flat for file, allowed in ALLOWED):
                named.append(f"{where}:{number}: string or comment {flat[:120]!r}")
    return sorted(set(named))


def test_the_library_names_the_built_in_experiment_nowhere():
    named = naming_the_built_in_experiment()
    assert not named, "\n".join(named)


# The parts the built-in experiment's commands and reports moved out of speak of no
# built-in experiment at all, not even in prose: what they do, they do for any.
GENERIC_PROSE = {"reporting", "cli"}


def test_the_reports_and_the_command_line_speak_of_no_built_in_experiment():
    said = [f"{path.relative_to(PACKAGE)}:{number}: {' '.join(text.split())[:120]!r}"
            for path in library_files() if part_of(path) in GENERIC_PROSE
            for number, text in strings_and_comments(path)
            if re.search(r"built-?in\s+(experiment|model|variant)", " ".join(text.split()), re.I)]
    assert not said, "\n".join(said)


def test_the_checks_see_an_import_and_a_string_planted_in_the_library(tmp_path):
    """The checks above, on a copy of the package with one import of the built-in
    experiment and one help text naming its file planted in the command line."""
    import shutil

    copy = tmp_path / "freezecheck"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.json"))
    main = copy / "cli" / "main.py"
    main.write_text(main.read_text()
                    + "\n\ndef planted():\n    from freezecheck.builtin import models\n"
                      "    return ('see freezecheck/'\n            'builtin/expectations.json', models)\n")
    assert imports_against_the_layers(copy) == [
        f"cli/main.py:{len(main.read_text().splitlines()) - 2} imports builtin"]
    named = naming_the_built_in_experiment(copy)
    assert any("string or comment 'see freezecheck/builtin/expectations.json'" in n
               for n in named), named


def test_no_python_is_generated_into_the_package():
    """Data the commands make (the expectations table, references) are data files."""
    generated = [p for p in PACKAGE.rglob("*.py") if "do not edit" in p.read_text().lower()]
    assert not generated
