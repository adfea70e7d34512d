"""How the team's own profile scores against named partner companies, as `/match` scores.

Used by the partnership's health (`/accord health`): a company is matched to a directory
profile by its folded name. The text-relevance part (8 % of the weights) reads the
partners' words against each other only, so it can differ by a point or two from a
`/match` over the whole directory.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.kernel.types import Tenant
from bot.matching import profiles as store
from bot.matching.engine import Query, build_index, rank
from bot.matching.weights import Weights
from storage.models import PartnerProfile


@dataclass(frozen=True, slots=True)
class CompanyScore:
    name: str
    score: int  # 0-100, as /match computes it
    affinity: float | None  # audience affinity 0-1; None when their audience is unknown
    trendy: bool  # the "trendy brand" warning: a large audience that is not our persona
    audience: int = 0


@dataclass(frozen=True, slots=True)
class CompanyScores:
    own_profile: bool  # the team's own profile exists and says something a score can use
    partners: list[str]  # the companies other than the team's own
    scored: list[CompanyScore]  # those found in the directory
    unprofiled: list[str]  # those not in the directory


def score_companies(
    session: Session, tenant: Tenant, companies: list[str], weights: Weights | None = None
) -> CompanyScores:
    own_row = store.own_profile(session, tenant)
    own = store.to_profile(own_row) if own_row is not None else None
    has_criteria = own is not None and any(
        [
            own.description,
            own.audience,
            own.objectives,
            own.culture,
            own.channels,
            own.resources,
            own.needs,
        ]
    )
    own_key = own_row.name_key if own_row is not None else None
    partners = [name for name in companies if store.name_key(name) != own_key]
    if not has_criteria or not partners:
        return CompanyScores(has_criteria, partners, [], partners)
    keys = {store.name_key(name): name for name in partners}
    rows = session.exec(
        select(PartnerProfile).where(
            PartnerProfile.platform == tenant.platform,
            PartnerProfile.team_id == tenant.team_id,
            col(PartnerProfile.is_own).is_(False),
            col(PartnerProfile.name_key).in_(list(keys)),
        )
    ).all()
    found = {row.name_key: row for row in rows}
    unprofiled = [name for key, name in keys.items() if key not in found]
    if not found:
        return CompanyScores(True, partners, [], unprofiled)
    profiled = [found[key] for key in keys if key in found]
    index = build_index([store.to_profile(r) for r in profiled], [r.id or 0 for r in profiled])
    assert own is not None
    matches = rank(index, Query(own=own, top=index.size), weights)
    scored = []
    for m in sorted(matches, key=lambda m: list(keys).index(store.name_key(m.name))):
        affinity = None if "audience" in m.unknown else m.parts.get("audience", (None, 0.0))[0]
        scored.append(
            CompanyScore(
                name=keys[store.name_key(m.name)],
                score=m.score,
                affinity=affinity,
                trendy=any(w.key == "warn.trendy" for w in m.warnings),
                audience=m.total_audience,
            )
        )
    return CompanyScores(True, partners, scored, unprofiled)
