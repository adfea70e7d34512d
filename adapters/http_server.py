"""The one HTTP server: Slack's HTTP mode, Discord interactions, KPI ingest, health.

aiohttp's server (already needed by discord.py) is production-grade and async.
Each adapter contributes its routes; this module only hosts them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiohttp import web

log = logging.getLogger(__name__)

READY = web.AppKey("ready", dict)


async def healthz(request: web.Request) -> web.Response:
    """200 once every adapter is ready, 503 before (load balancers wait on it)."""
    if request.app[READY].get("ready"):
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "starting"}, status=503)


def build_http_app(
    routes: Iterable[web.RouteDef], *, client_max_size: int = 1024**2
) -> web.Application:
    app = web.Application(client_max_size=client_max_size)
    app[READY] = {"ready": False}
    app.router.add_get("/healthz", healthz)
    app.add_routes(list(routes))
    return app


def mark_ready(app: web.Application) -> None:
    app[READY]["ready"] = True


async def start_http(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("HTTP server listening on http://%s:%s", host, port)
    return runner
