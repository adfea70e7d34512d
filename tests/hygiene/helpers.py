"""Shortcuts for the abuse-and-hygiene tests."""

from __future__ import annotations

from bot.app import App
from bot.kernel.types import Command, Outcome, User


def run(
    app: App,
    name: str,
    text: str,
    *,
    user: str = "alice",
    key: str | None = None,
    channel: str = "launch",
    team: str = "acme-beta",
    locale: str | None = "en",
) -> Outcome:
    return app.core.handle(
        Command(
            platform="console",
            team_id=team,
            channel_id=channel,
            user=User(user, user.title()),
            name=name,
            text=text,
            locale=locale,
            idempotency_key=key,
        )
    )


def one_text(outcome: Outcome) -> str:
    [reply] = outcome.replies
    return reply.plain_text()
