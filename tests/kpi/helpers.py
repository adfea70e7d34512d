"""Shared helpers of the KPI tests: a recording notifier and quick setups."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.kernel.types import Reply
from tests.conftest import say


@dataclass
class RecordingNotifier:
    """A Notifier that keeps what it was asked to post."""

    platform: str = "console"
    posts: list[tuple[str, str, Reply, str]] = field(default_factory=list)

    def post(self, team_id: str, channel_id: str, reply: Reply, idempotency_key: str) -> str:
        self.posts.append((team_id, channel_id, reply, idempotency_key))
        return f"msg-{len(self.posts)}"


def console_for(
    app: App,
    tmp_path: Path,
    *,
    team: str = "acme-beta",
    channel: str = "launch",
    user: str = "alice",
    locale: str | None = None,
) -> ConsoleAdapter:
    return ConsoleAdapter(
        app.core,
        team_id=team,
        channel_id=channel,
        user=user,
        locale=locale,
        out=io.StringIO(),
        files_dir=tmp_path / "files",
        run_id=f"{team}-{channel}",
    )


def setup_launch(console: ConsoleAdapter) -> str:
    """A partnership with one objective and its decisive metric `leads`."""
    return say(
        console,
        "/accord tz Europe/Paris",
        "/accord party add Acme @alice",
        "@bob: /accord party add Beta",  # each company is created by its representative
        '@alice: /kpi objective "Spring co-launch"',
        '/kpi metric "Spring co-launch" leads target 100 by 2026-04-30',
    )
