"""A notifier that records posts, and shortcuts for the planning tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from bot.app import App
from bot.delivery.dispatcher import Dispatcher
from bot.kernel.types import Reply


@dataclass
class Recorder:
    platform: str = "console"
    posts: list[tuple[str, Reply, str]] = field(default_factory=list)
    fail: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, team_id: str, channel_id: str, reply: Reply, idempotency_key: str) -> str:
        if self.fail:
            raise RuntimeError("platform down")
        with self._lock:
            self.posts.append((channel_id, reply, idempotency_key))
            return f"msg-{len(self.posts)}"


def dispatcher(app: App, recorder: Recorder, name: str = "d1", **kw: object) -> Dispatcher:
    return Dispatcher(
        app.session_factory,
        app.registry,
        app.clock,
        {"console": recorder},
        default_timezone="Europe/Paris",
        name=name,
        **kw,
    )  # type: ignore[arg-type]
