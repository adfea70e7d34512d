"""What an operator command or an adapter is handed: the process's wired services.

`bot.app.App` is the one implementation; the protocol lets capabilities name it
without importing the composition root (which imports every capability).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import sessionmaker
    from sqlmodel import Session

    from bot.kernel.clock import Clock
    from bot.kernel.config import Settings
    from bot.kernel.core import Core
    from bot.kernel.registry import Registry


class Services(Protocol):
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    registry: Registry
    core: Core
