"""Argument-parsing pieces shared by the capabilities' operator commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.kernel.services import Services

Subparsers = argparse._SubParsersAction  # argparse exposes no public name for it


# An operator command that receives the running app: (arguments, services) -> exit code.
AppCommand = Callable[[argparse.Namespace, "Services"], int]


def group(subparsers: Subparsers, name: str, help_text: str) -> Subparsers:  # type: ignore[type-arg]
    """The sub-commands of `accord <name>` (import, export, digest...).

    Several capabilities add to the same group and argparse refuses a second
    parser of the same name, so the first one is shared.
    """
    parser = subparsers.choices.get(name) or subparsers.add_parser(name, help=help_text)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(metavar="what")


def tenant_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--platform", default="console", help="console, slack or discord")
    parser.add_argument("--team", default="local", help="workspace, guild or console team id")


def app_command(parser: argparse.ArgumentParser, func: AppCommand) -> None:
    """`accord …` commands that work on the database: `bot.cli` builds the app, passes it and
    closes it afterwards, so a capability never reaches up into the composition root."""
    parser.set_defaults(func=func, needs_app=True)
