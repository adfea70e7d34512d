"""KPI tracking: objectives, their one or two decisive metrics, recorded points,
the per-channel ingest token and the per-channel weekly digest schedule."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Float, Index, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class Objective(SQLModel, table=True):
    __tablename__ = "kpi_objective"
    __table_args__ = (
        UniqueConstraint("partnership_id", "name_key", name="uq_kpi_objective_name"),
        Index("ix_kpi_objective_tenant", "platform", "team_id", "partnership_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    partnership_id: int = Field(foreign_key="partnership.id")
    name: str = Field(max_length=200)
    # Case- and accent-folded name: "Lancement été" and "lancement ete" are one objective.
    name_key: str = Field(max_length=200)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Metric(SQLModel, table=True):
    """A decisive metric of an objective (at most two per objective, enforced in bot.kpi)."""

    __tablename__ = "kpi_metric"
    __table_args__ = (
        # Names are unique per partnership so `/kpi log leads 12` is never ambiguous.
        UniqueConstraint("partnership_id", "name_key", name="uq_kpi_metric_name"),
        Index("ix_kpi_metric_tenant", "platform", "team_id", "partnership_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    partnership_id: int = Field(foreign_key="partnership.id")
    objective_id: int = Field(foreign_key="kpi_objective.id")
    name: str = Field(max_length=64)
    name_key: str = Field(max_length=64)
    unit: str = Field(default="", max_length=32)
    target: float = Field(sa_column=Column(Float, nullable=False))
    target_date: date | None = None
    # A vanity metric (likes, views...) kept on purpose with --keep-vanity: who kept it.
    vanity: bool = False
    vanity_kept_by: str | None = Field(default=None, max_length=64)
    # Declared with --can-fall: its points may be negative (refunds, net followers).
    can_fall: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class KpiPoint(SQLModel, table=True):
    """One recorded value (an increment: leads that day, revenue of that order)."""

    __tablename__ = "kpi_point"
    __table_args__ = (
        # Ingest idempotency: the same (source, id) is stored once per metric.
        # NULL external ids (chat entries) never collide.
        UniqueConstraint("metric_id", "source", "external_id", name="uq_kpi_point_external"),
        Index("ix_kpi_point_metric_at", "metric_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    partnership_id: int = Field(foreign_key="partnership.id")
    metric_id: int = Field(foreign_key="kpi_metric.id")
    value: float = Field(sa_column=Column(Float, nullable=False))
    at: datetime = Field(sa_type=UTCDateTime)
    # Attribution: which partner brought it, through which channel (newsletter, shop...).
    partner: str | None = Field(default=None, max_length=120)
    channel: str | None = Field(default=None, max_length=120)
    source: str = Field(default="chat", max_length=64)
    external_id: str | None = Field(default=None, max_length=200)
    recorded_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class KpiToken(SQLModel, table=True):
    """The bearer token other tools use to push points into a channel.

    Only a SHA-256 of the token is kept: the token has 256 random bits, so a
    fast hash is enough and lets the ingest endpoint find the channel by hash.
    """

    __tablename__ = "kpi_token"
    __table_args__ = (
        UniqueConstraint("platform", "team_id", "channel_id", name="uq_kpi_token_channel"),
        UniqueConstraint("token_hash", name="uq_kpi_token_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    channel_id: str = Field(max_length=64)
    partnership_id: int = Field(foreign_key="partnership.id")
    token_hash: str = Field(max_length=64)
    # The first characters, to tell tokens apart without revealing them.
    hint: str = Field(max_length=16)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class DigestSchedule(SQLModel, table=True):
    """When the weekly digest of a partnership goes out (default Monday 09:00)."""

    __tablename__ = "kpi_digest_schedule"
    __table_args__ = (
        UniqueConstraint("partnership_id", name="uq_kpi_digest_partnership"),
        Index("ix_kpi_digest_schedule_tenant", "platform", "team_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    channel_id: str = Field(max_length=64)
    partnership_id: int = Field(foreign_key="partnership.id")
    weekday: int = 0  # 0 = Monday, as in datetime.weekday()
    hour: int = 9
    minute: int = 0
    paused: bool = False
    # The zone in force when the schedule was made, for channels and teams that
    # never set one (the dispatcher's hook does not know the process default).
    fallback_timezone: str = Field(default="UTC", max_length=64)
    updated_at: datetime = Field(sa_type=UTCDateTime)
