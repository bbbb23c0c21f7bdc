"""The store key's digest of a user's model code (freezecheck/describe/code.py): it
moves when what builds the model moves, and only then."""

import importlib
import sys
import textwrap

import pytest

from freezecheck.describe.code import digest, is_user_code

MODULE = '''
import math
import helpers

WIDTH = {width}
GATE = {gate}  # read by the tests, not by build


def hidden(n):
    return n * {factor}


def build():
    return [hidden(WIDTH), helpers.depth(), math.sqrt(4)]
'''
HELPERS = '''
def depth():
    return {depth}
'''


@pytest.fixture
def write(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    # No bytecode cache: an edit that keeps the file's size within the same second (64 ->
    # 65) would otherwise import the stale .pyc, whose check is by size and mtime.
    monkeypatch.setattr(sys, "dont_write_bytecode", True)

    def write(width=64, gate=0.9, factor=2, depth=3):
        (tmp_path / "model_mod.py").write_text(textwrap.dedent(MODULE.format(
            width=width, gate=gate, factor=factor)))
        (tmp_path / "helpers.py").write_text(HELPERS.format(depth=depth))
        for name in ("model_mod", "helpers"):
            sys.modules.pop(name, None)
        importlib.invalidate_caches()
        return importlib.import_module("model_mod").build

    return write


def test_an_edit_that_does_not_reach_build_keeps_the_digest(write):
    assert digest(write()) == digest(write(gate=0.95))


@pytest.mark.parametrize("change", [{"width": 65}, {"factor": 3}, {"depth": 4}])
def test_an_edit_to_what_build_reaches_moves_the_digest(write, change):
    """A constant it reads, a function of the module it calls, a module of the user's
    it imports."""
    assert digest(write()) != digest(write(**change))


def test_installed_libraries_are_not_followed():
    import math

    import numpy

    assert not is_user_code(numpy.mean) and not is_user_code(math)
