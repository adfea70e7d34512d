"""The link handshake: a channel joins a partnership only with consent given inside it.

`/accord link`, run in a channel of the partnership, answers privately with a
one-time code; `/accord link <code>`, run in the other channel, completes the
link; `/accord unlink` undoes it. Both channels are told, and every link and
unlink is a decision of the partnership.

Codes are platform-neutral: they name the partnership and the channel that gave
them, never the channel that will use them, so the same handshake can later
join channels of other workspaces and platforms. Only a SHA-256 of each code is
stored; a code is single use and expires after `CODE_TTL`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bot.decisions import announce, record_decision
from bot.kernel.context import Ctx
from bot.kernel.errors import UserError
from bot.kernel.permissions import Permission, require
from bot.kernel.registry import Registry
from bot.kernel.tenancy import find_channel
from bot.kernel.types import Reply, Visibility
from bot.settings import places
from bot.settings.companies import find_company
from storage.models import Channel, LinkCode, Partnership, Party

CODE_TTL = timedelta(minutes=15)
# Used and expired codes are deleted this long after their expiry.
KEEP_EXPIRED = timedelta(days=1)
# No 0/O, 1/I/L or U: what is read aloud or copied by hand stays unambiguous.
ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_CHARS = 12  # ~59 bits: far beyond guessing within 15 minutes
_CHANNEL_RE = re.compile(r"^<#([A-Za-z0-9_.\-]+)(?:\|[^>]*)?>$|^#?([A-Za-z0-9_.\-]+)$")


def register(registry: Registry) -> None:
    registry.add_accord_subcommand(("link", "lier", "relier"), link)
    registry.add_accord_subcommand(("unlink", "delier", "detacher"), unlink)
    registry.add_accord_subcommand(("places", "lieux"), places.list_places)
    registry.before_dispatch.append(forget_old_codes)


# -- codes ------------------------------------------------------------------------------


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_CHARS, 4))


def normalize(typed: str) -> str | None:
    """What the user typed, as the code's characters; None when it cannot be a code."""
    raw = re.sub(r"[\s\-_`]", "", typed).upper()
    if len(raw) != CODE_CHARS or any(c not in ALPHABET for c in raw):
        return None
    return raw


def code_hash(normalized: str) -> str:
    return hashlib.sha256(normalized.encode("ascii")).hexdigest()


def forget_old_codes(session: Session, now: datetime) -> None:
    """Dispatcher housekeeping: codes long expired are of no use to anyone."""
    session.execute(delete(LinkCode).where(col(LinkCode.expires_at) < now - KEEP_EXPIRED))


# -- /accord link --------------------------------------------------------------------------


def link(ctx: Ctx, arg: str) -> list[Reply]:
    """`/accord link` gives a code here; `/accord link <code>` uses one given elsewhere."""
    arg = arg.strip()
    if arg and normalize(arg) is None and (company := find_company(ctx, arg)) is not None:
        # A code for a place that will speak for this company: its representative's call.
        require(ctx, Permission.MANAGE_LINKS, company=company)
        return issue(ctx, company)
    require(ctx, Permission.MANAGE_LINKS)
    if not arg:
        return issue(ctx)
    return complete(ctx, arg)


def issue(ctx: Ctx, company: Party | None = None) -> list[Reply]:
    code = new_code()
    ctx.session.add(
        LinkCode(
            platform=ctx.tenant.platform,
            team_id=ctx.tenant.team_id,
            channel_id=ctx.channel.channel_id,
            partnership_id=ctx.partnership.id,  # type: ignore[arg-type]
            code_hash=code_hash(code.replace("-", "")),
            created_by=ctx.user.id,
            created_at=ctx.now,
            expires_at=ctx.now + CODE_TTL,
            party_id=company.id if company is not None else None,
        )
    )
    ctx.session.flush()
    minutes = int(CODE_TTL.total_seconds() // 60)
    return [
        Reply(
            title=ctx.t("accord.links.code_title"),
            text=ctx.t(
                "accord.links.code_text",
                code=code,
                minutes=minutes,
                channel=f"<#{ctx.channel.channel_id}>",
            )
            + (
                "\n" + ctx.t("accord.places.code_for_company", company=company.name)
                if company is not None
                else ""
            ),
            footer=ctx.t("accord.links.code_footer"),
            visibility=Visibility.EPHEMERAL,
            # Shown once: the copy kept for platform retries is masked.
            secrets=[code],
        )
    ]


def complete(ctx: Ctx, typed: str) -> list[Reply]:
    normalized = normalize(typed)
    if normalized is None:
        raise UserError("accord.links.errors.bad_code", code=typed[:40])
    row = ctx.session.exec(
        select(LinkCode).where(LinkCode.code_hash == code_hash(normalized)).with_for_update()
    ).first()
    if row is None:
        raise UserError("accord.links.errors.unknown_code")
    if row.used_at is not None:
        raise UserError("accord.links.errors.used_code")
    if row.expires_at <= ctx.now:
        raise UserError(
            "accord.links.errors.expired_code", minutes=int(CODE_TTL.total_seconds() // 60)
        )
    joined = ctx.session.get(Partnership, row.partnership_id)
    if joined is None:
        raise UserError("accord.links.errors.unknown_code")
    if (joined.platform, joined.team_id) != (ctx.origin.platform, ctx.origin.team_id):
        # Another workspace or platform: this channel becomes one of its places.
        if not _claim(ctx, row):
            raise UserError("accord.links.errors.used_code")
        return places.join(ctx, row, joined)
    if row.party_id is not None:
        # A code binding a company to a place of another workspace: not for a side channel.
        raise UserError("accord.places.errors.same_workspace")
    here = ctx.channel
    # Two codes used at once for this channel: the second waits, then sees the first link.
    ctx.session.refresh(here, with_for_update=True)
    if joined.id == ctx.partnership.id:
        raise UserError("accord.links.errors.already_linked")
    if here.shared_channel_id:
        raise UserError(
            "accord.links.errors.linked_elsewhere", channel=f"<#{here.shared_channel_id}>"
        )
    if linked_channels(ctx.session, ctx.partnership):
        # One hop only: channels linked to this one would silently follow it.
        raise UserError("accord.links.errors.has_linked_channels")
    if not _claim(ctx, row):
        raise UserError("accord.links.errors.used_code")
    here.shared_channel_id = joined.channel_id
    ctx.session.add(here)
    ctx.session.flush()
    # From here on this channel works on the partnership it joined: the decision
    # is that partnership's, posted in its shared channel.
    ctx.partnership = joined
    decision = record_decision(
        ctx,
        ctx.t(
            "accord.links.decision_linked",
            channel=f"<#{here.channel_id}>",
            user=f"<@{ctx.user.id}>",
            origin=f"<#{row.channel_id}>",
        ),
        source="accord.link",
    )
    replies = [
        Reply(
            title=ctx.t("accord.links.linked_title"),
            text=ctx.t("accord.links.linked_here", channel=f"<#{joined.channel_id}>"),
            footer=ctx.t("accord.links.linked_footer"),
        ),
        *announce(ctx, decision),
    ]
    if row.channel_id not in (joined.channel_id, here.channel_id):
        replies.append(_notice(ctx, row.channel_id, here.channel_id, linked=True))
    return replies


def _claim(ctx: Ctx, row: LinkCode) -> bool:
    """Use the code, once: False when another request used it first."""
    claimed = ctx.session.execute(
        update(LinkCode)
        .where(col(LinkCode.id) == row.id, col(LinkCode.used_at).is_(None))
        .values(
            used_at=ctx.now,
            used_by=ctx.user.id,
            used_platform=ctx.origin.platform,
            used_team_id=ctx.origin.team_id,
            used_channel_id=ctx.channel.channel_id,
        )
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


# -- /accord unlink ------------------------------------------------------------------------


def unlink(ctx: Ctx, arg: str) -> list[Reply]:
    """`/accord unlink` in a linked channel, or `/accord unlink #channel` from the partnership."""
    require(ctx, Permission.MANAGE_LINKS)
    arg = arg.strip()
    left = places.unlink_place(ctx, arg)
    if left is not None:
        return left
    shared = ctx.partnership.channel_id
    if arg:
        match = _CHANNEL_RE.match(arg)
        if match is None:
            raise UserError("accord.links.errors.bad_channel", channel=arg[:80])
        channel = find_channel(ctx.session, ctx.tenant, match.group(1) or match.group(2))
    else:
        channel = ctx.channel
    if channel is None or channel.shared_channel_id != shared:
        if channel is not None and channel.channel_id == shared:
            others = linked_channels(ctx.session, ctx.partnership)
            if not others and channel.channel_id == ctx.channel.channel_id:
                raise UserError("accord.links.errors.nothing_linked")
            raise UserError(
                "accord.links.errors.shared_itself",
                channels=", ".join(f"<#{c}>" for c in others) or "—",
            )
        name = channel.channel_id if channel is not None else arg.lstrip("#")
        raise UserError("accord.links.errors.not_linked", channel=f"<#{name}>")
    channel.shared_channel_id = None
    ctx.session.add(channel)
    ctx.session.flush()
    decision = record_decision(
        ctx,
        ctx.t(
            "accord.links.decision_unlinked",
            channel=f"<#{channel.channel_id}>",
            user=f"<@{ctx.user.id}>",
        ),
        source="accord.unlink",
    )
    replies = announce(ctx, decision)
    if channel.channel_id == ctx.channel.channel_id:
        replies.insert(
            0,
            Reply(
                title=ctx.t("accord.links.unlinked_title"),
                text=ctx.t("accord.links.unlinked_here", channel=f"<#{shared}>"),
            ),
        )
    else:
        replies.append(_notice(ctx, channel.channel_id, channel.channel_id, linked=False))
    return replies


def _notice(ctx: Ctx, where: str, channel_id: str, *, linked: bool) -> Reply:
    """The visible notice in a channel other than this one and the shared one."""
    key = "accord.links.notice_linked" if linked else "accord.links.notice_unlinked"
    return Reply(
        text=ctx.t(
            key,
            channel=f"<#{channel_id}>",
            shared=f"<#{ctx.partnership.channel_id}>",
            user=f"<@{ctx.user.id}>",
        ),
        target_channel=where,
    )


# -- reading ----------------------------------------------------------------------------


def linked_channels(session: Session, partnership: Partnership) -> list[str]:
    """The channels linked to the partnership's shared channel, by id."""
    return list(
        session.exec(
            select(Channel.channel_id)
            .where(
                Channel.platform == partnership.platform,
                Channel.team_id == partnership.team_id,
                Channel.shared_channel_id == partnership.channel_id,
            )
            .order_by(col(Channel.channel_id))
        ).all()
    )


def explain(ctx: Ctx) -> list[Reply]:
    """`/accord channel <id>` no longer links by itself: the two steps instead."""
    return [
        Reply(
            title=ctx.t("accord.links.howto_title"),
            text=ctx.t("accord.links.howto", minutes=int(CODE_TTL.total_seconds() // 60)),
            visibility=Visibility.EPHEMERAL,
        )
    ]
