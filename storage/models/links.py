"""One-time codes of the link handshake: consent given inside a partnership's channel.

Only a SHA-256 of each code is kept (codes are random, short-lived and single
use, so a fast hash is enough and lets the other channel find the code by hash).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class LinkCode(SQLModel, table=True):
    __tablename__ = "link_code"
    __table_args__ = (
        UniqueConstraint("code_hash", name="uq_link_code_hash"),
        Index("ix_link_code_expires", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Where the code was issued: a channel of the partnership to join.
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    channel_id: str = Field(max_length=64)
    partnership_id: int = Field(foreign_key="partnership.id")
    code_hash: str = Field(max_length=64)
    created_by: str = Field(max_length=64)
    # The company the joining place will speak for (its representative issued the
    # code); None: the place's people are guests until they create their company.
    party_id: int | None = Field(default=None, foreign_key="party.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    # Set once, when the code links a channel; a used code is refused.
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by: str | None = Field(default=None, max_length=64)
    used_platform: str | None = Field(default=None, max_length=16)
    used_team_id: str | None = Field(default=None, max_length=64)
    used_channel_id: str | None = Field(default=None, max_length=64)
