"""contract: contracts, terms, the team checklist template, confirmations

Revision ID: 0500
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import storage.types

revision: str = "0500"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _str(length: int) -> AutoString:
    return AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", _str(16), nullable=False),
        sa.Column("team_id", _str(64), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("status", _str(32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("recap_count", sa.Integer(), nullable=False),
        sa.Column("recap_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("signed_link", _str(500), nullable=True),
        sa.Column("signed_by", _str(64), nullable=True),
        sa.Column("signed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("ended_by", _str(64), nullable=True),
        sa.Column("ended_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_by", _str(64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnership.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "platform", "team_id", "partnership_id", name="uq_contract_partnership"
        ),
    )
    op.create_index("ix_contract_status", "contract", ["status"], unique=False)
    op.create_table(
        "contract_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", _str(16), nullable=False),
        sa.Column("team_id", _str(64), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("key", _str(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_by", _str(64), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contract_id", "key", name="uq_contract_term"),
    )
    op.create_index(
        "ix_contract_term_tenant", "contract_term", ["platform", "team_id"], unique=False
    )
    op.create_table(
        "contract_template_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", _str(16), nullable=False),
        sa.Column("team_id", _str(64), nullable=False),
        sa.Column("key", _str(40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", _str(200), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "team_id", "key", name="uq_contract_template_term"),
    )
    op.create_table(
        "contract_confirmation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", _str(16), nullable=False),
        sa.Column("team_id", _str(64), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("user_id", _str(64), nullable=False),
        sa.Column("term_key", _str(40), nullable=False),
        sa.Column("term_revision", sa.Integer(), nullable=False),
        sa.Column("contract_revision", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"]),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "contract_id",
            "party_id",
            "term_key",
            "term_revision",
            name="uq_contract_confirmation",
        ),
    )
    op.create_index(
        "ix_contract_confirmation_tenant",
        "contract_confirmation",
        ["platform", "team_id", "contract_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_contract_confirmation_tenant", table_name="contract_confirmation")
    op.drop_table("contract_confirmation")
    op.drop_table("contract_template_term")
    op.drop_index("ix_contract_term_tenant", table_name="contract_term")
    op.drop_table("contract_term")
    op.drop_index("ix_contract_status", table_name="contract")
    op.drop_table("contract")
