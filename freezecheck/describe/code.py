"""What of a user's code decides a run: a digest of a function and the code it reaches.

A run's store key must change when the model changes and only then (editing a gate or
an expectation in the same test module must reuse the store). So instead of the whole
file that defines ``build``, the key covers ``build``'s own source and, followed
through the names it uses, every function and class of the user's code it reaches,
every module of the user's code it uses as a whole (``import mymodels``), and the
plain values (numbers, strings, tuples, ...) it reads from module globals.
Installed libraries (the standard library, site-packages) are not followed: their
versions are in the key already (train/store.py).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import sys
import sysconfig
import types
from pathlib import Path

_PLAIN = (int, float, complex, str, bytes, bool, type(None))


@functools.cache
def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[name] for name in ("stdlib", "platstdlib", "purelib", "platlib") if name in paths}
    roots |= {sys.base_prefix, sys.prefix} - {""}
    return tuple(str(Path(root).resolve()) for root in roots)


def is_user_code(obj) -> bool:
    """Defined in a source file outside the standard library and site-packages."""
    try:
        source = inspect.getsourcefile(obj)
    except TypeError:  # builtins, C extensions
        return False
    if source is None:
        return False
    resolved = str(Path(source).resolve())
    return not any(resolved.startswith(root + "/") or resolved == root
                   for root in _library_roots())


def digest(function) -> str:
    """sha256 over ``function``'s code and everything of the user's it reaches."""
    hasher = hashlib.sha256()
    _Walker(hasher).visit(function)
    return hasher.hexdigest()


class _Walker:
    def __init__(self, hasher):
        self.hasher = hasher
        self.seen: set[int] = set()

    def add(self, tag: str, text: str | bytes) -> None:
        self.hasher.update(tag.encode() + b"\0")
        self.hasher.update(text if isinstance(text, bytes) else text.encode())
        self.hasher.update(b"\0")

    def visit(self, obj) -> None:
        if id(obj) in self.seen:
            return
        self.seen.add(id(obj))
        if isinstance(obj, functools.partial):
            self.visit(obj.func)
            for value in (*obj.args, *obj.keywords.values()):
                self.value("partial argument", value)
            self.add("partial keywords", repr(sorted(obj.keywords)))
        elif isinstance(obj, types.MethodType):
            self.visit(obj.__func__)
        elif isinstance(obj, types.FunctionType):
            self.function(obj)
        elif isinstance(obj, type) and is_user_code(obj):
            self.add(f"class {obj.__qualname__}", _source(obj))
            for member in vars(obj).values():
                if isinstance(member, (types.FunctionType, staticmethod, classmethod)):
                    self.visit(getattr(member, "__func__", member))
        elif isinstance(obj, types.ModuleType) and is_user_code(obj):
            self.add(f"module {obj.__name__}", Path(inspect.getsourcefile(obj)).read_bytes())

    def function(self, function: types.FunctionType) -> None:
        if not is_user_code(function):
            return
        self.add(f"function {function.__qualname__}", _source(function))
        for value in (function.__defaults__ or ()):
            self.value("default", value)
        for cell in (function.__closure__ or ()):
            try:
                self.value("closure", cell.cell_contents)
            except ValueError:  # an empty cell
                pass
        namespace = function.__globals__
        for name in sorted(_names(function.__code__)):
            if name in namespace:
                self.value(f"global {name}", namespace[name])

    def value(self, what: str, value) -> None:
        if isinstance(value, _PLAIN):
            self.add(what, repr(value))
        elif isinstance(value, (tuple, list, frozenset, set)) and len(value) < 10_000:
            self.add(what, type(value).__name__)
            for item in (sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value):
                self.value(what, item)
        elif isinstance(value, dict) and len(value) < 10_000:
            for key in sorted(value, key=repr):
                self.value(f"{what} key", key)
                self.value(f"{what}[{key!r}]", value[key])
        else:
            self.visit(value)


def _names(code: types.CodeType) -> set[str]:
    """Every global or attribute name a code object (and the ones nested in it) uses."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _source(obj) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):  # defined where no source is kept (e.g. an exec)
        code = getattr(obj, "__code__", None)
        return repr(code.co_code) + repr(code.co_consts) if code else repr(obj)
