"""Readiness: may a load balancer send this instance traffic right now?

`/healthz` says the process is alive; `/readyz` (this) says it can do its
work: the database answers and its schema is at the migrations' head, the
dispatcher's clock is ticking, and the instance is not stopping. A database
outage makes it 503 so the load balancer drains the instance, and 200 again
as soon as the database is back, without a restart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.delivery.dispatcher import Dispatcher
from storage import db


@dataclass
class Health:
    engine: Engine
    dispatcher: Dispatcher | None = None
    # The dispatcher must show a sign of life this often (seconds).
    stale_after: float = 300.0
    stopping: bool = False
    _heads: set[str] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        from alembic.script import ScriptDirectory

        self._heads = set(ScriptDirectory.from_config(db.alembic_config(self.engine)).get_heads())

    def check(self) -> tuple[bool, dict[str, str]]:
        """(ready, what each check found); blocking: run it off the event loop."""
        checks: dict[str, str] = {}
        if self.stopping:
            checks["instance"] = "stopping"
        try:
            with self.engine.connect() as conn:
                versions = {
                    str(v)
                    for v in conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
                }
                conn.rollback()
            checks["database"] = "ok"
            if versions != self._heads:
                checks["migrations"] = f"at {sorted(versions)}, head is {sorted(self._heads)}"
            else:
                checks["migrations"] = "ok"
        except Exception as exc:  # any failure to reach it: not ready, say what kind
            checks["database"] = f"unreachable ({type(exc).__name__})"
        if self.dispatcher is not None:
            idle = time.monotonic() - self.dispatcher.last_progress
            if self.dispatcher.stopping:
                checks["dispatcher"] = "stopped"
            elif idle > self.stale_after:
                checks["dispatcher"] = f"no progress for {idle:.0f}s"
            else:
                checks["dispatcher"] = "ok"
        ready = all(v == "ok" for k, v in checks.items())
        return ready, checks
