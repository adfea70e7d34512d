"""Short per-tenant numbers, allocated atomically on both back-ends."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.models import Counter


def next_number(session: Session, platform: str, team_id: str, scope: str) -> int:
    """Return the next value of the `scope` sequence of a tenant (1, 2, 3, ...).

    An upsert with RETURNING takes the row lock in the caller's transaction, so
    two instances allocating at once get different numbers, and a rolled-back
    transaction gives its number back.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Counter.__table__  # type: ignore[attr-defined]
    stmt = (
        insert(table)
        .values(platform=platform, team_id=team_id, scope=scope, value=1)
        .on_conflict_do_update(
            index_elements=["platform", "team_id", "scope"],
            set_={"value": table.c.value + 1},
        )
        .returning(table.c.value)
    )
    return int(session.execute(stmt).scalar_one())
