"""The composition root: settings -> engine -> registry -> core. Built once per process.

With `bot.cli` and `bot.runner`, the only place that imports every capability.
No global: adapters, the dispatcher and the operator commands receive the `App`
they use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot import contract, decisions, health, home, kpi, matching, planning
from bot import settings as accord_settings  # `/accord`; `settings` names the configuration here
from bot.delivery import mirror
from bot.kernel.clock import Clock, SystemClock
from bot.kernel.config import Settings
from bot.kernel.core import Core, CoreConfig
from bot.kernel.registry import Registry
from bot.matching.weights import parse as parse_weights
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


def build_registry(match_weights: str = "") -> Registry:
    """Every capability, registered explicitly. `match_weights` is ACCORD_MATCH_WEIGHTS."""
    registry = Registry()
    # The order is the order of `/accord help`.
    decisions.register(registry)
    planning.register(registry)
    weights = parse_weights(match_weights)
    matching.register(registry, weights=weights)  # /match and /partner
    kpi.register(registry)  # also /digest, the digest renderer and its scheduling hook
    contract.register(registry)
    accord_settings.register(registry)
    health.register(registry, weights=weights)  # /accord health, and atop the digest and home
    home.register(registry)  # the App Home view
    mirror.register(registry)  # posts copied to a partnership's other places
    return registry


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
