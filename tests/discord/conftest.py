"""Fixtures for the Discord adapter: the fake REST API, a signing key, the HTTP endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from nacl.signing import SigningKey

from adapters.discord_adapter import INTERACTIONS_PATH, interactions_handler
from adapters.discord_interactions import InteractionService
from adapters.discord_rest import DiscordRest
from adapters.http_server import build_http_app
from bot.app import App
from tests.discord.fake_discord import FakeDiscord

BOT_TOKEN = "test-bot-token"


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    server = FakeDiscord().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate()


def sign(key: SigningKey, body: bytes, timestamp: str = "1772442000") -> dict[str, str]:
    signature = key.sign(timestamp.encode() + body).signature.hex()
    return {
        "X-Signature-Ed25519": signature,
        "X-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


class Endpoint:
    """`POST /discord/interactions` served on an ephemeral port, as `accord run` mounts it."""

    def __init__(
        self,
        app: App,
        fake: FakeDiscord,
        key: SigningKey,
        *,
        defer_after: float = 2.0,
        bot_token: str | None = BOT_TOKEN,
    ) -> None:
        self.key = key
        self.rest = DiscordRest(fake.url, bot_token, backoff=0.001)
        self.service = InteractionService(
            app.core, self.rest, app.session_factory, defer_after=defer_after
        )
        self.http_app = build_http_app(
            [
                web.post(
                    INTERACTIONS_PATH,
                    interactions_handler(self.service, key.verify_key.encode().hex()),
                )
            ]
        )
        self.url = ""

    async def __aenter__(self) -> Endpoint:
        self.runner = web.AppRunner(self.http_app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        self.url = f"http://{host}:{port}{INTERACTIONS_PATH}"
        self.client = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.service.drain()
        await self.client.close()
        await self.rest.close()
        await self.runner.cleanup()

    async def post(
        self,
        payload: dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> tuple[int, Any]:
        raw = body if body is not None else json.dumps(payload).encode()
        async with self.client.post(
            self.url, data=raw, headers=headers or sign(self.key, raw)
        ) as resp:
            text = await resp.text()
            return resp.status, json.loads(text) if text else None

    async def send(self, payload: dict[str, Any]) -> Any:
        status, body = await self.post(payload)
        assert status == 200, body
        return body
