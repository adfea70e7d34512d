"""`/accord`: help, language, time zone, the shared-channel link and the parties."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.kernel.context import Ctx
from bot.kernel.errors import UserError
from bot.kernel.help import command_help
from bot.kernel.i18n import SUPPORTED, Translator
from bot.kernel.limits import TIMEZONE_MAX_CHARS, check_length
from bot.kernel.parsing import fold, split_first
from bot.kernel.permissions import Permission, describe, require, standing_of
from bot.kernel.registry import CommandSpec, Registry
from bot.kernel.types import Reply, ReplyField, Visibility
from bot.kernel.words import Words
from bot.settings import companies, links

# The words of /accord in both languages (French first: the form French help shows).
# `/accord digest|bilan` and `/accord reminders|rappels` belong to their capabilities.
SUBCOMMANDS = Words(
    {
        "": ("",),
        "help": ("aide",),
        "lang": ("langue",),
        "tz": ("fuseau",),
        "channel": ("canal", "salon"),
        "party": ("entreprise", "partie"),
        "digest": ("bilan",),
        "reminders": ("rappels",),
    },
    extra={
        "": ("status", "statut"),
        "lang": ("language",),
        "tz": ("timezone",),
        "party": ("company",),
    },
)
PARTY_WORDS = Words(
    {
        "": ("",),
        "add": ("ajouter",),
        "list": ("liste",),
        "remove": ("retirer", "enlever", "supprimer"),
        "leave": ("quitter", "partir"),
        "rep": ("representant", "representante"),
    },
    extra={"rep": ("representative",)},
)
# Words for "off" in `/accord channel off`, `/accord digest pause`...
SWITCH_WORDS = Words(
    {"off": ("aucun", "désactiver"), "pause": ("pause", "suspendre"), "resume": ("reprendre",)},
    extra={"off": ("none", "unlink")},
)


def register(registry: Registry) -> None:
    registry.add_command(
        CommandSpec(
            name="accord",
            handler=accord,
            summary_key="help.summary.accord",
            usage_key="help.usage.accord",
            words=(SUBCOMMANDS, PARTY_WORDS, SWITCH_WORDS),
        )
    )
    registry.company_joined.append(companies.announce_joins)


def accord(ctx: Ctx) -> list[Reply]:
    sub, rest = split_first(ctx.text)
    name = SUBCOMMANDS.resolve(sub)
    if name == "":
        return status(ctx)
    if name == "help":
        return help_reply(ctx, rest)
    if name == "lang":
        require(ctx, Permission.MANAGE_SETTINGS)
        return set_language(ctx, rest)
    if name == "tz":
        require(ctx, Permission.MANAGE_SETTINGS)
        return set_timezone(ctx, rest)
    if name == "channel":
        return link_channel(ctx, rest)  # only explains the link handshake: changes nothing
    if name == "party":
        return party(ctx, rest)
    extra = ctx.registry.accord_subcommands.get(sub) or ctx.registry.accord_subcommands.get(
        fold(sub)
    )
    if extra is not None:
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


def status(ctx: Ctx) -> list[Reply]:
    t = ctx.t
    items = companies.roster_items(ctx)
    linked = ctx.channel.shared_channel_id
    others = [] if linked else links.linked_channels(ctx.session, ctx.partnership)
    channels = ", ".join(f"<#{c}>" for c in others)
    linked_line = [t("accord.links.status_linked_channels", channels=channels)] if others else []
    return [
        Reply(
            title=t("accord.status_title"),
            sections=[
                t("accord.status_lang", lang=t(f"accord.lang_name.{ctx.lang}")),
                t("accord.status_tz", tz=ctx.tz.key),
                t("accord.status_linked", channel=f"<#{linked}>")
                if linked
                else t("accord.status_not_linked"),
                *linked_line,
                t("accord.parties_title") if items else t("accord.no_parties"),
            ],
            fields=[ReplyField(t("accord.company.you_label"), describe(ctx, standing_of(ctx)))],
            items=items,
            footer=t("help.footer"),
            visibility=Visibility.EPHEMERAL,
        )
    ]


def set_language(ctx: Ctx, arg: str) -> list[Reply]:
    lang = arg.strip().lower()
    if not lang:
        raise UserError("accord.edges.lang_missing", langs=", ".join(SUPPORTED))
    if lang not in SUPPORTED:
        raise UserError("accord.errors.bad_lang", lang=arg or "—", langs=", ".join(SUPPORTED))
    ctx.channel.locale = lang
    ctx.session.add(ctx.channel)
    t = Translator(lang)  # answer in the new language
    return [Reply(text=t("accord.lang_set", lang=t(f"accord.lang_name.{lang}")), lang=lang)]


def set_timezone(ctx: Ctx, arg: str) -> list[Reply]:
    name = arg.strip()
    if not name:
        raise UserError("accord.edges.tz_missing")
    check_length(name, TIMEZONE_MAX_CHARS, "accord.errors.tz_too_long")
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
    if ctx.place is None:
        # Reminders and digests are planned in the zone of the partnership's own channel;
        # a place of another workspace only reads them in its own zone.
        for follow in ctx.registry.timezone_changed:
            follow(ctx)
    return [Reply(text=ctx.t("accord.tz_set", tz=zone.key))]


def link_channel(ctx: Ctx, arg: str) -> list[Reply]:
    """`/accord channel off` unlinks; naming a channel no longer links it (the handshake does)."""
    if arg.strip().lower() in ("off", "none", "aucun", "unlink"):
        return links.unlink(ctx, "")
    return links.explain(ctx)


def party(ctx: Ctx, arg: str) -> list[Reply]:
    sub, rest = split_first(arg)
    if PARTY_WORDS.resolve(sub) in ("", "list"):
        return status(ctx)
    replies = companies.party_command(ctx, sub, rest)
    if replies is None:
        raise UserError("accord.errors.party_usage")
    return replies
