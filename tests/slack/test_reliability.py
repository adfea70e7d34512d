"""Acks within 3 s under slow work, duplicates recorded once, Slack's errors and limits."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.app import App, build_app
from bot.kernel.clock import FixedClock
from bot.kernel.config import Settings
from bot.kernel.core import Core
from bot.kernel.types import Command, Outcome
from storage import db
from storage.models import Decision
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import Finished, Running, fixture, running


class GatedCore:
    """The real core, held at a gate: the work is as slow as the test wants."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.gate = threading.Event()
        self.entered = 0
        self._lock = threading.Lock()
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Event]] = []

    def handle(self, command: Command) -> Outcome:
        with self._lock:
            self.entered += 1
            for count, loop, event in self._waiters:
                if self.entered >= count:
                    loop.call_soon_threadsafe(event.set)
        assert self.gate.wait(timeout=30)
        return self.core.handle(command)

    async def wait_entered(self, count: int) -> None:
        """Until `count` commands are held at the gate (each holding a worker thread)."""
        event = asyncio.Event()
        with self._lock:
            if self.entered >= count:
                return
            self._waiters.append((count, asyncio.get_running_loop(), event))
        await asyncio.wait_for(event.wait(), 10)

    def handle_action(self, action: Any) -> Outcome:
        assert self.gate.wait(timeout=30)
        return self.core.handle_action(action)


def count_decisions(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(Decision)).all())


def ack_timer(r: Running) -> Callable[[int], Awaitable[float]]:
    """Sends the i-th distinct /decide and returns how long its ack took."""
    base = fixture("slash_command", r.fake)

    async def one(i: int) -> float:
        start = time.monotonic()
        resp = await r.command({**base, "trigger_id": f"trig-{i}", "text": f"decision {i}"})
        assert resp.status == 200
        return time.monotonic() - start

    return one


def test_acks_within_three_seconds_while_the_work_is_slow(app: App) -> None:
    gated = GatedCore(app.core)
    n = 20  # more than the worker threads: the acks must not wait for them

    async def scenario() -> None:
        async with running(app, core=gated) as r:  # type: ignore[arg-type]
            one = ack_timer(r)

            durations = await asyncio.gather(*(one(i) for i in range(n)))
            assert max(durations) < 3.0
            assert r.fake.calls("chat.postMessage") == []  # the work is still held
            gated.gate.set()
            await r.fake.wait_calls("chat.postMessage", n)

    asyncio.run(scenario())
    assert count_decisions(app.engine) == n


def test_retried_delivery_is_recorded_and_posted_once(app: App) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            finished = Finished(r.adapter)
            payload = fixture("slash_command", r.fake)
            assert (await r.command(payload)).status == 200
            retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            assert (await r.command(payload, extra=retry)).status == 200
            outcomes = await finished.wait(2)
            assert sorted(o.duplicate for o in outcomes) == [False, True]
            assert len(r.fake.calls("chat.postMessage")) == 1

    asyncio.run(scenario())
    assert count_decisions(app.engine) == 1


def test_retry_reaching_another_instance_on_the_same_postgresql(
    app: App, engine: Engine, settings: Settings, clock: FixedClock
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("several instances share PostgreSQL, not SQLite")
    # A second process: its own engine (connection pool), app, adapter and HTTP server.
    other_engine = db.make_engine(engine.url.render_as_string(hide_password=False))
    other = build_app(settings, clock=clock, migrate=False, engine=other_engine)

    async def scenario() -> None:
        fake = FakeSlack()
        await fake.start()
        try:
            async with running(app, fake=fake) as one, running(other, fake=fake) as two:
                done_one, done_two = Finished(one.adapter), Finished(two.adapter)
                payload = fixture("slash_command", fake)
                retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
                first, second = await asyncio.gather(
                    one.command(payload), two.command(payload, extra=retry)
                )
                assert first.status == second.status == 200
                a, b = await done_one.wait(1), await done_two.wait(1)
                assert sorted(o.duplicate for o in a + b) == [False, True]
                assert len(fake.calls("chat.postMessage")) == 1
        finally:
            await fake.stop()

    try:
        asyncio.run(scenario())
    finally:
        other_engine.dispose()
    assert count_decisions(engine) == 1


def test_429_waits_for_retry_after_then_posts(app: App) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            r.fake.fail("chat.postMessage", status=429, retry_after=1)
            await r.command(fixture("slash_command", r.fake))
            first, second = await r.fake.wait_calls("chat.postMessage", 2)
            assert second.at - first.at >= 1.0
            assert second.body["blocks"] == first.body["blocks"]

    asyncio.run(scenario())


def test_server_error_is_retried(app: App) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            finished = Finished(r.adapter)
            r.fake.fail("chat.postMessage", status=500)
            await r.command(fixture("slash_command", r.fake))
            await finished.wait(1)
            assert len(r.fake.calls("chat.postMessage")) == 2

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("not_in_channel", "Invite me"),
        ("channel_not_found", "cannot find"),
        ("is_archived", "archived"),
    ],
)
def test_channel_errors_tell_the_user_and_the_process_carries_on(
    app: App, error: str, says: str
) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            finished = Finished(r.adapter)
            r.fake.fail("chat.postMessage", error=error)
            payload = fixture("slash_command", r.fake)
            await r.command(payload)
            [notice] = await r.fake.wait_calls("/response/slash1")
            assert notice.body["response_type"] == "ephemeral"
            assert says in notice.body["text"] and "<#C0LAUNCH>" in notice.body["text"]
            await finished.wait(1)
            # The next command works.
            await r.command({**payload, "trigger_id": "another", "text": "next one"})
            await r.fake.wait_calls("chat.postMessage", 2)

    asyncio.run(scenario())


def test_invalid_token_is_logged_without_the_token(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            finished = Finished(r.adapter)
            r.fake.fail("chat.postMessage", error="invalid_auth")
            await r.command(fixture("slash_command", r.fake))
            await finished.wait(1)

    with caplog.at_level("ERROR"):
        asyncio.run(scenario())
    assert "invalid_auth" in caplog.text and "xoxb-" not in caplog.text


def test_posts_to_one_channel_are_paced(app: App) -> None:
    async def scenario() -> None:
        async with running(app, pace_seconds=0.3) as r:
            base = fixture("slash_command", r.fake)
            await asyncio.gather(
                *(r.command({**base, "trigger_id": f"t{i}", "text": f"d{i}"}) for i in range(3))
            )
            posts = await r.fake.wait_calls("chat.postMessage", 3)
            gaps = [b.at - a.at for a, b in zip(posts, posts[1:], strict=False)]
            assert all(gap >= 0.25 for gap in gaps), gaps

    asyncio.run(scenario())


def test_oauth_mode_acks_while_every_core_thread_is_busy(app: App) -> None:
    """Bolt authorizes each request from the installation store *before* the ack: the
    store's threads must not queue behind slow commands."""
    gated = GatedCore(app.core)
    n = 20

    async def scenario() -> None:
        oauth = {"bot_token": None, "client_id": "111.222", "client_secret": "shh"}
        async with running(app, core=gated, **oauth) as r:  # type: ignore[arg-type]
            assert r.adapter.installations is not None
            r.adapter.installations.save(
                Installation(
                    app_id="AACCORD",
                    enterprise_id="E0001",
                    team_id="T0ACME",
                    user_id="U0ADMIN",
                    bot_token="xoxb-acme",
                    bot_id="BACCORD",
                    bot_user_id="UACCORD",
                    installed_at=time.time(),
                )
            )
            one = ack_timer(r)

            # First occupy the threads with slow commands, then measure new acks.
            busy = [asyncio.ensure_future(one(i)) for i in range(n // 2)]
            await gated.wait_entered(6)  # asyncio's default pool has 6 threads here
            durations = await asyncio.gather(*(one(i) for i in range(n // 2, n)))
            assert max(durations) < 3.0
            gated.gate.set()
            await asyncio.gather(*busy)
            posts = await r.fake.wait_calls("chat.postMessage", n)
            assert {p.headers["Authorization"] for p in posts} == {"Bearer xoxb-acme"}
            # The dispatcher's notifier finds the same workspace (inside an Enterprise Grid).
            token_for = r.adapter.notifier().token_for
            assert await asyncio.to_thread(token_for, "T0ACME") == "xoxb-acme"

    asyncio.run(scenario())
    assert count_decisions(app.engine) == n
