"""kpi: a metric can be declared as one that can fall (negative points allowed)

Revision ID: 0740
Revises: 0730
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0740"
down_revision: str | Sequence[str] | None = "0730"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kpi_metric", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("can_fall", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("kpi_metric", schema=None) as batch_op:
        batch_op.drop_column("can_fall")
