"""Partner profiles for `/match`: each team's directory, and its own profile.

A team's directory and its own profile live in the same table; the own profile
is the row flagged `is_own` (at most one per tenant, kept so by the import
code). Names are unique per tenant once case- and accent-folded, so importing
the same file twice updates rows instead of duplicating them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class PartnerProfile(SQLModel, table=True):
    __tablename__ = "partner_profile"
    __table_args__ = (
        UniqueConstraint("platform", "team_id", "name_key", name="uq_partner_profile_name"),
        Index("ix_partner_profile_own", "platform", "team_id", "is_own"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    # `bot.kernel.parsing.fold(name)`: "Société Verte" and "societe verte" are one profile.
    name_key: str = Field(max_length=200)
    is_own: bool = False
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    # Tag lists as typed (the matching engine normalises them when it indexes).
    sectors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    audience: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    geography: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Channel name -> audience size on it ({"instagram": 120000, "events": 3000}).
    channels: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    resources: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    needs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    culture: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    objectives: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    website: str | None = Field(default=None, max_length=500)
    # Where it came from: "import", "chat", "demo".
    source: str = Field(default="import", max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PartnerContact(SQLModel, table=True):
    """A person to reach at a profile; a profile has several, in file order."""

    __tablename__ = "partner_contact"
    __table_args__ = (Index("ix_partner_contact_profile", "profile_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    profile_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("partner_profile.id", ondelete="CASCADE"), nullable=False
        )
    )
    position: int = 0
    name: str = Field(default="", max_length=200)
    role: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=320)
