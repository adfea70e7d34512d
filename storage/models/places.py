"""The places of a partnership beyond its own channel: channels of other workspaces
and platforms that joined it with the link handshake.

The partnership's own channel (`Partnership.channel_id`, in the partnership's
tenant) is its first place and has no row here. Every other place is one row:
posts for all partners are mirrored to it through the outbox, and its members
act for the company bound to its workspace (`Party.home_team_id` holds the
place's tenant key, see `bot.kernel.places`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class Place(SQLModel, table=True):
    __tablename__ = "place"
    __table_args__ = (
        # A channel is a place of at most one partnership.
        UniqueConstraint("platform", "team_id", "channel_id", name="uq_place_channel"),
        Index("ix_place_partnership", "partnership_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id")
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    channel_id: str = Field(max_length=64)
    # Who completed the handshake here (their id on this place's platform).
    joined_by: str = Field(max_length=64)
    joined_at: datetime = Field(sa_type=UTCDateTime)
