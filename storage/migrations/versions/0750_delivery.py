"""delivery: lease re-claims counted apart from attempts; permanent failures and their notice

Revision ID: 0750
Revises: 0740
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import storage.types

revision: str = "0750"
down_revision: str | Sequence[str] | None = "0740"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("reclaims", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("failure_reason", AutoString(length=64), nullable=True))
        batch.add_column(sa.Column("reported_at", storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("reported_at")
        batch.drop_column("failure_reason")
        batch.drop_column("reclaims")
