"""What the health rules read, loaded from storage in a handful of queries.

Other capabilities are read through their storage models or their small public
functions (`bot.contract.load_state`, `bot.kpi.totals`,
`bot.matching.score_companies`), never through their handlers or internals.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.health import rules
from bot.kernel.tenancy import parties
from bot.kernel.types import Tenant
from bot.matching import Weights
from storage.models import (
    Decision,
    KpiPoint,
    Milestone,
    MilestoneMove,
    Partnership,
    Party,
)
from storage.models.planning import CANCELLED, DONE

# The partnership's companies with their members' user ids (`bot.kernel.tenancy.parties`).
Members = list[tuple[Party, list[str]]]


def _tenant(partnership: Partnership) -> Tenant:
    return Tenant(partnership.platform, partnership.team_id)


def _aware(value: datetime | str | None) -> datetime | None:
    from datetime import UTC

    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns MAX() of a datetime column as text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- 1. partner choice --------------------------------------------------------------


def partner_facts(
    session: Session,
    partnership: Partnership,
    weights: Weights | None = None,
    members: Members | None = None,
) -> rules.PartnerFacts:
    """The team's own profile against each partner company found in its directory
    (scored by `/match`'s engine: `bot.matching.score_companies`)."""
    from bot.matching import score_companies

    members = parties(session, partnership) if members is None else members
    found = score_companies(session, _tenant(partnership), [p.name for p, _ in members], weights)
    return rules.PartnerFacts(
        found.own_profile,
        found.partners,
        [
            rules.PartnerScore(
                name=s.name,
                score=s.score,
                affinity=s.affinity,
                trendy=s.trendy,
                audience=s.audience,
            )
            for s in found.scored
        ],
        found.unprofiled,
    )


# -- 2. agreement -------------------------------------------------------------------


def agreement_facts(
    session: Session, partnership: Partnership, lang: str, members: Members | None = None
) -> rules.AgreementFacts:
    from bot.contract import find_contract, load_state
    from bot.kernel.i18n import Translator
    from storage.models import ContractConfirmation

    tenant = _tenant(partnership)
    members = parties(session, partnership) if members is None else members
    names = [p.name for p, _ in members]
    contract = find_contract(session, tenant, partnership)
    if contract is None:
        from bot.contract import checklist

        terms = [d for d in checklist(session, tenant, partnership) if d.key != "signature"]
        return rules.AgreementFacts(
            status=None,
            terms_total=len(terms),
            terms_written=0,
            first_missing=terms[0].key if terms else None,
            parties=names,
            confirmed_by=[],
            awaiting=names,
            changed=[],
            signed_link=None,
            end_date=None,
        )
    state = load_state(session, tenant, partnership, contract)
    t = Translator(lang)
    # A term changed after a company confirmed it: a confirmation of an older revision
    # with none of the current one.
    changed: list[str] = []
    older = session.exec(
        select(ContractConfirmation.party_id, ContractConfirmation.term_key).where(
            ContractConfirmation.platform == tenant.platform,
            ContractConfirmation.team_id == tenant.team_id,
            ContractConfirmation.contract_id == contract.id,
        )
    ).all()
    for definition in state.confirmable:
        term = state.terms.get(definition.key)
        if term is None:
            continue
        stale = any(
            key == definition.key and definition.key not in state.confirmed.get(party, {})
            for party, key in older
        )
        if stale:
            changed.append(definition.title(t))
    return rules.AgreementFacts(
        status=contract.status,
        terms_total=len(state.confirmable),
        terms_written=len(state.confirmable) - len(state.missing),
        first_missing=state.missing[0].key if state.missing else None,
        parties=names,
        confirmed_by=[p.name for p, _ in state.parties if state.party_done(p.id)],
        awaiting=[p.name for p, _ in state.pending],
        changed=changed,
        signed_link=contract.signed_link,
        end_date=contract.end_date,
        ended_at=contract.ended_at,
    )


# -- 3. plan ------------------------------------------------------------------------


def plan_facts(
    session: Session, partnership: Partnership, now: datetime, th: rules.Thresholds
) -> rules.PlanFacts:
    tenant = _tenant(partnership)
    rows = session.exec(
        select(Milestone)
        .where(
            Milestone.platform == tenant.platform,
            Milestone.team_id == tenant.team_id,
            Milestone.partnership_id == partnership.id,
            Milestone.status != CANCELLED,
        )
        .order_by(col(Milestone.due_date), col(Milestone.number))
    ).all()
    since = now - timedelta(days=th.plan_moves_window_days)
    moved = session.exec(
        select(Decision)
        .where(
            Decision.platform == tenant.platform,
            Decision.team_id == tenant.team_id,
            Decision.partnership_id == partnership.id,
            Decision.source == "plan.move",
            Decision.created_at >= since,
        )
        .order_by(col(Decision.number).desc())
    ).all()
    reasons: dict[int | None, str] = {}
    if moved:
        reasons = {
            decision_id: reason
            for decision_id, reason in session.exec(
                select(MilestoneMove.decision_id, MilestoneMove.reason).where(
                    MilestoneMove.platform == tenant.platform,
                    MilestoneMove.team_id == tenant.team_id,
                    col(MilestoneMove.decision_id).in_([d.id for d in moved]),
                )
            ).all()
        }
    moves = [
        rules.MoveFact(
            decision=d.number,
            # Moves logged before their dates were kept: the decision's words.
            reason=reasons.get(d.id) or (d.text if len(d.text) <= 80 else d.text[:79] + "…"),
            at=d.created_at,
        )
        for d in moved
    ]
    return rules.PlanFacts(
        launch=partnership.launch_date,
        milestones=[
            rules.MilestoneFact(m.number, m.title, m.due_date, m.status == DONE, bool(m.owners))
            for m in rows
        ],
        moves=moves,
    )


# -- 4. decisions ---------------------------------------------------------------------


# The audit trail (companies, representatives, links, tokens) is logged as decisions too, but
# it says nothing about whether the partners decide together: the rule reads the others.
AUDIT_SOURCES = ("accord.party", "accord.link", "accord.unlink", "kpi.token")


def decision_facts(
    session: Session,
    partnership: Partnership,
    now: datetime,
    th: rules.Thresholds,
    members: Members | None = None,
) -> rules.DecisionFacts:
    tenant = _tenant(partnership)
    members = parties(session, partnership) if members is None else members
    company_of = {user: party.name for party, users in members for user in users}
    rows = session.execute(
        sa_select(
            col(Decision.id),
            col(Decision.number),
            col(Decision.author_id),
            col(Decision.supersedes_id),
            col(Decision.created_at),
        )
        .where(
            col(Decision.platform) == tenant.platform,
            col(Decision.team_id) == tenant.team_id,
            col(Decision.partnership_id) == partnership.id,
            col(Decision.source).not_in(AUDIT_SOURCES),
        )
        .order_by(col(Decision.number))
    ).all()
    since = now - timedelta(days=th.decisions_window_days)
    facts = [
        (row_id, rules.DecisionFact(number, company_of.get(author), _aware(at) or now), supersedes)
        for row_id, number, author, supersedes, at in rows
    ]
    recent = [f for _, f, _ in facts if f.at >= since]
    # Chains: follow `supersedes` back from each decision nobody superseded.
    by_id = {row_id: (f, supersedes) for row_id, f, supersedes in facts}
    superseded = {s for _, _, s in facts if s is not None}
    chains: list[list[int]] = []
    for row_id, f, supersedes in facts:
        if row_id in superseded or supersedes is None or f.at < since:
            continue
        chain = [f.number]
        current = supersedes
        while current is not None and current in by_id and len(chain) < 1000:
            older, current = by_id[current]
            chain.insert(0, older.number)
        chains.append(chain)
    return rules.DecisionFacts(
        parties=[p.name for p, _ in members],
        recent=recent,
        last=facts[-1][1] if facts else None,
        chains=chains,
    )


# -- 5. tracking ------------------------------------------------------------------------


def tracking_facts(
    session: Session, partnership: Partnership, now: datetime, timezone: str
) -> rules.TrackingFacts:
    from bot.kpi import objectives_and_metrics, totals, trend

    pairs = objectives_and_metrics(session, partnership)
    figures = (
        {f.metric.id: f for f in totals(session, partnership, now, pairs=pairs)} if pairs else {}
    )
    objectives = []
    for objective, metrics in pairs:
        facts = []
        for m in metrics:
            f = figures.get(m.id)
            total = f.cumulative if f else 0.0
            started = min(x for x in (m.created_at, f.first_at if f else None) if x is not None)
            status = trend(total, m.target, started, now, m.target_date, timezone).status
            facts.append(rules.MetricFact(m.name, m.vanity, status))
        objectives.append(rules.ObjectiveFact(objective.name, facts))
    ids = [m.id for _, metrics in pairs for m in metrics if m.id is not None]
    if not ids:
        return rules.TrackingFacts(objectives, None)
    # By metric: the (metric_id, at) index answers it without reading the points.
    last = session.exec(
        select(func.max(KpiPoint.at)).where(
            KpiPoint.platform == partnership.platform,
            KpiPoint.team_id == partnership.team_id,
            col(KpiPoint.metric_id).in_(ids),
            KpiPoint.at <= now,
        )
    ).one()
    return rules.TrackingFacts(objectives, _aware(last))


# -- all -------------------------------------------------------------------------------


def load(
    session: Session,
    partnership: Partnership,
    now: datetime,
    *,
    lang: str,
    timezone: str,
    th: rules.Thresholds,
    weights: Weights | None = None,
) -> rules.Facts:
    members = parties(session, partnership)  # read once, used by three sins
    return rules.Facts(
        partner=partner_facts(session, partnership, weights, members),
        agreement=agreement_facts(session, partnership, lang, members),
        plan=plan_facts(session, partnership, now, th),
        decisions=decision_facts(session, partnership, now, th, members),
        tracking=tracking_facts(session, partnership, now, timezone),
    )


def today_in(now: datetime, timezone: str) -> date:
    from bot.planning import local_today, zone

    return local_today(now, zone(timezone))
