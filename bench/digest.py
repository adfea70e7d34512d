"""Benchmark of the weekly digest: 1,000 channels, 2,000 objectives, 1,000,000 points.

Prints the time to compute every digest (figures and text, aggregates in SQL),
the time to render one chart and the process's peak memory, on SQLite and,
when reachable, on PostgreSQL (a dedicated schema, dropped afterwards).
Targets: all digests <= 10 s, one chart <= 200 ms, peak memory <= 500 MB.
Run: `.venv/bin/python bench/digest.py` (or `make bench`).
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import select  # noqa: E402

from bot.app import build_registry  # noqa: E402
from bot.kernel.i18n import Translator  # noqa: E402
from bot.kernel.registry import RenderContext  # noqa: E402
from bot.kpi import digest  # noqa: E402
from bot.kpi.stats import reviewed_week  # noqa: E402
from storage import db  # noqa: E402
from storage.models import Partnership  # noqa: E402

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHANNELS = 1000
OBJECTIVES_PER_CHANNEL = 2
METRICS_PER_OBJECTIVE = 2
POINTS = 1_000_000
WEEKS = 26
NOW = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Paris
PARTNERS = ("Acme", "Beta", "Gamma", None)
SOURCES = ("newsletter", "shop", "social", None)


def _ts(value: datetime, dialect: str) -> str:
    # SQLite stores SQLAlchemy DateTime as this exact text; comparisons are textual.
    naive = value.astimezone(UTC).replace(tzinfo=None)
    return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else naive.isoformat()


def generate(engine: Engine) -> None:
    dialect = engine.dialect.name
    rng = random.Random(7)
    now = _ts(NOW - timedelta(days=WEEKS * 7), dialect)
    channels, partnerships, objectives, metrics, schedules = [], [], [], [], []
    metric_id = objective_id = 0
    for c in range(1, CHANNELS + 1):
        team = f"team{c % 50}"
        channel = f"chan{c}"
        channels.append(
            (c, "console", team, channel, "Europe/Paris" if c % 2 else "America/New_York", now)
        )
        partnerships.append((c, "console", team, channel, now))
        schedules.append((c, "console", team, channel, c, 0, 9, 0, False, "UTC", now))
        for _ in range(OBJECTIVES_PER_CHANNEL):
            objective_id += 1
            objectives.append(
                (
                    objective_id,
                    "console",
                    team,
                    c,
                    f"Objective {objective_id}",
                    f"objective {objective_id}",
                    "bench",
                    now,
                )
            )
            for k in range(METRICS_PER_OBJECTIVE):
                metric_id += 1
                name = ("leads", "revenue")[k]
                metrics.append(
                    (
                        metric_id,
                        "console",
                        team,
                        c,
                        objective_id,
                        f"{name}{metric_id}",
                        f"{name}{metric_id}",
                        "",
                        1000.0,
                        None,
                        False,
                        None,
                        "bench",
                        now,
                    )
                )
    start = NOW - timedelta(days=WEEKS * 7)
    span = WEEKS * 7 * 86400
    per_metric = POINTS // len(metrics)

    def points():  # type: ignore[no-untyped-def]
        # Streamed, not materialised: 1,000,000 tuples would cost ~400 MB.
        for m in metrics:
            offsets = sorted(rng.randrange(span) for _ in range(per_metric))
            for offset in offsets:
                yield (
                    "console",
                    m[2],
                    m[3],
                    m[0],
                    float(rng.randrange(1, 20)),
                    _ts(start + timedelta(seconds=offset), dialect),
                    rng.choice(PARTNERS),
                    rng.choice(SOURCES),
                    "bench",
                    None,
                    None,
                    now,
                )

    sqls = {
        "channel": ("id, platform, team_id, channel_id, timezone, created_at", channels),
        "partnership": ("id, platform, team_id, channel_id, created_at", partnerships),
        "kpi_digest_schedule": (
            "id, platform, team_id, channel_id, partnership_id, weekday, hour, "
            "minute, paused, fallback_timezone, updated_at",
            schedules,
        ),
        "kpi_objective": (
            "id, platform, team_id, partnership_id, name, name_key, created_by, created_at",
            objectives,
        ),
        "kpi_metric": (
            "id, platform, team_id, partnership_id, objective_id, name, name_key, unit, "
            "target, target_date, vanity, vanity_kept_by, created_by, created_at",
            metrics,
        ),
    }
    point_cols = (
        "platform, team_id, partnership_id, metric_id, value, at, partner, channel, "
        "source, external_id, recorded_by, created_at"
    )
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if dialect == "sqlite":
            # The engine's connections run in autocommit (storage.db says BEGIN
            # IMMEDIATE itself): one explicit transaction, no fsync, for the load.
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("BEGIN")
        for table, (cols, rows) in sqls.items():
            marks = ", ".join(["%s" if dialect != "sqlite" else "?"] * len(rows[0]))
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
        if dialect == "postgresql":
            with cur.copy(f"COPY kpi_point ({point_cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in points():
                    copy.write_row(row)
            cur.execute("ANALYZE")
        else:
            cur.executemany(
                f"INSERT INTO kpi_point ({point_cols}) VALUES ({', '.join('?' * 12)})", points()
            )
            cur.execute("COMMIT")
            cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def run(engine: Engine, label: str) -> None:
    db.upgrade(engine)
    t0 = time.perf_counter()
    generate(engine)
    print(f"[{label}] generated {POINTS:,} points in {time.perf_counter() - t0:.1f} s")
    registry = build_registry()
    factory = db.make_session_factory(engine)
    with factory() as session:
        t0 = time.perf_counter()
        digest.ensure_digest_rows(session, NOW)
        session.commit()
        print(
            f"[{label}] scheduling hook for {CHANNELS:,} channels: {time.perf_counter() - t0:.2f} s"
        )
        partnerships = session.exec(select(Partnership)).all()
        t0 = time.perf_counter()
        c0 = time.process_time()
        per_digest: list[float] = []
        total_lines = 0
        for p in partnerships:
            t1 = time.perf_counter()
            tz = "Europe/Paris" if p.id % 2 else "America/New_York"  # type: ignore[operator]
            data = digest.compute(session, p, reviewed_week(NOW, tz))
            reply = digest.render(
                session, data, RenderContext("en", tz, NOW), registry, with_chart=False
            )
            total_lines += len(reply.plain_text().splitlines())
            per_digest.append(time.perf_counter() - t1)
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
        per_digest.sort()
        print(
            f"[{label}] all {len(partnerships):,} digests: {elapsed:.2f} s "
            f"(p50 {statistics.median(per_digest) * 1000:.1f} ms, "
            f"p99 {per_digest[int(len(per_digest) * 0.99)] * 1000:.1f} ms, "
            f"{total_lines:,} lines, CPU {cpu:.2f} s)"
        )
        chart_times: list[float] = []
        chart_cpu: list[float] = []
        data = digest.compute(session, partnerships[0], reviewed_week(NOW, "Europe/Paris"))
        t = Translator("en")
        for _ in range(7):
            t1, c1 = time.perf_counter(), time.process_time()
            png = digest.chart_for(session, data, t)
            chart_times.append(time.perf_counter() - t1)
            chart_cpu.append(time.process_time() - c1)
        assert png is not None
        print(
            f"[{label}] one chart ({len(data.figures)} metrics, {len(png):,} bytes): "
            f"median {statistics.median(chart_times[1:]) * 1000:.0f} ms, "
            f"first {chart_times[0] * 1000:.0f} ms, "
            f"CPU median {statistics.median(chart_cpu[1:]) * 1000:.0f} ms"
        )
        session.rollback()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(f"sqlite:///{tmp}/bench.db")
        try:
            run(engine, "sqlite")
        finally:
            engine.dispose()
    print(f"peak memory so far: {_peak_mb():.0f} MB")
    try:
        admin = db.make_engine(PG_URL)
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        print(f"[postgresql] skipped: not reachable ({type(exc).__name__})")
    else:
        schema = f"bench_digest_{uuid.uuid4().hex[:8]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = db.make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
        try:
            run(engine, "postgresql")
        finally:
            engine.dispose()
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    print(
        f"peak memory: {_peak_mb():.0f} MB (targets: digests <= 10 s, chart <= 200 ms, "
        "memory <= 500 MB)"
    )


if __name__ == "__main__":
    main()
