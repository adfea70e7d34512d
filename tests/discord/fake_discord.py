"""A fake Discord REST API: a real aiohttp server on an ephemeral port, in its own thread.

It records every request (method, path, headers, JSON body or multipart
parts), answers like Discord for the endpoints Accord uses, honours
`enforce_nonce` (same nonce -> the same message back, not a new one) and
plays canned failures queued per path (429 with retry_after, 5xx, 403).
Tests wait on `wait_for(predicate)`, never on a fixed sleep.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

APP_ID = "900000000000000001"
BOT_USER = {
    "id": APP_ID,
    "username": "accord",
    "global_name": "Accord",
    "bot": True,
    "discriminator": "0",
    "avatar": None,
    "mfa_enabled": False,
    "verified": True,
    "flags": 0,
    "public_flags": 0,
}


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any = None
    files: dict[str, bytes] = field(default_factory=dict)


class FakeDiscord:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._by_nonce: dict[tuple[str, str], dict[str, Any]] = {}
        self._canned: dict[str, deque[tuple[int, dict[str, Any]]]] = defaultdict(deque)
        self._ids = itertools.count(1_000_000)
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- lifecycle --------------------------------------------------------------

    def start(self) -> FakeDiscord:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/api/v10"

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    # -- test helpers -------------------------------------------------------------

    def drop_next(self, path: str) -> None:
        """The next request to `path` is recorded, then its connection is cut unanswered."""
        self._canned[path].append((0, {}))

    def fail_next(self, path: str, status: int, body: dict[str, Any]) -> None:
        """The next request to `path` gets this answer instead of the normal one."""
        self._canned[path].append((status, body))

    def wait_for(
        self, predicate: Callable[[list[Recorded]], bool], timeout: float = 10
    ) -> list[Recorded]:
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self.requests), timeout):
                raise AssertionError(
                    f"fake Discord never saw it; got {[(r.method, r.path) for r in self.requests]}"
                )
            return list(self.requests)

    def wait_count(self, method: str, path_part: str, count: int = 1) -> list[Recorded]:
        self.wait_for(lambda rs: len(self.matching(method, path_part, rs)) >= count)
        return self.matching(method, path_part)

    def matching(
        self, method: str, path_part: str, requests: list[Recorded] | None = None
    ) -> list[Recorded]:
        return [
            r
            for r in (self.requests if requests is None else requests)
            if r.method == method and path_part in r.path
        ]

    # -- the API ------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path.removeprefix("/api/v10")
        record = Recorded(request.method, path, dict(request.headers))
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                assert isinstance(part, BodyPartReader)
                name = part.name or ""
                raw = await part.read()
                if name == "payload_json":
                    record.body = json.loads(raw)
                else:
                    record.files[part.filename or name] = bytes(raw)
        elif request.can_read_body:
            text = await request.text()
            record.body = json.loads(text) if text else None
        with self._cond:
            self.requests.append(record)
            self._cond.notify_all()
        if self._canned.get(path):
            status, body = self._canned[path].popleft()
            if status == 0:  # a network failure: the client sees the server disconnect
                assert request.transport is not None
                request.transport.close()
                return web.Response(status=499)
            headers = {"Retry-After": str(body.get("retry_after", 1))} if status == 429 else {}
            return _json(body, status=status, headers=headers)
        return self._answer(request.method, path, record)

    def _answer(self, method: str, path: str, record: Recorded) -> web.StreamResponse:
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/users/@me":
            return _json(BOT_USER)
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(
                {
                    "id": APP_ID,
                    "name": "Accord",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "verify_key": "00" * 32,
                    "flags": 0,
                    "interactions_endpoint_url": None,
                    "owner": BOT_USER,
                }
            )
        if parts[0] == "interactions" and method == "POST":
            return web.Response(status=204)
        if parts[0] == "webhooks":
            if method == "DELETE":
                return web.Response(status=204)
            return _json(self._message(parts[1], record.body or {}))
        if parts[0] == "channels" and method == "POST":
            channel, body = parts[1], record.body or {}
            nonce = body.get("nonce")
            if nonce and body.get("enforce_nonce") and (channel, nonce) in self._by_nonce:
                return _json(self._by_nonce[(channel, nonce)])
            message = self._message(channel, body)
            with self._cond:
                self.messages[channel].append(message)
            if nonce:
                self._by_nonce[(channel, nonce)] = message
            return _json(message)
        if parts[0] == "applications" and method == "PUT":
            return _json(
                [
                    {**c, "id": str(next(self._ids)), "application_id": APP_ID}
                    for c in record.body or []
                ]
            )
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _message(self, channel: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"id": str(next(self._ids)), "channel_id": channel, "author": BOT_USER, **body}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json", without a charset: discord.py checks the header verbatim.
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )
