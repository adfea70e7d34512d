"""Shared fixtures: one suite over two storage back-ends, a fixed clock.

`db_url` runs each storage test on SQLite and, when `TEST_DATABASE_URL` is set
(`.ci/run` sets it where a PostgreSQL server is present), on PostgreSQL. Each
test session gets its own PostgreSQL schema, so concurrent runs do not collide.
"""

from __future__ import annotations

import io
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from adapters.console import ConsoleAdapter
from bot.app import App, build_app
from bot.kernel.clock import FixedClock
from bot.kernel.config import Settings
from bot.kernel.types import Command, Outcome, User
from storage import db

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def _pg_engine(schema: str) -> Engine:
    assert PG_URL
    admin = db.make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in PG_URL else "?"
    return db.make_engine(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    if not PG_URL:
        pytest.skip(
            "PostgreSQL half skipped: set TEST_DATABASE_URL (`.ci/run` does when a server is up)"
        )
    schema = f"accord_test_{uuid.uuid4().hex[:10]}"
    engine = _pg_engine(schema)
    db.upgrade(engine)
    yield engine
    engine.dispose()
    admin = db.make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _truncate(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once per session; each test gets a copy (migrating per test is slow)."""
    path = tmp_path_factory.mktemp("template") / "accord.db"
    eng = db.make_engine(f"sqlite:///{path}")
    db.upgrade(eng)
    eng.dispose()  # the last connection closing folds the WAL into the file
    return path


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on each back-end."""
    if request.param == "sqlite":
        path = tmp_path / "accord.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        eng = db.make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("pg_engine")
        _truncate(eng)
        yield eng


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return Settings(
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        ACCORD_DEFAULT_LOCALE="en",
        ACCORD_DEFAULT_TIMEZONE="Europe/Paris",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def app(settings: Settings, engine: Engine, clock: FixedClock) -> App:
    return build_app(settings, clock=clock, migrate=False, engine=engine)


@pytest.fixture
def console(app: App, tmp_path: Path) -> ConsoleAdapter:
    return ConsoleAdapter(
        app.core,
        team_id="acme-beta",
        channel_id="launch",
        user="alice",
        out=io.StringIO(),
        files_dir=tmp_path / "files",
        run_id="test",
    )


def say(console: ConsoleAdapter, *lines: str) -> str:
    """Feed lines to the console and return what it printed for them."""
    out = console.out
    assert isinstance(out, io.StringIO)
    start = len(out.getvalue())
    for line in lines:
        console.feed(line, echo=True)
    return out.getvalue()[start:]


def core_command(
    app: App,
    name: str,
    text: str,
    *,
    user: str = "alice",
    key: str | None = None,
    channel: str = "launch",
    team: str = "acme-beta",
    locale: str | None = "en",
) -> Outcome:
    """One command straight to the core, as an adapter would hand it over."""
    return app.core.handle(
        Command(
            platform="console",
            team_id=team,
            channel_id=channel,
            user=User(user, user.title()),
            name=name,
            text=text,
            locale=locale,
            idempotency_key=key,
        )
    )
