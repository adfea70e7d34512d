"""The retroplanning: milestones toward D-day, and each channel's reminder policy."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

TODO = "todo"
DONE = "done"
CANCELLED = "cancelled"
STATUSES = (TODO, DONE, CANCELLED)


class Milestone(SQLModel, table=True):
    __tablename__ = "milestone"
    __table_args__ = (
        UniqueConstraint(
            "platform", "team_id", "partnership_id", "number", name="uq_milestone_number"
        ),
        # The overdue sweep of every dispatch pass reads open milestones by date.
        Index("ix_milestone_open", "status", "due_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    partnership_id: int = Field(foreign_key="partnership.id")
    # Short number per partnership: what people type (`/plan done 3`).
    number: int
    title: str = Field(max_length=300)
    owners: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    due_date: date
    due_time: time | None = None
    # Days from D-day when the date was given relatively (J-14 -> -14): moving
    # D-day moves the milestone with it. None for an absolute date.
    offset_days: int | None = None
    status: str = Field(default=TODO, max_length=16)
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # No reminder before this local date (a snooze).
    snoozed_until: date | None = None
    # The last local day an overdue ping row was created for (the lazy daily sweep).
    overdue_through: date | None = None
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ReminderPolicy(SQLModel, table=True):
    """When to ping before a deadline, per partnership (the defaults when absent)."""

    __tablename__ = "reminder_policy"
    __table_args__ = (
        UniqueConstraint("partnership_id", name="uq_reminder_policy_partnership"),
        Index("ix_reminder_policy_tenant", "platform", "team_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    partnership_id: int = Field(foreign_key="partnership.id")
    # The partnership's shared channel, where the pings go.
    channel_id: str = Field(max_length=64)
    # Days before the due date at which to ping; 0 is the day itself.
    days_before: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    at: time = Field(default=time(9, 0))
    overdue_daily: bool = True
    # The zone the pings were last planned in: the sweep's fallback when the
    # channel and team have none (the process default at planning time).
    timezone: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class MilestoneMove(SQLModel, table=True):
    """A date change of a milestone (`/plan move`, or D-day moving it along).

    The decision log keeps the reason in words; this keeps the dates, so the
    timeline picture can show where a moved milestone was.
    """

    __tablename__ = "milestone_move"
    __table_args__ = (Index("ix_milestone_move_tenant", "platform", "team_id", "partnership_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    partnership_id: int = Field(foreign_key="partnership.id")
    # None: D-day itself moved.
    milestone_id: int | None = Field(default=None, foreign_key="milestone.id")
    old_date: date
    new_date: date
    # The decision that recorded the move and its reason.
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    moved_by: str = Field(max_length=64)
    moved_at: datetime = Field(sa_type=UTCDateTime)
