"""Places: one partnership, each company in its own channel, workspace or platform.

A partnership's record (decisions, plan, metrics, agreement) lives in the tenant
where it was created, its *record tenant*; its own channel there is its first
place. Channels of other workspaces and platforms join with the link handshake
(`bot/settings/links.py`) and become places too (`storage.models.Place`).

A command typed in another place works on the partnership's record as if typed
at home, with two translations done here, in the kernel, so that no capability
needs to know about places:

- **people**: a user of another place is `platform~team~user` in the record
  (`qualify`), and belongs to the company bound to that place's workspace,
  which is the company whose `home_team_id` is the place's `tenant_key`;
- **mentions**: a reply drawn for a place shows `<@id>` as a real mention only to
  people of that place (`for_place`); everyone else reads "Name (Company)".

Posts for all partners are mirrored to every other place through the outbox
(`mirror`), so each place gets its copy exactly once, retried and paced by the
dispatcher like any ping.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from bot.kernel.registry import BATCH_INFO_KEY
from bot.kernel.types import CHANNEL_RE, MENTION_RE, Reply, Tenant, User, Visibility
from storage.models import Channel, Notification, Partnership, Place, Team
from storage.models.notifications import PENDING

if TYPE_CHECKING:
    from bot.kernel.context import Ctx

SEP = "~"
# Notifications that carry a post to another place.
MIRROR_KIND = "mirror"
# `Reply.mirror` kind for a post that other places get as it is (no native renderer).
COPY = "copy"


def every_place() -> dict[str, Any]:
    """`Reply.mirror` of a post for all partners that other places get as it is."""
    return {"kind": COPY}


# `Reply.mirror` kind of a post made only of catalog messages: each place translates it.
SAID = "said"
Message = tuple[str, dict[str, Any]]


def said(
    *,
    title: Message | None = None,
    text: Message | None = None,
    sections: list[Message] | None = None,
    footer: Message | None = None,
) -> dict[str, Any]:
    """`Reply.mirror` of a post written from catalog keys whose values need no formatting
    (names, revisions, links): each place gets it in its own language."""
    parts = {"title": title, "text": text, "footer": footer}
    spec: dict[str, Any] = {"kind": SAID}
    spec.update({k: [v[0], v[1]] for k, v in parts.items() if v is not None})
    if sections:
        spec["sections"] = [[key, params] for key, params in sections]
    return spec


_QUALIFIED = re.compile(r"^([a-z]+)~([^~]+)~(.+)$")

_PLACE_AT = select(Place).where(
    Place.platform == bindparam("platform"),
    Place.team_id == bindparam("team_id"),
    Place.channel_id == bindparam("channel_id"),
)


# -- people of other places ----------------------------------------------------------


def tenant_key(tenant: Tenant) -> str:
    """How a place's workspace is named in `Party.home_team_id`: `slack~T024`."""
    return f"{tenant.platform}{SEP}{tenant.team_id}"


def qualify(tenant: Tenant, user_id: str) -> str:
    """A user id of `tenant` as the record of another tenant's partnership keeps it."""
    if SEP in user_id:
        return user_id
    return f"{tenant.platform}{SEP}{tenant.team_id}{SEP}{user_id}"


def split(user_id: str) -> tuple[Tenant, str] | None:
    """(tenant, id on its platform) of a qualified id; None for a record-tenant id."""
    found = _QUALIFIED.match(user_id)
    if found is None:
        return None
    return Tenant(found.group(1), found.group(2)), found.group(3)


def qualify_user(user: User, place: Tenant) -> User:
    """The user of a place as the record sees them: a member of the place's company."""
    return replace(user, id=qualify(place, user.id), home_team_id=tenant_key(place))


def qualify_text(text: str, place: Tenant) -> str:
    """Mentions typed in a place (`<@U42>`) as the record keeps them."""
    return MENTION_RE.sub(lambda m: f"<@{qualify(place, m.group(1))}>", text)


# -- which places -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlaceRef:
    """One place of a partnership; `place_id` None for the partnership's own channel."""

    platform: str
    team_id: str
    channel_id: str
    place_id: int | None = None

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.platform, self.team_id)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.platform, self.team_id, self.channel_id)


def place_at(session: Session, tenant: Tenant, channel_id: str) -> Place | None:
    """The place row of a channel of another tenant than its partnership's record."""
    params = {"platform": tenant.platform, "team_id": tenant.team_id, "channel_id": channel_id}
    return session.execute(_PLACE_AT, params).scalar()


def home(partnership: Partnership) -> PlaceRef:
    return PlaceRef(partnership.platform, partnership.team_id, partnership.channel_id)


def count_places(session: Session, partnership_id: int, change: int) -> None:
    """Keep `Partnership.place_count` in step with a place joining (+1) or leaving (-1),
    in the same transaction, as one atomic update (two joins at once count two)."""
    session.execute(
        update(Partnership)
        .where(col(Partnership.id) == partnership_id)
        .values(place_count=Partnership.place_count + change)
        .execution_options(synchronize_session=False)
    )


def other_places(session: Session, partnership_id: int) -> list[Place]:
    """The places joined from other workspaces and platforms, oldest first."""
    return list(
        session.exec(
            select(Place).where(Place.partnership_id == partnership_id).order_by(col(Place.id))
        ).all()
    )


def all_places(session: Session, partnership: Partnership) -> list[PlaceRef]:
    """Every place, the partnership's own channel first."""
    assert partnership.id is not None
    return [home(partnership)] + [
        PlaceRef(p.platform, p.team_id, p.channel_id, p.id)
        for p in other_places(session, partnership.id)
    ]


PLATFORM_NAMES = {"slack": "Slack", "discord": "Discord", "console": "Console"}


def label(session: Session, ref: PlaceRef) -> str:
    """`launch (Acme, Slack)`: a place named so that every other place can read it.

    No `#`: the name is no link in the other places, and a decision would take it for a tag.
    """
    channel = session.exec(
        select(Channel.name).where(
            Channel.platform == ref.platform,
            Channel.team_id == ref.team_id,
            Channel.channel_id == ref.channel_id,
        )
    ).first()
    team = session.exec(
        select(Team.name).where(Team.platform == ref.platform, Team.team_id == ref.team_id)
    ).first()
    platform = PLATFORM_NAMES.get(ref.platform, ref.platform)
    return f"{channel or ref.channel_id} ({team or ref.team_id}, {platform})"


@dataclass(frozen=True, slots=True)
class PlaceInfo:
    """A place as `/accord places` lists it."""

    ref: PlaceRef
    workspace: str | None
    channel: str | None
    locale: str | None
    timezone: str | None


def describe_places(session: Session, partnership: Partnership) -> list[PlaceInfo]:
    found: list[PlaceInfo] = []
    for ref in all_places(session, partnership):
        team = session.exec(
            select(Team).where(Team.platform == ref.platform, Team.team_id == ref.team_id)
        ).first()
        channel = session.exec(
            select(Channel).where(
                Channel.platform == ref.platform,
                Channel.team_id == ref.team_id,
                Channel.channel_id == ref.channel_id,
            )
        ).first()
        found.append(
            PlaceInfo(
                ref,
                workspace=team.name if team else None,
                channel=channel.name if channel else None,
                locale=(channel.locale if channel else None) or (team.locale if team else None),
                timezone=(channel.timezone if channel else None)
                or (team.timezone if team else None),
            )
        )
    return found


# -- drawing a reply for a place ----------------------------------------------------------


def for_place(reply: Reply, place: Tenant, record: Tenant) -> Reply:
    """The reply as `place` shows it: its own people mentioned, the others named.

    Channel references of another tenant cannot be opened from here: they read
    as plain `#name`.
    """

    def person(m: re.Match[str]) -> str:
        user_id = m.group(1)
        found = split(user_id)
        owner, raw = found if found is not None else (record, user_id)
        if owner == place:
            return f"<@{raw}>"
        return reply.mentions.get(user_id) or raw

    def channel(m: re.Match[str]) -> str:
        return m.group(0) if place == record else "#" + m.group(1)

    def fix(text: str) -> str:
        return CHANNEL_RE.sub(channel, MENTION_RE.sub(person, text)) if text else text

    if not _needs_fixing(reply, place, record):
        return reply
    mentions = {}
    for user_id, name in reply.mentions.items():
        found = split(user_id)
        owner, raw = found if found is not None else (record, user_id)
        if owner == place:
            mentions[raw] = name
    return replace(
        reply,
        text=fix(reply.text),
        title=fix(reply.title) if reply.title else reply.title,
        sections=[fix(s) for s in reply.sections],
        fields=[replace(f, label=fix(f.label), value=fix(f.value)) for f in reply.fields],
        items=[fix(i) for i in reply.items],
        footer=fix(reply.footer) if reply.footer else reply.footer,
        mentions=mentions,
    )


def _needs_fixing(reply: Reply, place: Tenant, record: Tenant) -> bool:
    if place != record:
        return True
    texts = [reply.text, reply.title or "", reply.footer or "", *reply.sections, *reply.items]
    texts += [f.value for f in reply.fields]
    return any(SEP in user_id for t in texts for user_id in MENTION_RE.findall(t))


# -- mirroring ---------------------------------------------------------------------


def destination(ctx: Ctx, reply: Reply) -> PlaceRef | None:
    """The place a public reply is posted in, None when it goes to no place."""
    if reply.visibility != Visibility.CHANNEL or reply.replace_original:
        return None
    partnership = ctx.partnership
    if reply.target_channel:
        if ctx.place is None and reply.target_channel == partnership.channel_id:
            return home(partnership)
        return None
    if ctx.place is not None:
        return PlaceRef(
            ctx.origin.platform, ctx.origin.team_id, ctx.channel.channel_id, ctx.place.id
        )
    if (ctx.origin, ctx.channel.channel_id) == (ctx.tenant, partnership.channel_id):
        return home(partnership)
    return None


def mirror(ctx: Ctx, replies: list[Reply]) -> int:
    """Queue each post meant for all partners to every other place; the rows planned.

    In the command's transaction: the record and its copies commit together, and
    the acknowledgement waits for no platform.
    """
    if ctx.partnership.id is None or not (ctx.partnership.place_count or ctx.place):
        return 0  # the usual case, no other place: no query at all (a place that just
        # left still tells the partnership's own channel)
    wanted = [(r, where) for r in replies if r.mirror and (where := destination(ctx, r))]
    if not wanted:
        return 0
    places = all_places(ctx.session, ctx.partnership)
    if len(places) < 2:
        return 0
    record = [ctx.tenant.platform, ctx.tenant.team_id]
    batch = uuid.uuid4().hex
    rows: list[dict[str, object]] = []
    for index, (reply, origin) in enumerate(wanted):
        kept = reply.stored_json()
        for place in places:
            if place.key == origin.key:
                continue
            rows.append(
                {
                    "platform": place.platform,
                    "team_id": place.team_id,
                    "channel_id": place.channel_id,
                    "kind": MIRROR_KIND,
                    "idempotency_key": f"mirror:{batch}:{index}:{place.channel_id}"[:200],
                    "group_key": None,
                    "payload": _payload(
                        ctx.partnership.id, record, reply=kept, mirror=reply.mirror
                    ),
                    "due_at": ctx.now,
                    "status": PENDING,
                    "attempts": 0,
                    "late": False,
                    "created_at": ctx.now,
                }
            )
    if rows:  # one executemany: no ORM objects to track for rows nobody reads back
        ctx.session.execute(insert(Notification.__table__), rows)  # type: ignore[attr-defined]
    return len(rows)


def batch_specs(session: Session, kind: str) -> list[dict[str, Any]]:
    """The `Reply.mirror` of kind `kind` of every copy in the batch being dispatched.

    A mirror renderer reads them to fetch what the whole batch needs at once.
    """
    found = []
    for row in session.info.get(BATCH_INFO_KEY) or []:
        spec = row.payload.get("mirror") if row.kind == MIRROR_KIND else None
        if isinstance(spec, dict) and spec.get("kind") == kind:
            found.append(spec)
    return found


def _payload(partnership_id: int, record: list[str], **more: Any) -> dict[str, object]:
    return {"partnership": partnership_id, "record": record, **more}


def child_rows(
    session: Session, parents: list[Notification], now: datetime
) -> list[dict[str, object]]:
    """Copies of outbox rows addressed to a partnership's own channel, one per other place.

    Pings, digests and reminders are planned for the partnership's own channel;
    the dispatcher calls this when it claims them, so every place gets its copy,
    drawn by the same renderer in that place's language and zone.
    """
    homes = {(n.platform, n.team_id, n.channel_id) for n in parents if n.kind != MIRROR_KIND}
    if not homes:
        return []
    found = session.execute(
        select(  # type: ignore[call-overload]
            col(Partnership.platform),
            col(Partnership.team_id),
            col(Partnership.channel_id),
            col(Partnership.id),
            col(Place.platform),
            col(Place.team_id),
            col(Place.channel_id),
        )
        .join(Place, col(Place.partnership_id) == col(Partnership.id))
        .where(
            col(Partnership.platform).in_({h[0] for h in homes}),
            col(Partnership.team_id).in_({h[1] for h in homes}),
            col(Partnership.channel_id).in_({h[2] for h in homes}),
        )
    ).all()
    places: dict[tuple[str, str, str], list[tuple[int, str, str, str]]] = {}
    for platform, team_id, channel_id, pid, p_platform, p_team, p_channel in found:
        places.setdefault((platform, team_id, channel_id), []).append(
            (pid, p_platform, p_team, p_channel)
        )
    rows: list[dict[str, object]] = []
    for parent in parents:
        if parent.kind == MIRROR_KIND:
            continue
        for pid, platform, team_id, channel_id in places.get(
            (parent.platform, parent.team_id, parent.channel_id), []
        ):
            rows.append(
                {
                    "platform": platform,
                    "team_id": team_id,
                    "channel_id": channel_id,
                    "kind": MIRROR_KIND,
                    "idempotency_key": f"mirror:n{parent.id}:{channel_id}"[:200],
                    "group_key": parent.group_key,
                    "payload": _payload(pid, [parent.platform, parent.team_id], parent=parent.id),
                    "due_at": parent.due_at,
                    "status": PENDING,
                    "attempts": 0,
                    "late": False,
                    "created_at": now,
                }
            )
    return rows
