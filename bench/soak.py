"""Soak: three real instances behind HAProxy on PostgreSQL, a mixed load for a fixed time.

The multi-instance harness of the tests (`tests/delivery/cluster.py`: three
`accord run` processes in Slack HTTP mode and Discord interactions, HAProxy
health-checking `/readyz`, a fake Slack and a fake Discord over loopback)
carries, for `SOAK_SECONDS`:

- signed `/decide` commands through HAProxy at `SOAK_RATE` a second;
- a Monday-morning storm: `SOAK_DIGESTS` partnerships whose weekly digest
  (with its chart) falls due at once;
- `SOAK_PINGS` deadline pings due at once.

Then it waits (at most `SOAK_DRAIN` seconds) for every send and prints: p50/p99
ack latency (client side, through HAProxy), commands and deliveries per
second, duplicates and losses, how long the storm took to go out, and CPU
seconds and peak memory (VmHWM) of each instance. Loopback only, bounded in
time; skips cleanly without PostgreSQL or HAProxy.
Run: `.venv/bin/python bench/soak.py` (defaults sized for a 2-core CI box).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session  # noqa: E402

from bench._common import percentile, postgres_reachable  # noqa: E402
from storage.models import Partnership  # noqa: E402
from storage.models.kpi import DigestSchedule, KpiPoint, Metric, Objective  # noqa: E402
from tests.delivery.cluster import Cluster, haproxy_binary  # noqa: E402
from tests.delivery.test_instances import ping_titles, posts  # noqa: E402
from tests.slack.fake_slack import TEAM_ID  # noqa: E402
from tests.slack.harness import fixture, form_body, signed_headers  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
RATE = float(os.environ.get("SOAK_RATE", "10"))
DIGESTS = int(os.environ.get("SOAK_DIGESTS", "300"))
PINGS = int(os.environ.get("SOAK_PINGS", "1000"))
DRAIN = float(os.environ.get("SOAK_DRAIN", "240"))
CLK = os.sysconf("SC_CLK_TCK")


def seed_digests(cluster: Cluster, count: int) -> None:
    """`count` partnerships, one objective and two metrics each, digests due an hour ago."""
    assert cluster.engine is not None
    now = datetime.now(UTC)
    due = now - timedelta(hours=1)
    with Session(cluster.engine) as session:
        parts = [
            Partnership(platform="slack", team_id=TEAM_ID, channel_id=f"CD{i:05d}", created_at=now)
            for i in range(count)
        ]
        session.add_all(parts)
        session.flush()
        for p in parts:
            pid = p.id or 0
            session.add(
                DigestSchedule(
                    platform="slack",
                    team_id=TEAM_ID,
                    channel_id=p.channel_id,
                    partnership_id=pid,
                    weekday=due.weekday(),
                    hour=due.hour,
                    minute=0,
                    updated_at=now - timedelta(days=30),
                )
            )
            objective = Objective(
                platform="slack",
                team_id=TEAM_ID,
                partnership_id=pid,
                name="Co-launch",
                name_key="co-launch",
                created_by="U0ALICE",
                created_at=now - timedelta(days=60),
            )
            session.add(objective)
            session.flush()
            for name in ("leads", "revenue"):
                metric = Metric(
                    platform="slack",
                    team_id=TEAM_ID,
                    partnership_id=pid,
                    objective_id=objective.id or 0,
                    name=name,
                    name_key=name,
                    unit="",
                    target=500.0,
                    created_by="U0ALICE",
                    created_at=now - timedelta(days=60),
                )
                session.add(metric)
                session.flush()
                session.add_all(
                    KpiPoint(
                        platform="slack",
                        team_id=TEAM_ID,
                        partnership_id=pid,
                        metric_id=metric.id or 0,
                        value=float(3 + d % 7),
                        at=now - timedelta(days=d),
                        created_at=now,
                    )
                    for d in range(1, 50, 3)
                )
        session.commit()


def proc_figures(pid: int) -> tuple[float, float]:
    """(CPU seconds, peak resident MB) of a live process, from /proc."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK
    peak = 0.0
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    return cpu, peak


async def commands(cluster: Cluster, seconds: float, rate: float) -> tuple[list[float], int]:
    assert cluster.http is not None
    base = fixture("slash_command", cluster.slack)
    latencies: list[float] = []
    failures = 0

    async def one(i: int) -> None:
        nonlocal failures
        assert cluster.http is not None
        body = form_body(
            {**base, "channel_id": "CSOAK", "trigger_id": f"soak-{i}", "text": f"soak {i}"}
        )
        start = time.perf_counter()
        try:
            async with cluster.http.post(
                f"http://127.0.0.1:{cluster.lb_port}/slack/events",
                data=body,
                headers=signed_headers(body),
            ) as resp:
                await resp.read()
                if resp.status == 200:
                    latencies.append(time.perf_counter() - start)
                    return
        except Exception:  # noqa: BLE001
            pass
        failures += 1

    tasks = []
    began = time.monotonic()
    i = 0
    while time.monotonic() - began < seconds:
        tasks.append(asyncio.create_task(one(i)))
        i += 1
        await asyncio.sleep(max(0.0, began + i / rate - time.monotonic()))
    await asyncio.gather(*tasks)
    return latencies, failures


def main() -> None:
    if not postgres_reachable():
        print("PostgreSQL not reachable: skipping the soak")
        return
    if haproxy_binary() is None:
        print("HAProxy not installed (apt-get install haproxy): skipping the soak")
        return
    cluster = Cluster(URL, Path(tempfile.mkdtemp(prefix="accord-soak-")))
    print(
        f"soak: 3 instances, {SECONDS:.0f}s of /decide at {RATE:g}/s, "
        f"{DIGESTS} digests with charts and {PINGS} pings due at once"
    )
    cluster.start()
    try:
        cpu0 = {n: proc_figures(p.process.pid)[0] for n, p in cluster.procs.items()}
        seed_digests(cluster, DIGESTS)
        per_channel = 10
        cluster.seed_pings(channels=max(1, PINGS // per_channel), per_channel=per_channel)
        titles = {str(r[0]) for r in cluster.sql("SELECT title FROM milestone")}
        storm_start = datetime.now(UTC)
        began = time.monotonic()
        latencies, failed = cluster.run(commands(cluster, SECONDS, RATE), timeout=SECONDS + 120)
        load_time = time.monotonic() - began

        async def drained() -> None:
            async def done() -> bool:
                left = cluster.sql(
                    "SELECT count(*) FROM notification WHERE status IN ('pending', 'claimed')"
                    " AND due_at <= now()"
                )[0][0]
                return bool(left == 0)

            deadline = time.monotonic() + DRAIN
            while not await done() and time.monotonic() < deadline:
                await asyncio.sleep(1)  # polling the database: the instances do the work

        cluster.run(drained(), timeout=DRAIN + 30)
        total = time.monotonic() - began
        figures = {n: proc_figures(p.process.pid) for n, p in cluster.procs.items()}
        decided = Counter(
            str(r[0]) for r in cluster.sql("SELECT text FROM decision WHERE text LIKE 'soak %'")
        )
        digest_rows = cluster.sql(
            "SELECT status, EXTRACT(EPOCH FROM sent_at - :start) FROM notification"
            " WHERE kind = 'kpi.digest'",
            start=storm_start,
        )
    finally:
        cluster.stop()
    # -- figures ----------------------------------------------------------------
    sent = len(latencies)
    ping_counts = ping_titles(posts(cluster))
    uploads = Counter(
        str(c.body.get("channel_id") or c.body.get("channels") or "")
        for c in cluster.slack.calls("files.completeUploadExternal")
    )
    digest_sent = [float(w) for s, w in digest_rows if s == "sent" and w is not None]
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    print(
        f"commands: {sent} acked of {sent + failed} sent in {load_time:.0f}s "
        f"({sent / load_time:.1f}/s), ack p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms"
    )
    print(
        f"commands recorded: {len(decided)} (lost {sent - len(decided)}, "
        f"duplicated {sum(n - 1 for n in decided.values())})"
    )
    print(
        f"pings: {len(set(ping_counts) & titles)} of {len(titles)} delivered, "
        f"lost {len(titles - set(ping_counts))}, "
        f"duplicated {sum(n - 1 for t, n in ping_counts.items() if t in titles)}"
    )
    storm = max(digest_sent) if digest_sent else float("nan")
    print(
        f"digests: {len(digest_sent)} of {DIGESTS} sent, "
        f"the last {storm:.0f}s after the storm began, "
        f"charts uploaded twice: {sum(1 for n in uploads.values() if n > 1)}"
    )
    deliveries = len(posts(cluster))
    print(f"deliveries: {deliveries} messages in {total:.0f}s ({deliveries / total:.1f}/s)")
    for name, (cpu, peak) in figures.items():
        print(f"instance {name}: CPU {cpu - cpu0[name]:.1f}s, peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
