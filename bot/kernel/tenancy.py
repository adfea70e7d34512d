"""Teams, channels, partnerships, parties and members: who is who, and where."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.kernel.places import place_at, qualify_user
from bot.kernel.types import Tenant, User
from storage.models import Channel, Member, Partnership, Party, PartyMember, Place, Team
from storage.upsert import get_or_create

_SCOPE = (
    select(Team, Channel, Member, Place)
    .join(
        Channel,
        (Channel.platform == Team.platform) & (Channel.team_id == Team.team_id),  # type: ignore[arg-type]
    )
    .outerjoin(
        Member,
        (Member.platform == Team.platform)  # type: ignore[arg-type]
        & (Member.team_id == Team.team_id)
        & (Member.user_id == bindparam("user_id")),
    )
    .outerjoin(
        Place,
        (Place.platform == Team.platform)  # type: ignore[arg-type]
        & (Place.team_id == Team.team_id)
        & (Place.channel_id == Channel.channel_id),
    )
    .where(
        Team.platform == bindparam("platform"),
        Team.team_id == bindparam("team_id"),
        Channel.channel_id == bindparam("channel_id"),
    )
)
_PARTNERSHIP = select(Partnership).where(
    Partnership.platform == bindparam("platform"),
    Partnership.team_id == bindparam("team_id"),
    Partnership.channel_id == bindparam("channel_id"),
)


_PEOPLE = (
    select(Member.user_id, Member.display_name, Party.name)
    .outerjoin(
        PartyMember,
        (PartyMember.user_id == Member.user_id)  # type: ignore[arg-type]
        & (PartyMember.partnership_id == bindparam("partnership_id")),
    )
    .outerjoin(Party, Party.id == PartyMember.party_id)  # type: ignore[arg-type]
    .where(
        Member.platform == bindparam("platform"),
        Member.team_id == bindparam("team_id"),
        Member.user_id.in_(bindparam("ids", expanding=True)),  # type: ignore[attr-defined]
    )
)


@dataclass(slots=True)
class Scope:
    team: Team
    channel: Channel
    partnership: Partnership
    # (user id, company) joined because their workspace is bound to it (Slack Connect,
    # or a place of another workspace bound to a company).
    joined: list[tuple[str, Party]] = field(default_factory=list)
    # A place of another tenant than the partnership's: then `tenant` and `user` are
    # the record's view (bot/kernel/places.py).
    place: Place | None = None
    tenant: Tenant | None = None
    user: User | None = None


def load_scope(
    session: Session, tenant: Tenant, channel_id: str, user: User, now: datetime
) -> Scope:
    """Team, channel, partnership and the member, creating what is missing.

    Two round trips in the usual case (everything exists): this runs for
    every command.
    """
    params = {
        "platform": tenant.platform,
        "team_id": tenant.team_id,
        "channel_id": channel_id,
        "user_id": user.id,
    }
    found = session.execute(_SCOPE, params).first()
    if found is None:
        team = ensure_team(session, tenant, now)
        channel = ensure_channel(session, tenant, channel_id, now)
        member, place = None, None
    else:
        team, channel, member, place = found
    if place is not None:
        return _place_scope(session, tenant, team, channel, place, user, now)
    home = channel.shared_channel_id or channel.channel_id
    partnership = session.execute(_PARTNERSHIP, {**params, "channel_id": home}).scalar()
    if partnership is None:
        partnership = partnership_for(session, tenant, channel, now)
    joined: list[tuple[str, Party]] = []
    if member is None or _member_changed(member, user):
        remember_member(session, tenant, partnership, user, now, joined=joined)
    elif user.home_team_id and (party := _join_home_party(session, tenant, partnership, user)):
        joined.append((user.id, party))
    return Scope(team, channel, partnership, joined)


def _place_scope(
    session: Session,
    origin: Tenant,
    team: Team,
    channel: Channel,
    place: Place,
    user: User,
    now: datetime,
) -> Scope:
    """A command from a place of another workspace: the record's tenant and people."""
    partnership = session.get(Partnership, place.partnership_id)
    assert partnership is not None  # a place is deleted before its partnership
    record = Tenant(partnership.platform, partnership.team_id)
    qualified = qualify_user(user, origin)
    joined: list[tuple[str, Party]] = []
    remember_member(session, record, partnership, qualified, now, joined=joined)
    return Scope(team, channel, partnership, joined, place=place, tenant=record, user=qualified)


def _member_changed(member: Member, user: User) -> bool:
    return bool(
        (user.name and member.display_name != user.name)
        or (user.home_team_id and member.home_team_id != user.home_team_id)
    )


def _id(value: int | None) -> int:
    """A primary key of a row that was flushed, so it has one."""
    assert value is not None
    return value


def ensure_team(session: Session, tenant: Tenant, now: datetime) -> Team:
    return get_or_create(
        session,
        Team,
        {"platform": tenant.platform, "team_id": tenant.team_id},
        {"created_at": now},
    )


def ensure_channel(session: Session, tenant: Tenant, channel_id: str, now: datetime) -> Channel:
    return get_or_create(
        session,
        Channel,
        {"platform": tenant.platform, "team_id": tenant.team_id, "channel_id": channel_id},
        {"created_at": now},
    )


def find_channel(session: Session, tenant: Tenant, channel_id: str) -> Channel | None:
    return session.exec(
        select(Channel).where(
            Channel.platform == tenant.platform,
            Channel.team_id == tenant.team_id,
            Channel.channel_id == channel_id,
        )
    ).first()


def existing_partnership(session: Session, tenant: Tenant, channel_id: str) -> Partnership | None:
    """The channel's partnership if there is one; creates nothing (read-only paths)."""
    channel = find_channel(session, tenant, channel_id)
    if channel is not None and channel.shared_channel_id is None:
        place = place_at(session, tenant, channel_id)
        if place is not None:
            return session.get(Partnership, place.partnership_id)
    home = (channel.shared_channel_id if channel else None) or channel_id
    return session.execute(
        _PARTNERSHIP,
        {"platform": tenant.platform, "team_id": tenant.team_id, "channel_id": home},
    ).scalar()


def partnership_for(
    session: Session, tenant: Tenant, channel: Channel, now: datetime
) -> Partnership:
    """The partnership of a channel: that of its linked shared channel, if any."""
    home = channel.shared_channel_id or channel.channel_id
    return get_or_create(
        session,
        Partnership,
        {"platform": tenant.platform, "team_id": tenant.team_id, "channel_id": home},
        {"created_at": now},
    )


def remember_member(
    session: Session,
    tenant: Tenant,
    partnership: Partnership,
    user: User,
    now: datetime,
    *,
    joined: list[tuple[str, Party]] | None = None,
) -> Member:
    """Keep the user's display name fresh; place Slack Connect users in their company."""
    member = get_or_create(
        session,
        Member,
        {"platform": tenant.platform, "team_id": tenant.team_id, "user_id": user.id},
        {"display_name": user.display, "home_team_id": user.home_team_id, "updated_at": now},
    )
    if user.name and member.display_name != user.name:
        member.display_name = user.name
        member.updated_at = now
    if user.home_team_id and member.home_team_id != user.home_team_id:
        member.home_team_id = user.home_team_id
    if user.home_team_id:
        party = _join_home_party(session, tenant, partnership, user)
        if party is not None and joined is not None:
            joined.append((user.id, party))
    return member


def _join_home_party(
    session: Session, tenant: Tenant, partnership: Partnership, user: User
) -> Party | None:
    """The company bound to the user's workspace, if they just joined it."""
    if party_of(session, partnership, user.id) is not None:
        return None
    party = session.exec(
        select(Party).where(
            Party.partnership_id == partnership.id, Party.home_team_id == user.home_team_id
        )
    ).first()
    if party is not None:
        session.add(
            PartyMember(
                platform=tenant.platform,
                team_id=tenant.team_id,
                partnership_id=_id(partnership.id),
                party_id=_id(party.id),
                user_id=user.id,
            )
        )
    return party


def party_of(session: Session, partnership: Partnership, user_id: str) -> Party | None:
    return session.exec(
        select(Party)
        .join(PartyMember, PartyMember.party_id == Party.id)  # type: ignore[arg-type]
        .where(PartyMember.partnership_id == partnership.id, PartyMember.user_id == user_id)
    ).first()


def parties(session: Session, partnership: Partnership) -> list[tuple[Party, list[str]]]:
    """Each party with the user ids of its members, in order of creation."""
    rows = session.exec(
        select(Party).where(Party.partnership_id == partnership.id).order_by(Party.id)  # type: ignore[arg-type]
    ).all()
    members = session.exec(
        select(PartyMember).where(PartyMember.partnership_id == partnership.id)
    ).all()
    return [(p, [m.user_id for m in members if m.party_id == p.id]) for p in rows]


def people(
    session: Session, tenant: Tenant, partnership: Partnership, user_ids: Iterable[str]
) -> dict[str, str]:
    """user id -> 'Name (Company)', or just the name when the company is unknown."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    rows = session.execute(
        _PEOPLE,
        {
            "platform": tenant.platform,
            "team_id": tenant.team_id,
            "partnership_id": partnership.id,
            "ids": ids,
        },
    ).all()
    names = {user_id: name for user_id, name, _ in rows}
    companies = {user_id: company for user_id, _, company in rows if company}
    result: dict[str, str] = {}
    for user_id in ids:
        name = names.get(user_id, user_id)
        company = companies.get(user_id)
        result[user_id] = f"{name} ({company})" if company else name
    return result
