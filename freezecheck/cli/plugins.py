"""Commands that installed packages add to the ``freezecheck`` command.

A package adds its own commands (or options of ``measure``) by naming a function in
the entry point group ``freezecheck.commands`` of its distribution, as pytest finds
its plugins in ``pytest11``::

    [project.entry-points."freezecheck.commands"]
    mine = "mypackage.commands:register"

The command line calls ``register(cli)`` with its :class:`CommandLine` once the
library's own commands are in place. The functions are found in the installed
distributions' metadata (:func:`installed`): a package installed in editable mode
shows a new entry point once it is installed again (``pip install -e .``).
"""

from __future__ import annotations

import argparse
from typing import Callable

from freezecheck.errors import ConfigError

GROUP = "freezecheck.commands"

Handler = Callable[[argparse.Namespace], int]


class CommandLine:
    """The ``freezecheck`` command as a package's ``register`` sees it: its
    subcommands, each a parser and a handler (``handler(args) -> exit status``)."""

    def __init__(self, commands):
        self._commands = commands  # argparse's subparsers action
        self.handlers: dict[str, Handler] = {}
        self.curve_tolerances: list[Callable] = []
        self.registering: str = "freezecheck"  # whose register is running, for errors

    def add_command(self, name: str, handler: Handler, **parser_arguments
                    ) -> argparse.ArgumentParser:
        """A new subcommand ``name``: its parser (``parser_arguments`` as
        ``add_parser`` takes them: ``help``, ``description``), to add arguments to."""
        if name in self.handlers:
            raise ConfigError(f"{self.registering} adds the command {name!r}, which "
                              f"freezecheck already has; name it otherwise")
        self.handlers[name] = handler
        return self._commands.add_parser(name, **parser_arguments)

    def parser(self, name: str) -> argparse.ArgumentParser:
        """The parser of the subcommand ``name``, to add options to."""
        self._check(name)
        return self._commands.choices[name]

    def wrap(self, name: str, wrapper: Callable[[argparse.Namespace, Handler], int]) -> None:
        """Run ``name`` through ``wrapper(args, handler)``, ``handler`` the one it had:
        for a package that gives a command's options of its own their meaning."""
        self._check(name)
        inner = self.handlers[name]
        self.handlers[name] = lambda args: wrapper(args, inner)

    def add_curve_tolerance(self, source: Callable) -> None:
        """``source(row) -> CurveTolerance | None``: the curve tolerance of a
        measurement row that records none and names no experiment (lines measured
        before ``measure`` recorded them), for ``replication`` and ``false-alarms``."""
        self.curve_tolerances.append(source)

    def _check(self, name: str) -> None:
        if name not in self.handlers:
            raise ConfigError(f"{self.registering} asks for the command {name!r}, which "
                              f"freezecheck does not have: expected one of "
                              f"{', '.join(self.handlers)}")


def installed() -> list[tuple[str, Callable]]:
    """(entry point, register function) of every package that adds commands, in the
    order of their entry points' names; one that cannot be loaded is said, naming it."""
    from importlib.metadata import entry_points

    found = []
    for point in sorted(entry_points(group=GROUP), key=lambda p: p.name):
        where = f"{point.name} = {point.value!r} (entry point group {GROUP})"
        try:
            register = point.load()
        except Exception as exc:  # another package's code: say whose, keep the cause
            raise ConfigError(f"{where} could not be loaded: {type(exc).__name__}: "
                              f"{exc}") from exc
        found.append((where, register))
    return found


def register_all(cli: CommandLine, plugins) -> None:
    """Call each plugin's ``register(cli)``; ``plugins``: (name, function) pairs, each
    function once."""
    seen = set()
    for name, register in plugins:
        if register in seen:
            continue
        seen.add(register)
        cli.registering = name
        register(cli)
    cli.registering = "freezecheck"
