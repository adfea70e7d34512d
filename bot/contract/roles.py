"""The agreement and who speaks for each company.

- A company's confirmation stays valid only while its author still represents the
  company: when they are removed, leave, lose the role or are moved, what they
  confirmed is withdrawn (kept, marked) and the shared channel is told.
- Signing and ending are logged as decisions; ending needs a reason.
"""

from __future__ import annotations

import re

from sqlmodel import col, select

from bot.contract import reminders
from bot.contract.terms import find_contract, load_state
from bot.decisions import record_decision
from bot.kernel.context import Ctx
from bot.kernel.permissions import standing_of
from bot.kernel.places import said
from bot.kernel.types import Reply
from storage.models import ContractConfirmation, Decision, Party
from storage.models.contract import AWAITING, CONFIRMED, ENDED, SIGNED

_BECAUSE_RE = re.compile(
    r"^\s*(?:because|reason:?|since|parce\s+que|parce\s+qu['’]|car|raison\s*:?)\s*", re.IGNORECASE
)


def reason(rest: str) -> str:
    """`/contract end because the budget was cut` -> 'the budget was cut'."""
    return _BECAUSE_RE.sub("", rest.strip(), count=1).strip()


def record(ctx: Ctx, key: str, **params: object) -> Decision:
    """Sign and end are decisions of the company whose representative acts."""
    company = standing_of(ctx).company
    text = ctx.t(
        key,
        user=f"<@{ctx.user.id}>",
        company=company.name if company is not None else "—",
        **params,
    )
    return record_decision(ctx, text, source="contract.status")


def withdraw_confirmations(ctx: Ctx, company: Party, user_ids: list[str]) -> list[Reply]:
    """`registry.representation_lost`: the company's confirmations by these people go."""
    contract_row = find_contract(ctx.session, ctx.tenant, ctx.partnership, lock=True)
    if contract_row is None or contract_row.status in (SIGNED, ENDED):
        return []  # a signed or ended agreement is history
    rows = ctx.session.exec(
        select(ContractConfirmation).where(
            ContractConfirmation.platform == ctx.tenant.platform,
            ContractConfirmation.team_id == ctx.tenant.team_id,
            ContractConfirmation.contract_id == contract_row.id,
            ContractConfirmation.party_id == company.id,
            col(ContractConfirmation.user_id).in_(user_ids),
            col(ContractConfirmation.withdrawn_at).is_(None),
        )
    ).all()
    if not rows:
        return []
    for row in rows:
        row.withdrawn_at = ctx.now
        ctx.session.add(row)
    ctx.session.flush()
    state = load_state(ctx.session, ctx.tenant, ctx.partnership, contract_row)
    status = state.automatic_status()
    reopened = contract_row.status == CONFIRMED and status == AWAITING
    if status is not None and status != contract_row.status:
        contract_row.status = status
        contract_row.updated_at = ctx.now
        ctx.session.add(contract_row)
    if reopened:
        reminders.start_confirm_pings(ctx.session, contract_row, ctx.shared_channel_id, ctx.now)
    authors = ", ".join(f"<@{u}>" for u in dict.fromkeys(r.user_id for r in rows))
    title = {"company": company.name}
    text = {"company": company.name, "users": authors}
    return [
        Reply(
            title=ctx.t("contract.roles.withdrawn_title", **title),
            text=ctx.t("contract.roles.withdrawn_text", **text),
            footer=ctx.t("contract.roles.reopened") if reopened else None,
            target_channel=ctx.target_channel,
            mirror=said(
                title=("contract.roles.withdrawn_title", title),
                text=("contract.roles.withdrawn_text", text),
                footer=("contract.roles.reopened", {}) if reopened else None,
            ),
        )
    ]
