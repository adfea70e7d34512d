"""POST /kpi/ingest through a real aiohttp server on an ephemeral port."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from sqlmodel import select

from adapters.console import ConsoleAdapter
from adapters.http_server import build_http_app
from adapters.kpi_ingest import MAX_BODY, routes
from bot.app import App
from storage.models.kpi import KpiPoint
from tests.conftest import say
from tests.kpi.helpers import setup_launch

Post = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]


def _serve(app: App, scenario: Callable[[Post], Awaitable[None]]) -> None:
    async def main() -> None:
        runner = web.AppRunner(build_http_app(routes(app)))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as http:

            async def post(
                body: object, token: str | None, raw: bytes | None = None
            ) -> tuple[int, dict[str, Any]]:
                headers = {"Content-Type": "application/json"}
                if token is not None:
                    headers["Authorization"] = f"Bearer {token}"
                data = raw if raw is not None else json.dumps(body).encode()
                async with http.post(
                    f"http://127.0.0.1:{port}/kpi/ingest", data=data, headers=headers
                ) as resp:
                    return resp.status, await resp.json()

            try:
                await scenario(post)
            finally:
                await runner.cleanup()

    asyncio.run(main())


def _token(console: ConsoleAdapter) -> str:
    setup_launch(console)
    out = say(console, "/kpi token")
    return "acc_kpi_" + out.split("`acc_kpi_")[1].split("`")[0]


def _points(app: App) -> list[KpiPoint]:
    with app.session_factory() as s:
        return list(s.exec(select(KpiPoint).order_by(KpiPoint.id)).all())


def test_ingest_stores_once_by_source_and_id(console: ConsoleAdapter, app: App) -> None:
    token = _token(console)
    batch = [
        {
            "metric": "leads",
            "value": 3,
            "at": "2026-03-01T10:00:00+01:00",
            "partner": "acme",
            "channel": "newsletter",
            "source": "crm",
            "id": "l-1",
        },
        {
            "metric": "Leads",
            "value": "4",
            "at": "2026-03-01T11:00:00Z",
            "source": "crm",
            "id": "l-2",
        },
    ]

    async def scenario(post: Post) -> None:
        assert await post(batch, token) == (200, {"stored": 2, "duplicates": 0})
        assert await post(batch, token) == (200, {"stored": 0, "duplicates": 2})
        single = {"metric": "leads", "value": 1.5, "at": "2026-03-02T08:00:00"}
        assert await post(single, token) == (200, {"stored": 1, "duplicates": 0})

    _serve(app, scenario)
    points = _points(app)
    assert [(p.value, p.partner, p.channel, p.source, p.external_id) for p in points] == [
        (3, "Acme", "newsletter", "crm", "l-1"),
        (4, None, None, "crm", "l-2"),
        (1.5, None, None, "api", None),
    ]


def test_ingest_refuses_and_stores_nothing(console: ConsoleAdapter, app: App) -> None:
    token = _token(console)
    good = {"metric": "leads", "value": 1, "at": "2026-03-01T10:00:00Z"}

    async def scenario(post: Post) -> None:
        status, body = await post(good, None)
        assert status == 401 and body["error"] == "bad_token"
        status, body = await post(good, "acc_kpi_wrong")
        assert status == 401 and "/kpi token" in body["message"]
        assert token not in json.dumps(body)
        status, body = await post(None, token, raw=b"{not json")
        assert (status, body["error"]) == (400, "bad_json")
        status, body = await post([good, {**good, "metric": "likes"}], token)
        assert (status, body["error"]) == (422, "unknown_metric")
        assert "point 1" in body["message"] and "likes" in body["message"]
        status, body = await post([good, {**good, "value": "many"}], token)
        assert (status, body["error"]) == (400, "bad_value")
        status, body = await post({**good, "at": "yesterday"}, token)
        assert (status, body["error"]) == (400, "bad_at")
        status, body = await post([], token)
        assert (status, body["error"]) == (400, "empty")
        # The chat's rules (issue 13): no negative figure for a metric that cannot fall,
        # no absurd magnitude.
        status, body = await post([good, {**good, "value": -10}], token)
        assert (status, body["error"]) == (422, "negative_value")
        assert "point 1" in body["message"] and "cannot fall" in body["message"]
        status, body = await post({**good, "value": 1e20}, token)
        assert (status, body["error"]) == (422, "value_too_large")
        status, body = await post(None, token, raw=b"[" + b" " * MAX_BODY + b"]")
        assert (status, body["error"]) == (413, "too_large")

    _serve(app, scenario)
    assert _points(app) == []


def test_token_is_per_channel_and_rotation_revokes(console: ConsoleAdapter, app: App) -> None:
    token = _token(console)
    out = say(console, "/kpi token rotate")
    new = "acc_kpi_" + out.split("`acc_kpi_")[1].split("`")[0]
    good = {"metric": "leads", "value": 1, "at": "2026-03-01T10:00:00Z"}

    async def scenario(post: Post) -> None:
        assert (await post(good, token))[0] == 401
        assert (await post(good, new))[0] == 200

    _serve(app, scenario)
    [point] = _points(app)
    assert (point.platform, point.team_id) == ("console", "acme-beta")
