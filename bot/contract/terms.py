"""The contract's checklist and its state: which terms, filled by whom, confirmed by whom.

Shared by the `/contract` handlers, the reminders and the exports; every query
filters on the tenant.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from bot.kernel.i18n import Translator
from bot.kernel.parsing import fold
from bot.kernel.tenancy import parties
from bot.kernel.types import Tenant
from storage.models import (
    Contract,
    ContractConfirmation,
    ContractTemplateTerm,
    ContractTerm,
    Partnership,
    Party,
)
from storage.models.contract import AWAITING, CONFIRMED

SIGNATURE = "signature"
# The default checklist, in order: canonical key (English) and what users may type
# instead, in English and French (compared case- and accent-folded).
DEFAULT_TERMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("parties", ("partie", "representatives", "representants", "representant")),
    ("objectives", ("objectifs", "objectif", "objective", "kpi", "kpis", "goals", "buts")),
    ("deliverables", ("livrables", "livrable", "deliverable")),
    ("resources", ("ressources", "ressource", "resource", "budget", "moyens")),
    ("rights", ("droits", "brand", "marque", "usage", "content", "contenus")),
    ("communication", ("comms", "com", "spokesperson", "porte-parole")),
    ("data", ("donnees", "rgpd", "gdpr", "privacy", "personal-data")),
    ("duration", ("duree", "renewal", "renouvellement", "exit", "sortie")),
    (SIGNATURE, ("signed", "document", "signe", "signee")),
)
# The word French help and replies show for a default term (any alias works when typed).
FRENCH_WORDS = {
    "objectives": "objectifs",
    "deliverables": "livrables",
    "resources": "ressources",
    "rights": "droits",
    "data": "données",
    "duration": "durée",
}
_KEY_RE = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


@dataclass(frozen=True, slots=True)
class TermDef:
    key: str
    # A partnership's own term has its label; default terms take theirs from the catalogs.
    label: str | None = None
    aliases: tuple[str, ...] = ()

    def title(self, t: Translator) -> str:
        return self.label or t(f"contract.term.{self.key}")

    def word(self, lang: str) -> str:
        """What to type for this term, in the reader's language: `livrables` in French."""
        if lang == "fr" and self.label is None:
            return FRENCH_WORDS.get(self.key, self.key)
        return self.key

    def matches(self, folded: str) -> bool:
        return folded == self.key or folded in self.aliases


DEFAULTS = {key: TermDef(key, None, aliases) for key, aliases in DEFAULT_TERMS}


def term_key(raw: str) -> str | None:
    """The key a user typed, folded; None when it cannot be a key."""
    key = fold(raw.strip()).replace("_", "-").replace(" ", "-")
    return key if _KEY_RE.match(key) else None


def template_rows(
    session: Session, tenant: Tenant, partnership: Partnership
) -> list[ContractTemplateTerm]:
    """The partnership's own checklist rows (none: the default checklist)."""
    return list(
        session.exec(
            select(ContractTemplateTerm)
            .where(
                ContractTemplateTerm.platform == tenant.platform,
                ContractTemplateTerm.team_id == tenant.team_id,
                ContractTemplateTerm.partnership_id == partnership.id,
            )
            .order_by(col(ContractTemplateTerm.position), col(ContractTemplateTerm.id))
        ).all()
    )


def checklist(session: Session, tenant: Tenant, partnership: Partnership) -> list[TermDef]:
    """The partnership's checklist: its own template, or the default one."""
    rows = template_rows(session, tenant, partnership)
    if not rows:
        return list(DEFAULTS.values())
    return [
        TermDef(r.key, r.label, DEFAULTS[r.key].aliases if r.key in DEFAULTS else ()) for r in rows
    ]


def resolve(terms: Sequence[TermDef], raw: str) -> TermDef | None:
    folded = term_key(raw)
    if folded is None:
        return None
    return next((d for d in terms if d.matches(folded)), None)


def find_contract(
    session: Session, tenant: Tenant, partnership: Partnership, *, lock: bool = False
) -> Contract | None:
    """The partnership's contract. `lock` before a change: two representatives
    confirming at once on PostgreSQL must not both miss the other's confirmation
    (SQLite already runs one writer at a time)."""
    query = select(Contract).where(
        Contract.platform == tenant.platform,
        Contract.team_id == tenant.team_id,
        Contract.partnership_id == partnership.id,
    )
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


@dataclass(slots=True)
class ContractState:
    """Everything a view of the contract needs, loaded in a few queries."""

    contract: Contract
    checklist: list[TermDef]
    terms: dict[str, ContractTerm]
    parties: list[tuple[Party, list[str]]]
    # party id -> term key -> the confirmation of the term's current revision
    confirmed: dict[int, dict[str, ContractConfirmation]] = field(default_factory=dict)
    # (party id, term key, term revision) -> a confirmation withdrawn because its author
    # stopped representing the company: confirming again revives the row.
    withdrawn: dict[tuple[int, str, int], ContractConfirmation] = field(default_factory=dict)

    @property
    def confirmable(self) -> list[TermDef]:
        """Every term but the signed document's link, which comes after confirmation."""
        return [d for d in self.checklist if d.key != SIGNATURE]

    @property
    def missing(self) -> list[TermDef]:
        return [d for d in self.confirmable if d.key not in self.terms]

    def party_done(self, party_id: int | None) -> bool:
        done = self.confirmed.get(party_id or 0, {})
        return not self.missing and all(d.key in done for d in self.confirmable)

    def parties_confirming(self, key: str) -> list[Party]:
        return [p for p, _ in self.parties if key in self.confirmed.get(p.id or 0, {})]

    @property
    def pending(self) -> list[tuple[Party, list[str]]]:
        return [(p, users) for p, users in self.parties if not self.party_done(p.id)]

    @property
    def all_confirmed(self) -> bool:
        return len(self.parties) >= 2 and not self.pending

    def last_confirmation(self, party_id: int | None) -> ContractConfirmation | None:
        rows = list(self.confirmed.get(party_id or 0, {}).values())
        return max(rows, key=lambda c: c.confirmed_at) if rows else None

    def automatic_status(self) -> str | None:
        """The status the confirmations call for, when the contract is being confirmed."""
        if self.contract.status not in (AWAITING, CONFIRMED):
            return None
        return CONFIRMED if self.all_confirmed else AWAITING


def load_state(
    session: Session, tenant: Tenant, partnership: Partnership, contract: Contract
) -> ContractState:
    terms = {
        term.key: term
        for term in session.exec(
            select(ContractTerm).where(
                ContractTerm.platform == tenant.platform,
                ContractTerm.team_id == tenant.team_id,
                ContractTerm.contract_id == contract.id,
            )
        )
    }
    confirmed: dict[int, dict[str, ContractConfirmation]] = {}
    withdrawn: dict[tuple[int, str, int], ContractConfirmation] = {}
    for row in session.exec(
        select(ContractConfirmation).where(
            ContractConfirmation.platform == tenant.platform,
            ContractConfirmation.team_id == tenant.team_id,
            ContractConfirmation.contract_id == contract.id,
        )
    ):
        term = terms.get(row.term_key)
        if row.withdrawn_at is not None:
            withdrawn[(row.party_id, row.term_key, row.term_revision)] = row
        elif term is not None and term.revision == row.term_revision:
            confirmed.setdefault(row.party_id, {})[row.term_key] = row
    return ContractState(
        contract=contract,
        checklist=checklist(session, tenant, partnership),
        terms=terms,
        parties=parties(session, partnership),
        confirmed=confirmed,
        withdrawn=withdrawn,
    )


def confirm_party(
    session: Session, state: ContractState, party: Party, user_id: str, now: datetime
) -> int:
    """Record the party's confirmation of every current term; return how many were new."""
    contract = state.contract
    done = state.confirmed.setdefault(party.id or 0, {})
    added = 0
    for definition in state.confirmable:
        term = state.terms.get(definition.key)
        if term is None or definition.key in done:
            continue
        row = state.withdrawn.pop((party.id or 0, definition.key, term.revision), None)
        if row is not None:
            row.user_id, row.confirmed_at, row.withdrawn_at = user_id, now, None
            row.contract_revision = contract.revision
            session.add(row)
            done[definition.key] = row
            added += 1
            continue
        row = ContractConfirmation(
            platform=contract.platform,
            team_id=contract.team_id,
            contract_id=contract.id,  # type: ignore[arg-type]
            party_id=party.id,  # type: ignore[arg-type]
            user_id=user_id,
            term_key=definition.key,
            term_revision=term.revision,
            contract_revision=contract.revision,
            confirmed_at=now,
        )
        session.add(row)
        done[definition.key] = row
        added += 1
    session.flush()
    return added
