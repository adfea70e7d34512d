"""Get-or-create that is safe when two instances create the same row at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, select

M = TypeVar("M", bound=SQLModel)


def get_or_create(
    session: Session,
    model: type[M],
    keys: Mapping[str, Any],
    defaults: Mapping[str, Any] | None = None,
) -> M:
    """Return the row matching `keys`, inserting it with `defaults` if missing.

    `keys` must be the columns of a unique constraint: the insert is
    `ON CONFLICT DO NOTHING`, so a concurrent creator wins without an error.
    """
    query = select(model)
    for name, value in keys.items():
        query = query.where(getattr(model, name) == value)
    row = session.exec(query).first()
    if row is not None:
        return row
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__  # type: ignore[attr-defined]
    values = {**(defaults or {}), **keys}
    # Column defaults set on the model (default_factory) apply through the model.
    values = {k: v for k, v in model(**values).model_dump().items() if k != "id" and v is not None}
    session.execute(
        insert(table).values(**values).on_conflict_do_nothing(index_elements=list(keys))
    )
    row = session.exec(query).one()
    return row
