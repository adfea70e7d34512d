"""Every table of Accord. Each capability keeps its tables in its own module.

The imports are explicit so that `SQLModel.metadata` knows every table
(Alembic autogenerate and the test schema check rely on it).
"""

from storage.models.decisions import Decision
from storage.models.notifications import Notification
from storage.models.planning import Milestone, ReminderPolicy
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
    "Milestone",
    "Notification",
    "Partnership",
    "Party",
    "PartyMember",
    "ProcessedRequest",
    "ReminderPolicy",
    "Team",
]
