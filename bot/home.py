"""The overview a user sees on a platform's home surface (Slack's App Home).

Platform-neutral: the partnerships the user takes part in (a party member or
a decision author), each with its latest decisions. Other capabilities
(deadlines, KPI status) can add their lines here as they land.
"""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.decisions import recent
from bot.i18n import Translator
from bot.types import Reply, Tenant
from storage.models import Decision, Partnership, PartyMember

MAX_PARTNERSHIPS = 10
DECISIONS_PER_PARTNERSHIP = 3


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


def overview(
    factory: sessionmaker[Session], tenant: Tenant, user_id: str, lang: str
) -> list[Reply]:
    """Read-only: one reply per partnership, or one saying there is none yet."""
    t = Translator(lang)
    with factory() as session:
        found = partnerships_of(session, tenant, user_id)
        if not found:
            return [Reply(title=t("home.title"), text=t("home.empty"))]
        replies = [Reply(title=t("home.title"), text=t("home.intro", count=len(found)))]
        for partnership in found:
            latest = recent(session, tenant, partnership, DECISIONS_PER_PARTNERSHIP)
            items = [
                t(
                    "home.decision",
                    number=d.number,
                    text=d.text if len(d.text) <= 120 else d.text[:119] + "…",
                )
                for d in latest
            ]
            replies.append(
                Reply(
                    text=t("home.partnership", channel=f"<#{partnership.channel_id}>"),
                    items=items or [t("home.no_decisions")],
                )
            )
        return replies
