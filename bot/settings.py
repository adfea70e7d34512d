"""`/accord`: help, language, time zone, the shared-channel link and the parties."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.context import Ctx
from bot.errors import UserError
from bot.i18n import SUPPORTED, Translator
from bot.parsing import mentions, split_first
from bot.partnerships import add_party, ensure_channel, parties
from bot.registry import CommandSpec, Registry
from bot.types import Reply, User, Visibility

_CHANNEL_RE = re.compile(r"^<#([A-Za-z0-9_.\-]+)(?:\|[^>]*)?>$|^#?([A-Za-z0-9_.\-]+)$")


def register(registry: Registry) -> None:
    registry.add_command(
        CommandSpec(
            name="accord",
            handler=accord,
            summary_key="help.summary.accord",
            usage_key="help.usage.accord",
        )
    )


def accord(ctx: Ctx) -> list[Reply]:
    sub, rest = split_first(ctx.text)
    if sub in ("", "status", "statut"):
        return status(ctx)
    if sub in ("help", "aide"):
        return help_reply(ctx, rest)
    if sub in ("lang", "langue", "language"):
        return set_language(ctx, rest)
    if sub in ("tz", "timezone", "fuseau"):
        return set_timezone(ctx, rest)
    if sub in ("channel", "canal", "salon"):
        return link_channel(ctx, rest)
    if sub in ("party", "partie", "company", "entreprise"):
        return party(ctx, rest)
    if (extra := ctx.registry.accord_subcommands.get(sub)) is not None:
        return extra(ctx, rest)
    raise UserError("accord.errors.unknown_subcommand", sub=sub)


def help_reply(ctx: Ctx, topic: str) -> list[Reply]:
    topic = topic.strip().lstrip("/").lower()
    if topic:
        spec = ctx.registry.command(topic)
        if spec is None:
            raise UserError("errors.unknown_command", command=f"/{topic}")
        return command_help(ctx, spec)
    items = [f"/{spec.name} — {ctx.t(spec.summary_key)}" for spec in ctx.registry.commands.values()]
    return [
        Reply(
            title=ctx.t("help.title"),
            text=ctx.t("help.intro"),
            items=items,
            footer=ctx.t("help.footer"),
            visibility=Visibility.EPHEMERAL,
        )
    ]


def command_help(ctx: Ctx, spec: CommandSpec) -> list[Reply]:
    return [
        Reply(
            title=f"/{spec.name} — {ctx.t(spec.summary_key)}",
            text=ctx.t(spec.usage_key),
            visibility=Visibility.EPHEMERAL,
        )
    ]


def status(ctx: Ctx) -> list[Reply]:
    t = ctx.t
    rows = parties(ctx.session, ctx.partnership)
    items = [
        t("accord.party_item", name=p.name, members=", ".join(f"<@{u}>" for u in users) or "—")
        for p, users in rows
    ]
    linked = ctx.channel.shared_channel_id
    return [
        Reply(
            title=t("accord.status_title"),
            sections=[
                t("accord.status_lang", lang=t(f"accord.lang_name.{ctx.lang}")),
                t("accord.status_tz", tz=ctx.tz.key),
                t("accord.status_linked", channel=f"<#{linked}>")
                if linked
                else t("accord.status_not_linked"),
                t("accord.parties_title") if items else t("accord.no_parties"),
            ],
            items=items,
            footer=t("help.footer"),
            visibility=Visibility.EPHEMERAL,
        )
    ]


def set_language(ctx: Ctx, arg: str) -> list[Reply]:
    lang = arg.strip().lower()
    if lang not in SUPPORTED:
        raise UserError("accord.errors.bad_lang", lang=arg or "—", langs=", ".join(SUPPORTED))
    ctx.channel.locale = lang
    ctx.session.add(ctx.channel)
    t = Translator(lang)  # answer in the new language
    return [Reply(text=t("accord.lang_set", lang=t(f"accord.lang_name.{lang}")), lang=lang)]


def set_timezone(ctx: Ctx, arg: str) -> list[Reply]:
    name = arg.strip()
    try:
        if not name:
            raise ValueError
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UserError("accord.errors.bad_tz", tz=name or "—") from exc
    ctx.channel.timezone = zone.key
    ctx.session.add(ctx.channel)
    ctx.session.flush()
    ctx.tz = zone
    for follow in ctx.registry.timezone_changed:
        follow(ctx)
    return [Reply(text=ctx.t("accord.tz_set", tz=zone.key))]


def link_channel(ctx: Ctx, arg: str) -> list[Reply]:
    arg = arg.strip()
    if arg.lower() in ("off", "none", "aucun", "unlink"):
        ctx.channel.shared_channel_id = None
        ctx.session.add(ctx.channel)
        return [Reply(text=ctx.t("accord.unlinked"), visibility=Visibility.EPHEMERAL)]
    match = _CHANNEL_RE.match(arg)
    if not arg or match is None:
        raise UserError("accord.errors.bad_channel", channel=arg or "—")
    target_id = match.group(1) or match.group(2)
    if target_id == ctx.channel.channel_id:
        raise UserError("accord.errors.self_link")
    target = ensure_channel(ctx.session, ctx.tenant, target_id, ctx.now)
    if target.shared_channel_id:
        # One hop only: a chain of links would hide where decisions end up.
        raise UserError("accord.errors.target_linked", channel=f"<#{target_id}>")
    ctx.channel.shared_channel_id = target_id
    ctx.session.add(ctx.channel)
    return [
        Reply(
            text=ctx.t("accord.linked", channel=f"<#{target_id}>"),
            visibility=Visibility.EPHEMERAL,
        )
    ]


def party(ctx: Ctx, arg: str) -> list[Reply]:
    sub, rest = split_first(arg)
    if sub in ("", "list", "liste"):
        return status(ctx)
    if sub not in ("add", "ajouter"):
        raise UserError("accord.errors.party_usage")
    user_ids = mentions(rest)
    name = re.sub(r"<@[^>]+>", "", rest).strip().strip('"').strip()
    if not name or not user_ids:
        raise UserError("accord.errors.party_usage")
    if len(name) > 120:
        raise UserError("accord.errors.party_name_too_long", limit=120)
    known = {u.id: u for u in ctx.mentioned}
    users = [known.get(uid, User(uid)) for uid in user_ids]
    added = add_party(ctx.session, ctx.tenant, ctx.partnership, name, users, ctx.now)
    return [
        Reply(
            text=ctx.t(
                "accord.party_added",
                name=added.name,
                members=", ".join(f"<@{u}>" for u in user_ids),
            )
        )
    ]
