"""The partnership contract: its terms, the team's checklist and the confirmations.

A confirmation is kept for good: it names the term revision it confirmed, so a
change (which bumps the term's revision) resets it without erasing the history.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

DRAFT = "draft"
AWAITING = "awaiting_confirmation"
CONFIRMED = "confirmed"
SIGNED = "signed"
ENDED = "ended"
STATUSES = (DRAFT, AWAITING, CONFIRMED, SIGNED, ENDED)


class Contract(SQLModel, table=True):
    """One per partnership."""

    __tablename__ = "contract"
    __table_args__ = (
        UniqueConstraint("platform", "team_id", "partnership_id", name="uq_contract_partnership"),
        Index("ix_contract_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    partnership_id: int = Field(foreign_key="partnership.id")
    status: str = Field(default=DRAFT, max_length=32)
    # Bumped on every term change: a recap button names the revision it showed.
    revision: int = 1
    # How many recaps were posted; each restarts the confirmation reminders.
    recap_count: int = 0
    recap_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signed_link: str | None = Field(default=None, max_length=500)
    signed_by: str | None = Field(default=None, max_length=64)
    signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The renewal or end date; reminders go out 30 and 7 days before.
    end_date: date | None = None
    ended_by: str | None = Field(default=None, max_length=64)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ContractTerm(SQLModel, table=True):
    __tablename__ = "contract_term"
    __table_args__ = (
        UniqueConstraint("contract_id", "key", name="uq_contract_term"),
        Index("ix_contract_term_tenant", "platform", "team_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    contract_id: int = Field(foreign_key="contract.id")
    key: str = Field(max_length=40)
    text: str = Field(sa_column=Column(Text, nullable=False))
    # 1 when first written, +1 on each change: confirmations name the one they saw.
    revision: int = 1
    updated_by: str = Field(max_length=64)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ContractTemplateTerm(SQLModel, table=True):
    """A partnership's own checklist. A partnership without rows uses the default one."""

    __tablename__ = "contract_template_term"
    __table_args__ = (
        UniqueConstraint("partnership_id", "key", name="uq_contract_template_term_partnership"),
        Index("ix_contract_template_term_tenant", "platform", "team_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    partnership_id: int = Field(foreign_key="partnership.id")
    key: str = Field(max_length=40)
    position: int = 0
    # None for the default terms (their label comes from the catalogs, in both languages).
    label: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ContractConfirmation(SQLModel, table=True):
    """A company's representative confirmed one term at one revision."""

    __tablename__ = "contract_confirmation"
    __table_args__ = (
        UniqueConstraint(
            "contract_id", "party_id", "term_key", "term_revision", name="uq_contract_confirmation"
        ),
        Index("ix_contract_confirmation_tenant", "platform", "team_id", "contract_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)
    contract_id: int = Field(foreign_key="contract.id")
    party_id: int = Field(foreign_key="party.id")
    user_id: str = Field(max_length=64)
    term_key: str = Field(max_length=40)
    term_revision: int
    contract_revision: int
    confirmed_at: datetime = Field(sa_type=UTCDateTime)
    # Set when its author stopped representing the company: it no longer counts.
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
