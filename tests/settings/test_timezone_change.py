"""`/accord tz` moves what was planned in local time: reminders and the digest."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from adapters.console import ConsoleAdapter
from bot.app import App
from storage.models import Notification
from storage.models.notifications import PENDING
from tests.conftest import say


def pending(app: App, kind_prefix: str) -> list[datetime]:
    with app.session_factory() as s:
        rows = s.exec(
            select(Notification)
            .where(Notification.status == PENDING, col(Notification.kind).startswith(kind_prefix))
            .order_by(col(Notification.due_at))
        ).all()
        return [r.due_at for r in rows]


def test_reminders_follow_the_new_zone(app: App, console: ConsoleAdapter) -> None:
    say(console, "/accord tz Europe/Paris", '/plan add "Landing page" 2026-03-20')
    before = pending(app, "plan")
    assert datetime(2026, 3, 20, 8, 0, tzinfo=UTC) in before  # 09:00 in Paris (UTC+1)
    say(console, "/accord tz America/New_York")
    after = pending(app, "plan")
    assert datetime(2026, 3, 20, 13, 0, tzinfo=UTC) in after  # 09:00 in New York (UTC-4, DST)
    assert datetime(2026, 3, 20, 8, 0, tzinfo=UTC) not in after
    assert len(after) == len(before)


def test_pending_digest_is_replanned_in_the_new_zone(app: App, console: ConsoleAdapter) -> None:
    say(console, "/accord tz Europe/Paris", '/kpi objective "Co-launch"')
    app.core.registry.before_dispatch[0]  # the hooks exist
    from bot.runner import make_dispatcher

    dispatcher = make_dispatcher(app, {"console": console})
    dispatcher.prepare()
    assert pending(app, "kpi.digest") == [datetime(2026, 3, 9, 8, 0, tzinfo=UTC)]
    say(console, "/accord tz Asia/Tokyo")
    assert pending(app, "kpi.digest") == []
    dispatcher.prepare()
    assert pending(app, "kpi.digest") == [datetime(2026, 3, 9, 0, 0, tzinfo=UTC)]
