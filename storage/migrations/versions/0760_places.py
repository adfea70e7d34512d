"""places: a partnership's channels in other workspaces and platforms; numbers per partnership

Revision ID: 0760
Revises: 0750
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import storage.types

revision: str = "0760"
down_revision: str | Sequence[str] | None = "0750"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("platform", AutoString(length=16), nullable=False),
        sa.Column("team_id", AutoString(length=64), nullable=False),
        sa.Column("channel_id", AutoString(length=64), nullable=False),
        sa.Column("joined_by", AutoString(length=64), nullable=False),
        sa.Column("joined_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnership.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "team_id", "channel_id", name="uq_place_channel"),
    )
    op.create_index("ix_place_partnership", "place", ["partnership_id"])
    with op.batch_alter_table("partnership") as batch:
        batch.add_column(sa.Column("place_count", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("link_code") as batch:
        batch.add_column(sa.Column("party_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_link_code_party", "party", ["party_id"], ["id"])
    # Decision numbers count per partnership from now on; each partnership's
    # sequence starts after the highest number it already has, so no number changes.
    with op.batch_alter_table("decision") as batch:
        batch.drop_constraint("uq_decision_number", type_="unique")
        batch.create_unique_constraint("uq_decision_number", ["partnership_id", "number"])
    op.execute(
        """
        INSERT INTO counter (platform, team_id, scope, value)
        SELECT p.platform, p.team_id, 'decision:' || CAST(p.id AS VARCHAR), MAX(d.number)
        FROM decision d JOIN partnership p ON p.id = d.partnership_id
        GROUP BY p.platform, p.team_id, p.id
        """
    )


def downgrade() -> None:
    op.execute("DELETE FROM counter WHERE scope LIKE 'decision:%'")
    with op.batch_alter_table("decision") as batch:
        batch.drop_constraint("uq_decision_number", type_="unique")
        batch.create_unique_constraint("uq_decision_number", ["platform", "team_id", "number"])
    with op.batch_alter_table("link_code") as batch:
        batch.drop_constraint("fk_link_code_party", type_="foreignkey")
        batch.drop_column("party_id")
    with op.batch_alter_table("partnership") as batch:
        batch.drop_column("place_count")
    op.drop_index("ix_place_partnership", table_name="place")
    op.drop_table("place")
