"""Places of other workspaces and platforms: joining, listing, leaving.

`/accord link` in a place of the partnership gives a one-time code;
`/accord link <code>` in a channel of another workspace or platform (another
Slack, a Discord guild, another console team) makes that channel a place of
the same partnership (`bot/settings/links.py` routes the code here). With
`/accord link <company>` a company's representative gives a code that binds the
joining place to that company: its people then act as that company's members.
Without a company, the place's people are guests until one of them creates
their company, which is then bound to the place's workspace.

Joining and leaving are decisions of the partnership, announced in every place.
"""

from __future__ import annotations

from sqlmodel import col, select

from bot.decisions import announce, record_decision
from bot.kernel import formatting
from bot.kernel.context import Ctx
from bot.kernel.errors import UserError
from bot.kernel.permissions import Permission, require
from bot.kernel.places import (
    PLATFORM_NAMES,
    PlaceInfo,
    PlaceRef,
    count_places,
    describe_places,
    label,
    qualify_user,
    tenant_key,
)
from bot.kernel.tenancy import remember_member
from bot.kernel.types import Reply, Tenant, Visibility
from storage.models import LinkCode, Partnership, Party, Place


def join(ctx: Ctx, code: LinkCode, joined: Partnership) -> list[Reply]:
    """Make this channel, of another tenant than `joined`'s record, one of its places."""
    here = ctx.channel
    if ctx.place is not None:
        if ctx.place.partnership_id == joined.id:
            raise UserError("accord.links.errors.already_linked")
        raise UserError("accord.places.errors.place_elsewhere")
    if here.shared_channel_id:
        raise UserError(
            "accord.links.errors.linked_elsewhere", channel=f"<#{here.shared_channel_id}>"
        )
    if ctx.partnership.place_count:
        # One hop only: the places of this channel's partnership would silently follow.
        raise UserError("accord.places.errors.has_places")
    company = ctx.session.get(Party, code.party_id) if code.party_id is not None else None
    origin = ctx.origin
    key = tenant_key(origin)
    if company is not None:
        if company.home_team_id and company.home_team_id != key:
            raise UserError("accord.places.errors.company_elsewhere", company=company.name)
        company.home_team_id = key
        ctx.session.add(company)
    place = Place(
        partnership_id=joined.id,  # type: ignore[arg-type]
        platform=origin.platform,
        team_id=origin.team_id,
        channel_id=here.channel_id,
        joined_by=ctx.user.id,
        joined_at=ctx.now,
    )
    ctx.session.add(place)
    ctx.session.flush()
    count_places(ctx.session, place.partnership_id, +1)
    ctx.session.refresh(joined)  # its place count, for the mirror below
    # From here on this channel is a place of the partnership it joined: the record's
    # view of the people, and what is posted here is mirrored to the other places.
    ctx.origin_tenant = origin
    ctx.tenant = Tenant(joined.platform, joined.team_id)
    ctx.partnership = joined
    ctx.place = place
    ctx.user = qualify_user(ctx.user, origin)
    remember_member(ctx.session, ctx.tenant, joined, ctx.user, ctx.now, joined=ctx.joined)
    where = label(ctx.session, PlaceRef(origin.platform, origin.team_id, here.channel_id))
    origin_label = label(ctx.session, PlaceRef(code.platform, code.team_id, code.channel_id))
    text = ctx.t(
        "accord.places.decision_joined",
        place=where,
        user=f"<@{ctx.user.id}>",
        origin=origin_label,
    )
    if company is not None:
        text += " " + ctx.t("accord.places.decision_joined_for", company=company.name)
    decision = record_decision(ctx, text, source="accord.link")
    return [
        Reply(
            title=ctx.t("accord.places.joined_title"),
            text=ctx.t("accord.places.joined_for_company", company=company.name)
            if company is not None
            else ctx.t("accord.places.joined_as_guests"),
            footer=ctx.t("accord.places.joined_footer"),
        ),
        *announce(ctx, decision),
    ]


def leave(ctx: Ctx, place: Place) -> list[Reply]:
    """Remove a place: its history stays in the record; nothing is mirrored there any more."""
    ref = PlaceRef(place.platform, place.team_id, place.channel_id, place.id)
    where = label(ctx.session, ref)
    decision = record_decision(
        ctx,
        ctx.t("accord.places.decision_left", place=where, user=f"<@{ctx.user.id}>"),
        source="accord.unlink",
    )
    replies = announce(ctx, decision)
    leaving_here = ctx.place is not None and ctx.place.id == place.id
    ctx.session.delete(place)
    ctx.session.flush()
    count_places(ctx.session, place.partnership_id, -1)
    ctx.session.refresh(ctx.partnership)
    if leaving_here:
        replies.insert(
            0,
            Reply(
                title=ctx.t("accord.places.left_title"),
                text=ctx.t("accord.places.left_here"),
            ),
        )
    return replies


def unlink_place(ctx: Ctx, arg: str) -> list[Reply] | None:
    """`/accord unlink` in a place, or `/accord unlink <n>` (`/accord places` numbers)."""
    if not arg and ctx.place is not None:
        return leave(ctx, ctx.place)
    if arg.isdigit():
        numbered = describe_places(ctx.session, ctx.partnership)
        index = int(arg) - 1
        if not 0 <= index < len(numbered) or numbered[index].ref.place_id is None:
            raise UserError("accord.places.errors.no_such_place", number=arg[:12])
        place = ctx.session.get(Place, numbered[index].ref.place_id)
        assert place is not None
        return leave(ctx, place)
    return None


def list_places(ctx: Ctx, arg: str) -> list[Reply]:
    """`/accord places`: every place, numbered, with its company, language and zone."""
    require(ctx, Permission.READ)
    found = describe_places(ctx.session, ctx.partnership)
    parties = ctx.session.exec(
        select(Party).where(Party.partnership_id == ctx.partnership.id).order_by(col(Party.id))
    ).all()
    companies: dict[str | None, str] = {p.home_team_id: p.name for p in parties if p.home_team_id}
    # The partnership's own channel speaks for the companies bound to no other place.
    at_home = [p.name for p in parties if not (p.home_team_id or "").count("~")]
    if at_home:
        companies[None] = formatting.items(at_home, ctx.lang)
    items = [_item(ctx, n, info, companies) for n, info in enumerate(found, start=1)]
    here = next(
        (
            n
            for n, info in enumerate(found, start=1)
            if info.ref.key == (ctx.origin.platform, ctx.origin.team_id, ctx.channel.channel_id)
        ),
        None,
    )
    return [
        Reply(
            title=ctx.t("accord.places.title"),
            items=items,
            footer=ctx.t("accord.places.footer", here=here or "—"),
            visibility=Visibility.EPHEMERAL,
        )
    ]


def _item(ctx: Ctx, number: int, info: PlaceInfo, companies: dict[str | None, str]) -> str:
    ref = info.ref
    company = companies.get(tenant_key(ref.tenant))
    if company is None and ref.place_id is None:
        company = companies.get(None) or ctx.t("accord.places.record_companies")
    return ctx.t(
        "accord.places.item",
        number=number,
        platform=PLATFORM_NAMES.get(ref.platform, ref.platform),
        workspace=info.workspace or ref.team_id,
        channel=info.channel or ref.channel_id,
        company=company or ctx.t("accord.places.no_company"),
        lang=ctx.t(f"accord.lang_name.{info.locale}") if info.locale in ("en", "fr") else "—",
        tz=info.timezone or "—",
    )
