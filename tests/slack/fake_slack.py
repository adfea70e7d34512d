"""A fake Slack Web API: a real aiohttp server on an ephemeral port.

It records every request (path, parsed body, headers, arrival time) and can be
told to fail a route a number of times: HTTP 429 with `Retry-After`, an
`ok: false` error such as `not_in_channel`, or a 500. `response_url`s and the
file upload URLs point at it too. Tests wait on recorded requests with
`wait_for`, an `asyncio.Condition`, never with fixed sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

TEAM_ID = "T0ACME"
BOT_USER_ID = "UACCORD"


@dataclass
class Recorded:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float

    @property
    def method(self) -> str:
        return self.path.removeprefix("/api/")


@dataclass
class Canned:
    status: int = 200
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    # Only requests for this channel fail (None: any request to the path).
    channel: str | None = None


class FakeSlack:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.canned: dict[str, list[Canned]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._changed: asyncio.Condition | None = None
        self._ts = itertools.count(1)
        self.sockets: list[web.WebSocketResponse] = []
        # Methods held: their requests are recorded, then wait for the event to be set.
        self.held: dict[str, asyncio.Event] = {}
        self.port = 0

    # -- control -------------------------------------------------------------------

    def fail(
        self,
        path: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        channel: str | None = None,
    ) -> None:
        """Make the next `times` requests to `path` ("chat.postMessage", "/response/x") fail;
        with `channel`, only those for that channel (one workspace's channel among others)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        key = path if path.startswith("/") else f"/api/{path}"
        self.canned.setdefault(key, []).append(Canned(status, error, headers, times, channel))

    def calls(self, method: str) -> list[Recorded]:
        key = method if method.startswith("/") else f"/api/{method}"
        return [
            r
            for r in self.requests
            if r.path == key or (key.endswith("/") and r.path.startswith(key))
        ]

    async def wait_for(
        self, predicate: Callable[[list[Recorded]], bool], timeout: float = 10.0
    ) -> list[Recorded]:
        assert self._changed is not None
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: predicate(self.requests)), timeout
            )
        return self.requests

    async def wait_calls(
        self, method: str, count: int = 1, timeout: float = 10.0
    ) -> list[Recorded]:
        await self.wait_for(lambda _: len(self.calls(method)) >= count, timeout)
        return self.calls(method)

    # -- server --------------------------------------------------------------------

    def hold(self, method: str) -> asyncio.Event:
        """Stall every request to `method` until the returned event is set."""
        event = self.held[f"/api/{method}"] = asyncio.Event()
        return event

    async def start(self, port: int = 0) -> str:
        """Listen on `port` (0: an ephemeral one; again the same after `stop`: a restart)."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_post("/upload/{id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, reuse_address=True)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        return self.base_url

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base_url}/response/{name}"

    async def stop(self) -> None:
        """Stop listening: connections are refused until `start(self.port)` again."""
        for ws in self.sockets:
            await ws.close()
        self.sockets = []
        for event in self.held.values():
            event.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _record(self, request: web.Request) -> Recorded:
        raw = await request.read()
        ctype = request.content_type
        body: dict[str, Any] = dict(request.query)
        if request.path.startswith("/upload/"):
            body["_bytes"] = len(raw)  # the file itself, whatever the content type says
        elif ctype == "application/json" and raw:
            body.update(json.loads(raw))
        elif ctype == "application/x-www-form-urlencoded":
            body.update(parse_qsl(raw.decode()))
        elif ctype.startswith("multipart/"):
            body["_bytes"] = len(raw)
        elif raw:
            body["_raw"] = raw
        for key in ("blocks", "file_uploads", "files", "view"):
            if isinstance(body.get(key), str):
                with contextlib.suppress(ValueError):
                    body[key] = json.loads(body[key])
        record = Recorded(request.path, body, dict(request.headers), time.monotonic())
        assert self._changed is not None
        async with self._changed:
            self.requests.append(record)
            self._changed.notify_all()
        return record

    def _canned(self, path: str, body: dict[str, Any]) -> Canned | None:
        queue = self.canned.get(path) or []
        canned = next(
            (c for c in queue if c.channel is None or c.channel == body.get("channel")), None
        )
        if canned is None:
            return None
        canned.times -= 1
        if canned.times <= 0:
            queue.remove(canned)
        return canned

    def _failure(self, path: str, body: dict[str, Any]) -> web.Response | None:
        canned = self._canned(path, body)
        if canned is None:
            return None
        if canned.error is not None:
            return web.json_response(
                {"ok": False, "error": canned.error}, status=canned.status, headers=canned.headers
            )
        return web.json_response(
            {"ok": False, "error": "fake_failure"}, status=canned.status, headers=canned.headers
        )

    async def _api(self, request: web.Request) -> web.Response:
        record = await self._record(request)
        if (held := self.held.get(request.path)) is not None:
            await held.wait()
        if (failure := self._failure(request.path, record.body)) is not None:
            return failure
        method = request.match_info["method"]
        body = record.body
        if method == "auth.test":
            return web.json_response(
                {
                    "ok": True,
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "bot_id": "BACCORD",
                    "team": "Acme",
                    "url": "https://acme.slack.com/",
                }
            )
        # Slack's own refusals, as reported against real payloads (bolt-js #2509, #2867):
        # more than 50 blocks, or more than about 12,000 characters of text in them.
        posting = method in ("chat.postMessage", "chat.update", "chat.postEphemeral")
        if posting and (refusal := _block_refusal(body.get("blocks"))) is not None:
            return web.json_response({"ok": False, "error": refusal})
        if method in ("chat.postMessage", "chat.update"):
            ts = body.get("ts") or f"1700000000.{next(self._ts):06d}"
            return web.json_response({"ok": True, "channel": body.get("channel"), "ts": ts})
        if method == "chat.postEphemeral":
            return web.json_response({"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"})
        if method == "chat.getPermalink":
            ts = str(body.get("message_ts", "")).replace(".", "")
            link = f"https://acme.slack.com/archives/{body.get('channel')}/p{ts}"
            return web.json_response({"ok": True, "permalink": link})
        if method == "users.info":
            user_id = body.get("user", "")
            user = self.users.get(
                user_id,
                {
                    "id": user_id,
                    "name": user_id.lower(),
                    "team_id": TEAM_ID,
                    "locale": "en-US",
                    "profile": {"display_name": user_id.title()},
                },
            )
            return web.json_response({"ok": True, "user": user})
        if method == "conversations.open":
            return web.json_response(
                {"ok": True, "channel": {"id": "D" + str(body.get("users", "X"))}}
            )
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts)}"
            return web.json_response(
                {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}
            )
        if method == "files.completeUploadExternal":
            files = body.get("files") or []
            return web.json_response(
                {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
            )
        if method == "files.info":
            return web.json_response({"ok": True, "file": {"id": body.get("file")}})
        if method == "apps.connections.open":
            return web.json_response(
                {"ok": True, "url": self.base_url.replace("http", "ws") + "/socket"}
            )
        if method == "oauth.v2.access":
            return web.json_response(
                {
                    "ok": True,
                    "app_id": "AACCORD",
                    "access_token": "xoxb-installed-token",
                    "token_type": "bot",
                    "scope": "commands,chat:write",
                    "bot_user_id": BOT_USER_ID,
                    "team": {"id": "T0OTHER", "name": "Other"},
                    "enterprise": None,
                    "authed_user": {"id": "UINSTALLER"},
                    "is_enterprise_install": False,
                }
            )
        return web.json_response({"ok": True})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: says hello, then records what the app sends back (acks)."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}})
        self.sockets.append(ws)
        await self._note("/socket/connected", {})
        async for message in ws:
            if message.type.name == "TEXT":
                await self._note("/socket/ack", json.loads(message.data))
        return ws

    async def push(self, envelope: dict[str, Any]) -> None:
        await self.sockets[-1].send_json(envelope)

    async def _note(self, path: str, body: dict[str, Any]) -> None:
        assert self._changed is not None
        async with self._changed:
            self.requests.append(Recorded(path, body, {}, time.monotonic()))
            self._changed.notify_all()

    async def _response_url(self, request: web.Request) -> web.Response:
        record = await self._record(request)
        if (failure := self._failure(request.path, record.body)) is not None:
            return failure
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        await self._record(request)
        return web.Response(text="OK - 1")


# What real Slack accepts in one message (block count, total text of the blocks).
SLACK_MAX_BLOCKS = 50
SLACK_MAX_BLOCKS_TEXT = 12000


def _block_text(node: Any) -> int:
    """Characters of every `text` string in a block tree (sections, fields, labels)."""
    if isinstance(node, dict):
        own = len(node["text"]) if isinstance(node.get("text"), str) else 0
        return own + sum(
            _block_text(v) for k, v in node.items() if k != "text" or not isinstance(v, str)
        )
    if isinstance(node, list):
        return sum(_block_text(v) for v in node)
    return 0


def _block_refusal(blocks: Any) -> str | None:
    if not isinstance(blocks, list):
        return None
    if len(blocks) > SLACK_MAX_BLOCKS:
        return "invalid_blocks"
    if _block_text(blocks) > SLACK_MAX_BLOCKS_TEXT:
        return "msg_blocks_too_long"
    return None
