"""Snooze and Done buttons, the weekly digest section, `accord dispatch --once`."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from adapters.console import ConsoleAdapter
from bot import cli
from bot.app import App, build_app
from bot.kernel.clock import FixedClock
from bot.kernel.config import Settings
from bot.kernel.registry import DigestWeek, RenderContext
from bot.kernel.types import Action, User
from bot.planning.commands import digest_section
from storage.models import Milestone, Notification, Partnership
from tests.conftest import say
from tests.planning.helpers import Recorder, dispatcher


def press(app: App, action_id: str, value: str, key: str) -> str:
    action = Action(
        "console", "acme-beta", "launch", User("bob", "bob"), action_id, value, idempotency_key=key
    )
    return "\n".join(r.plain_text() for r in app.core.handle_action(action).replies)


def test_snooze_button_and_closed_milestone(
    app: App, console: ConsoleAdapter, clock: FixedClock
) -> None:
    say(console, "/plan add Deck 2026-03-06 @alice")
    rec = Recorder()
    d = dispatcher(app, rec)
    clock.set(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))  # D-2, 09:00 Paris
    assert d.run_once().sent == 1
    assert "paused until 2026-03-07" in press(app, "plan.snooze", "1:3", "s1")
    clock.set(datetime(2026, 3, 6, 8, 0, tzinfo=UTC))  # the day: snoozed, no ping
    assert d.run_once().sent == 0
    clock.set(datetime(2026, 3, 7, 8, 0, tzinfo=UTC))  # the snooze ends: one ping, not two
    assert d.run_once().sent == 1 and len(rec.posts) == 2
    assert "1 day late" in rec.posts[-1][1].plain_text()
    assert "done" in press(app, "plan.done", "1", "d1")
    assert "already done" in press(app, "plan.done", "1", "d2")


def test_digest_section_lists_overdue_and_next_week(
    app: App, console: ConsoleAdapter, clock: FixedClock
) -> None:
    say(
        console,
        "/plan add Late 2026-02-27 @alice",
        "/plan add Soon 2026-03-06 @bob",
        "/plan add Later 2026-04-10 @bob",
        "/plan add Done 2026-03-11 @bob",
        "/plan done 4",
    )
    week = DigestWeek(2026, 9, datetime(2026, 2, 23, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))
    with app.session_factory() as s:
        p = s.exec(select(Partnership)).one()
        lines = digest_section(s, p, week, RenderContext("fr", "Europe/Paris", clock.now()))
    text = "\n".join(lines)
    assert "En retard (1)" in text and "Late" in text
    assert "semaine prochaine (1)" in text and "Soon" in text
    assert "Later" not in text and "Done" not in text


def test_dispatch_once_prints_console_pings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    app = build_app(Settings(DATABASE_URL=url, _env_file=None))  # type: ignore[call-arg]
    out = io.StringIO()
    console = ConsoleAdapter(app.core, team_id="local", channel_id="launch", out=out)
    console.feed("/plan add Deck 2030-01-10 @alice", echo=False)
    now = app.clock.now()
    with app.session_factory() as s:
        m = s.exec(select(Milestone)).one()
        s.add(
            Notification(
                platform="console",
                team_id="local",
                channel_id="launch",
                kind="plan.reminder",
                idempotency_key="manual",
                group_key="g",
                payload={"milestone": m.id, "due": "2030-01-10"},
                due_at=now - timedelta(minutes=1),
                created_at=now,
            )
        )
        s.commit()
    app.close()
    assert cli.main(["dispatch", "--once"]) == 0
    captured = capsys.readouterr()
    assert "Accord → #launch:" in captured.out and "#1 Deck" in captured.out
    assert "sent 1" in captured.err
