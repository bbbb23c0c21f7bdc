"""The package's layout holds: imports run one way, and the built-in experiment is named
in its own place only."""

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "freezecheck"

# Lowest first. A module imports only from its own part of the package or from a lower
# layer, whether at the top of the module or inside a function.
LAYERS = [
    {"errors", "files"},
    {"describe"},
    {"train"},
    {"judge"},
    {"generated"},
    {"experiment"},
    {"builtin"},
    {"reporting"},
    {"plugin"},
    {"cli"},
    {"__init__", "__main__"},
]
LAYER_OF = {part: i for i, parts in enumerate(LAYERS) for part in parts}


def part_of(path: Path) -> str:
    """The package part a file belongs to: its subpackage, or its own name at the top."""
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


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


def test_every_part_of_the_package_is_in_a_layer():
    parts = {part_of(path) for path in PACKAGE.rglob("*.py")}
    assert parts <= set(LAYER_OF), f"not in LAYERS: {sorted(parts - set(LAYER_OF))}"


def test_imports_run_one_way():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        mine = part_of(path)
        for line, theirs in imported_parts(path):
            if theirs != mine and LAYER_OF[theirs] >= LAYER_OF[mine]:
                upward.append(f"{path.relative_to(PACKAGE)}:{line} imports {theirs}")
    assert not upward, "imports against the layers:\n" + "\n".join(upward)


def test_only_the_built_in_experiment_names_its_models_and_data_sets():
    named = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if part_of(path) == "builtin":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"lenet|mnist", line, re.I):
                named.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    # The package's docstring says what the built-in experiment is.
    assert named == ["__init__.py:2: random initial weights; the built-in experiment is "
                     "LeNet on MNIST."], "\n".join(named)


# The parts below the built-in experiment's callers that may not name it at all, in code
# or in strings: the library a user's experiment runs on. (reporting/ and cli/ still
# carry the built-in experiment's commands.)
LIBRARY = {"errors", "files", "describe", "train", "judge", "generated", "experiment",
           "plugin"}


def test_the_library_names_the_built_in_experiment_nowhere():
    named = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if part_of(path) not in LIBRARY:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"freezecheck[./]builtin|builtin[./]|test_experiment|test_families",
                         line):
                named.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert not named, "\n".join(named)


def test_no_python_is_generated_into_the_package():
    """Data the commands make (the expectations table, references) are data files."""
    generated = [p for p in PACKAGE.rglob("*.py") if "do not edit" in p.read_text().lower()]
    assert not generated
