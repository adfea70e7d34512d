"""A pass that died half-way leaves claims behind: the next pass (or the stop) hands them back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.app import App
from bot.kernel.registry import RenderContext
from bot.kernel.types import Reply
from storage.models import Notification
from storage.models.notifications import CLAIMED, PENDING, SENT
from tests.planning.helpers import Recorder, dispatcher

DUE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _render(session: Session, rows: list[Notification], ctx: RenderContext) -> Reply:
    return Reply(items=[str(r.payload["n"]) for r in rows])


def _seed(app: App, count: int) -> None:
    with app.session_factory() as s:
        s.add_all(
            Notification(
                platform="console",
                team_id="t",
                channel_id=f"c{i}",
                kind="test.orphan",
                idempotency_key=f"k{i}",
                payload={"n": i},
                due_at=DUE - timedelta(minutes=1),
                created_at=DUE,
            )
            for i in range(count)
        )
        s.commit()


def _statuses(app: App) -> list[str]:
    with Session(app.engine) as session:
        return sorted(n.status for n in session.exec(select(Notification)))


def test_claims_left_by_a_failed_pass_come_back_at_the_next_pass(app: App) -> None:
    app.registry.add_renderer("test.orphan", _render)
    _seed(app, 3)
    recorder = Recorder()
    worker = dispatcher(app, recorder, "w1")
    # What a pass that lost the database right after its claim leaves behind.
    assert len(worker.claim()) == 3
    assert _statuses(app) == [CLAIMED] * 3
    # Well within the lease, the next pass sends them instead of waiting for it.
    result = worker.run_once()
    assert result.sent == 3 and _statuses(app) == [SENT] * 3
    assert sorted(r.items[0] for _, r, _ in recorder.posts) == ["0", "1", "2"]


def test_a_stopped_worker_hands_back_what_it_still_holds(app: App) -> None:
    app.registry.add_renderer("test.orphan", _render)
    _seed(app, 2)
    worker = dispatcher(app, Recorder(), "w1")
    worker.claim()
    worker.stop()
    assert worker.wait_idle(0)
    assert worker.release_orphans() == 2
    assert _statuses(app) == [PENDING] * 2
    # Another worker takes them at once, not after the lease.
    other = Recorder()
    assert dispatcher(app, other, "w2").run_once().sent == 2


def test_another_workers_claims_are_not_orphans(app: App) -> None:
    app.registry.add_renderer("test.orphan", _render)
    _seed(app, 2)
    holder = dispatcher(app, Recorder(), "w1")
    holder.claim()
    assert dispatcher(app, Recorder(), "w2").release_orphans() == 0
    assert _statuses(app) == [CLAIMED] * 2
