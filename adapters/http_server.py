"""The one HTTP server: Slack's HTTP mode, Discord interactions, KPI ingest, health.

aiohttp's server (already needed by discord.py) is production-grade and async.
Each adapter contributes its routes; this module only hosts them, with:

- `GET /healthz`: alive (200 once started);
- `GET /readyz`: ready for traffic (database reachable and migrated, dispatcher
  alive, not stopping), 503 otherwise, for load balancers' health checks;
- `GET /metrics`: Prometheus text format (prometheus-client);
- every other request timed into the ack-latency histogram.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.kernel import metrics

log = logging.getLogger(__name__)

READY = web.AppKey("ready", dict)
READINESS = web.AppKey("readiness", object)
# Seconds a readiness check may take before it counts as "not ready".
READY_TIMEOUT = 3.0
# Seconds in-flight requests get to finish at a stop.
SHUTDOWN_TIMEOUT = 5.0

Readiness = Callable[[], tuple[bool, dict[str, str]]]
_PROBES = ("/healthz", "/readyz", "/metrics")


async def healthz(request: web.Request) -> web.Response:
    """200 once every adapter is started, 503 before (liveness)."""
    if request.app[READY].get("ready"):
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "starting"}, status=503)


async def readyz(request: web.Request) -> web.Response:
    """200 when this instance can serve; 503 with the failing checks otherwise."""
    if not request.app[READY].get("ready"):
        return web.json_response({"status": "starting"}, status=503)
    check = request.app[READINESS]
    if check is None:
        return web.json_response({"status": "ok", "checks": {}})
    ok: bool
    checks: dict[str, str]
    try:
        ok, checks = await asyncio.wait_for(asyncio.to_thread(check), READY_TIMEOUT)  # type: ignore[arg-type]
    except TimeoutError:
        ok, checks = False, {"database": f"no answer within {READY_TIMEOUT:g}s"}
    return web.json_response(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


async def metrics_view(request: web.Request) -> web.Response:
    body = await asyncio.to_thread(generate_latest, metrics.REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@web.middleware
async def timed(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.path in _PROBES:
        return await handler(request)
    start = time.perf_counter()
    try:
        return await handler(request)
    finally:
        route = request.match_info.route.resource
        name = route.canonical if route is not None else "unmatched"
        metrics.ACK_SECONDS.labels(name).observe(time.perf_counter() - start)


def build_http_app(
    routes: Iterable[web.RouteDef],
    *,
    client_max_size: int = 1024**2,
    readiness: Readiness | None = None,
) -> web.Application:
    app = web.Application(client_max_size=client_max_size, middlewares=[timed])
    app[READY] = {"ready": False}
    app[READINESS] = readiness
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_view)
    app.add_routes(list(routes))
    return app


def mark_ready(app: web.Application) -> None:
    app[READY]["ready"] = True


async def start_http(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    log.info("HTTP server listening on http://%s:%s", host, bound)
    return runner
