"""Who brought a figure: `partner:` names resolved to the partnership's companies.

`partner:Acme` next to the company "Acme Media" must not split the digest into
two partners, and `partner:acme media 2026-11-25` names a company, then a date.
A name resolves, in order, to: a company (party) of the partnership or a
partner of the team's directory with that exact name; the longest run of
words that names one; the one company the name starts (`Acme` → `Acme Media`).
Anything else is refused with the close names, once the partnership has
declared its companies (before that there is nothing to resolve against).
"""

from __future__ import annotations

import difflib

from sqlmodel import Session, col, select

from bot.kernel.errors import UserError
from bot.kernel.parsing import fold
from storage.models import PartnerProfile
from storage.models.tenancy import Partnership, Party

MAX_WORDS = 6  # a company name longer than this is not read off the following words


def _parties(session: Session, partnership: Partnership) -> dict[str, str]:
    return {
        p.name_key: p.name
        for p in session.exec(
            select(Party).where(
                Party.platform == partnership.platform,
                Party.team_id == partnership.team_id,
                Party.partnership_id == partnership.id,
            )
        )
    }


def _directory(session: Session, partnership: Partnership, keys: list[str]) -> dict[str, str]:
    """Directory partners named exactly by one of `keys` (an indexed lookup, any size)."""
    if not keys:
        return {}
    return {
        p.name_key: p.name
        for p in session.exec(
            select(PartnerProfile).where(
                PartnerProfile.platform == partnership.platform,
                PartnerProfile.team_id == partnership.team_id,
                col(PartnerProfile.name_key).in_(keys),
            )
        )
    }


def resolve_partner(
    session: Session, partnership: Partnership, first: str, following: list[str], *, quoted: bool
) -> tuple[str, int]:
    """The partner named by `first` (and maybe some `following` words): (name, words used).

    Raises `UserError("kpi.edges.unknown_partner")` with close names when nothing matches.
    """
    parties = _parties(session, partnership)
    runs = [first] if quoted else [" ".join([first, *following[:n]]) for n in range(MAX_WORDS)]
    runs = runs[: 1 + (0 if quoted else len(following))]
    keys = [fold(r) for r in runs]
    known = {**_directory(session, partnership, keys), **parties}
    for used in range(len(runs) - 1, -1, -1):  # the longest run that names someone
        if keys[used] in known:
            return known[keys[used]], used
    starts = [name for key, name in parties.items() if key.startswith(keys[0] + " ")]
    if len(starts) == 1:
        return starts[0], 0
    if not parties:
        return " ".join(first.split()), 0
    close = difflib.get_close_matches(keys[0], list(parties), n=3, cutoff=0.6)
    names = [parties[k] for k in close] or starts or sorted(parties.values())
    raise UserError("kpi.edges.unknown_partner", partner=first, names=", ".join(names))
