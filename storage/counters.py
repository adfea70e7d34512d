"""Short per-tenant numbers, allocated atomically on both back-ends."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.models import Counter


@cache
def _upsert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Counter.__table__  # type: ignore[attr-defined]
    return (
        insert(table)
        .values(
            platform=bindparam("p_platform"),
            team_id=bindparam("p_team_id"),
            scope=bindparam("p_scope"),
            value=1,
        )
        .on_conflict_do_update(
            index_elements=["platform", "team_id", "scope"],
            set_={"value": table.c.value + 1},
        )
        .returning(table.c.value)
    )


def next_number(session: Session, platform: str, team_id: str, scope: str) -> int:
    """Return the next value of the `scope` sequence of a tenant (1, 2, 3, ...).

    An upsert with RETURNING takes the row lock in the caller's transaction, so
    two instances allocating at once get different numbers, and a rolled-back
    transaction gives its number back.
    """
    stmt = _upsert(session.get_bind().dialect.name)
    params = {"p_platform": platform, "p_team_id": team_id, "p_scope": scope}
    return int(session.execute(stmt, params).scalar_one())


def raise_to(session: Session, platform: str, team_id: str, scope: str, value: int) -> None:
    """Make the `scope` sequence at least `value` (a number taken from a file, kept as is).

    The same row-locking upsert as `next_number`, so it is safe next to it.
    """
    from sqlalchemy import func

    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Counter.__table__  # type: ignore[attr-defined]
    stmt = insert(table).values(platform=platform, team_id=team_id, scope=scope, value=value)
    higher = (
        func.greatest(table.c.value, stmt.excluded.value)
        if dialect == "postgresql"
        else func.max(table.c.value, stmt.excluded.value)
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["platform", "team_id", "scope"], set_={"value": higher}
        )
    )
