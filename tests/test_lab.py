"""benchmarks/ is a lab beside the product: its scripts use freezecheck's public names and
commands only, read and write the paths they are given, and no test depends on them."""

import ast
from pathlib import Path

import freezecheck

ROOT = Path(__file__).parents[1]
BENCHMARKS = ROOT / "benchmarks"
# Where a script may point without being told: system files it only reads.
SYSTEM_FILES = ("/proc/cpuinfo",)
PUBLIC = {*freezecheck.__all__, "__version__"}


def scripts():
    found = sorted(BENCHMARKS.rglob("*.py"))
    assert found, f"no scripts under {BENCHMARKS}"
    return found


def strings(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def internal_uses(path: Path):
    """Each use of freezecheck other than a public name: ``from freezecheck.part import``,
    ``import freezecheck.part``, a name not in ``freezecheck.__all__`` (or the version), or a module named
    in a string (``importlib.import_module("freezecheck.x")``, ``-m freezecheck.x``)."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "freezecheck":
            if node.module != "freezecheck":
                yield node.lineno, f"from {node.module} import ..."
                continue
            for alias in node.names:
                if alias.name not in PUBLIC:
                    yield node.lineno, f"from freezecheck import {alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("freezecheck."):
                    yield node.lineno, f"import {alias.name}"
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "freezecheck" and node.attr not in PUBLIC):
            yield node.lineno, f"freezecheck.{node.attr}"
    for line, text in strings(tree):
        for word in text.split():
            if word.strip("`'\"(),").startswith("freezecheck."):
                yield line, f"names {word!r}"


# The planted regressions break the training they plant into, from inside, as a
# patched library would: they are the one part of the lab that must name internals.
# (Their measurement is to move onto a public way to plant a fault; until then, only
# this directory is exempt.)
PLANTS = BENCHMARKS / "power"


def test_benchmark_scripts_use_only_public_names_of_freezecheck():
    found = [f"{path.relative_to(ROOT)}:{line}: {use}"
             for path in scripts() if not path.is_relative_to(PLANTS)
             for line, use in internal_uses(path)]
    assert not found, (
        "benchmarks/ uses freezecheck's internals; use the names freezecheck/__init__.py "
        "exports or the freezecheck and pytest commands:\n" + "\n".join(found))


def test_benchmark_scripts_name_no_path_outside_the_repository():
    found = []
    for path in scripts():
        for line, text in strings(ast.parse(path.read_text())):
            for word in text.split():
                word = word.strip("`'\"(),")
                outside = word.startswith("../") or "/../" in word or (
                    word.startswith("/") and len(word) > 1 and word not in SYSTEM_FILES)
                if outside:
                    found.append(f"{path.relative_to(ROOT)}:{line}: {word}")
    assert not found, ("a path outside the repository is written into benchmarks/; take it "
                       "as an argument instead:\n" + "\n".join(found))


def test_no_test_depends_on_benchmarks():
    """Nothing under tests/ (but this file) nor conftest.py imports a benchmark script or
    runs one. A test may read a record the lab committed (a JSON file a docs figure
    comes from): that checks the docs against it, not the lab's code."""
    lab_modules = {path.stem for path in scripts()}
    found = []
    for path in sorted([*ROOT.joinpath("tests").rglob("*.py"), ROOT / "conftest.py"]):
        if path == Path(__file__) or not path.exists():
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                if name.split(".")[0] in lab_modules | {"benchmarks"}:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports {name}")
        found += [f"{path.relative_to(ROOT)}:{line}: names {text[:60]!r}"
                  for line, text in strings(tree) if _names_a_script(text)]
    assert not found, ("a test depends on benchmarks/; move what it needs into the package "
                       "or the test:\n" + "\n".join(found))


def _names_a_script(text: str) -> bool:
    """Whether ``text`` names a file of benchmarks/ that runs: a script, not a record."""
    return any(word.strip("`'\"(),:").startswith("benchmarks/")
               and word.strip("`'\"(),:").endswith(".py") for word in text.split())
