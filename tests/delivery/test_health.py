"""`/readyz` follows the database; `/metrics` speaks Prometheus; both on the real HTTP app."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from adapters.http_server import build_http_app, mark_ready
from bot.app import App
from bot.delivery.readiness import Health
from bot.kernel import metrics
from bot.runner import make_dispatcher
from storage import db
from tests.conftest import START
from tests.delivery.helpers import queue


async def _get(client: TestClient, path: str) -> tuple[int, str]:  # type: ignore[type-arg]
    resp = await client.get(path)
    return resp.status, await resp.text()


def test_readyz_is_ready_only_with_a_reachable_migrated_database(app: App) -> None:
    dispatcher = make_dispatcher(app, {})
    health = Health(app.engine, dispatcher)
    gone = db.make_engine("postgresql+psycopg://postgres@127.0.0.1:9/nowhere")

    async def scenario() -> None:
        http = build_http_app([], readiness=health.check)
        down = build_http_app([], readiness=Health(gone, dispatcher).check)
        async with TestClient(TestServer(http)) as one, TestClient(TestServer(down)) as other:
            assert (await _get(one, "/readyz"))[0] == 503  # not started yet
            mark_ready(http)
            status, body = await _get(one, "/readyz")
            assert status == 200 and '"database": "ok"' in body and '"migrations": "ok"' in body
            # A database nobody answers on: not ready, alive all the same.
            mark_ready(down)
            status, body = await _get(other, "/readyz")
            assert status == 503 and "unreachable" in body
            assert (await _get(other, "/healthz"))[0] == 200
            # Stopping: drained even with everything fine.
            health.stopping = True
            assert (await _get(one, "/readyz"))[0] == 503

    try:
        asyncio.run(scenario())
    finally:
        gone.dispose()


def test_metrics_report_the_outbox_and_deliveries(app: App) -> None:
    queue(app, "a", due=START)
    queue(app, "b", due=START)
    metrics.register_outbox(app.session_factory, app.clock.now)

    async def scrape() -> tuple[int, str]:
        async with TestClient(TestServer(build_http_app([]))) as client:
            return await _get(client, "/metrics")

    status, body = asyncio.run(scrape())
    assert status == 200
    assert 'accord_outbox_rows{platform="console",status="pending"} 2.0' in body
    assert "accord_outbox_due 2.0" in body
    assert "accord_delivery_retries_total" in body and "accord_commands_total" in body
