"""The decision log: append-only; a correction is a new decision that supersedes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class Decision(SQLModel, table=True):
    __tablename__ = "decision"
    __table_args__ = (
        UniqueConstraint("partnership_id", "number", name="uq_decision_number"),
        Index("ix_decision_channel", "platform", "team_id", "partnership_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    # Per partnership: what people quote ("as decided in #12").
    number: int
    partnership_id: int = Field(foreign_key="partnership.id")
    channel_id: str = Field(max_length=64)  # where it was issued
    posted_channel_id: str = Field(max_length=64)  # the shared channel it was posted to
    text: str = Field(sa_column=Column(Text, nullable=False))
    # Case- and accent-folded text and tags, for search on every back-end.
    search_text: str = Field(sa_column=Column(Text, nullable=False))
    author_id: str = Field(max_length=64)
    participants: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    link: str | None = Field(default=None, max_length=500)
    supersedes_id: int | None = Field(default=None, foreign_key="decision.id")
    # What produced it: "decide" for /decide, "plan.move" for a date moved, ...
    source: str = Field(default="decide", max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)
