"""roles: the representative flag of a company's member, withdrawn contract confirmations

Who speaks for which company (issue 12): a company's members may be its
representatives; a confirmation stays valid only while its author represents
the company, so one that lost its author is kept (history) but marked withdrawn.

Revision ID: 0710
Revises: 0700
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0710"
down_revision: str | Sequence[str] | None = "0700"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("party_member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_representative", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("contract_confirmation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contract_confirmation", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")
    with op.batch_alter_table("party_member", schema=None) as batch_op:
        batch_op.drop_column("is_representative")
