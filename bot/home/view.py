"""The overview a user sees on a platform's home surface (Slack's App Home).

Platform-neutral: the partnerships the user takes part in (a party member or
a decision author), each with its latest decisions, its next deadlines and
where its decisive metrics stand.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.decisions import recent
from bot.kernel import formatting
from bot.kernel.i18n import Translator
from bot.kernel.registry import Registry, RenderContext
from bot.kernel.types import Reply, Tenant
from bot.kpi import progress, totals
from bot.planning import milestones, zone_name
from storage.models import Decision, Milestone, Partnership, PartyMember
from storage.models.planning import TODO

MAX_PARTNERSHIPS = 10
DECISIONS_PER_PARTNERSHIP = 3
DEADLINES_PER_PARTNERSHIP = 3


def partnerships_of(session: Session, tenant: Tenant, user_id: str) -> list[Partnership]:
    where_member = select(PartyMember.partnership_id).where(
        PartyMember.platform == tenant.platform,
        PartyMember.team_id == tenant.team_id,
        PartyMember.user_id == user_id,
    )
    where_author = select(Decision.partnership_id).where(
        Decision.platform == tenant.platform,
        Decision.team_id == tenant.team_id,
        Decision.author_id == user_id,
    )
    return list(
        session.exec(
            select(Partnership)
            .where(
                Partnership.platform == tenant.platform,
                Partnership.team_id == tenant.team_id,
                col(Partnership.id).in_(where_member.union(where_author)),
            )
            .order_by(col(Partnership.id).desc())
            .limit(MAX_PARTNERSHIPS)
        ).all()
    )


def next_deadlines(session: Session, tenant: Tenant, partnership: Partnership) -> list[Milestone]:
    open_ones = [m for m in milestones(session, tenant, partnership) if m.status == TODO]
    return open_ones[:DEADLINES_PER_PARTNERSHIP]


def overview(
    factory: sessionmaker[Session],
    tenant: Tenant,
    user_id: str,
    lang: str,
    now: datetime | None = None,
    registry: Registry | None = None,
) -> list[Reply]:
    """Read-only: one reply per partnership, or one saying there is none yet.

    With a registry, each partnership starts with the parts capabilities add
    (`registry.home_sections`: the partnership's health)."""
    t = Translator(lang)
    with factory() as session:
        found = partnerships_of(session, tenant, user_id)
        if not found:
            return [Reply(title=t("home.title"), text=t("home.empty"))]
        replies = [Reply(title=t("home.title"), text=t("home.intro", count=len(found)))]
        for partnership in found:
            reply = _partnership(session, tenant, partnership, t, now)
            if registry is not None and now is not None:
                zone = zone_name(session, partnership, None)
                rc = RenderContext(lang=lang, timezone=zone, now=now)
                top = [x for hook in registry.home_sections for x in hook(session, partnership, rc)]
                reply.sections[:0] = top
            replies.append(reply)
        return replies


def _partnership(
    session: Session,
    tenant: Tenant,
    partnership: Partnership,
    t: Translator,
    now: datetime | None,
) -> Reply:
    latest = recent(session, tenant, partnership, DECISIONS_PER_PARTNERSHIP)
    decisions = [
        t(
            "home.decision",
            number=d.number,
            text=d.text if len(d.text) <= 120 else d.text[:119] + "…",
        )
        for d in latest
    ] or [t("home.no_decisions")]
    sections = [t("home.decisions_title") + "\n" + "\n".join(f"• {line}" for line in decisions)]
    deadlines = next_deadlines(session, tenant, partnership)
    if deadlines:
        lines = [
            t(
                "home.deadline",
                number=m.number,
                title=m.title,
                date=formatting.day(m.due_date, t.lang),
                owners=", ".join(f"<@{o}>" for o in m.owners) or "—",
            )
            for m in deadlines
        ]
        sections.append(t("home.deadlines_title") + "\n" + "\n".join(f"• {x}" for x in lines))
    if now is not None:
        metrics = totals(session, partnership, now)
        if metrics:
            lines = [
                t(
                    "home.metric",
                    metric=f.metric.name,
                    total=formatting.amount(f.cumulative, f.metric.unit, t.lang),
                    target=formatting.amount(f.metric.target, f.metric.unit, t.lang),
                    percent=formatting.percent(progress(f.cumulative, f.metric.target), t.lang),
                )
                for f in metrics
            ]
            sections.append(t("home.metrics_title") + "\n" + "\n".join(f"• {x}" for x in lines))
    return Reply(
        text=t("home.partnership", channel=f"<#{partnership.channel_id}>"), sections=sections
    )
