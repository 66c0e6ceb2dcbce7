"""Commands that plugins add to the ``hrdd`` command line.

A distribution declares them in the entry-point group ``hrdd.commands``; the entry point's
name is the command's name and its object a :class:`Command`::

    [project.entry-points."hrdd.commands"]
    rescreen = "hrdd_screening.rescreen:COMMAND"

``hrdd --help`` lists the names without importing anything; the module is imported only
when its command runs, so a plugin command costs nothing to the others.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from importlib import metadata

import attrs

GROUP = "hrdd.commands"


@attrs.frozen
class Command:
    """A command a plugin adds to ``hrdd``.

    :ivar help: one line for ``hrdd --help``.
    :ivar add_arguments: adds the command's arguments to its ``argparse`` parser.
    :ivar run: runs the command with the parsed arguments and returns the exit code (0, 1,
        2 or 3, with the meanings of the core commands). It may raise
        :class:`hrdd.errors.InputError` for bad input: the CLI prints its problems and exits 2.
    :ivar description: longer text for ``hrdd COMMAND --help`` (defaults to ``help``).
    """

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    description: str = ""


def plugin_commands() -> dict[str, metadata.EntryPoint]:
    """The commands installed plugins declare, by name (not imported)."""
    found: dict[str, metadata.EntryPoint] = {}
    for entry_point in metadata.entry_points(group=GROUP):
        found.setdefault(entry_point.name, entry_point)
    return found


def load_command(entry_point: metadata.EntryPoint) -> Command:
    """Import a plugin command; an entry point that is not a :class:`Command` is an error
    naming the distribution."""
    from hrdd.errors import PluginLoadError

    dist = entry_point.dist.name if entry_point.dist is not None else "an installed distribution"
    where = f"entry point {entry_point.name!r} = {entry_point.value!r} in group {GROUP!r} of {dist}"
    try:
        command = entry_point.load()
    except Exception as exc:
        raise PluginLoadError.single(where, "$", f"cannot import: {type(exc).__name__}: {exc}") from None
    if not isinstance(command, Command):
        raise PluginLoadError.single(
            where, "$", f"is a {type(command).__name__}, expected hrdd.commands.Command"
        )
    return command
