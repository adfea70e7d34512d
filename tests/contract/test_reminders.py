"""Reminders through the ledger and the dispatcher, with a fixed clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.delivery.dispatcher import Dispatcher
from bot.kernel.clock import FixedClock
from bot.kernel.types import Reply
from storage.models import Notification
from tests.conftest import say
from tests.contract.helpers import confirmed, filled


@dataclass
class Recorder:
    """A Notifier that keeps what it was asked to post."""

    platform: str = "console"
    posts: list[tuple[str, Reply, str]] = field(default_factory=list)

    def post(self, team_id: str, channel_id: str, reply: Reply, idempotency_key: str) -> str:
        self.posts.append((channel_id, reply, idempotency_key))
        return f"ref-{len(self.posts)}"

    def texts(self) -> list[str]:
        return [reply.plain_text() for _, reply, _ in self.posts]


def dispatcher(app: App, clock: FixedClock, recorder: Recorder) -> Dispatcher:
    return Dispatcher(app.session_factory, app.registry, clock, {"console": recorder})


def rows(app: App, kind: str) -> list[Notification]:
    with Session(app.engine) as session:
        return list(
            session.exec(
                select(Notification).where(Notification.kind == kind).order_by(col(Notification.id))
            ).all()
        )


def test_unconfirmed_companies_are_pinged_until_they_confirm(
    console: ConsoleAdapter, app: App, clock: FixedClock
) -> None:
    recorder = Recorder()
    run = dispatcher(app, clock, recorder)
    filled(console)
    say(console, "/contract recap", "@bob: /contract confirm")
    recap_at = clock.now()

    clock.advance(timedelta(days=1, hours=23))
    run.run_once()
    assert recorder.posts == []

    clock.set(recap_at + timedelta(days=2))
    run.run_once()
    assert len(recorder.posts) == 1
    channel, reply, key = recorder.posts[0]
    assert channel == "launch"
    assert key.startswith("contract.confirm:contract:1:confirm:1:0")
    text = reply.plain_text()
    assert "the agreement is waiting for your confirmation" in text
    assert "Acme: @alice (Acme)" in text
    assert "Beta" not in text.replace("(Beta)", "")  # Beta confirmed: not pinged
    assert [b.label for b in reply.buttons] == ["We understood the same thing (Acme)"]

    # Nothing more until three days later, then again.
    clock.advance(timedelta(days=2, hours=23))
    run.run_once()
    assert len(recorder.posts) == 1
    clock.set(recap_at + timedelta(days=5))
    run.run_once()
    assert len(recorder.posts) == 2
    assert recorder.posts[1][2].endswith("confirm:1:1")
    # A second pass at the same time sends nothing twice.
    run.run_once()
    assert len(recorder.posts) == 2

    say(console, "@alice: /contract confirm")
    clock.set(recap_at + timedelta(days=30))
    run.run_once()
    assert len(recorder.posts) == 2
    assert {r.status for r in rows(app, "contract.confirm")} <= {"sent", "cancelled"}
    assert "cancelled" in {r.status for r in rows(app, "contract.confirm")}


def test_ping_rendered_at_send_time_is_dropped_when_all_confirmed(
    console: ConsoleAdapter, app: App, clock: FixedClock
) -> None:
    recorder = Recorder()
    filled(console)
    say(console, "/contract recap")
    # Confirmations recorded behind the ledger's back: the renderer still checks.
    with Session(app.engine) as session:
        pending = session.exec(select(Notification)).one()
        assert pending.status == "pending"
    say(console, "@alice: /contract confirm", "@bob: /contract confirm")
    with Session(app.engine) as session:
        row = session.exec(select(Notification)).one()
        row.status = "pending"  # as if the cancel had been missed
        session.add(row)
        session.commit()
    clock.advance(timedelta(days=2))
    result = dispatcher(app, clock, recorder).run_once()
    assert recorder.posts == []
    assert result.sent == 1  # marked done without a message


def test_new_recap_restarts_the_pings(console: ConsoleAdapter, app: App, clock: FixedClock) -> None:
    filled(console)
    say(console, "/contract recap")
    clock.advance(timedelta(days=1))
    say(console, "/contract recap")
    statuses = [(r.idempotency_key, r.status) for r in rows(app, "contract.confirm")]
    assert statuses == [
        ("contract:1:confirm:1:0", "cancelled"),
        ("contract:1:confirm:2:0", "pending"),
    ]
    assert rows(app, "contract.confirm")[1].due_at == clock.now() + timedelta(days=2)


def test_renewal_reminders_30_and_7_days_before(
    console: ConsoleAdapter, app: App, clock: FixedClock
) -> None:
    recorder = Recorder()
    run = dispatcher(app, clock, recorder)
    confirmed(console)
    say(console, "/contract sign https://docs.example.com/signed.pdf")
    out = say(console, "/contract date 2026-06-30")
    assert "Reminders on 2026-05-31, 2026-06-23." in out
    keys = [r.idempotency_key for r in rows(app, "contract.renewal")]
    assert keys == ["contract:1:renewal:2026-06-30:30", "contract:1:renewal:2026-06-30:7"]
    # 09:00 in the channel's zone (Europe/Paris, summer time).
    assert rows(app, "contract.renewal")[0].due_at == datetime(2026, 5, 31, 7, 0, tzinfo=UTC)

    clock.set(datetime(2026, 5, 31, 7, 0, tzinfo=UTC))
    run.run_once()
    assert len(recorder.posts) == 1
    text = recorder.texts()[0]
    assert "renewal or end date is in 30 days (2026-06-30)" in text
    assert "@alice (Acme)" in text and "@bob (Beta)" in text

    # Moving the date cancels the old D-7 and plans the new ones.
    say(console, "/contract date 2026-09-30")
    clock.set(datetime(2026, 6, 23, 7, 0, tzinfo=UTC))
    run.run_once()
    assert len(recorder.posts) == 1
    by_key = {r.idempotency_key: r.status for r in rows(app, "contract.renewal")}
    assert by_key["contract:1:renewal:2026-06-30:7"] == "cancelled"
    assert by_key["contract:1:renewal:2026-09-30:30"] == "pending"

    # An ended agreement is not pinged.
    assert "Agreement ended" in say(console, "/contract end because the campaign is over")
    clock.set(datetime(2026, 9, 30, 7, 0, tzinfo=UTC))
    run.run_once()
    assert len(recorder.posts) == 1
    assert "pending" not in {r.status for r in rows(app, "contract.renewal")}


def test_renewal_date_validation(console: ConsoleAdapter, app: App) -> None:
    assert "is not a date" in say(console, "/contract date soon")
    assert "is not in the future" in say(console, "/contract date 2026-03-02")
    out = say(console, "/contract date 15/03/2026")
    assert "2026-03-15" in out
    assert "Reminders on 2026-03-08." in out  # D-30 is already past
    assert "no renewal or end date" in say(console, "/contract date off")
    assert {r.status for r in rows(app, "contract.renewal")} == {"cancelled"}


def test_reminders_in_french(console: ConsoleAdapter, app: App, clock: FixedClock) -> None:
    recorder = Recorder()
    say(console, "/accord lang fr")
    filled(console)
    say(console, "/contract recap")
    clock.advance(timedelta(days=2))
    dispatcher(app, clock, recorder).run_once()
    text = recorder.texts()[0]
    assert "Rappel\u00a0: l’accord attend votre confirmation" in text
    labels = [b.label for b in recorder.posts[0][1].buttons]
    assert "Nous avons compris la même chose (Acme)" in labels
