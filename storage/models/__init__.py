"""Every table of Accord. Each capability keeps its tables in its own module.

The imports are explicit so that `SQLModel.metadata` knows every table
(Alembic autogenerate and the test schema check rely on it).
"""

from storage.models import slack as slack  # slack_sdk's OAuth store tables
from storage.models.contract import (
    Contract,
    ContractConfirmation,
    ContractTemplateTerm,
    ContractTerm,
)
from storage.models.decisions import Decision
from storage.models.kpi import (
    DigestSchedule,
    KpiPoint,
    KpiToken,
    Metric,
    Objective,
)
from storage.models.links import LinkCode
from storage.models.matching import PartnerContact, PartnerProfile
from storage.models.notifications import Notification
from storage.models.places import Place
from storage.models.planning import Milestone, MilestoneMove, ReminderPolicy
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
    "Contract",
    "ContractConfirmation",
    "ContractTemplateTerm",
    "ContractTerm",
    "Counter",
    "Decision",
    "DigestSchedule",
    "KpiPoint",
    "KpiToken",
    "LinkCode",
    "Member",
    "Metric",
    "Milestone",
    "MilestoneMove",
    "Notification",
    "Objective",
    "PartnerContact",
    "PartnerProfile",
    "Partnership",
    "Place",
    "Party",
    "PartyMember",
    "ProcessedRequest",
    "ReminderPolicy",
    "Team",
]
