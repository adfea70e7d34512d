"""Tenants, channels, partnerships and the people in them.

Every row carries its tenant as `(platform, team_id)`; no query in the core
may read a row without filtering on both.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class Team(SQLModel, table=True):
    """A Slack workspace, a Discord guild or a console "team"."""

    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("platform", "team_id", name="uq_team_tenant"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    name: str | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, max_length=8)
    timezone: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Channel(SQLModel, table=True):
    """A channel the bot has seen, with its settings.

    `shared_channel_id` links a channel to the partnership's shared channel:
    posts that must be seen by all partners go there.
    """

    __tablename__ = "channel"
    __table_args__ = (
        UniqueConstraint("platform", "team_id", "channel_id", name="uq_channel_tenant"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    channel_id: str = Field(max_length=64)
    name: str | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, max_length=8)
    timezone: str | None = Field(default=None, max_length=64)
    shared_channel_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Partnership(SQLModel, table=True):
    """A partnership is bound to its shared channel (created on first use)."""

    __tablename__ = "partnership"
    __table_args__ = (
        UniqueConstraint("platform", "team_id", "channel_id", name="uq_partnership_channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    channel_id: str = Field(max_length=64)
    name: str | None = Field(default=None, max_length=200)
    launch_date: date | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    # How many places of other workspaces it has (`place` rows): every command reads
    # it with the partnership, so one without places pays no query for the mirror.
    place_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Party(SQLModel, table=True):
    """A company taking part in a partnership."""

    __tablename__ = "party"
    __table_args__ = (
        UniqueConstraint("partnership_id", "name_key", name="uq_party_name"),
        Index("ix_party_tenant", "platform", "team_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    partnership_id: int = Field(foreign_key="partnership.id")
    name: str = Field(max_length=120)
    # Case- and accent-folded name, so "Société X" and "societe x" are one party.
    name_key: str = Field(max_length=120)
    # The company's own workspace in a Slack Connect channel: new users from it
    # join this party without anyone adding them.
    home_team_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    """A user as last seen, so replies can show names instead of raw ids."""

    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("platform", "team_id", "user_id", name="uq_member"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    user_id: str = Field(max_length=64)
    display_name: str = Field(max_length=200)
    # The user's home workspace or organisation as the platform reports it
    # (Slack Connect), used to suggest a party.
    home_team_id: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PartyMember(SQLModel, table=True):
    """A user belongs to at most one party of a partnership."""

    __tablename__ = "party_member"
    __table_args__ = (UniqueConstraint("partnership_id", "user_id", name="uq_party_member"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    partnership_id: int = Field(foreign_key="partnership.id")
    party_id: int = Field(foreign_key="party.id")
    user_id: str = Field(max_length=64)
    # Speaks for the company: confirms, signs or ends the agreement, manages its people.
    is_representative: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class Counter(SQLModel, table=True):
    """Per-tenant sequences for short human numbers (decision #12, milestone 3)."""

    __tablename__ = "counter"
    __table_args__ = (UniqueConstraint("platform", "team_id", "scope", name="uq_counter"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    scope: str = Field(max_length=64)
    value: int = 0


class ProcessedRequest(SQLModel, table=True):
    """One row per platform delivery handled, keyed by the platform's id.

    Inserted in the same transaction as the work, before it, so that a retry
    landing on another instance waits on the unique index and then sees it.
    Kept `RECEIPT_TTL` (a day: platforms retry within minutes), then purged by
    the dispatcher's housekeeping; replies are kept without file bytes.
    """

    __tablename__ = "processed_request"
    __table_args__ = (
        UniqueConstraint("platform", "team_id", "idempotency_key", name="uq_processed_request"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    idempotency_key: str = Field(max_length=200)
    name: str = Field(max_length=64)
    replies_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
