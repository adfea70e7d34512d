"""Run the Slack adapter for real: its HTTP server, the fake Web API, signed requests."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from sqlmodel import Session, col, select

from adapters.http_server import build_http_app, mark_ready, start_http
from adapters.slack_adapter import SlackAdapter, SlackConfig
from bot.app import App
from bot.kernel.core import Core
from storage.models import Decision
from tests.slack.fake_slack import FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str, fake: FakeSlack) -> dict[str, Any]:
    raw = (FIXTURES / f"{name}.json").read_text(encoding="utf-8")
    return json.loads(raw.replace("{fake}", fake.base_url))


def signed_headers(
    body: str,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature or "",
        "Content-Type": content_type,
    }


def form_body(payload: dict[str, Any]) -> str:
    return urlencode(payload)


def interactive_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def event_body(payload: dict[str, Any]) -> str:
    return json.dumps(payload)


@dataclass
class Running:
    fake: FakeSlack
    adapter: SlackAdapter
    url: str  # base URL of the app's HTTP server
    session: aiohttp.ClientSession

    async def post(
        self,
        body: str,
        headers: dict[str, str] | None = None,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        extra: dict[str, str] | None = None,
    ) -> aiohttp.ClientResponse:
        hdrs = signed_headers(body, content_type=content_type) if headers is None else headers
        hdrs = {**hdrs, **(extra or {})}
        async with self.session.post(
            f"{self.url}/slack/events", data=body.encode(), headers=hdrs
        ) as resp:
            await resp.read()
            return resp

    async def command(self, payload: dict[str, Any], **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.post(form_body(payload), **kwargs)

    async def interactive(self, payload: dict[str, Any], **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.post(interactive_body(payload), **kwargs)

    async def event(self, payload: dict[str, Any], **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.post(
            event_body(payload),
            content_type="application/json",
            headers=signed_headers(event_body(payload), content_type="application/json"),
            **kwargs,
        )


@asynccontextmanager
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@asynccontextmanager
async def serving(adapter: SlackAdapter) -> AsyncIterator[str]:
    """The adapter's routes on the shared HTTP server, on an ephemeral port: its base URL."""
    http_app: web.Application = build_http_app(adapter.routes())
    runner = await start_http(http_app, "127.0.0.1", 0)
    mark_ready(http_app)
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def running(
    app: App,
    *,
    fake: FakeSlack | None = None,
    core: Core | None = None,
    pace_seconds: float = 0.0,
    **config: Any,
) -> AsyncIterator[Running]:
    """The adapter in HTTP mode, talking to a fake Slack (its own unless one is given)."""
    async with contextlib.AsyncExitStack() as stack:
        if fake is None:
            fake = await stack.enter_async_context(fake_slack())
        config = {"bot_token": BOT_TOKEN, "signing_secret": SECRET, **config}
        adapter = SlackAdapter(
            app, SlackConfig(api_url=fake.api_url, pace_seconds=pace_seconds, **config), core=core
        )
        url = await stack.enter_async_context(serving(adapter))
        session = await stack.enter_async_context(aiohttp.ClientSession())
        yield Running(fake, adapter, url, session)


def decisions(app: App) -> list[Decision]:
    with Session(app.engine) as session:
        return list(session.exec(select(Decision).order_by(col(Decision.number))).all())


class Finished:
    """Counts interactions the adapter has fully answered; tests wait on it."""

    def __init__(self, adapter: SlackAdapter) -> None:
        import asyncio

        self.outcomes: list[Any] = []
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Condition()
        adapter.on_finished = self._record

    def _record(self, outcome: Any) -> None:
        self.outcomes.append(outcome)
        self._loop.create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait(self, count: int, timeout: float = 10.0) -> list[Any]:
        import asyncio

        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.outcomes) >= count), timeout
            )
        return self.outcomes
