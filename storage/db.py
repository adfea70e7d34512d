"""The engine, the session factory and schema migrations.

SQLite is the embedded default (one process on one host, WAL mode, every
transaction `BEGIN IMMEDIATE` so that a read-then-write never fails with
SQLITE_BUSY); PostgreSQL is the server for several instances.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Seconds to wait for a PostgreSQL connection (unless the URL says `connect_timeout`).
CONNECT_TIMEOUT = 5


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the engine for `url`, creating the SQLite file's folder if needed."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        if (
            parsed.database
            and parsed.database != ":memory:"
            and not parsed.database.startswith("file:")
        ):
            create_private(Path(parsed.database))
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs["pool_pre_ping"] = True
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        # An unreachable server fails fast (readiness checks, commands) instead of hanging.
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT}
    return create_engine(url, **kwargs)


def create_private(path: Path) -> None:
    """Create the SQLite file (0600) and any missing folder (0700): the owner's only.

    The database holds every partnership's decisions and agreements; SQLite
    gives its -wal and -shm files the database file's permissions. Existing
    files and folders are left as the operator set them.
    """
    missing = [p for p in [path.parent, *path.parent.parents] if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so we can say IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a decision the channel was told about survives a power loss too
        # (NORMAL in WAL mode may forget the last commits); it costs ~0.2 ms a commit.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every migration. Capabilities add their own branches: hence `heads`."""
    command.upgrade(alembic_config(engine), "heads")
