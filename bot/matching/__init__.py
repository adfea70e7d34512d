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

from bot.matching.weights import Weights
from bot.matching.weights import parse as parse_weights

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.kernel.registry import Registry
    from bot.kernel.types import Tenant
    from bot.matching.scores import CompanyScores


def register(registry: Registry, *, weights: Weights | None = None) -> None:
    from bot.matching.command import register as register_commands

    register_commands(registry, weights=weights)


def add_cli(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from bot.matching.cli import add_cli as add_commands

    add_commands(subparsers)


def score_companies(
    session: Session, tenant: Tenant, companies: list[str], weights: Weights | None = None
) -> CompanyScores:
    """The team's own profile against these companies, as `/match` scores (the health)."""
    from bot.matching.scores import score_companies as score

    return score(session, tenant, companies, weights)


__all__ = ["Weights", "add_cli", "parse_weights", "register", "score_companies"]
