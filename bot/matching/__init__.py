"""Partner matching: `/match`, `/match profile`, `/partner` and the operator CLI.

- `profiles`: reading, checking and storing partner profiles (CSV, JSON).
- `engine`: the directory index and the explainable score.
- `weights`: every number that shapes a score, documented.
- `directory`: the per-process index cache and the demo directory.
- `command`: the chat commands; `cli`: `accord import/export partners`, `accord demo`.

The two entry points import their modules when called, so that `accord`
sub-commands which do not match anything do not load scikit-learn.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.kernel.registry import Registry
    from bot.matching.weights import Weights


def register(registry: Registry, *, weights: Weights | None = None) -> None:
    from bot.matching.command import register as register_commands

    register_commands(registry, weights=weights)


def add_cli(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from bot.matching.cli import add_cli as add_commands

    add_commands(subparsers)
