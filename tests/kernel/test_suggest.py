"""Autocomplete comes from the core: stored things of the caller's partnership only."""

from __future__ import annotations

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.kernel.types import Tenant
from tests.conftest import say

HERE = Tenant("console", "acme-beta")


def test_every_capability_suggests_its_stored_things(app: App, console: ConsoleAdapter) -> None:
    say(
        console,
        "/decide launch in March",
        "/decide budget of 10k",
        "/plan launch 2026-04-01",
        '/plan add "Landing page" D-14',
        '/plan add "Press kit" D-7',
        "/plan done 2",
        '/kpi objective "Co-launch"',
        '/kpi metric "Co-launch" leads target 500',
        "/partner add Acme Outdoors",
    )
    suggest = app.core.suggest
    assert [v for _, v in suggest(HERE, "launch", "decide", "supersedes", "")] == [2, 1]
    assert [v for _, v in suggest(HERE, "launch", "decide", "supersedes", "budg")] == [2]
    assert [v for _, v in suggest(HERE, "launch", "decisions", "text", "show ")] == [
        "show 2",
        "show 1",
    ]
    assert [v for _, v in suggest(HERE, "launch", "plan", "text", "done ")] == ["done 1"]
    assert [v for _, v in suggest(HERE, "launch", "plan", "text", "show press")] == ["show 2"]
    assert [v for _, v in suggest(HERE, "launch", "kpi", "text", "log l")] == ["log leads "]
    assert [v for _, v in suggest(HERE, "launch", "partner", "text", "show acm")] == [
        "show Acme Outdoors"
    ]
    assert suggest(HERE, "launch", "plan", "text", "launch ") == []


def test_no_suggestion_crosses_tenants_or_creates_anything(
    app: App, console: ConsoleAdapter
) -> None:
    say(console, "/decide launch in March")
    assert app.core.suggest(Tenant("console", "other"), "launch", "decide", "supersedes", "") == []
    assert app.core.suggest(HERE, "elsewhere", "decide", "supersedes", "") == []
    with app.session_factory() as s:
        from sqlmodel import select

        from storage.models import Channel

        assert [c.channel_id for c in s.exec(select(Channel))] == ["launch"]
