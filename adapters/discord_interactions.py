"""Discord interactions -> the core -> Discord responses, for both modes.

An interaction arrives as Discord's raw JSON payload: over HTTP (interactions
endpoint) as is, over the gateway rebuilt from discord.py's `Interaction`
(`payload_from_interaction`). From there one path serves both: the payload
becomes a neutral `Command` or `Action`, the core runs in a worker thread,
and the first response goes out within Discord's 3 seconds. If the core is
not done by `defer_after`, the response is a deferral and the answer follows
through the interaction's webhook (its token is valid for 15 minutes).

The interaction id is the idempotency key: a replayed interaction, or one
delivered to two instances, records once and posts its channel messages once.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from adapters.discord_render import (
    CUSTOM_ID_MAX,
    EPHEMERAL_FLAG,
    DiscordMessage,
    parse_custom_id,
    render,
    replacing,
)
from adapters.discord_rest import (
    MISSING_ACCESS,
    DiscordApiError,
    DiscordPermissionError,
    DiscordRest,
)
from bot.kernel import i18n
from bot.kernel.core import Core
from bot.kernel.tenancy import find_channel
from bot.kernel.types import Action, Command, Outcome, Reply, Tenant, User, Visibility
from storage.models import Team

if TYPE_CHECKING:
    import discord

log = logging.getLogger(__name__)

PLATFORM = "discord"

# Interaction types and response types (Discord's numbers).
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
PONG, CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9
MESSAGE_COMMAND = 3  # application command type of a message context menu

TEXT_OPTION = "text"
DECIDE_MODAL = "accord.modal:decide"
LOG_AS_DECISION = "Log as decision"
MODAL_TEXT_MAX = 4000

_LEGACY_MENTION_RE = re.compile(r"<@!(\d+)>")


@dataclass(slots=True)
class Initial:
    """The first response, and what to do once it is out (follow-ups, channel posts)."""

    body: dict[str, Any]
    then: Callable[[], Awaitable[None]] | None = None


# -- payload -> neutral ---------------------------------------------------------


# Discord permission bits: Administrator, Manage Server.
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5


def user_of(payload: Mapping[str, Any]) -> User:
    member = payload.get("member") or {}
    raw = member.get("user") or payload.get("user") or {}
    name = member.get("nick") or raw.get("global_name") or raw.get("username") or ""
    return User(str(raw.get("id", "")), name, is_workspace_admin=manages_guild(member))


def manages_guild(member: Mapping[str, Any]) -> bool:
    """The interaction's member permissions (a decimal bit set, computed by Discord for
    this channel) include Manage Server or Administrator. Direct messages: no member."""
    try:
        bits = int(member.get("permissions") or 0)
    except (TypeError, ValueError):
        return False
    return bool(bits & (MANAGE_GUILD | ADMINISTRATOR))


def team_of(payload: Mapping[str, Any]) -> str:
    """Guild = team. Direct messages have no guild: each user is their own team."""
    guild = payload.get("guild_id")
    return str(guild) if guild else f"dm-{user_of(payload).id}"


def channel_of(payload: Mapping[str, Any]) -> str:
    return str(payload.get("channel_id") or (payload.get("channel") or {}).get("id") or "")


def locale_of(payload: Mapping[str, Any]) -> str | None:
    """The user's client language first, then the guild's (community servers only)."""
    return i18n.normalize_locale(payload.get("locale")) or i18n.normalize_locale(
        payload.get("guild_locale")
    )


def _options(data: Mapping[str, Any]) -> dict[str, Any]:
    return {o["name"]: o.get("value") for o in data.get("options", []) if "value" in o}


def _flags(options: Mapping[str, Any], kinds: Mapping[str, str]) -> str:
    """Typed Discord options back into the `--name value` words the core parses."""
    words: list[str] = []
    for name, value in options.items():
        if name == TEXT_OPTION or value is None or name not in kinds:
            continue
        if kinds[name] == "flag":
            if value:
                words.append(f"--{name}")
            continue
        text = str(value).replace('"', "")
        words.append(f'--{name} "{text}"' if " " in text else f"--{name} {text}")
    return " ".join(words)


def _resolved_users(data: Mapping[str, Any]) -> tuple[User, ...]:
    resolved = data.get("resolved") or {}
    members = resolved.get("members") or {}
    out = []
    for uid, raw in (resolved.get("users") or {}).items():
        nick = (members.get(uid) or {}).get("nick")
        out.append(User(str(uid), nick or raw.get("global_name") or raw.get("username") or ""))
    return tuple(out)


def _clean(text: str) -> str:
    return _LEGACY_MENTION_RE.sub(r"<@\1>", text).strip()


def _command(payload: Mapping[str, Any], name: str, text: str, **extra: Any) -> Command:
    return Command(
        platform=PLATFORM,
        team_id=team_of(payload),
        channel_id=channel_of(payload),
        user=user_of(payload),
        name=name,
        text=_clean(text),
        locale=locale_of(payload),
        idempotency_key=str(payload["id"]),
        raw=dict(payload),
        **extra,
    )


def slash_command(payload: Mapping[str, Any], kinds: Mapping[str, str]) -> Command:
    data = payload["data"]
    options = _options(data)
    text = " ".join(w for w in (str(options.get(TEXT_OPTION) or ""), _flags(options, kinds)) if w)
    return _command(payload, str(data["name"]), text, mentioned=_resolved_users(data))


def message_command(payload: Mapping[str, Any]) -> Command:
    """ "Log as decision" on a message: its text, with a link back to it."""
    data = payload["data"]
    target = str(data["target_id"])
    message = ((data.get("resolved") or {}).get("messages") or {}).get(target, {})
    channel = str(message.get("channel_id") or channel_of(payload))
    link = f"https://discord.com/channels/{payload.get('guild_id') or '@me'}/{channel}/{target}"
    mentioned = tuple(
        User(str(u["id"]), u.get("global_name") or u.get("username") or "")
        for u in message.get("mentions", [])
    )
    return _command(
        payload, "decide", str(message.get("content") or ""), source_link=link, mentioned=mentioned
    )


def _text_inputs(components: list[Mapping[str, Any]]) -> dict[str, str]:
    """Values of a modal's text inputs, in action rows or in labels (both layouts exist)."""
    found: dict[str, str] = {}
    for c in components:
        if "value" in c and "custom_id" in c:
            found[str(c["custom_id"])] = str(c["value"] or "")
        for key in ("components", "component"):
            inner = c.get(key)
            if isinstance(inner, list):
                found.update(_text_inputs(inner))
            elif isinstance(inner, dict):
                found.update(_text_inputs([inner]))
    return found


def modal_command(payload: Mapping[str, Any]) -> Command:
    data = payload["data"]
    _, flags = parse_custom_id(str(data.get("custom_id", "")))
    text = _text_inputs(data.get("components", [])).get(TEXT_OPTION, "")
    return _command(payload, "decide", " ".join(w for w in (text, flags) if w))


def component_action(payload: Mapping[str, Any]) -> Action:
    action_id, value = parse_custom_id(str(payload["data"]["custom_id"]))
    return Action(
        platform=PLATFORM,
        team_id=team_of(payload),
        channel_id=channel_of(payload),
        user=user_of(payload),
        action_id=action_id,
        value=value,
        locale=locale_of(payload),
        idempotency_key=str(payload["id"]),
        message_ref=str((payload.get("message") or {}).get("id") or "") or None,
        raw=dict(payload),
    )


def payload_from_interaction(
    interaction: discord.Interaction[Any], raw_channel_id: str | None = None
) -> dict[str, Any]:
    """A gateway `Interaction` back in the shape of Discord's payload (public attributes only).

    discord.py derives `channel_id` from the payload's `channel` object, which Discord
    may leave out: `raw_channel_id` (the payload's own `channel_id`) is the fallback.
    """
    user = interaction.user
    raw_user = {"id": str(user.id), "username": user.name, "global_name": user.global_name}
    payload: dict[str, Any] = {
        "id": str(interaction.id),
        "type": interaction.type.value,
        "token": interaction.token,
        "application_id": str(interaction.application_id),
        "channel_id": str(interaction.channel_id or raw_channel_id or ""),
        "locale": interaction.locale.value,
        "guild_locale": interaction.guild_locale.value if interaction.guild_locale else None,
        "data": dict(interaction.data or {}),
    }
    if interaction.guild_id:
        payload["guild_id"] = str(interaction.guild_id)
        payload["member"] = {
            "user": raw_user,
            "nick": getattr(user, "nick", None),
            # The member's permissions in this channel, as Discord puts them in the payload.
            "permissions": str(interaction.permissions.value),
        }
    else:
        payload["user"] = raw_user
    if interaction.message is not None:
        payload["message"] = {"id": str(interaction.message.id)}
    return payload


# -- the service ------------------------------------------------------------------


@dataclass
class InteractionService:
    core: Core
    rest: DiscordRest
    session_factory: sessionmaker[Session]
    # Past this many seconds the response is a deferral (Discord allows 3).
    defer_after: float = 2.0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, init=False, repr=False)

    @property
    def kinds(self) -> dict[str, dict[str, str]]:
        return {name: dict(spec.options) for name, spec in self.core.registry.commands.items()}

    # -- entry point --------------------------------------------------------------

    async def handle(self, payload: Mapping[str, Any]) -> Initial:
        kind = payload.get("type")
        if kind == PING:
            return Initial({"type": PONG})
        if not user_of(payload).id:
            # Discord always says who acted; a payload that does not is answered, not crashed on.
            if kind == AUTOCOMPLETE:
                return Initial({"type": AUTOCOMPLETE_RESULT, "data": {"choices": []}})
            t = await asyncio.to_thread(self.translator, payload)
            content = "⚠️ " + t("discord.edges.no_user")
            return Initial(
                {"type": CHANNEL_MESSAGE, "data": {"content": content, "flags": EPHEMERAL_FLAG}}
            )
        if kind == AUTOCOMPLETE:
            choices = await asyncio.to_thread(self.autocomplete, payload)
            return Initial({"type": AUTOCOMPLETE_RESULT, "data": {"choices": choices}})
        if kind == APPLICATION_COMMAND:
            data = payload["data"]
            if data.get("type") == MESSAGE_COMMAND:
                return await self._run(payload, lambda: self.core.handle(message_command(payload)))
            command = slash_command(payload, self.kinds.get(str(data["name"]), {}))
            if command.name == "decide" and not _options(data).get(TEXT_OPTION):
                # No text: ask for it in a modal, carrying the typed options along.
                t = await asyncio.to_thread(self.translator, payload)
                modal = self.decide_modal(t, command.text)
                if len(modal["data"]["custom_id"]) <= CUSTOM_ID_MAX:
                    return Initial(modal)
            return await self._run(payload, lambda: self.core.handle(command))
        if kind == MODAL_SUBMIT:
            return await self._run(payload, lambda: self.core.handle(modal_command(payload)))
        if kind == MESSAGE_COMPONENT:
            action = component_action(payload)
            return await self._run(payload, lambda: self.core.handle_action(action), component=True)
        log.warning("ignored Discord interaction of type %s", kind)
        return Initial({"type": PONG})

    def translator(self, payload: Mapping[str, Any]) -> i18n.Translator:
        """The language the core answers in here: the channel's, the user's, the guild's."""
        tenant = Tenant(PLATFORM, team_of(payload))
        with self.session_factory() as session:
            channel = find_channel(session, tenant, channel_of(payload))
            team = session.exec(
                select(Team).where(Team.platform == PLATFORM, Team.team_id == tenant.team_id)
            ).first()
        lang = (
            i18n.normalize_locale(channel.locale if channel else None)
            or locale_of(payload)
            or i18n.normalize_locale(team.locale if team else None)
            or i18n.normalize_locale(self.core.config.default_locale)
            or i18n.DEFAULT
        )
        return i18n.Translator(lang)

    def decide_modal(self, t: i18n.Translator, flags: str) -> dict[str, Any]:
        limit = min(self.core.config.limits.decision_max_chars, MODAL_TEXT_MAX)
        custom = f"{DECIDE_MODAL}|{flags}" if flags else DECIDE_MODAL
        return {
            "type": MODAL,
            "data": {
                "custom_id": custom,
                "title": t("discord.modal.title")[:45],
                "components": [
                    {
                        "type": 1,
                        "components": [
                            {
                                "type": 4,
                                "custom_id": TEXT_OPTION,
                                "style": 2,
                                "label": t("discord.modal.label")[:45],
                                "placeholder": t("discord.modal.placeholder")[:100],
                                "min_length": 1,
                                "max_length": limit,
                                "required": True,
                            }
                        ],
                    }
                ],
            },
        }

    def autocomplete(self, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
        data = payload["data"]
        focused = next((o for o in data.get("options", []) if o.get("focused")), None)
        if focused is None:
            return []
        return [
            {"name": n, "value": v}
            for n, v in self.choices(
                payload, str(data["name"]), str(focused["name"]), str(focused.get("value") or "")
            )
        ]

    def choices(
        self, payload: Mapping[str, Any], command: str, option: str, current: str
    ) -> list[tuple[str, Any]]:
        tenant = Tenant(PLATFORM, team_of(payload))
        return list(self.core.suggest(tenant, channel_of(payload), command, option, current))

    # -- running the core within 3 seconds ----------------------------------------

    async def _run(
        self, payload: Mapping[str, Any], work: Callable[[], Outcome], *, component: bool = False
    ) -> Initial:
        future: asyncio.Future[Outcome] = asyncio.ensure_future(asyncio.to_thread(work))
        done, _ = await asyncio.wait({future}, timeout=self.defer_after)
        if not done:
            # A button's deferral shows nothing; a command's shows "thinking…".
            kind = DEFERRED_UPDATE if component else DEFERRED_MESSAGE
            return Initial({"type": kind}, lambda: self._after_deferral(payload, future, kind))
        outcome = future.result()
        here, elsewhere = await self._split(payload, outcome)
        first = here[0]
        if first.files:
            # A response body cannot carry files: defer, then send them by webhook. A
            # private answer is deferred privately from the start: the deferral becomes it.
            kind = DEFERRED_UPDATE if component and first.replace else DEFERRED_MESSAGE
            private = kind == DEFERRED_MESSAGE and first.message.ephemeral
            body: dict[str, Any] = {"type": kind}
            if private:
                body["data"] = {"flags": EPHEMERAL_FLAG}
            return Initial(
                body, lambda: self._after_deferral(payload, future, kind, private=private)
            )
        kind = UPDATE_MESSAGE if component and first.replace else CHANNEL_MESSAGE
        data = dict(first.message.payload)
        if kind == UPDATE_MESSAGE:
            data = replacing(data)
        body = {"type": kind, "data": data}
        if outcome.duplicate or (len(here) == 1 and not elsewhere):
            # Nothing more to send (a duplicate was answered by the first delivery).
            return Initial(body)
        return Initial(body, lambda: self._send_rest(payload, here[1:], elsewhere))

    async def _after_deferral(
        self,
        payload: Mapping[str, Any],
        future: asyncio.Future[Outcome],
        deferred: int,
        *,
        private: bool = False,
    ) -> None:
        outcome = await future
        here, elsewhere = await self._split(payload, outcome)
        app_id, token = str(payload["application_id"]), str(payload["token"])
        first = here[0]
        try:
            if deferred == DEFERRED_UPDATE:
                # @original is the message whose button was pressed.
                if first.replace:
                    await self.rest.edit_original(app_id, token, first.message)
                else:
                    await self.rest.followup(app_id, token, first.message)
            elif first.message.ephemeral and not private:
                # A deferral's visibility is fixed when it is sent: replace it by an
                # ephemeral follow-up rather than showing a private answer to all.
                await self.rest.delete_original(app_id, token)
                await self.rest.followup(app_id, token, first.message)
            else:
                await self.rest.edit_original(app_id, token, first.message)
        except DiscordApiError as exc:
            log.warning("could not answer a deferred Discord interaction: %s", exc)
        if not outcome.duplicate:
            await self._send_rest(payload, here[1:], elsewhere)

    async def _send_rest(
        self, payload: Mapping[str, Any], here: list[_Planned], elsewhere: list[Reply]
    ) -> None:
        app_id, token = str(payload["application_id"]), str(payload["token"])
        await self._followups(app_id, token, [planned.message for planned in here])
        for index, reply in enumerate(elsewhere):
            channel = reply.target_channel or channel_of(payload)
            key = f"interaction:{payload['id']}:{index}"
            try:
                await self.rest.post_reply(channel, reply, key)
            except DiscordPermissionError as exc:
                t = await asyncio.to_thread(self.translator, payload)
                # 50001: the bot cannot see the channel (not added to it); else a permission.
                key = (
                    "discord.delivery.missing_access"
                    if exc.code == MISSING_ACCESS
                    else "discord.missing_permissions"
                )
                note = Reply(
                    text=t(key, channel=f"<#{channel}>"),
                    visibility=Visibility.EPHEMERAL,
                    is_error=True,
                )
                await self._followups(app_id, token, render(note))
            except DiscordApiError as exc:
                log.warning("Discord channel post failed: %s", exc)
                if not self.rest.bot_token:
                    # HTTP-only deployment without a bot token: show it here instead.
                    await self._followups(app_id, token, render(reply))

    async def _followups(self, app_id: str, token: str, messages: list[DiscordMessage]) -> None:
        for message in messages:
            try:
                await self.rest.followup(app_id, token, message)
            except DiscordApiError as exc:
                log.warning("Discord follow-up failed: %s", exc)

    async def _split(
        self, payload: Mapping[str, Any], outcome: Outcome
    ) -> tuple[list[_Planned], list[Reply]]:
        """Messages answering here (in order) and replies for other channels."""
        channel = channel_of(payload)
        here_replies: list[Reply] = []
        elsewhere: list[Reply] = []
        for r in outcome.replies:
            is_here = not r.target_channel or r.target_channel == channel
            (here_replies if is_here else elsewhere).append(r)
        if not here_replies:
            t = await asyncio.to_thread(self.translator, payload)
            here_replies = [Reply(text=t("discord.done"), visibility=Visibility.EPHEMERAL)]
        planned = [
            _Planned(m, reply.replace_original and i == 0)
            for reply in here_replies
            for i, m in enumerate(render(reply))
        ]
        return planned, elsewhere

    # -- background work ----------------------------------------------------------

    def spawn(self, coro: Awaitable[None]) -> None:
        """Run follow-up work after the response is out; kept referenced until done."""

        async def guarded() -> None:
            try:
                await coro
            except Exception:
                log.exception("Discord follow-up work failed")

        task = asyncio.ensure_future(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for every follow-up in flight (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


@dataclass(slots=True)
class _Planned:
    message: DiscordMessage
    replace: bool = False

    @property
    def files(self) -> bool:
        return bool(self.message.files)
