"""The issue's experiments, replayed on three real instances behind HAProxy.

Skipped with a reason without PostgreSQL (`TEST_DATABASE_URL`) or HAProxy
(`.ci/run` installs the Debian package when it can).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import PG_URL
from tests.delivery.cluster import Cluster, haproxy_binary, poll
from tests.discord import payloads as dp
from tests.discord.conftest import sign
from tests.slack.fake_slack import Recorded
from tests.slack.harness import fixture, form_body, signed_headers

TITLE = re.compile(r"\bM\d+-\d+\b")
# Due pings in the kill -9 experiment (the figure is 2,000: `HARNESS_PINGS=2000`;
# the default keeps the harness to a few minutes on a 2-core machine).
PINGS = int(os.environ.get("HARNESS_PINGS", "1000"))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not PG_URL:
        pytest.skip("multi-instance harness needs PostgreSQL: set TEST_DATABASE_URL")
    if haproxy_binary() is None:
        pytest.skip("multi-instance harness needs HAProxy (apt-get install haproxy)")
    running = Cluster(PG_URL, tmp_path_factory.mktemp("cluster")).start()
    try:
        yield running
    finally:
        running.stop()


def ping_titles(calls: list[Recorded]) -> Counter[str]:
    """Milestone titles per post (one ping = one message)."""
    found: Counter[str] = Counter()
    for call in calls:
        found.update(set(TITLE.findall(json.dumps(call.body))))
    return found


def posts(cluster: Cluster, since: int = 0) -> list[Recorded]:
    return cluster.slack.calls("chat.postMessage")[since:]


class Tally:
    """Milestone titles posted since a point, counted incrementally.

    Its predicates run inside the fake Slack's request handling: they must not
    rescan every earlier post on each request.
    """

    def __init__(self, cluster: Cluster, since: int | None = None) -> None:
        self.cluster = cluster
        self.seen = len(cluster.slack.requests) if since is None else since
        self.counts: Counter[str] = Counter()

    def update(self) -> Counter[str]:
        requests = self.cluster.slack.requests
        fresh, self.seen = requests[self.seen :], len(requests)
        self.counts += ping_titles([r for r in fresh if r.path == "/api/chat.postMessage"])
        return self.counts


async def all_pinged(tally: Tally, titles: set[str], timeout: float) -> None:
    await tally.cluster.slack.wait_for(lambda _: titles <= set(tally.update()), timeout=timeout)


async def slack_command(cluster: Cluster, i: int, *, via: str | None = None) -> int:
    """A signed /decide through the load balancer, retried (same trigger_id) until acked."""
    assert cluster.http is not None
    payload = {
        **fixture("slash_command", cluster.slack),
        "channel_id": "CCMD",
        "trigger_id": f"harness-{i}",
        "text": f"harness decision {i}",
        "response_url": f"{cluster.slack.base_url}/response/h{i}",
    }
    body = form_body(payload)
    target = via or f"http://127.0.0.1:{cluster.lb_port}"
    for attempt in range(20):
        try:
            async with cluster.http.post(
                f"{target}/slack/events", data=body, headers=signed_headers(body)
            ) as resp:
                if resp.status == 200:
                    return attempt
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)  # back off like a platform retry
    raise AssertionError(f"command {i} never acked")


async def discord_command(cluster: Cluster, i: int) -> int:
    assert cluster.http is not None
    interaction = dp.slash("decide", f"discord decision {i}", interaction_id=f"9{i:017d}")
    interaction["application_id"] = "900000000000000001"
    body = json.dumps(interaction).encode()
    for attempt in range(20):
        try:
            async with cluster.http.post(
                f"http://127.0.0.1:{cluster.lb_port}/discord/interactions",
                data=body,
                # Real processes run on the real clock: a stale timestamp is refused.
                headers=sign(cluster.key, body, str(int(time.time()))),
            ) as resp:
                if resp.status == 200:
                    return attempt
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"interaction {i} never answered")


def decisions(cluster: Cluster, prefix: str) -> Counter[str]:
    rows = cluster.sql("SELECT text FROM decision WHERE text LIKE :p", p=f"{prefix}%")
    return Counter(str(r[0]) for r in rows)


# -- 1. kill -9 under load ------------------------------------------------------------------


def test_kill_9_under_a_stream_of_commands_and_due_pings(cluster: Cluster) -> None:
    tally = Tally(cluster)
    titles = cluster.seed_pings(channels=PINGS // 10, per_channel=10)
    assert len(titles) == PINGS
    victim = cluster.procs["a2"]
    commands = 120

    async def scenario() -> dict[str, Any]:
        async def stream() -> None:
            tasks = []
            for i in range(commands):
                tasks.append(asyncio.create_task(slack_command(cluster, i)))
                if i % 6 == 0:
                    tasks.append(asyncio.create_task(discord_command(cluster, i)))
                await asyncio.sleep(0.05)  # a steady 20 commands a second
            await asyncio.gather(*tasks)

        load = asyncio.create_task(stream())
        await cluster.slack.wait_for(lambda _: len(tally.update()) >= 500, timeout=120)
        killed_at = time.monotonic()
        victim.signal(signal.SIGKILL)
        await victim.wait()
        await load
        await all_pinged(tally, titles, timeout=150)
        return {"recovered": time.monotonic() - killed_at}

    figures = cluster.run(scenario(), timeout=300)
    counts = tally.update()
    duplicates = sum(n - 1 for t, n in counts.items() if t in titles and n > 1)
    lost = titles - set(counts)
    print(f"kill -9: lost {len(lost)}, duplicated {duplicates}, recovered in {figures}")
    assert not lost
    # The documented window: the one post the killed dispatcher had in flight.
    assert duplicates <= 1
    # Bring the victim back first, so a failed check below does not leave the cluster short.
    cluster.start_instance("a2", victim.port)
    cluster.wait_backends(up=set(cluster.procs))
    slack = decisions(cluster, "harness decision")
    # Slack gets its ack within 3 s, before the command runs: a command the killed instance had
    # acked but not yet committed is lost (Slack does not resend an acked command). That is the
    # documented window (README, Operations): at most the few in flight on the victim (5 %).
    print(f"kill -9: slash commands recorded {len(slack)} of {commands}")
    assert commands - commands // 20 <= len(slack) <= commands and set(slack.values()) == {1}
    discord = decisions(cluster, "discord decision")
    assert len(discord) == len(range(0, commands, 6)) and set(discord.values()) == {1}
    assert cluster.sql("SELECT count(*) FROM notification WHERE status = 'failed'")[0][0] == 0


# -- 2. Slack refusing connections ------------------------------------------------------------


def test_slack_refusing_connections_then_back_sends_all_once(cluster: Cluster) -> None:
    tally = Tally(cluster)
    cluster.run(cluster.slack.stop())  # connections refused from now on
    titles = cluster.seed_pings(channels=20, per_channel=1)

    async def outage() -> None:
        async def all_tried() -> bool:
            rows = cluster.sql(
                "SELECT count(*) FROM notification WHERE status = 'pending'"
                " AND last_error LIKE '%unreachable%'"
            )
            return bool(rows[0][0] >= len(titles))

        await poll(all_tried, timeout=60)
        await cluster.slack.start(cluster.slack.port)  # back
        await all_pinged(tally, titles, timeout=60)

    cluster.run(outage(), timeout=150)
    counts = tally.update()
    assert all(counts[t] == 1 for t in titles), counts
    assert cluster.sql("SELECT count(*) FROM notification WHERE status = 'failed'")[0][0] == 0


# -- 3. Retry-After: 120 --------------------------------------------------------------------


def test_retry_after_120_on_every_post_duplicates_nothing(cluster: Cluster) -> None:
    tally = Tally(cluster)
    cluster.slack.fail("chat.postMessage", status=429, retry_after=120, times=10_000)
    titles = cluster.seed_pings(channels=30, per_channel=1)

    async def limited() -> None:
        await cluster.slack.wait_for(lambda _: titles <= set(tally.update()), timeout=60)

        async def recorded() -> bool:  # each 429 written back by its instance
            rows = cluster.sql(
                "SELECT count(*) FROM notification WHERE last_error LIKE 'rate limited%'"
                " AND status = 'pending'"
            )
            return bool(rows[0][0] >= len(titles))

        await poll(recorded, timeout=30)

    cluster.run(limited())
    rows = cluster.sql(
        "SELECT status, EXTRACT(EPOCH FROM lease_until - now()) FROM notification"
        " WHERE last_error LIKE 'rate limited%'"
    )
    assert len(rows) == len(titles)
    assert all(status == "pending" and wait > 90 for status, wait in rows), rows
    # Each ping was tried once: nobody slept through Retry-After holding it, nobody re-claimed it.
    assert all(n == 1 for n in tally.update().values())
    cluster.slack.canned.clear()
    after = Tally(cluster)
    # Two minutes pass (the rows' retry time is brought forward instead of waiting).
    cluster.sql(
        "UPDATE notification SET lease_until = now() WHERE last_error LIKE 'rate limited%'"
        " AND status = 'pending'"
    )
    cluster.run(all_pinged(after, titles, timeout=60))
    counts = after.update()
    assert all(counts[t] == 1 for t in titles), counts


# -- 4. the database cut ------------------------------------------------------------------------


def test_database_cut_drains_the_instances_and_everything_resumes(cluster: Cluster) -> None:
    names = set(cluster.procs)
    cluster.run(cluster.proxy.cut())
    cluster.wait_backends(up=set(), timeout=30)
    one = next(iter(cluster.procs.values()))
    assert cluster.http is not None

    async def during() -> None:
        assert cluster.http is not None
        async with cluster.http.get(f"{one.url}/readyz") as resp:
            assert resp.status == 503
            assert "unreachable" in (await resp.json())["checks"]["database"]
        async with cluster.http.get(f"{one.url}/healthz") as resp:
            assert resp.status == 200  # alive: not restarted
        # Through the balancer: no instance to send to.
        body = form_body({**fixture("slash_command", cluster.slack), "trigger_id": "cut-lb"})
        async with cluster.http.post(
            f"http://127.0.0.1:{cluster.lb_port}/slack/events",
            data=body,
            headers=signed_headers(body),
        ) as resp:
            assert resp.status == 503
        # Straight to an instance: acked, and the user is told to try again.
        await slack_command(cluster, 90_001, via=one.url)
        [answer] = await cluster.slack.wait_calls("/response/h90001", 1, timeout=30)
        assert "try again" in json.dumps(answer.body)

    cluster.run(during())
    cluster.run(cluster.proxy.start())
    cluster.wait_backends(up=names, timeout=60)
    cluster.run(slack_command(cluster, 90_002))

    async def recorded() -> bool:  # acked first, recorded right after
        return bool(decisions(cluster, "harness decision 90002"))

    cluster.run(poll(recorded, timeout=30))
    assert decisions(cluster, "harness decision 90002") == Counter({"harness decision 90002": 1})


# -- 5. SIGTERM during a batch -----------------------------------------------------------------


def test_sigterm_during_a_batch_releases_claims_within_10s(cluster: Cluster) -> None:
    tally = Tally(cluster)
    stall = cluster.slack.hold("chat.postMessage")
    titles = cluster.seed_pings(channels=30, per_channel=1)
    victim = cluster.procs["a1"]
    pid = victim.process.pid

    async def scenario() -> tuple[float, float]:
        await cluster.slack.wait_for(lambda _: len(tally.update()) >= 1, timeout=30)
        began = time.monotonic()
        victim.signal(signal.SIGTERM)
        await victim.wait_line("stopping:")
        stall.set()
        del cluster.slack.held["/api/chat.postMessage"]
        assert await victim.wait(timeout=15) == 0
        exited = time.monotonic() - began
        held = cluster.sql(
            "SELECT count(*) FROM notification WHERE status = 'claimed' AND claimed_by LIKE :w",
            w=f"%:{pid}:%",
        )
        assert held[0][0] == 0, "\n".join(victim.lines[-80:])  # released, not left to the lease
        await all_pinged(tally, titles, timeout=30)
        return exited, time.monotonic() - began

    exited, done = cluster.run(scenario())
    print(f"SIGTERM: exited in {exited:.1f}s, every ping out {done:.1f}s after the signal")
    assert exited < 10
    assert done < 15  # sooner than the 15 s lease: nothing waited for it
    counts = tally.update()
    assert all(counts[t] == 1 for t in titles), counts
    cluster.start_instance("a1", victim.port)
    cluster.wait_backends(up=set(cluster.procs))


def test_metrics_and_status_tell_the_operator(cluster: Cluster, tmp_path: Path) -> None:
    async def scrape() -> str:
        assert cluster.http is not None
        async with cluster.http.get(f"{cluster.procs['a3'].url}/metrics") as resp:
            assert resp.status == 200
            return await resp.text()

    text = cluster.run(scrape())
    for name in (
        "accord_outbox_rows",
        "accord_outbox_oldest_due_seconds",
        "accord_deliveries_total",
        "# TYPE accord_http_ack_seconds histogram",
        "accord_commands_total",
    ):
        assert name in text
