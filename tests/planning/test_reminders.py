"""Reminders end to end: console commands, a fixed clock, the dispatcher."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.delivery.dispatcher import LEASE
from bot.kernel.clock import FixedClock
from bot.kernel.i18n import translator
from bot.kernel.types import Action, Tenant, User
from bot.planning.files import ImportFailed, import_plan
from storage.models import Milestone, Notification, Partnership
from tests.conftest import say
from tests.planning.helpers import Recorder, dispatcher


def pings(app: App) -> list[Notification]:
    with app.session_factory() as s:
        return list(s.exec(select(Notification).order_by(Notification.due_at)).all())


def test_default_policy_pings_and_done_button(
    app: App, console: ConsoleAdapter, clock: FixedClock
) -> None:
    # START is Monday 2026-03-02 09:00 UTC; the channel is in Europe/Paris (settings default).
    say(console, "/plan launch 2026-04-01", '/plan add "Brief the agency" J-14 @alice @bob')
    rows = pings(app)
    assert [r.payload["occurrence"] for r in rows] == [
        "d-7@2026-03-18",
        "d-2@2026-03-18",
        "day@2026-03-18",
    ]
    assert rows[0].due_at == datetime(2026, 3, 11, 8, tzinfo=UTC)  # 09:00 Paris (CET)
    rec = Recorder()
    d = dispatcher(app, rec)
    assert d.run_once().sent == 0
    clock.set(datetime(2026, 3, 11, 8, 0, tzinfo=UTC))
    result = d.run_once()
    assert (result.sent, result.late) == (1, 0)
    text = rec.posts[0][1].plain_text()
    assert "#1 Brief the agency" in text and "in 7 days" in text and "@alice" in text
    assert [b.action_id for b in rec.posts[0][1].buttons] == [
        "plan.done",
        "plan.snooze",
        "plan.snooze",
    ]
    assert d.run_once().sent == 0  # never twice
    # The Done button closes the milestone and cancels its pending pings atomically.
    out = app.core.handle_action(
        Action(
            "console",
            "acme-beta",
            "launch",
            User("bob", "bob"),
            "plan.done",
            "1",
            idempotency_key="b1",
        )
    )
    assert "done" in out.replies[0].text
    assert {r.status for r in pings(app) if r.payload["occurrence"] != "d-7@2026-03-18"} == {
        "cancelled"
    }
    clock.set(datetime(2026, 3, 25, 8, 0, tzinfo=UTC))
    assert d.run_once().sent == 0


def test_overdue_daily_and_grouping(app: App, console: ConsoleAdapter, clock: FixedClock) -> None:
    say(console, "/plan add A 2026-03-04 @alice", "/plan add B 2026-03-04 @bob")
    rec = Recorder()
    d = dispatcher(app, rec)
    clock.set(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))  # the day, 09:00 Paris
    result = d.run_once()
    # Two pings in the same channel at the same moment: one message.
    assert (result.sent, result.messages) == (2, 1)
    assert len(rec.posts[0][1].buttons) == 6
    for day in (5, 6):
        clock.set(datetime(2026, 3, day, 8, 0, tzinfo=UTC))
        assert d.run_once().sent == 2
    say(console, "/plan done 1")
    clock.set(datetime(2026, 3, 7, 8, 0, tzinfo=UTC))
    assert d.run_once().sent == 1
    assert "late" in rec.posts[-1][1].plain_text() and "#2 B" in rec.posts[-1][1].plain_text()


def test_downtime_sends_late_and_only_latest(
    app: App, console: ConsoleAdapter, clock: FixedClock
) -> None:
    say(console, "/plan add Deck 2026-03-20 @alice")
    rec = Recorder()
    d = dispatcher(app, rec)
    # Down from before D-7 until after D-2: D-7 and D-2 fell due while down.
    clock.set(datetime(2026, 3, 18, 12, 0, tzinfo=UTC))
    result = d.run_once()
    assert (result.sent, result.late, result.superseded) == (1, 1, 1)
    assert "Sent late" in rec.posts[0][1].plain_text()
    by_occ = {r.payload["occurrence"]: r for r in pings(app)}
    assert by_occ["d-2@2026-03-20"].late and by_occ["d-2@2026-03-20"].status == "sent"
    assert by_occ["d-7@2026-03-20"].status == "cancelled"
    assert "superseded" in (by_occ["d-7@2026-03-20"].last_error or "")


@pytest.mark.parametrize(
    ("zone", "due", "expected"),
    [
        # Paris springs forward on 29 March, falls back on 25 October.
        (
            "Europe/Paris",
            "2026-03-31",
            ["2026-03-24T08:00", "2026-03-29T07:00", "2026-03-31T07:00"],
        ),
        (
            "Europe/Paris",
            "2026-10-27",
            ["2026-10-20T07:00", "2026-10-25T08:00", "2026-10-27T08:00"],
        ),
        # New York springs forward on 8 March, falls back on 1 November.
        (
            "America/New_York",
            "2026-03-10",
            ["2026-03-03T14:00", "2026-03-08T13:00", "2026-03-10T13:00"],
        ),
        (
            "America/New_York",
            "2026-11-03",
            ["2026-10-27T13:00", "2026-11-01T14:00", "2026-11-03T14:00"],
        ),
    ],
)
def test_dst_neither_skips_nor_doubles(
    app: App, console: ConsoleAdapter, clock: FixedClock, zone: str, due: str, expected: list[str]
) -> None:
    say(console, f"/accord tz {zone}", f"/plan add Print {due} @alice")
    rows = pings(app)
    assert [r.due_at.strftime("%Y-%m-%dT%H:%M") for r in rows] == expected
    rec = Recorder()
    d = dispatcher(app, rec)
    # Walk the clock hour by hour across the whole window: each ping exactly once.
    clock.set(rows[0].due_at - timedelta(hours=2))
    while clock.now() < rows[-1].due_at + timedelta(hours=2):
        d.run_once()
        clock.advance(timedelta(hours=1))
    assert len(rec.posts) == 3 and all("09:00" not in p[2] for p in rec.posts)


def test_killed_dispatcher_lease_expires(
    app: App, console: ConsoleAdapter, clock: FixedClock
) -> None:
    say(console, "/plan add Deck 2026-03-04 @alice")
    clock.set(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
    dead, alive = Recorder(), Recorder()
    d1, d2 = dispatcher(app, dead, "dead"), dispatcher(app, alive, "alive")
    ids = d1.claim()  # ... and the process dies here
    assert ids and d2.run_once().sent == 0  # held under lease
    clock.advance(LEASE + timedelta(seconds=1))
    assert d2.run_once().sent == 1
    assert d1.deliver(ids).sent == 0 and dead.posts == []  # the zombie cannot post them
    assert len(alive.posts) == 1


def test_failures_retry_with_backoff(app: App, console: ConsoleAdapter, clock: FixedClock) -> None:
    say(console, "/plan add Deck 2026-03-04 @alice")
    clock.set(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
    rec = Recorder(fail=True)
    d = dispatcher(app, rec)
    assert d.run_once().failed == 1
    rec.fail = False
    assert d.run_once().sent == 0  # not before its retry time
    clock.advance(timedelta(seconds=31))
    assert d.run_once().sent == 1 and len(rec.posts) == 1


def test_move_reschedules_and_logs_decision(
    app: App, console: ConsoleAdapter, clock: FixedClock
) -> None:
    out = say(
        console,
        "/plan launch 2026-04-01",
        "/plan add Deck J-14 @alice",
        "/plan move 1 2026-03-25",
        "/plan move D-day 2026-04-08 because venue moved",
        "/decisions",
    )
    assert "needs a reason" in out
    assert "D-day moved from 2026-04-01 to 2026-04-08" in out
    live = [r for r in pings(app) if r.status == "pending"]
    assert {r.payload["due"] for r in live} == {"2026-03-25"}
    assert len([r for r in pings(app) if r.status == "cancelled"]) == 3


def test_transcript_english(console: ConsoleAdapter) -> None:
    out = say(
        console,
        "/plan launch 2026-04-01",
        '/plan add "Brief the agency" D-14 @alice',
        "/plan add Visuals 2026-03-01 @bob",
        "/plan",
        "/plan reminders",
        "/plan show 1",
        "/plan add Bad 03/04",
        "/accord reminders 2,0 at 08:30 overdue off",
    )
    assert "#2 · 2026-03-01 (D-31) · Visuals · @bob · ⚠️ overdue by 1 d" in out
    assert "🚀 D-day · 2026-04-01 · in 30 days" in out
    assert "2026-03-11 09:00 · #1 Brief the agency · @alice" in out
    assert "could be read two ways" in out
    assert "Pings: 2 days before, on the day, at 08:30." in out


def test_transcript_french(console: ConsoleAdapter) -> None:
    out = say(
        console,
        "/accord lang fr",
        "/plan lancement 2026-04-01",
        '/plan ajouter "Brief agence" J-14 @alice',
        "/plan ajouter Kit vendredi prochain @bob",
        "/plan",
        "/plan déplacer 1 J-10",
        "/plan déplacer 1 J-10 parce que le client l’a demandé",
        "/plan fait 2",
        "/accord rappels",
    )
    assert "Jalon n° 1 ajouté\u00a0: Brief agence, échéance 18/03/2026 (J-14)" in out
    assert "06/03/2026 (J-26) · Kit" in out
    assert "demande une raison" in out
    assert (
        "Jalon n° 1 «\u202fBrief agence\u202f» déplacé du 18/03/2026 (J-14) au 22/03/2026 (J-10)"
        in out
    )
    assert "Le jalon n° 2 (Kit) est fait" in out
    assert "7 jours avant, 2 jours avant, le jour même, à 09:00" in out


def test_tenancy(app: App, console: ConsoleAdapter, clock: FixedClock) -> None:
    say(console, "/plan add Secret 2026-03-04 @alice")
    other = ConsoleAdapter(
        app.core,
        team_id="other-team",
        channel_id="launch",
        user="eve",
        out=io.StringIO(),
        run_id="other",
    )
    out = say(other, "/plan", "/plan done 1", "/plan show 1")
    assert "Secret" not in out and "no milestone #1" in out
    pressed = app.core.handle_action(
        Action(
            "console", "other-team", "launch", User("eve"), "plan.done", "1", idempotency_key="e1"
        )
    )
    assert "no milestone #1" in pressed.replies[0].text
    with app.session_factory() as s:
        assert s.exec(select(Milestone)).one().status == "todo"


def test_csv_import_all_or_nothing_and_exports(app: App, console: ConsoleAdapter) -> None:
    say(console, "/plan launch 2026-04-01")
    t = translator("en")
    bad = "title,due,owners\nBrief,J-14,alice\nDeck,blah,bob\nKit,03/04,\n"
    good = "title,due,time,owners,notes\nBrief,J-14,,alice;bob,\nDeck,2026-03-20,14:30,@bob,big\n"
    with app.session_factory() as s:
        p = s.exec(select(Partnership)).one()
        tenant = Tenant("console", "acme-beta")
        from zoneinfo import ZoneInfo

        with pytest.raises(ImportFailed) as failed:
            import_plan(
                s, tenant, p, bad, now=app.clock.now(), tz=ZoneInfo("Europe/Paris"), t=t, author="x"
            )
        assert [e.split(":")[0] for e in failed.value.errors] == ["line 3", "line 4"]
        s.rollback()
        created = import_plan(
            s, tenant, p, good, now=app.clock.now(), tz=ZoneInfo("Europe/Paris"), t=t, author="x"
        )
        s.commit()
        assert [m.offset_days for m in created.milestones] == [-14, None]
    out = say(console, "/plan export csv", "/plan export ics")
    assert "Milestones exported as csv: 2." in out
    files = console.files_dir
    rows = list(csv.DictReader(io.StringIO((files / "plan.csv").read_text())))
    assert (
        rows[0]["due"] == "2026-03-18"
        and rows[0]["relative"] == "D-14"
        and rows[0]["owners"] == "alice bob"
    )
    from icalendar import Calendar

    cal = Calendar.from_ical((files / "plan.ics").read_bytes())
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 3 and str(events[2]["summary"]) == "#2 Deck"
    assert events[2].decoded("dtstart") == datetime(2026, 3, 20, 13, 30, tzinfo=UTC)
