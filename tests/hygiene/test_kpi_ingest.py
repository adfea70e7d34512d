"""`POST /kpi/ingest`: token first, whole chunked bodies up to the cap, deep JSON is a 400."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web

from adapters import kpi_ingest
from adapters.console import ConsoleAdapter
from adapters.http_server import build_http_app
from adapters.kpi_ingest import MAX_BODY, routes
from bot.app import App
from tests.kpi.test_ingest import _points, _token

Send = Callable[[bytes | AsyncIterator[bytes], str], Awaitable[tuple[int, dict[str, object]]]]


def _serve(app: App, scenario: Callable[[Send], Awaitable[None]]) -> None:
    async def main() -> None:
        runner = web.AppRunner(build_http_app(routes(app)))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as http:

            async def send(data: bytes | AsyncIterator[bytes], token: str) -> tuple[int, dict]:
                headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
                async with http.post(
                    f"http://127.0.0.1:{port}/kpi/ingest", data=data, headers=headers
                ) as resp:
                    return resp.status, await resp.json()

            try:
                await scenario(send)
            finally:
                await runner.cleanup()

    asyncio.run(main())


async def _chunks(body: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(body), size):
        yield body[i : i + size]
        await asyncio.sleep(0)  # hand the loop over: the server sees partial buffers


def _points_body(count: int) -> bytes:
    items = ",".join(
        f'{{"metric": "leads", "value": {i % 7}, "at": "2026-03-0{1 + i % 2}T10:00:00Z",'
        f' "id": "ext-{i:06d}", "source": "{"s" * 40}"}}'
        for i in range(count)
    )
    return f"[{items}]".encode()


def test_token_is_checked_before_the_body_is_read(
    app: App, console: ConsoleAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    _token(console)
    parsed: list[bytes] = []
    real = kpi_ingest.json.loads
    monkeypatch.setattr(kpi_ingest.json, "loads", lambda b: parsed.append(b) or real(b))

    async def scenario(send: Send) -> None:
        deep = b"[" * 100_000 + b"]" * 100_000
        assert (await send(deep, "acc_kpi_wrong"))[0] == 401
        assert (await send(b"not json", "acc_kpi_wrong"))[0] == 401

    _serve(app, scenario)
    assert parsed == []


def test_too_deep_json_is_a_400(app: App, console: ConsoleAdapter) -> None:
    token = _token(console)

    async def scenario(send: Send) -> None:
        status, body = await send(b"[" * 100_000 + b"]" * 100_000, token)
        assert status == 400 and body["error"] == "too_deep"

    _serve(app, scenario)
    assert _points(app) == []


def test_chunked_body_is_read_whole_up_to_the_cap(app: App, console: ConsoleAdapter) -> None:
    token = _token(console)
    body = _points_body(1000)
    assert 100_000 < len(body) <= MAX_BODY
    too_big = b" " * (MAX_BODY + 1) + b"[]"

    async def scenario(send: Send) -> None:
        status, answer = await send(_chunks(body, 4096), token)
        assert (status, answer) == (200, {"stored": 1000, "duplicates": 0})
        status, answer = await send(_chunks(too_big, 8192), token)
        assert status == 413 and answer["error"] == "too_large"

    _serve(app, scenario)
    assert len(_points(app)) == 1000
