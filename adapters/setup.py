"""What an adapter contributes when `accord run` starts it."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.kernel.types import Notifier


@dataclass
class AdapterSetup:
    name: str
    # Routes mounted on the shared HTTP server (ACCORD_HTTP_HOST/ACCORD_HTTP_PORT).
    routes: list[web.RouteDef] = field(default_factory=list)
    # Posts reminders and digests for this platform, used by the dispatcher.
    notifier: Notifier | None = None
    # Long-running coroutines (a Socket Mode or gateway connection).
    background: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    # Run when the process stops.
    shutdown: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    # True when this adapter needs the HTTP server even if ACCORD_HTTP_PORT is unset.
    needs_http: bool = False
