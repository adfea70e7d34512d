"""kpi: objectives, metrics, points, ingest tokens, digest schedules

Revision ID: 0400
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import storage.types

revision: str = "0400"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = AutoString


def _tenant() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", _str(length=16), nullable=False),
        sa.Column("team_id", _str(length=64), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "kpi_objective",
        *_tenant(),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("name", _str(length=200), nullable=False),
        sa.Column("name_key", _str(length=200), nullable=False),
        sa.Column("created_by", _str(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnership.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partnership_id", "name_key", name="uq_kpi_objective_name"),
    )
    op.create_index(
        "ix_kpi_objective_tenant", "kpi_objective", ["platform", "team_id", "partnership_id"]
    )
    op.create_table(
        "kpi_metric",
        *_tenant(),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("name", _str(length=64), nullable=False),
        sa.Column("name_key", _str(length=64), nullable=False),
        sa.Column("unit", _str(length=32), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("vanity", sa.Boolean(), nullable=False),
        sa.Column("vanity_kept_by", _str(length=64), nullable=True),
        sa.Column("created_by", _str(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnership.id"]),
        sa.ForeignKeyConstraint(["objective_id"], ["kpi_objective.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partnership_id", "name_key", name="uq_kpi_metric_name"),
    )
    op.create_index("ix_kpi_metric_tenant", "kpi_metric", ["platform", "team_id", "partnership_id"])
    op.create_table(
        "kpi_point",
        *_tenant(),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("partner", _str(length=120), nullable=True),
        sa.Column("channel", _str(length=120), nullable=True),
        sa.Column("source", _str(length=64), nullable=False),
        sa.Column("external_id", _str(length=200), nullable=True),
        sa.Column("recorded_by", _str(length=64), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnership.id"]),
        sa.ForeignKeyConstraint(["metric_id"], ["kpi_metric.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("metric_id", "source", "external_id", name="uq_kpi_point_external"),
    )
    op.create_index("ix_kpi_point_metric_at", "kpi_point", ["metric_id", "at"])
    op.create_table(
        "kpi_token",
        *_tenant(),
        sa.Column("channel_id", _str(length=64), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", _str(length=64), nullable=False),
        sa.Column("hint", _str(length=16), nullable=False),
        sa.Column("created_by", _str(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnership.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "team_id", "channel_id", name="uq_kpi_token_channel"),
        sa.UniqueConstraint("token_hash", name="uq_kpi_token_hash"),
    )
    op.create_table(
        "kpi_digest_schedule",
        *_tenant(),
        sa.Column("channel_id", _str(length=64), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("fallback_timezone", _str(length=64), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnership.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "team_id", "channel_id", name="uq_kpi_digest_channel"),
    )


def downgrade() -> None:
    op.drop_table("kpi_digest_schedule")
    op.drop_table("kpi_token")
    op.drop_index("ix_kpi_point_metric_at", table_name="kpi_point")
    op.drop_table("kpi_point")
    op.drop_index("ix_kpi_metric_tenant", table_name="kpi_metric")
    op.drop_table("kpi_metric")
    op.drop_index("ix_kpi_objective_tenant", table_name="kpi_objective")
    op.drop_table("kpi_objective")
