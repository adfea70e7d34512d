"""SIGTERM and SIGINT stop a real `accord run` cleanly; SQLite refuses a second process."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.app import build_app
from bot.kernel.config import Settings
from storage import db
from storage.models import Notification
from storage.models.notifications import PENDING, SENT
from tests.delivery.processes import seed_overdue_plan, start
from tests.slack.harness import BOT_TOKEN, fake_slack

CHANNELS = [f"C{i}" for i in range(5)]


def _env(url: str, fake_api: str) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "s3cret",
        "SLACK_API_URL": fake_api,
        "ACCORD_HTTP_PORT": "0",
        "ACCORD_DISPATCH_INTERVAL": "1",
    }


def _rows(url: str) -> list[Notification]:
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            return list(session.exec(select(Notification)).all())
    finally:
        engine.dispose()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_batch_releases_claims_and_exits_within_10s(
    tmp_path: Path, sig: int
) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    app = build_app(Settings(DATABASE_URL=url, _env_file=None))  # type: ignore[call-arg]
    seed_overdue_plan(app, CHANNELS)
    app.close()
    due = [r for r in _rows(url) if r.status == PENDING]
    assert len({r.channel_id for r in due}) == len(CHANNELS)

    async def scenario() -> float:
        async with fake_slack() as fake:
            stall = fake.hold("chat.postMessage")  # Slack answers the first post late
            proc = await start("accord", _env(url, fake.api_url))
            try:
                await proc.wait_line("Accord is running")
                await fake.wait_calls("chat.postMessage", 1, timeout=30)
                began = time.monotonic()
                proc.signal(sig)
                await proc.wait_line("stopping:")
                stall.set()  # the post in flight completes
                code = await proc.wait(timeout=15)
                took = time.monotonic() - began
                assert code == 0, proc.output()
                await proc.wait_line("stopped cleanly")
                assert len(fake.calls("chat.postMessage")) == 1
                return took
            finally:
                await proc.kill()

    took = asyncio.run(scenario())
    assert took < 10
    rows = [r for r in _rows(url) if "late@" in r.idempotency_key]
    sent = [r for r in rows if r.status == SENT]
    released = [r for r in rows if r.status == PENDING]
    assert len(sent) == 1 and len(released) == len(CHANNELS) - 1, [
        (r.status, r.claimed_by, r.last_error) for r in rows
    ]
    # Claimable at once by the next instance: nothing waits for the lease.
    assert all(r.claimed_by is None and r.lease_until is None for r in released)


def test_a_second_process_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    env = {"DATABASE_URL": url, "ACCORD_HTTP_PORT": "0"}

    async def scenario() -> None:
        first = await start("first", env)
        try:
            await first.wait_line("Accord is running")
            second = await start("second", env)
            code = await second.wait(timeout=30)
            assert code == 2
            message = second.output()
            assert "already running on this SQLite database" in message
            assert "PostgreSQL" in message and str(first.process.pid) in message
            assert first.process.returncode is None  # the first one carries on
            first.signal(signal.SIGTERM)
            assert await first.wait() == 0
            # The lock dies with its process: a new one starts.
            third = await start("third", env)
            await third.wait_line("Accord is running")
            third.signal(signal.SIGINT)
            assert await third.wait() == 0
        finally:
            await first.kill()

    asyncio.run(scenario())
