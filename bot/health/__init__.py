"""The partnership at a glance: the five sins checked (`/accord health`).

- `rules`: one pure function per sin, of facts, with the thresholds (docs/health.md).
- `facts`: reading those facts from storage (other capabilities' models and
  small public functions, never their handlers).
- `commands`: `/accord health` (`santé`), the digest's and the home's section.
- `cli`: `accord health --channel C [--format json]`.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.kernel.registry import Registry
    from bot.matching import Weights


def register(registry: Registry, *, weights: Weights | None = None) -> None:
    from bot.health.commands import make_accord_health, make_digest_section, make_home_section

    registry.add_accord_subcommand(("health", "sante", "santé"), make_accord_health(weights))
    registry.digest_top_sections.append(make_digest_section(weights))
    registry.home_sections.append(make_home_section(weights))


def add_cli(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from bot.health.cli import add_cli as add_commands

    add_commands(subparsers)
