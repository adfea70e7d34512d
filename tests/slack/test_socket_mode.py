"""Socket Mode: the same listeners behind a WebSocket, against the fake's socket."""

from __future__ import annotations

import asyncio
import contextlib

from sqlmodel import Session, select

from adapters.slack_adapter import SlackAdapter, SlackConfig
from bot.app import App
from storage.models import Decision
from tests.slack.harness import BOT_TOKEN, fake_slack, fixture


def test_socket_mode_acks_the_envelope_and_records_the_decision(app: App) -> None:
    async def scenario() -> None:
        async with fake_slack() as fake:
            config = SlackConfig(
                api_url=fake.api_url,
                bot_token=BOT_TOKEN,
                app_token="xapp-1-A0-1-fake",
                pace_seconds=0,
            )
            setup = SlackAdapter(app, config).adapter_setup()
            assert setup.routes == [] and not setup.needs_http
            task: asyncio.Task[None] = asyncio.ensure_future(setup.background[0]())
            try:
                await fake.wait_calls("/socket/connected")
                [opened] = fake.calls("apps.connections.open")
                assert opened.headers["Authorization"] == "Bearer xapp-1-A0-1-fake"
                envelope = {
                    "envelope_id": "env-1",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": fixture("slash_command", fake),
                }
                await fake.push(envelope)
                [ack] = await fake.wait_calls("/socket/ack")
                assert ack.body["envelope_id"] == "env-1"
                [post] = await fake.wait_calls("chat.postMessage")
                assert "Decision #1" in post.body["text"]
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                for stop in setup.shutdown:
                    await stop()

    asyncio.run(scenario())
    with Session(app.engine) as session:
        assert len(session.exec(select(Decision)).all()) == 1
