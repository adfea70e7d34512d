"""Decisions per second through the core and storage, against the raw driver.

For each back-end: N `/decide` commands through `Core.handle` (idempotency row,
tenant bookkeeping, number allocation, the decision, the reply), then N inserts
of the same decision rows with the raw driver (sqlite3 / psycopg), one
transaction each, with the same durability settings (SQLite: WAL,
synchronous=FULL, as the bot uses). Prints decisions/s, p50/p99 latency and the ratio.
Target: p99 ≤ 10 ms on SQLite, ratio ≥ 0.3.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from bench._common import pg_schema, postgres_reachable, summary_ms  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.kernel.clock import SystemClock  # noqa: E402
from bot.kernel.config import Settings  # noqa: E402
from bot.kernel.types import Command, User  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
TEXT = "we launch on 3 March with <@U2> #launch #q1"
INSERT = (
    "INSERT INTO decision (platform, team_id, number, partnership_id, channel_id, "
    "posted_channel_id, text, search_text, author_id, participants, tags, link, "
    "supersedes_id, source, created_at) VALUES ({p})"
)


def through_core(url: str) -> list[float]:
    app = build_app(Settings(DATABASE_URL=url, _env_file=None), clock=SystemClock())  # type: ignore[call-arg]
    samples = []
    try:
        for i in range(N):
            command = Command(
                platform="slack",
                team_id="T1",
                channel_id="C1",
                user=User("U1", "Ann"),
                name="decide",
                text=f"{TEXT} {i}",
                idempotency_key=f"trigger-{i}",
            )
            start = time.perf_counter()
            outcome = app.core.handle(command)
            samples.append(time.perf_counter() - start)
            assert not outcome.replies[0].is_error
    finally:
        app.close()
    return samples


PARTNERSHIP = (
    "INSERT INTO partnership (platform, team_id, channel_id, created_at) "
    "VALUES ('slack', {p}, 'C1', {p}) RETURNING id"
)


def row(i: int, partnership_id: int) -> tuple[object, ...]:
    """A decision row of its own partnership (numbers are unique per partnership)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return (
        "slack",
        "T2",
        i + 1,
        partnership_id,
        "C1",
        "C1",
        f"{TEXT} {i}",
        f"{TEXT} {i}",
        "U1",
        '["U2"]',
        '["launch", "q1"]',
        None,
        None,
        "decide",
        now,
    )


def raw_sqlite(path: Path) -> list[float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    sql = INSERT.format(p=", ".join("?" * 15))
    now = datetime.now(UTC).replace(tzinfo=None)
    pid = conn.execute(PARTNERSHIP.format(p="?"), ("T2", now)).fetchone()[0]
    samples = []
    for i in range(N):
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(sql, row(i, pid))
        conn.execute("COMMIT")
        samples.append(time.perf_counter() - start)
    conn.close()
    return samples


RECEIPT = (
    "INSERT INTO processed_request (platform, team_id, idempotency_key, name, replies_json, "
    "created_at) VALUES ({p})"
)
COUNTER = (
    "INSERT INTO counter (platform, team_id, scope, value) VALUES ({p}, 1) "
    "ON CONFLICT (platform, team_id, scope) DO UPDATE SET value = counter.value + 1 "
    "RETURNING value"
)


def raw_sqlite_same_writes(path: Path) -> list[float]:
    """Every row the core writes for a decision: receipt, counter, decision."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=FULL")
    now = datetime.now(UTC).replace(tzinfo=None)
    pid = conn.execute(PARTNERSHIP.format(p="?"), ("T3", now)).fetchone()[0]
    samples = []
    for i in range(N):
        values = row(i, pid)
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            RECEIPT.format(p="?, ?, ?, ?, ?, ?"),
            ("slack", "T3", f"k{i}", "decide", "[]", values[-1]),
        )
        scope = f"decision:{pid}"  # the core's sequence: one per partnership
        number = conn.execute(COUNTER.format(p="?, ?, ?"), ("slack", "T3", scope)).fetchone()[0]
        conn.execute(INSERT.format(p=", ".join("?" * 15)), ("slack", "T3", number, *values[3:]))
        conn.execute("COMMIT")
        samples.append(time.perf_counter() - start)
    conn.close()
    return samples


def raw_postgres(url: str) -> list[float]:
    dsn, _, _ = url.replace("postgresql+psycopg://", "postgresql://").partition("?")
    schema = url.rsplit("%3D", 1)[1]
    sql = INSERT.format(p=", ".join(["%s"] * 15))
    samples = []
    with psycopg.connect(dsn, options=f"-csearch_path={schema}") as conn:
        now = datetime.now(UTC).replace(tzinfo=None)
        found = conn.execute(PARTNERSHIP.format(p="%s"), ("T2", now)).fetchone()
        assert found is not None
        pid = int(found[0])
        conn.commit()
        for i in range(N):
            start = time.perf_counter()
            with conn.transaction():
                conn.execute(sql, row(i, pid))
            samples.append(time.perf_counter() - start)
    return samples


def report(
    backend: str, core: list[float], raw: list[float], same: list[float] | None = None
) -> None:
    core_rate, raw_rate = N / sum(core), N / sum(raw)
    print(f"[{backend}] core+storage:          {core_rate:8.0f} decisions/s  {summary_ms(core)}")
    print(f"[{backend}] raw driver, 1 insert:  {raw_rate:8.0f} inserts/s    {summary_ms(raw)}")
    print(f"[{backend}] ratio core/raw insert: {core_rate / raw_rate:.3f}")
    if same is not None:
        same_rate = N / sum(same)
        print(
            f"[{backend}] raw driver, same rows: {same_rate:8.0f} decisions/s  {summary_ms(same)}"
        )
        print(f"[{backend}] ratio core/raw same rows: {core_rate / same_rate:.3f}")


def main() -> None:
    print(f"bench/decide.py: {N} decisions per back-end")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        core = through_core(f"sqlite:///{path}")
        report("sqlite", core, raw_sqlite(path), raw_sqlite_same_writes(path))
    if postgres_reachable():
        with pg_schema() as url:
            core = through_core(url)
            report("postgresql", core, raw_postgres(url))
    else:
        print("[postgresql] skipped: no server reachable")


if __name__ == "__main__":
    main()
