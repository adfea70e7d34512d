"""Benchmark: plan and hand off deadline pings on PostgreSQL.

10,000 milestones across 500 shared channels (three time zones) under the
default policy (D-7, D-2, the day at 09:00 local, then daily overdue; owners
deliver on time, so no overdue ping is due). Prints
the time to plan every ping, then the claim-and-hand-off rate of one and of
three concurrent dispatchers (separate processes, as separate instances
would be) walking a fixed clock day by day across the
plan (the platform call is an in-process recording notifier), with the
duplicate and lost counts (both must be 0).

Uses PostgreSQL at BENCH_DATABASE_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test) in a schema of its own,
dropped afterwards; skips cleanly when the server is not reachable.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text, update  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, func, select  # noqa: E402

from bot.app import build_registry  # noqa: E402
from bot.delivery.dispatcher import Dispatcher  # noqa: E402
from bot.kernel.clock import FixedClock  # noqa: E402
from bot.kernel.registry import RenderContext  # noqa: E402
from bot.kernel.types import Reply  # noqa: E402
from bot.planning import reminders  # noqa: E402
from storage import db  # noqa: E402
from storage.models import Channel, Milestone, Notification, Partnership, Team  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHANNELS = 500
MILESTONES = int(os.environ.get("BENCH_MILESTONES", "10000"))
ZONES = ("Europe/Paris", "America/New_York", "UTC")
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
FIRST_DUE = date(2026, 3, 16)
SPREAD_DAYS = 20


class RecordingNotifier:
    """The platform call, faked: remembers which rows each post carried."""

    platform = "console"

    def __init__(self, carried: dict[int, list[int]]) -> None:
        self.carried = carried
        self.sent: list[int] = []
        self.lock = threading.Lock()

    def post(self, team_id: str, channel_id: str, reply: Reply, idempotency_key: str) -> str:
        with self.lock:
            self.sent.extend(self.carried.pop(id(reply), []))
        return "m"


def connect() -> Engine | None:
    try:
        admin = db.make_engine(URL)
        with admin.connect() as conn:
            conn.execute(text("select 1"))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL not reachable ({type(exc).__name__}): skipping the benchmark")
        return None
    return admin


def seed(engine: Engine, now: datetime) -> list[tuple[Partnership, list[Milestone]]]:
    rnd = random.Random(5)
    factory = db.make_session_factory(engine)
    out: list[tuple[Partnership, list[Milestone]]] = []
    with factory() as s:
        s.add(Team(platform="console", team_id="bench", created_at=now))
        for c in range(CHANNELS):
            s.add(
                Channel(
                    platform="console",
                    team_id="bench",
                    channel_id=f"c{c}",
                    timezone=ZONES[c % len(ZONES)],
                    created_at=now,
                )
            )
        parts = [
            Partnership(platform="console", team_id="bench", channel_id=f"c{c}", created_at=now)
            for c in range(CHANNELS)
        ]
        s.add_all(parts)
        s.flush()
        per = MILESTONES // CHANNELS
        for p in parts:
            ms = [
                Milestone(
                    platform="console",
                    team_id="bench",
                    partnership_id=p.id,
                    number=n + 1,
                    title=f"Milestone {n + 1}",
                    owners=[f"u{n % 7}"],
                    due_date=FIRST_DUE + timedelta(days=rnd.randrange(SPREAD_DAYS)),
                    created_by="bench",
                    created_at=now,
                    updated_at=now,
                )
                for n in range(per)
            ]
            s.add_all(ms)
            out.append((p, ms))
        s.commit()
    return out


def steps() -> list[datetime]:
    """Daily wake-ups at 15:00 UTC: past 09:00 in Paris, New York and UTC, same local date."""
    end = datetime.combine(FIRST_DUE + timedelta(days=SPREAD_DAYS + 1), datetime.min.time(), UTC)
    day, out = START.replace(hour=15), []
    while day < end:
        out.append(day)
        day += timedelta(days=1)
    return out


def worker(url: str, index: int, start: Any, done: Any, results: Any) -> None:
    """One dispatcher process (a separate instance), walking the same clock."""
    engine = db.make_engine(url)
    carried: dict[int, list[int]] = {}
    registry = build_registry()
    original = registry.renderers[reminders.KIND]

    def recording(session: Session, rows: list[Notification], ctx: RenderContext) -> Reply | None:
        reply = original(session, rows, ctx)
        if reply is not None:
            carried[id(reply)] = [r.id for r in rows if r.id is not None]
        return reply

    registry.renderers[reminders.KIND] = recording
    notifier = RecordingNotifier(carried)
    clock = FixedClock(START)
    dispatcher = Dispatcher(
        db.make_session_factory(engine),
        registry,
        clock,
        {"console": notifier},
        batch_size=500,
        name=f"w{index}",
    )
    for day in steps():
        clock.set(day)
        start.wait()
        dispatcher.run_once()
        done.wait()
    results.put(notifier.sent)
    engine.dispose()


def run(url: str, engine: Engine, workers: int) -> tuple[float, list[int], int]:
    """Walk the clock day by day; return (seconds dispatching, rows posted, rows due)."""
    mp = multiprocessing.get_context("spawn")
    start, done, results = mp.Barrier(workers + 1), mp.Barrier(workers + 1), mp.Queue()
    procs = [mp.Process(target=worker, args=(url, i, start, done, results)) for i in range(workers)]
    for proc in procs:
        proc.start()
    factory = db.make_session_factory(engine)
    elapsed = 0.0
    for day in steps():
        with factory() as s:
            # Owners deliver on time: the milestones due before today are done.
            s.execute(
                update(Milestone)
                .where(Milestone.status == "todo", Milestone.due_date < day.date())
                .values(status="done")
            )
            s.commit()
        start.wait()
        t0 = time.perf_counter()
        done.wait()
        elapsed += time.perf_counter() - t0
    posted = [i for _ in procs for i in results.get()]
    for proc in procs:
        proc.join()
    with factory() as s:
        due = s.exec(
            select(func.count())
            .select_from(Notification)
            .where(Notification.due_at <= steps()[-1], Notification.status != "cancelled")
        ).one()
    return elapsed, posted, int(due)


def reset(engine: Engine) -> None:
    with db.make_session_factory(engine)() as s:
        s.execute(
            update(Notification).values(
                status="pending",
                claimed_by=None,
                lease_until=None,
                sent_at=None,
                late=False,
                attempts=0,
            )
        )
        s.execute(update(Milestone).values(status="todo"))
        s.commit()


def report(label: str, elapsed: float, posted: list[int], due: int) -> None:
    counts = Counter(posted)
    duplicates = sum(c - 1 for c in counts.values() if c > 1)
    lost = due - len(counts)
    rate = len(posted) / elapsed if elapsed else 0.0
    print(
        f"{label}: {len(posted)} pings handed off in {elapsed:.2f} s = {rate:,.0f} pings/s; "
        f"duplicates {duplicates}, lost {lost}"
    )
    if duplicates or lost:
        raise SystemExit(f"{label}: duplicates or lost pings")


def main() -> int:
    admin = connect()
    if admin is None:
        return 0
    schema = f"bench_dispatch_{uuid.uuid4().hex[:8]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in URL else "?"
    engine = db.make_engine(f"{URL}{sep}options=-csearch_path%3D{schema}")
    try:
        db.upgrade(engine)
        plans = seed(engine, START)
        factory = db.make_session_factory(engine)
        timings = []
        t0 = time.perf_counter()
        with factory() as s:
            for p, ms in plans:
                t1 = time.perf_counter()
                reminders.reschedule(s, p, ms, START, fresh=True)
                timings.append(time.perf_counter() - t1)
            s.commit()
        planned = time.perf_counter() - t0
        with factory() as s:
            rows = s.exec(select(func.count()).select_from(Notification)).one()
        print(
            f"planned {rows} pings for {MILESTONES} milestones in {CHANNELS} channels: "
            f"{planned:.2f} s ({rows / planned:,.0f} rows/s; per channel p50 "
            f"{statistics.median(timings) * 1000:.1f} ms, "
            f"p99 {sorted(timings)[int(len(timings) * 0.99)] * 1000:.1f} ms)"
        )
        url = f"{URL}{sep}options=-csearch_path%3D{schema}"
        report("1 dispatcher", *run(url, engine, 1))
        reset(engine)
        report("3 dispatchers (3 processes)", *run(url, engine, 3))
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
