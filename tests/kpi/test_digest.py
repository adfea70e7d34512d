"""The weekly digest: exactly once per channel and ISO week, late after downtime."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.delivery.dispatcher import Dispatcher
from bot.kernel.clock import FixedClock
from bot.kernel.registry import DigestWeek, RenderContext
from storage.models import Notification, Partnership
from storage.models.notifications import SENT
from tests.conftest import say
from tests.kpi.helpers import RecordingNotifier, console_for, setup_launch

# conftest's START is Monday 2 March 2026 09:00 UTC (10:00 in Paris).


def _dispatcher(app: App, notifier: RecordingNotifier, name: str = "d1") -> Dispatcher:
    return Dispatcher(
        app.session_factory,
        app.registry,
        app.clock,
        {"console": notifier},
        default_timezone="Europe/Paris",
        name=name,
    )


def _digest_rows(app: App) -> list[Notification]:
    with app.session_factory() as s:
        return list(
            s.exec(
                select(Notification)
                .where(Notification.kind == "kpi.digest")
                .order_by(Notification.due_at)
            ).all()
        )


def test_digest_sent_once_per_week(console: ConsoleAdapter, app: App, clock: FixedClock) -> None:
    setup_launch(console)
    say(console, "/kpi log leads 12 partner:Beta channel:newsletter", "/decide launch on 1 April")
    notifier = RecordingNotifier()
    dispatcher = _dispatcher(app, notifier)
    assert dispatcher.run_once().sent == 0  # the schedule is younger than today's 09:00 Paris
    [row] = _digest_rows(app)
    assert row.due_at == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # Monday 09:00 Paris
    assert row.idempotency_key == "kpi.digest:launch:2026-W10"
    clock.set(datetime(2026, 3, 9, 8, 0, 30, tzinfo=UTC))
    assert dispatcher.run_once().sent == 1
    for _ in range(3):  # more passes the same week send nothing
        clock.advance(timedelta(hours=1))
        assert dispatcher.run_once().sent == 0
    [(team, channel, reply, key)] = notifier.posts
    assert (team, channel) == ("acme-beta", "launch")
    text = reply.plain_text()
    assert "Weekly digest — week 10 (2026-03-02 → 2026-03-08)" in text
    assert "• leads: 12 this week (▲ +12 vs last week)" in text
    assert "by partner: Beta 12" in text and "by channel: newsletter 12" in text
    # The two companies' creation (#1, #2) are decisions of the week too: the audit trail.
    assert "Decisions this week (3)" in text and "#3 · launch on 1 April" in text
    assert "#2 · " in text and "created the company Beta in this partnership" in text
    assert "Sent late" not in (reply.footer or "")
    assert reply.image is not None and reply.image.content.startswith(b"\x89PNG")
    clock.set(datetime(2026, 3, 16, 8, 1, tzinfo=UTC))
    assert dispatcher.run_once().sent == 1  # next week's
    assert [r.idempotency_key for r in _digest_rows(app)][:2] == [
        "kpi.digest:launch:2026-W10",
        "kpi.digest:launch:2026-W11",
    ]


def test_digest_missed_during_downtime_is_sent_late(
    console: ConsoleAdapter, app: App, clock: FixedClock
) -> None:
    setup_launch(console)
    notifier = RecordingNotifier()
    _dispatcher(app, notifier).run_once()  # creates next Monday's row, then the bot stops
    clock.set(datetime(2026, 3, 9, 15, 0, tzinfo=UTC))  # back six hours late
    assert _dispatcher(app, notifier, "d2").run_once().sent == 1
    [(_, _, reply, _)] = notifier.posts
    assert "Sent late" in (reply.footer or "")
    assert _digest_rows(app)[0].late


def test_hook_owes_the_last_digest_after_a_long_downtime(
    console: ConsoleAdapter, app: App, clock: FixedClock
) -> None:
    setup_launch(console)  # no dispatcher ran before the bot went down
    clock.set(datetime(2026, 3, 10, 7, 0, tzinfo=UTC))  # Tuesday
    notifier = RecordingNotifier()
    assert _dispatcher(app, notifier).run_once().sent == 1
    assert "Sent late" in (notifier.posts[0][2].footer or "")


def test_schedule_change_and_pause(console: ConsoleAdapter, app: App, clock: FixedClock) -> None:
    setup_launch(console)
    notifier = RecordingNotifier()
    dispatcher = _dispatcher(app, notifier)
    dispatcher.run_once()
    out = say(console, "/accord digest friday 5pm")
    assert "Weekly digest: Fridays at 17:00 (Europe/Paris)." in out
    dispatcher.run_once()
    [row] = _digest_rows(app)
    assert row.due_at == datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    assert row.idempotency_key == "kpi.digest:launch:2026-W10"  # Friday reviews its own week
    out = say(console, "/accord digest pause")
    assert "paused" in out
    clock.set(datetime(2026, 3, 6, 17, 0, tzinfo=UTC))
    assert dispatcher.run_once().sent == 0 and _digest_rows(app) == []
    out = say(console, "/accord digest reprendre", "/accord digest mardi 25h")
    assert "Fridays at 17:00" in out and "I do not understand “25h”" in out


def test_digest_includes_other_capabilities_sections(
    console: ConsoleAdapter, app: App, clock: FixedClock
) -> None:
    seen: list[DigestWeek] = []

    def milestones(
        session, partnership: Partnership, week: DigestWeek, rc: RenderContext
    ) -> list[str]:  # type: ignore[no-untyped-def]
        seen.append(week)
        return [f"📅 Milestones due next week ({rc.lang})"]

    app.registry.digest_sections.append(milestones)
    setup_launch(console)
    out = say(console, "/digest")
    assert "📅 Milestones due next week (en)" in out
    assert "Weekly digest — week 10" in out  # the week so far: what next Monday's will say
    assert "Preview. Scheduled: Mondays at 09:00 (Europe/Paris)." in out
    assert seen[0].week == 10
    out = say(console, "/digest last")
    assert "Weekly digest — week 9" in out and "The last scheduled digest" in out
    assert seen[1].week == 9


def test_digest_preview_in_french(app: App, tmp_path: Path) -> None:
    console = console_for(app, tmp_path, locale="fr")
    setup_launch(console)
    out = say(console, "/accord lang fr", "/kpi log leads 4", "/digest")
    assert "Bilan de la semaine 10" in out
    assert "leads\u00a0: 4 cette semaine" in out  # logged now: the week so far shows it (issue 13)
    out = say(console, "/digest dernier")
    assert "Bilan de la semaine 9" in out and "leads\u00a0: 0 cette semaine" in out
    assert "Aucune décision notée cette semaine." in out


def test_two_dispatchers_send_once(
    console: ConsoleAdapter, app: App, clock: FixedClock, request: pytest.FixtureRequest
) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("several dispatchers need PostgreSQL (SQLite is one process)")
    for n in range(5):
        say(
            console_for(app, request.getfixturevalue("tmp_path"), channel=f"c{n}"),
            f'/kpi objective "Objective {n}"',
        )
    clock.set(datetime(2026, 3, 9, 8, 5, tzinfo=UTC))
    notifier = RecordingNotifier()
    dispatchers = [_dispatcher(app, notifier, f"d{i}") for i in range(2)]
    barrier = threading.Barrier(2)

    def run(d: Dispatcher) -> None:
        barrier.wait()
        d.run_once()

    threads = [threading.Thread(target=run, args=(d,)) for d in dispatchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Monday 2 March's occurrence predates the schedules: only 9 March is owed.
    assert sorted(p[1] for p in notifier.posts) == [f"c{n}" for n in range(5)]
    assert all(r.status == SENT for r in _digest_rows(app) if r.due_at <= clock.now())


def test_same_channel_id_in_two_teams_gets_two_digests(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    a, b = (console_for(app, tmp_path, team=team) for team in ("team-a", "team-b"))
    setup_launch(a)
    setup_launch(b)
    say(b, "/kpi log leads 7")
    clock.set(datetime(2026, 3, 9, 8, 1, tzinfo=UTC))
    notifier = RecordingNotifier()
    assert _dispatcher(app, notifier).run_once().sent == 2
    texts = {team: reply.plain_text() for team, _, reply, _ in notifier.posts}
    assert "leads: 0 this week" in texts["team-a"]  # team-b's figure stays in team-b
    assert "leads: 7 this week" in texts["team-b"]
