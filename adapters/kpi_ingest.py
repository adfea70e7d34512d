"""`POST /kpi/ingest`: other tools push KPI points over HTTP.

This adapter only translates: it reads the bearer token and the JSON body,
hands them to `registry.point_ingest` (the KPI capability validates and stores in one
transaction) and turns the outcome into a JSON response. Errors are 4xx with
`{"error": code, "message": text}`; nothing is stored when one point is bad.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.setup import AdapterSetup
from bot.kernel.errors import RequestRefused
from bot.kernel.i18n import Translator
from bot.kernel.registry import PointIngest, PointTokenKnown

if TYPE_CHECKING:
    from sqlalchemy.orm import sessionmaker
    from sqlmodel import Session

    from bot.kernel.clock import Clock
    from bot.kernel.services import Services

log = logging.getLogger(__name__)

PATH = "/kpi/ingest"
MAX_BODY = 256 * 1024  # about 1,000 points; bigger batches are split by the client
_t = Translator("en")  # API messages are in English; the error code is stable


def _error(status: int, key: str, **params: object) -> web.Response:
    return web.json_response(
        {"error": key.rsplit(".", 1)[-1], "message": _t(key, **params)}, status=status
    )


class IngestHandler:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        ingest: PointIngest,
        known: PointTokenKnown,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.ingest = ingest
        self.known = known

    async def handle(self, request: web.Request) -> web.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return _error(401, "kpi.points.bad_token")
        # Authenticate before reading or parsing anything a stranger sent.
        if not await asyncio.to_thread(self._known, token):
            return _error(401, "kpi.points.bad_token")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error(413, "kpi.points.too_large", limit=MAX_BODY)
        body = await read_capped(request, MAX_BODY)
        if body is None:
            return _error(413, "kpi.points.too_large", limit=MAX_BODY)
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _error(400, "kpi.points.bad_json")
        except RecursionError:
            return _error(400, "kpi.points.too_deep")
        try:
            stored = await asyncio.to_thread(self._store, token, payload)
        except RequestRefused as err:
            return _error(err.status, err.key, **err.params)
        return web.json_response(dict(stored))

    def _known(self, token: str) -> bool:
        with self.session_factory() as session:
            return self.known(session, token)

    def _store(self, token: str, payload: object) -> Mapping[str, int]:
        with self.session_factory() as session:
            try:
                stored = self.ingest(session, token, payload, self.clock.now())
            except BaseException:
                session.rollback()
                raise
            session.commit()
            return stored


async def read_capped(request: web.Request, cap: int) -> bytes | None:
    """The whole body, chunked or not, or None as soon as it passes `cap` bytes.

    `StreamReader.read(n)` returns what is buffered so far, not the whole body.
    """
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(64 * 1024)
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > cap:
            return None
        parts.append(chunk)


def routes(app: Services) -> list[web.RouteDef]:
    """The endpoint, served when a capability registered `registry.point_ingest`."""
    ingest, known = app.registry.point_ingest, app.registry.point_token_known
    if ingest is None or known is None:
        return []
    handler = IngestHandler(app.session_factory, app.clock, ingest, known)
    return [web.post(PATH, handler.handle)]


def setups(app: Services) -> list[AdapterSetup]:
    """The ingest endpoint rides on the shared HTTP server when ACCORD_HTTP_PORT is set."""
    if not app.settings.http_port:
        return []
    return [AdapterSetup(name="kpi-ingest", routes=routes(app))]
