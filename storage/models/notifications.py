"""The outbox: every ping and digest the bot must send later is one row here.

The database is the source of truth; the scheduler only wakes the dispatcher.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

PENDING = "pending"
CLAIMED = "claimed"
SENT = "sent"
CANCELLED = "cancelled"
FAILED = "failed"


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (
        # One row per thing to send, ever: (milestone 4, occurrence D-7), (channel, ISO week)...
        UniqueConstraint("platform", "team_id", "idempotency_key", name="uq_notification_key"),
        Index("ix_notification_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    channel_id: str = Field(max_length=64)
    # Which renderer builds the message at send time ("plan.reminder", "kpi.digest", ...).
    kind: str = Field(max_length=32)
    idempotency_key: str = Field(max_length=200)
    # Rows with the same group key and due time go out as one message.
    group_key: str | None = Field(default=None, max_length=200)
    payload: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=PENDING, max_length=16)
    # Claims that may have reached the platform (a post was tried).
    attempts: int = 0
    # Claims taken over after another dispatcher's lease ran out: counted apart,
    # they say nothing about the platform.
    reclaims: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    late: bool = False
    message_ref: str | None = Field(default=None, max_length=200)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Why a `failed` row was given up ("channel_not_found", "token_revoked"...), and
    # when the partnership was told in another of its places (None: not yet).
    failure_reason: str | None = Field(default=None, max_length=64)
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
