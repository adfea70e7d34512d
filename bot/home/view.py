"""The overview a user sees on a platform's home surface (Slack's App Home).

Platform-neutral: the partnerships the user takes part in (a party member or
a decision author), each with its latest decisions, its next deadlines and
where its decisive metrics stand.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.decisions import recent
from bot.kernel import formatting
from bot.kernel.i18n import Translator
from bot.kernel.places import SEP, for_place, qualify
from bot.kernel.registry import Registry, RenderContext
from bot.kernel.tenancy import people
from bot.kernel.types import MENTION_RE, Reply, Tenant
from bot.kpi import progress, totals
from bot.planning import milestones, zone_name
from storage.models import Decision, Milestone, Partnership, PartyMember, Place
from storage.models.planning import TODO

MAX_PARTNERSHIPS = 10
DECISIONS_PER_PARTNERSHIP = 3
DEADLINES_PER_PARTNERSHIP = 3


def partnerships_of(session: Session, tenant: Tenant, user_id: str) -> list[Partnership]:
    """The user's partnerships: of this workspace, and those it is a place of.

    In a place of another workspace the record knows the user by their qualified id
    (bot/kernel/places.py), which names this workspace: it cannot match anyone else.
    """
    qualified = qualify(tenant, user_id)
    where_member = select(PartyMember.partnership_id).where(
        or_(
            (col(PartyMember.platform) == tenant.platform)
            & (col(PartyMember.team_id) == tenant.team_id)
            & (col(PartyMember.user_id) == user_id),
            col(PartyMember.user_id) == qualified,
        )
    )
    where_author = select(Decision.partnership_id).where(
        or_(
            (col(Decision.platform) == tenant.platform)
            & (col(Decision.team_id) == tenant.team_id)
            & (col(Decision.author_id) == user_id),
            col(Decision.author_id) == qualified,
        )
    )
    placed_here = select(Place.partnership_id).where(
        Place.platform == tenant.platform, Place.team_id == tenant.team_id
    )
    return list(
        session.exec(
            select(Partnership)
            .where(
                or_(
                    (col(Partnership.platform) == tenant.platform)
                    & (col(Partnership.team_id) == tenant.team_id),
                    col(Partnership.id).in_(placed_here),
                ),
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
            record = Tenant(partnership.platform, partnership.team_id)
            reply = _partnership(session, tenant, record, partnership, t, now)
            if registry is not None and now is not None:
                zone = zone_name(session, partnership, None)
                rc = RenderContext(lang=lang, timezone=zone, now=now)
                top = [x for hook in registry.home_sections for x in hook(session, partnership, rc)]
                reply.sections[:0] = top
            replies.append(_for_here(session, reply, tenant, record, partnership))
        return replies


def _for_here(
    session: Session, reply: Reply, here: Tenant, record: Tenant, partnership: Partnership
) -> Reply:
    """People of another place named, this workspace's people mentioned (as every post)."""
    texts = [reply.text, *reply.sections]
    ids = [i for text in texts for i in MENTION_RE.findall(text)]
    if here == record and not any(SEP in i for i in ids):
        return reply
    reply.mentions = people(session, record, partnership, ids)
    return for_place(reply, here, record)


def _partnership(
    session: Session,
    here: Tenant,
    tenant: Tenant,
    partnership: Partnership,
    t: Translator,
    now: datetime | None,
) -> Reply:
    """`tenant` is the partnership's record; `here` the workspace whose home this is."""
    latest = recent(session, tenant, partnership, DECISIONS_PER_PARTNERSHIP)
    decisions = [
        t(
            "home.decision",
            number=d.number,
            text=formatting.excerpt(d.text, 120),
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
    channel = partnership.channel_id
    if here != tenant:  # the place of this workspace, not the record's channel elsewhere
        place = session.exec(
            select(Place).where(
                Place.partnership_id == partnership.id,
                Place.platform == here.platform,
                Place.team_id == here.team_id,
            )
        ).first()
        channel = place.channel_id if place is not None else channel
    return Reply(text=t("home.partnership", channel=f"<#{channel}>"), sections=sections)
