"""Schema, tenancy and concurrency guarantees of the storage layer."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select

import storage.models  # noqa: F401
from bot.app import App, build_app
from bot.kernel.clock import FixedClock
from bot.kernel.config import Settings
from bot.kernel.types import Command, User
from storage import db
from storage.models import Decision

# Tables that hang off a tenant-scoped parent and are only reached through it.
CHILD_TABLES: set[str] = set()


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_every_table_carries_its_tenant() -> None:
    for table in SQLModel.metadata.sorted_tables:
        if table.name in CHILD_TABLES or table.name.startswith("slack_"):
            continue
        assert {"platform", "team_id"} <= set(table.columns.keys()), table.name


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    db.upgrade(engine)
    db.upgrade(engine)


def _second_app(settings: Settings, clock: FixedClock) -> App:
    """Another instance: its own engine and pool on the same database."""
    return build_app(settings, clock=clock, migrate=False)


def _concurrently(*calls: Callable[[], object]) -> list[object]:
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def runner(i: int, call: Callable[[], object]) -> None:
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=runner, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _decide(app: App, text: str, key: str | None) -> Command:
    return Command(
        platform="slack",
        team_id="T1",
        channel_id="C1",
        user=User("U1", "Ann"),
        name="decide",
        text=text,
        idempotency_key=key,
    )


def test_retry_on_another_instance_records_once(
    app: App, settings: Settings, clock: FixedClock
) -> None:
    other = _second_app(settings, clock)
    try:
        for round_ in range(5):
            key = f"evt-{round_}"
            outcomes = _concurrently(
                lambda key=key: app.core.handle(_decide(app, "same", key)),  # type: ignore[misc]
                lambda key=key: other.core.handle(_decide(other, "same", key)),  # type: ignore[misc]
            )
            assert sorted(o.duplicate for o in outcomes) == [False, True]  # type: ignore[attr-defined]
        with app.session_factory() as s:
            assert len(s.exec(select(Decision)).all()) == 5
    finally:
        other.close()


def test_concurrent_decisions_get_distinct_numbers(
    app: App, settings: Settings, clock: FixedClock
) -> None:
    other = _second_app(settings, clock)
    try:
        calls = []
        for i in range(10):
            target = app if i % 2 else other
            calls.append(lambda t=target, i=i: t.core.handle(_decide(t, f"d{i}", f"k{i}")))
        _concurrently(*calls)
        with app.session_factory() as s:
            numbers = sorted(d.number for d in s.exec(select(Decision)))
        assert numbers == list(range(1, 11))
    finally:
        other.close()


@pytest.mark.parametrize("url", ["sqlite:///:memory:"])
def test_memory_sqlite_engine_works(url: str) -> None:
    eng = db.make_engine(url)
    db.upgrade(eng)
    eng.dispose()


def test_a_write_conflict_gets_a_clear_error(app: App) -> None:
    """A unique constraint violated by a concurrent writer: localized error, no crash."""
    from bot.kernel.registry import CommandSpec
    from bot.kernel.types import Reply
    from storage.models import Team

    def clash(ctx: object) -> list[Reply]:
        session = ctx.session  # type: ignore[attr-defined]
        session.add(Team(platform="slack", team_id="T1", created_at=app.clock.now()))
        session.flush()
        return []

    app.registry.add_command(CommandSpec("clash", clash, "x", "x"))
    [reply] = app.core.handle(_decide(app, "", None)).replies  # creates team T1
    outcome = app.core.handle(
        Command(platform="slack", team_id="T1", channel_id="C1", user=User("U1"), name="clash")
    )
    [error] = outcome.replies
    assert error.is_error and "at the same moment" in error.text


def test_migrations_have_a_single_head() -> None:
    from alembic.script import ScriptDirectory

    from storage.db import MIGRATIONS_DIR

    cfg = db.alembic_config(db.make_engine("sqlite:///:memory:"))
    assert cfg.get_main_option("script_location") == str(MIGRATIONS_DIR)
    assert ScriptDirectory.from_config(cfg).get_heads() == ["0760"]
