"""`/accord party …`: who is in which company of the partnership, and who speaks for it.

- The first representative of a company creates it (`/accord party add Acme @bob`):
  the creator must be in no company yet and becomes its representative.
- Afterwards only a representative of the company (or a workspace admin, to repair)
  adds or removes its people and names its representatives (`/accord party rep @x`).
- Nobody moves a person out of another company: a person leaves only by themselves
  (`/accord party leave`) or through that company's representative.
- Where the platform knows a person's home workspace (Slack Connect), a company holds
  people of one workspace only, and a workspace bound to a company belongs to it.

Every change is recorded as a decision and announced in the shared channel; a
representative who stops representing a company has their contract confirmations
withdrawn (`registry.representation_lost`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select

from bot.decisions import announce, record_decision
from bot.kernel.context import Ctx
from bot.kernel.errors import UserError
from bot.kernel.parsing import fold, mentions
from bot.kernel.permissions import Permission, Role, Standing, require, standing_of
from bot.kernel.types import Reply, User
from storage.models import Member, Party, PartyMember
from storage.upsert import get_or_create

NAME_MAX_CHARS = 120
ADD_WORDS = ("add", "ajouter")
REMOVE_WORDS = ("remove", "retirer", "enlever", "supprimer")
LEAVE_WORDS = ("leave", "quitter", "partir")
REP_WORDS = ("rep", "representative", "representant", "representante")
OFF_WORDS = ("off", "non", "no", "retirer", "remove", "revoke")
SOURCE = "accord.party"


@dataclass(slots=True)
class Person:
    user_id: str
    # Their home workspace when the platform told us (Slack Connect), else None.
    home: str | None
    membership: PartyMember | None
    company: Party | None


def party_command(ctx: Ctx, sub: str, rest: str) -> list[Reply] | None:
    """The `/accord party <sub>` that change companies; None for an unknown word."""
    word = fold(sub)
    if word in ADD_WORDS:
        return add(ctx, rest)
    if word in REMOVE_WORDS:
        return remove(ctx, rest)
    if word in LEAVE_WORDS:
        return leave(ctx)
    if word in REP_WORDS:
        return representative(ctx, rest)
    return None


# -- reading -------------------------------------------------------------------------------


def _id(value: int | None) -> int:
    assert value is not None
    return value


def people(ctx: Ctx, user_ids: list[str]) -> dict[str, Person]:
    """Each user's company in this partnership and home workspace, in two queries."""
    ids = list(dict.fromkeys(user_ids))
    rows = ctx.session.exec(
        select(PartyMember, Party)
        .join(Party, col(Party.id) == col(PartyMember.party_id))
        .where(
            PartyMember.partnership_id == ctx.partnership.id,
            col(PartyMember.user_id).in_(ids),
        )
    ).all()
    memberships = {pm.user_id: (pm, party) for pm, party in rows}
    homes = dict(
        ctx.session.exec(
            select(Member.user_id, Member.home_team_id).where(
                Member.platform == ctx.tenant.platform,
                Member.team_id == ctx.tenant.team_id,
                col(Member.user_id).in_(ids),
            )
        ).all()
    )
    told = {u.id: u.home_team_id for u in (ctx.user, *ctx.mentioned) if u.home_team_id}
    result = {}
    for user_id in ids:
        pm, party = memberships.get(user_id, (None, None))
        result[user_id] = Person(user_id, told.get(user_id) or homes.get(user_id), pm, party)
    return result


def find_company(ctx: Ctx, name: str) -> Party | None:
    return ctx.session.exec(
        select(Party).where(
            Party.partnership_id == ctx.partnership.id, Party.name_key == fold(name)
        )
    ).first()


def _members(ctx: Ctx, company: Party) -> list[PartyMember]:
    return list(
        ctx.session.exec(
            select(PartyMember)
            .where(PartyMember.party_id == company.id)
            .order_by(col(PartyMember.id))
        ).all()
    )


def _homes(ctx: Ctx, company: Party) -> set[str]:
    """The workspaces a company's people come from, as far as the platform told us."""
    homes = set(
        ctx.session.exec(
            select(Member.home_team_id)
            .join(
                PartyMember,
                (col(PartyMember.user_id) == col(Member.user_id))
                & (col(PartyMember.party_id) == company.id),
            )
            .where(
                Member.platform == ctx.tenant.platform,
                Member.team_id == ctx.tenant.team_id,
                col(Member.home_team_id).is_not(None),
            )
        ).all()
    )
    if company.home_team_id:
        homes.add(company.home_team_id)
    return {h for h in homes if h}


def _bound_to(ctx: Ctx, home: str) -> Party | None:
    return ctx.session.exec(
        select(Party).where(Party.partnership_id == ctx.partnership.id, Party.home_team_id == home)
    ).first()


def _check_workspace(ctx: Ctx, person: Person, company: Party) -> None:
    """Where the platform knows a person's company, it wins over what is typed."""
    if person.home is None:
        return
    bound = _bound_to(ctx, person.home)
    if bound is not None and bound.id != company.id:
        raise UserError(
            "accord.company.errors.bound_elsewhere",
            user=f"<@{person.user_id}>",
            company=bound.name,
        )
    homes = _homes(ctx, company)
    if homes and homes != {person.home}:
        raise UserError(
            "accord.company.errors.other_workspace",
            user=f"<@{person.user_id}>",
            company=company.name,
        )


# -- changing ------------------------------------------------------------------------------


def _parse(rest: str) -> tuple[str, list[str]]:
    user_ids = mentions(rest)
    name = re.sub(r"<@[^>]+>", "", rest).strip().strip('"').strip()
    if len(name) > NAME_MAX_CHARS:
        raise UserError("accord.errors.party_name_too_long", limit=NAME_MAX_CHARS)
    return name, user_ids


def _join(ctx: Ctx, person: Person, company: Party, *, representative: bool) -> None:
    """Put a person in a company (they are in none, or an admin moves them)."""
    if person.membership is None:
        person.membership = PartyMember(
            platform=ctx.tenant.platform,
            team_id=ctx.tenant.team_id,
            partnership_id=_id(ctx.partnership.id),
            party_id=_id(company.id),
            user_id=person.user_id,
        )
    person.membership.party_id = _id(company.id)
    person.membership.is_representative = representative
    ctx.session.add(person.membership)
    known = {u.id: u for u in ctx.mentioned}
    user = known.get(person.user_id, User(person.user_id))
    get_or_create(
        ctx.session,
        Member,
        {"platform": ctx.tenant.platform, "team_id": ctx.tenant.team_id, "user_id": user.id},
        {"display_name": user.display, "home_team_id": person.home, "updated_at": ctx.now},
    )
    # A company of another workspace (Slack Connect) is bound to it: its people join it.
    if person.home and person.home != ctx.tenant.team_id and not company.home_team_id:
        company.home_team_id = person.home
        ctx.session.add(company)
    ctx.session.flush()


def _leave(ctx: Ctx, person: Person) -> list[Reply]:
    """Take a person out of their company; withdraw what they confirmed as representative."""
    assert person.membership is not None and person.company is not None
    was_rep = person.membership.is_representative
    ctx.session.delete(person.membership)
    ctx.session.flush()
    company = person.company
    person.membership, person.company = None, None
    return _lost(ctx, company, [person.user_id]) if was_rep else []


def _lost(ctx: Ctx, company: Party, user_ids: list[str]) -> list[Reply]:
    replies: list[Reply] = []
    for follow in ctx.registry.representation_lost:
        replies += follow(ctx, company, user_ids)
    return replies


def _representatives(ctx: Ctx, company: Party) -> int:
    return ctx.session.exec(
        select(func.count())
        .select_from(PartyMember)
        .where(PartyMember.party_id == company.id, col(PartyMember.is_representative))
    ).one()


def _keep_a_representative(ctx: Ctx, found: Standing, company: Party, losing: int) -> None:
    """A company with people but no representative is locked out: refuse, unless an admin
    repairs it (they can name one afterwards)."""
    if Role.WORKSPACE_ADMIN in found.roles(company):
        return
    members = len(_members(ctx, company))
    if members > losing and _representatives(ctx, company) <= losing:
        raise UserError("accord.company.errors.last_representative", company=company.name)


def _record(ctx: Ctx, text: str) -> list[Reply]:
    """The audit trail is the decision log: recorded and announced in the shared channel."""
    return announce(ctx, record_decision(ctx, text, source=SOURCE))


def _list(user_ids: list[str]) -> str:
    return ", ".join(f"<@{u}>" for u in user_ids)


def add(ctx: Ctx, rest: str) -> list[Reply]:
    name, user_ids = _parse(rest)
    if not name:
        raise UserError("accord.errors.party_usage")
    company = find_company(ctx, name)
    found = standing_of(ctx)
    creating = company is None or not _members(ctx, company)
    if creating and not (company is not None and _repairs(found, company)):
        return _create(ctx, name, company, user_ids)
    assert company is not None
    require(ctx, Permission.MANAGE_COMPANY, company=company)
    if not user_ids:
        raise UserError("accord.errors.party_usage")
    crowd = people(ctx, user_ids)
    added: list[str] = []
    moved: list[str] = []
    replies: list[Reply] = []
    first_rep = not _members(ctx, company)  # an admin refills an empty company
    for user_id in user_ids:
        person = crowd[user_id]
        if person.company is not None and person.company.id == company.id:
            continue
        # Nobody moves a person out of another company; an admin repairs.
        if person.company is not None and not _repairs(found, person.company):
            raise _in_other(person)
        _check_workspace(ctx, person, company)
        if person.company is not None:
            moved.append(user_id)
            replies += _leave(ctx, person)
        _join(ctx, person, company, representative=first_rep)
        first_rep = False
        added.append(user_id)
    if not added:
        raise UserError("accord.company.errors.nothing_to_add", company=company.name)
    text = ctx.t(
        "accord.company.decision_added",
        user=f"<@{ctx.user.id}>",
        members=_list(added),
        company=company.name,
    )
    if moved:
        text += " " + ctx.t("accord.company.decision_moved_by_admin", members=_list(moved))
    return _record(ctx, text) + replies


def _repairs(found: Standing, company: Party) -> bool:
    """A workspace admin repairing this company."""
    return Role.WORKSPACE_ADMIN in found.roles(company)


def _in_other(person: Person) -> UserError:
    assert person.company is not None
    return UserError(
        "accord.company.errors.in_other_company",
        user=f"<@{person.user_id}>",
        company=person.company.name,
    )


def _create(ctx: Ctx, name: str, company: Party | None, user_ids: list[str]) -> list[Reply]:
    """A new company (or an empty one taken up again): its creator is its representative."""
    require(ctx, Permission.CREATE_COMPANY)
    crowd = people(ctx, [ctx.user.id, *user_ids])
    creator = crowd[ctx.user.id]
    if company is None:
        if creator.home is not None and (bound := _bound_to(ctx, creator.home)) is not None:
            raise UserError(
                "accord.company.errors.bound_elsewhere",
                user=f"<@{ctx.user.id}>",
                company=bound.name,
            )
        company = get_or_create(
            ctx.session,
            Party,
            {"partnership_id": ctx.partnership.id, "name_key": fold(name)},
            {
                "platform": ctx.tenant.platform,
                "team_id": ctx.tenant.team_id,
                "name": name,
                "created_at": ctx.now,
            },
        )
    others = [u for u in dict.fromkeys(user_ids) if u != ctx.user.id]
    for person in [creator, *(crowd[u] for u in others)]:
        if person.company is not None:
            raise _in_other(person)
        _check_workspace(ctx, person, company)
        _join(ctx, person, company, representative=person is creator)
    key = "accord.company.decision_created_with" if others else "accord.company.decision_created"
    return _record(
        ctx,
        ctx.t(key, user=f"<@{ctx.user.id}>", company=company.name, members=_list(others)),
    )


def remove(ctx: Ctx, rest: str) -> list[Reply]:
    _, user_ids = _parse(rest)
    if not user_ids:
        raise UserError("accord.company.errors.remove_usage")
    found = standing_of(ctx)
    crowd = people(ctx, user_ids)
    replies: list[Reply] = []
    removed: dict[int, tuple[Party, list[str]]] = {}
    for user_id in user_ids:
        person = crowd[user_id]
        if person.company is None:
            raise UserError("accord.company.errors.not_in_company", user=f"<@{user_id}>")
        company = person.company
        if user_id == ctx.user.id:
            require(ctx, Permission.LEAVE_COMPANY)
        else:
            require(ctx, Permission.MANAGE_COMPANY, company=company)
        losing = 1 if person.membership and person.membership.is_representative else 0
        _keep_a_representative(ctx, found, company, losing)
        replies += _leave(ctx, person)
        removed.setdefault(_id(company.id), (company, []))[1].append(user_id)
    posts: list[Reply] = []
    for company, gone in removed.values():
        key = "decision_left" if gone == [ctx.user.id] else "decision_removed"
        posts += _record(
            ctx,
            ctx.t(
                f"accord.company.{key}",
                user=f"<@{ctx.user.id}>",
                members=_list(gone),
                company=company.name,
            ),
        )
    return posts + replies


def leave(ctx: Ctx) -> list[Reply]:
    found = require(ctx, Permission.LEAVE_COMPANY)
    person = people(ctx, [ctx.user.id])[ctx.user.id]
    if person.company is None:
        raise UserError("accord.company.errors.not_in_company", user=f"<@{ctx.user.id}>")
    company = person.company
    losing = 1 if person.membership and person.membership.is_representative else 0
    _keep_a_representative(ctx, found, company, losing)
    replies = _leave(ctx, person)
    posts = _record(
        ctx,
        ctx.t("accord.company.decision_left", user=f"<@{ctx.user.id}>", company=company.name),
    )
    return posts + replies


def representative(ctx: Ctx, rest: str) -> list[Reply]:
    words = {fold(w) for w in re.sub(r"<@[^>]+>", " ", rest).split()}
    revoke = bool(words & set(OFF_WORDS))
    user_ids = mentions(rest)
    if not user_ids or words - set(OFF_WORDS):
        raise UserError("accord.company.errors.rep_usage")
    found = standing_of(ctx)
    crowd = people(ctx, user_ids)
    posts: list[Reply] = []
    replies: list[Reply] = []
    for user_id in user_ids:
        person = crowd[user_id]
        if person.company is None or person.membership is None:
            raise UserError("accord.company.errors.not_in_company", user=f"<@{user_id}>")
        company = person.company
        require(ctx, Permission.MANAGE_COMPANY, company=company)
        if person.membership.is_representative != revoke:
            raise UserError(
                f"accord.company.errors.{'already_not_rep' if revoke else 'already_rep'}",
                user=f"<@{user_id}>",
                company=company.name,
            )
        if revoke:
            _keep_a_representative(ctx, found, company, 1)
        person.membership.is_representative = not revoke
        ctx.session.add(person.membership)
        ctx.session.flush()
        if revoke:
            replies += _lost(ctx, company, [user_id])
        key = f"accord.company.decision_rep_{'revoked' if revoke else 'named'}"
        posts += _record(
            ctx,
            ctx.t(key, user=f"<@{ctx.user.id}>", target=f"<@{user_id}>", company=company.name),
        )
    return posts + replies


def roster_items(ctx: Ctx) -> list[str]:
    """`/accord`'s list of companies: representatives first, marked."""
    rows = ctx.session.exec(
        select(Party, PartyMember)
        .outerjoin(PartyMember, col(PartyMember.party_id) == col(Party.id))
        .where(Party.partnership_id == ctx.partnership.id)
        .order_by(col(Party.id), col(PartyMember.id))
    ).all()
    companies: dict[int, tuple[Party, list[str]]] = {}
    for party, pm in rows:
        entry = companies.setdefault(_id(party.id), (party, []))
        if pm is not None:
            mark = ctx.t("accord.company.rep_mark") if pm.is_representative else ""
            entry[1].append(f"<@{pm.user_id}>{mark}")
    return [
        ctx.t("accord.party_item", name=party.name, members=", ".join(members) or "—")
        for party, members in companies.values()
    ]


def announce_joins(ctx: Ctx, joined: list[tuple[str, Party]]) -> list[Reply]:
    """`registry.company_joined`: people placed in their company by the platform's facts."""
    by_company: dict[int, tuple[Party, list[str]]] = {}
    for user_id, company in joined:
        by_company.setdefault(_id(company.id), (company, []))[1].append(user_id)
    replies: list[Reply] = []
    for company, users in by_company.values():
        replies += _record(
            ctx,
            # In a place of another workspace the place binds them; else Slack Connect does.
            ctx.t(
                "accord.company.decision_joined_place"
                if ctx.place is not None
                else "accord.company.decision_joined",
                members=_list(users),
                company=company.name,
            ),
        )
    return replies
