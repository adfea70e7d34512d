"""Every table of Accord. Each capability keeps its tables in its own module.

The imports are explicit so that `SQLModel.metadata` knows every table
(Alembic autogenerate and the test schema check rely on it).
"""

from storage.models import slack as slack  # slack_sdk's OAuth store tables
from storage.models.decisions import Decision
from storage.models.notifications import Notification
from storage.models.tenancy import (
    Channel,
    Counter,
    Member,
    Partnership,
    Party,
    PartyMember,
    ProcessedRequest,
    Team,
)

__all__ = [
    "Channel",
    "Counter",
    "Decision",
    "Member",
    "Notification",
    "Partnership",
    "Party",
    "PartyMember",
    "ProcessedRequest",
    "Team",
]
