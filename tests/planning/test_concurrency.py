"""Several dispatchers on one PostgreSQL database: every ping sent exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.app import App
from bot.kernel.registry import RenderContext
from bot.kernel.types import Reply
from storage.models import Notification
from tests.planning.helpers import Recorder, dispatcher

DUE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _seed(app: App, count: int) -> None:
    with app.session_factory() as s:
        s.add_all(
            Notification(
                platform="console",
                team_id="t",
                channel_id=f"c{i % 50}",
                kind="test.ping",
                idempotency_key=f"k{i}",
                group_key=f"g{i % 50}",
                payload={"n": i},
                due_at=DUE - timedelta(seconds=i % 7),
                created_at=DUE,
            )
            for i in range(count)
        )
        s.commit()


def _render(session: Session, rows: list[Notification], ctx: RenderContext) -> Reply:
    return Reply(items=[str(r.payload["n"]) for r in rows])


@pytest.mark.parametrize("workers", [2, 3])
def test_many_dispatchers_send_each_once(app: App, engine: Engine, workers: int) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("several dispatchers need PostgreSQL (SQLite is one process)")
    app.registry.add_renderer("test.ping", _render)
    _seed(app, 1000)
    recorders = [Recorder() for _ in range(workers)]
    dispatchers = [dispatcher(app, r, f"w{i}", batch_size=50) for i, r in enumerate(recorders)]
    start = threading.Barrier(workers)

    def work(i: int) -> None:
        start.wait()
        dispatchers[i].run_once()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    sent = Counter(n for r in recorders for _, reply, _ in r.posts for n in reply.items)
    assert len(sent) == 1000 and set(sent.values()) == {1}
    assert sum(1 for r in recorders if r.posts) >= 2  # the work really was shared
    with app.session_factory() as s:
        assert s.exec(select(func.count()).where(Notification.status == "sent")).one() == 1000
