"""Shortcuts for the abuse-and-hygiene tests."""

from __future__ import annotations

from typing import Any

from bot.app import App
from bot.kernel.types import Outcome
from tests.conftest import core_command


def run(app: App, name: str, text: str, **kwargs: Any) -> Outcome:
    return core_command(app, name, text, **kwargs)


def one_text(outcome: Outcome) -> str:
    [reply] = outcome.replies
    return reply.plain_text()
