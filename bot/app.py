"""Wiring: settings -> engine -> core. Built once per process and passed down.

No global: adapters, the dispatcher and the CLI receive the `App` they use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.core import Core, CoreConfig
from bot.registry import Registry, build_registry
from storage import db

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    registry: Registry
    core: Core = field(init=False)

    def __post_init__(self) -> None:
        self.core = Core(
            self.session_factory,
            self.registry,
            self.clock,
            CoreConfig(
                default_locale=self.settings.default_locale,
                default_timezone=self.settings.default_timezone,
            ),
        )

    def close(self) -> None:
        self.engine.dispose()


def build_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    engine: Engine | None = None,
) -> App:
    settings = settings or Settings()
    engine = engine or db.make_engine(settings.database_url)
    if migrate:
        db.upgrade(engine)
    return App(
        settings=settings,
        engine=engine,
        session_factory=db.make_session_factory(engine),
        clock=clock or SystemClock(),
        registry=build_registry(settings.match_weights),
    )
