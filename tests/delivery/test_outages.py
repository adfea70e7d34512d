"""Nothing is dropped by time: outages delay, permanent errors give up and say so.

Every test drives the dispatcher with a fixed clock; the platforms are either
the recording notifier or the fake Slack over real HTTP.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import Session

from adapters.slack_delivery import ChannelPacer, SlackNotifier
from bot.app import App
from bot.delivery.dispatcher import RETRY_MAX, Dispatcher
from bot.kernel.clock import FixedClock
from bot.kernel.delivery_errors import PermanentDeliveryError
from bot.kernel.types import Reply
from bot.runner import make_dispatcher
from storage.models import Channel
from storage.models.notifications import CANCELLED, CLAIMED, FAILED, PENDING, SENT
from tests.conftest import START
from tests.delivery.helpers import queue, queue_many, register, rows
from tests.planning.helpers import Recorder, dispatcher
from tests.slack.harness import BOT_TOKEN, fake_slack


def test_an_outage_of_hours_delays_pings_and_never_fails_them(app: App, clock: FixedClock) -> None:
    register(app)
    for i in range(3):
        queue(app, f"ping-{i}", due=START, channel=f"C{i}")
    rec = Recorder(fail=True)
    d = dispatcher(app, rec)
    clock.set(START)
    # Six hours down, a pass every five minutes.
    for _ in range(72):
        d.run_once()
        for row in rows(app):
            assert row.status == PENDING, row.last_error
            assert row.lease_until is not None
            assert row.lease_until - clock.now() <= RETRY_MAX  # capped backoff
        clock.advance(timedelta(minutes=5))
    assert max(r.attempts for r in rows(app)) > 10  # far past any "max attempts"
    rec.fail = False
    # Back: the next pass probes, succeeds, and brings every row forward.
    d.run_once()
    assert sorted(p[2] for p in rec.posts) == [f"test.ping:ping-{i}" for i in range(3)]
    assert all(r.status == SENT and r.late for r in rows(app))


def test_the_backlog_resumes_within_the_retry_base_once_the_platform_is_back(
    app: App, clock: FixedClock
) -> None:
    register(app)
    for i in range(5):
        queue(app, f"ping-{i}", due=START, channel=f"C{i}")
    rec = Recorder(fail=True)
    d = dispatcher(app, rec)
    for _ in range(40):  # long enough for every backoff to reach the 15-minute cap
        d.run_once()
        clock.advance(timedelta(minutes=3))
    assert all(r.lease_until and r.lease_until > clock.now() for r in rows(app))
    rec.fail = False
    clock.advance(timedelta(seconds=31))  # one retry base: the probe is due again
    d.run_once()
    assert len(rec.posts) == 5
    assert all(r.status == SENT for r in rows(app))


def test_a_permanent_error_gives_up_and_the_partnership_is_told_elsewhere(
    app: App, clock: FixedClock
) -> None:
    register(app)
    with Session(app.engine) as session:
        for channel, shared in (("CSHARED", None), ("CINTERNAL", "CSHARED")):
            session.add(
                Channel(
                    platform="console",
                    team_id="T0ACME",
                    channel_id=channel,
                    shared_channel_id=shared,
                    created_at=START,
                )
            )
        session.commit()
    queue(app, "lost", due=START, channel="CSHARED")

    class Removed(Recorder):
        def post(self, team_id: str, channel_id: str, reply: Reply, idempotency_key: str) -> str:
            if channel_id == "CSHARED":
                raise PermanentDeliveryError("not_in_channel", "the bot was removed")
            return super().post(team_id, channel_id, reply, idempotency_key)

    rec = Removed()
    d = dispatcher(app, rec)
    result = d.run_once()
    assert (result.gave_up, result.sent) == (1, 0)
    [lost] = rows(app)
    assert (lost.status, lost.failure_reason, lost.reported_at) == (FAILED, "not_in_channel", None)
    # Days later, nothing retries it...
    clock.advance(timedelta(days=2))
    assert d.run_once().claimed == 0
    # ...and the next message that reaches the partnership says what was lost.
    queue(app, "next", due=clock.now(), channel="CINTERNAL")
    queue(app, "after", due=clock.now() + timedelta(hours=1), channel="CINTERNAL")
    d.run_once()
    [(channel, reply, _)] = rec.posts
    assert channel == "CINTERNAL"
    assert reply.footer and "<#CSHARED>" in reply.footer and "not_in_channel" in reply.footer
    assert rows(app)[0].reported_at is not None
    clock.advance(timedelta(hours=1))
    d.run_once()
    assert rec.posts[1][1].footer is None  # told once


def test_attempts_and_lease_reclaims_are_counted_apart(app: App, clock: FixedClock) -> None:
    register(app)
    queue(app, "ping", due=START)
    dead, alive = Recorder(), Recorder()
    d1, d2 = dispatcher(app, dead, "dead"), dispatcher(app, alive, "alive")
    assert d1.claim()  # ...and the process dies
    clock.advance(d1.lease + timedelta(seconds=1))
    assert d2.run_once().sent == 1
    [row] = rows(app)
    assert (row.attempts, row.reclaims) == (1, 1)


def test_superseded_pings_collapse_over_the_whole_backlog(app: App, clock: FixedClock) -> None:
    """500 milestones overdue, four pings each: 500 messages, far past one batch of 200."""
    register(app)
    queue_many(
        app,
        [
            {
                "platform": "console",
                "team_id": "T0ACME",
                "channel_id": f"C{m % 50}",
                "idempotency_key": f"m{m}:{k}",
                "payload": {"text": f"m{m}:{k}", "series": f"plan:m{m}"},
                "due_at": START + timedelta(minutes=k),
            }
            for m in range(500)
            for k in range(4)
        ],
    )
    clock.set(START + timedelta(days=1))
    rec = Recorder()
    result = dispatcher(app, rec, batch_size=200).run_once()
    assert (result.sent, result.superseded) == (500, 1500)
    assert sorted(p[1].text for p in rec.posts) == sorted(f"m{m}:3" for m in range(500))
    assert {r.status for r in rows(app) if r.payload["text"].endswith(":3")} == {SENT}  # type: ignore[union-attr]
    assert {r.status for r in rows(app) if not r.payload["text"].endswith(":3")} == {CANCELLED}  # type: ignore[union-attr]


def test_a_stop_releases_what_was_not_posted_at_once(app: App, clock: FixedClock) -> None:
    register(app)
    for i in range(5):
        queue(app, f"ping-{i}", due=START, channel=f"C{i}")
    d: Dispatcher

    class StopAfterFirst(Recorder):
        def post(self, team_id: str, channel_id: str, reply: Reply, idempotency_key: str) -> str:
            d.stop()  # SIGTERM arrives during the first post
            return super().post(team_id, channel_id, reply, idempotency_key)

    d = dispatcher(app, StopAfterFirst())
    result = d.run_once()
    assert (result.sent, result.released) == (1, 4)
    statuses = [(r.status, r.claimed_by, r.lease_until, r.attempts) for r in rows(app)]
    assert statuses[0][0] == SENT
    assert statuses[1:] == [(PENDING, None, None, 0)] * 4
    # Another instance takes them now, not after the lease.
    other = Recorder()
    assert dispatcher(app, other, "other").run_once().sent == 4
    assert d.run_once().claimed == 0  # a stopped dispatcher claims nothing


def test_a_long_batch_renews_its_lease_so_no_one_else_takes_its_rows(
    app: App, clock: FixedClock
) -> None:
    register(app)
    for i in range(6):
        queue(app, f"ping-{i}", due=START, channel=f"C{i}")
    rival = dispatcher(app, Recorder(), "rival")
    stolen: list[int] = []

    class Slow(Recorder):
        def post(self, team_id: str, channel_id: str, reply: Reply, idempotency_key: str) -> str:
            clock.advance(timedelta(seconds=70))  # each post takes more than half the lease
            stolen.extend(rival.claim())
            return super().post(team_id, channel_id, reply, idempotency_key)

    slow = Slow()
    assert dispatcher(app, slow).run_once().sent == 6
    assert stolen == [] and len(slow.posts) == 6


def test_slack_refusing_connections_for_30_minutes_loses_and_repeats_nothing(
    app: App, clock: FixedClock
) -> None:
    register(app)
    for i in range(20):
        queue(app, f"ping-{i}", due=START, platform="slack", channel=f"C{i % 4}")

    async def scenario() -> None:
        async with fake_slack() as fake:
            notifier = SlackNotifier(lambda team: BOT_TOKEN, fake.api_url, ChannelPacer(0))
            d = make_dispatcher(app, {"slack": notifier})
            await fake.stop()  # connection refused from now on
            for _ in range(30):  # 30 minutes, a pass a minute
                await asyncio.to_thread(d.run_once)
                clock.advance(timedelta(minutes=1))
            assert {r.status for r in rows(app)} == {PENDING}
            assert fake.calls("chat.postMessage") == []
            await fake.start(fake.port)  # back
            clock.advance(timedelta(seconds=31))
            await asyncio.to_thread(d.run_once)
            posted = [c.body["text"].split("\n")[0] for c in fake.calls("chat.postMessage")]
            assert sorted(posted) == sorted(f"ping-{i}" for i in range(20))

    asyncio.run(scenario())
    assert {r.status for r in rows(app)} == {SENT}


def test_retry_after_120_gives_the_rows_back_instead_of_waiting(
    app: App, clock: FixedClock
) -> None:
    register(app)
    for i in range(3):
        queue(app, f"ping-{i}", due=START, platform="slack", channel=f"C{i}")

    async def scenario() -> None:
        async with fake_slack() as fake:
            fake.fail("chat.postMessage", status=429, retry_after=120, times=3)
            notifier = SlackNotifier(lambda team: BOT_TOKEN, fake.api_url, ChannelPacer(0))
            d = make_dispatcher(app, {"slack": notifier})
            result = await asyncio.to_thread(d.run_once)
            assert (result.rate_limited, result.sent) == (3, 0)
            assert len(fake.calls("chat.postMessage")) == 3  # no sleeping retry inside a post
            for row in rows(app):
                assert row.status == PENDING and row.claimed_by == d.name
                assert row.lease_until == clock.now() + timedelta(seconds=120)
            other = make_dispatcher(app, {"slack": notifier})
            assert other.claim() == []  # nobody takes them meanwhile
            clock.advance(timedelta(seconds=121))
            result = await asyncio.to_thread(d.run_once)
            assert result.sent == 3
            assert len(fake.calls("chat.postMessage")) == 6

    asyncio.run(scenario())
    assert [r.status for r in rows(app)] == [SENT] * 3


@pytest.mark.parametrize("status", [CLAIMED])
def test_status_report_lists_failures_with_reasons(
    app: App, clock: FixedClock, status: str
) -> None:
    import io

    from bot.delivery.status import report

    register(app)
    queue(app, "lost", due=START, channel="CGONE")
    queue(app, "waiting", due=START, channel="CDOWN")

    class Mixed(Recorder):
        def post(self, team_id: str, channel_id: str, reply: Reply, idempotency_key: str) -> str:
            if channel_id == "CGONE":
                raise PermanentDeliveryError("channel_not_found", "Slack: channel_not_found")
            raise ConnectionRefusedError("platform down")

    dispatcher(app, Mixed()).run_once()
    out = io.StringIO()
    with Session(app.engine) as session:
        report(session, clock.now(), out)
    text = out.getvalue()
    assert "console: failed 1, pending 1" in text
    assert "Waiting to retry on console: 1" in text and "platform down" in text
    assert "channel_not_found" in text and "not told yet" in text and "CGONE" in text
