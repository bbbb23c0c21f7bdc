"""A Griffe extension for the API reference (docs/api.md): Sphinx roles in docstrings as
Markdown.

freezecheck's docstrings name other objects with Sphinx roles (:class:`Recipe`,
:func:`freezecheck.arrays`), which Markdown would show as a stray ``:class:``. Here a
role naming a public object (one of ``freezecheck.__all__``, by its public name, its
defining module's path, or a name relative to the docstring's module) becomes a link to
its entry in the reference; any other role becomes plain code.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import griffe

ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj):`(?P<tilde>~?)(?P<target>[\w.]+)`")



def public_names() -> dict[str, str]:
    """Public name -> the module that defines it: freezecheck/__init__.py's ``_PUBLIC``,
    read from this checkout's source (not from whichever freezecheck is importable)."""
    source = Path(__file__).resolve().parents[1] / "freezecheck" / "__init__.py"
    for node in ast.parse(source.read_text()).body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["_PUBLIC"]:
            return ast.literal_eval(node.value)
    raise LookupError(f"{source}: no _PUBLIC mapping")


# canonical path (where the object is defined) of every public name
PUBLIC = {name: f"{module}.{name}" for name, module in public_names().items()}
CANONICAL = set(PUBLIC.values())


def resolve(target: str, module: str) -> str | None:
    """The canonical path of the public object ``target`` names in ``module``, or None."""
    if target.startswith("freezecheck.") and target.removeprefix("freezecheck.") in PUBLIC:
        return PUBLIC[target.removeprefix("freezecheck.")]
    for path in (target, f"{module}.{target}"):
        if path in CANONICAL:
            return path
    return None


class SphinxRoles(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is None:
            return
        module = obj.module.path

        def markdown(match: re.Match) -> str:
            target = match["target"]
            shown = target.rsplit(".", 1)[-1] if match["tilde"] else target
            path = resolve(target, module)
            return f"[`{shown}`][{path}]" if path else f"`{shown}`"

        obj.docstring.value = ROLE.sub(markdown, obj.docstring.value)
