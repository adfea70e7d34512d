"""Accord in Discord: gateway mode, HTTP interactions mode, the notifier, `accord discord sync`.

- Gateway mode (`DISCORD_TOKEN`): a discord.py `Client` whose `CommandTree` is
  built from the core's registry. It never syncs commands on start (Discord
  allows 200 creates a day per guild and `on_ready` fires again after each
  reconnect); `accord discord sync` is the explicit registration step.
- HTTP interactions mode (`DISCORD_PUBLIC_KEY` + `DISCORD_APPLICATION_ID`):
  `POST /discord/interactions` on the shared HTTP server, Ed25519-verified,
  stateless, so several instances can run behind a load balancer.
- Reminders and digests go through the REST API with the bot token, each
  message with a deterministic nonce and `enforce_nonce`.

Both modes answer interactions through `InteractionService`; this module only
wires transports to it.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from aiohttp import web
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from adapters.discord_commands import build_tree, definitions
from adapters.discord_interactions import InteractionService, payload_from_interaction
from adapters.discord_rest import (
    DEFAULT_API_URL,
    DiscordApiError,
    DiscordPermissionError,
    DiscordRateLimited,
    DiscordRest,
)
from adapters.setup import AdapterSetup
from bot.kernel.delivery_errors import PermanentDeliveryError, PlatformUnavailable, RetryLater
from bot.kernel.registry import Registry
from bot.kernel.types import Reply

if TYPE_CHECKING:
    from bot.kernel.config import Settings
    from bot.kernel.services import Services

log = logging.getLogger(__name__)

PLATFORM = "discord"
INTERACTIONS_PATH = "/discord/interactions"
SIGNATURE_HEADER = "X-Signature-Ed25519"
TIMESTAMP_HEADER = "X-Signature-Timestamp"
# A signed request older (or further in the future) than this is a replay: refused.
MAX_REQUEST_AGE = 300


# -- HTTP interactions mode -------------------------------------------------------


def verify(
    public_key: VerifyKey, signature: str | None, timestamp: str | None, body: bytes
) -> bool:
    """Discord signs `timestamp + body` with the application's Ed25519 key."""
    if not signature or not timestamp:
        return False
    try:
        public_key.verify(timestamp.encode() + body, bytes.fromhex(signature))
    except (BadSignatureError, ValueError):
        return False
    return True


def fresh(timestamp: str | None, now: float, max_age: float = MAX_REQUEST_AGE) -> bool:
    """The signed timestamp (Unix seconds) is within `max_age` of `now`."""
    try:
        return abs(now - int(timestamp or "")) <= max_age
    except ValueError:
        return False


def interactions_handler(service: InteractionService, public_key_hex: str) -> Any:
    try:
        key = VerifyKey(bytes.fromhex(public_key_hex.strip()))
    except ValueError as exc:
        raise ValueError(
            "DISCORD_PUBLIC_KEY must be the application's public key: 64 hexadecimal characters "
            "(Developer Portal > General Information)"
        ) from exc

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        timestamp = request.headers.get(TIMESTAMP_HEADER)
        if not verify(key, request.headers.get(SIGNATURE_HEADER), timestamp, body):
            return web.json_response({"error": "invalid request signature"}, status=401)
        if not fresh(timestamp, service.core.clock.now().timestamp()):
            # A replayed request, even correctly signed, is refused.
            return web.json_response({"error": "stale request timestamp"}, status=401)
        try:
            payload = json.loads(body)
        except ValueError:
            return web.json_response({"error": "invalid JSON"}, status=400)
        initial = await service.handle(payload)
        response = web.json_response(initial.body)
        if initial.then is not None:
            # Follow-ups need the first response to have reached Discord: send it now.
            await response.prepare(request)
            await response.write_eof()
            service.spawn(initial.then())
        return response

    return handle


# -- gateway mode -----------------------------------------------------------------


class AccordClient(discord.Client):
    """A gateway connection that hands every interaction to the service."""

    def __init__(self, service: InteractionService, rest: DiscordRest) -> None:
        # No privileged intent: commands and components carry what the bot needs.
        super().__init__(intents=discord.Intents(guilds=True))
        self.service = service
        self.rest = rest
        self.ready_count = 0
        self.tree = build_tree(self, service.core.registry, self.answer, self.suggest)
        # discord.py keeps a channel only from the payload's `channel` object, which
        # Discord may omit: remember each INTERACTION_CREATE's own `channel_id`.
        self._raw_channels: dict[str, str] = {}
        state = self._connection
        parse = state.parse_interaction_create

        def remember_channel(data: Any) -> None:
            if isinstance(data, dict) and data.get("channel_id"):
                if len(self._raw_channels) > 1000:  # only in flight ones matter
                    self._raw_channels.clear()
                self._raw_channels[str(data.get("id"))] = str(data["channel_id"])
            parse(data)

        state.parse_interaction_create = remember_channel  # type: ignore[method-assign]
        state.parsers["INTERACTION_CREATE"] = remember_channel

    async def setup_hook(self) -> None:
        # Deliberately no `self.tree.sync()`: registration is `accord discord sync`.
        log.info("Discord gateway connecting; commands are registered with `accord discord sync`")

    async def on_ready(self) -> None:
        # Fires again after every reconnect: nothing to (re)register here.
        self.ready_count += 1
        log.info("Discord gateway ready as %s (ready #%d)", self.user, self.ready_count)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        # The tree handles commands and autocomplete; buttons and modals come here.
        if interaction.type in (
            discord.InteractionType.component,
            discord.InteractionType.modal_submit,
        ):
            await self.answer(interaction)

    def _payload(self, interaction: discord.Interaction[Any]) -> dict[str, Any]:
        return payload_from_interaction(interaction, self._raw_channels.get(str(interaction.id)))

    async def answer(self, interaction: discord.Interaction[Any]) -> None:
        payload = self._payload(interaction)
        initial = await self.service.handle(payload)
        try:
            await self.rest.interaction_callback(payload["id"], payload["token"], initial.body)
        except DiscordApiError as exc:
            log.warning("Discord refused the interaction response: %s", exc)
            return
        if initial.then is not None:
            self.service.spawn(initial.then())

    async def suggest(
        self, interaction: discord.Interaction[Any], command: str, option: str, current: str
    ) -> list[tuple[str, Any]]:
        payload = self._payload(interaction)
        return await asyncio.to_thread(self.service.choices, payload, command, option, current)


def use_api_url(api_url: str) -> None:
    """Point discord.py's own HTTP calls (login, autocomplete) at `DISCORD_API_URL` too.

    `Route.BASE` is discord.py's internal base URL (it sets it itself in
    `_set_api_version`); pyproject pins the minor version this was tested with.
    """
    discord.http.Route.BASE = api_url.rstrip("/")


# -- the notifier ----------------------------------------------------------------


@dataclass
class DiscordNotifier:
    """Posts reminders and digests through REST; called from the dispatcher's thread.

    Each call runs its own short event loop, so it never touches the loop that
    serves interactions. A resend after a crash carries the same nonces, and
    `enforce_nonce` makes Discord return the first message instead of a copy.
    """

    api_url: str
    bot_token: str
    backoff: float = 0.5
    platform: str = PLATFORM
    # Bounds on one post, well below the dispatcher's lease: longer 429 waits are
    # given back to the dispatcher (`RetryLater`), not slept through.
    timeout: float = 10.0
    max_retries: int = 3
    defer_after: float = 2.0

    def post(self, team_id: str, channel_id: str, reply: Reply, idempotency_key: str) -> str:
        async def send() -> str:
            rest = DiscordRest(
                self.api_url,
                self.bot_token,
                backoff=self.backoff,
                max_retries=self.max_retries,
                defer_after=self.defer_after,
                timeout=self.timeout,
            )
            try:
                return await rest.post_reply(channel_id, reply, idempotency_key, ping=True)
            finally:
                await rest.close()

        try:
            return asyncio.run(send())
        except DiscordRateLimited as err:
            raise RetryLater(err.retry_after) from None
        except DiscordPermissionError as err:
            denied = "missing_access" if err.code == 50001 else "missing_permissions"
            raise PermanentDeliveryError(denied, str(err)) from None
        except DiscordApiError as err:
            why = permanent_reason(err)
            if why is None:
                if err.status >= 500:
                    raise PlatformUnavailable(str(err)) from None
                raise
            raise PermanentDeliveryError(why, str(err)) from None
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise PlatformUnavailable(f"Discord unreachable: {type(exc).__name__}") from None


# Discord JSON error codes that no retry can fix.
_PERMANENT_CODES = {
    10003: "channel_not_found",  # Unknown Channel
    10004: "guild_not_found",  # Unknown Guild (the bot was removed)
    50035: "message_rejected",  # Invalid Form Body
    50006: "message_rejected",  # Cannot send an empty message
    50008: "message_rejected",  # Cannot send messages in a non-text channel
}


def permanent_reason(err: DiscordApiError) -> str | None:
    """Why a post can never succeed, or None when retrying may help (429, 5xx, network)."""
    if err.code in _PERMANENT_CODES:
        return _PERMANENT_CODES[err.code]
    if err.status == 401:
        return "token_revoked"
    if err.status == 0:  # no bot token configured
        return "no_token"
    if err.status in (400, 403, 404):
        return "message_rejected" if err.status == 400 else "channel_not_found"
    return None


# -- setup ------------------------------------------------------------------------


def notifier(app: Services) -> DiscordNotifier | None:
    """Posts for the stand-alone dispatcher (`accord dispatch`): needs the bot token."""
    token = app.settings.discord_token
    if token is None:
        return None
    return DiscordNotifier(app.settings.discord_api_url, token.get_secret_value())


def setup(app: Services) -> AdapterSetup:
    """What `accord run` starts for Discord, from the settings."""
    settings = app.settings
    token = settings.discord_token.get_secret_value() if settings.discord_token else None
    rest = DiscordRest(settings.discord_api_url, token)
    service = InteractionService(app.core, rest, app.session_factory)
    result = AdapterSetup(name=PLATFORM)
    if settings.discord_public_key and settings.discord_application_id:
        result.routes.append(
            web.post(INTERACTIONS_PATH, interactions_handler(service, settings.discord_public_key))
        )
        result.needs_http = True
        log.info("Discord HTTP interactions on POST %s", INTERACTIONS_PATH)
    if token:
        result.notifier = DiscordNotifier(settings.discord_api_url, token)
        if not result.routes:
            client = AccordClient(service, rest)
            if settings.discord_api_url.rstrip("/") != DEFAULT_API_URL:
                use_api_url(settings.discord_api_url)

            async def gateway() -> None:
                try:
                    await client.start(token)
                except discord.LoginFailure:
                    log.error(
                        "Discord refused DISCORD_TOKEN: reset the bot token in the Developer "
                        "Portal (Bot > Reset Token) and update .env"
                    )
                    raise

            async def stop_gateway() -> None:
                await client.close()

            result.background.append(gateway)
            result.shutdown.append(stop_gateway)
    else:
        log.warning("DISCORD_TOKEN is not set: Discord reminders and digests cannot be posted")
    result.shutdown.extend([service.drain, rest.close])
    return result


# -- `accord discord sync` ---------------------------------------------------------


def add_cli(
    subparsers: Any, registry: Callable[[], Registry]
) -> None:
    discord_cmd = subparsers.add_parser("discord", help="Discord operator commands")
    sub = discord_cmd.add_subparsers(metavar="action")
    sync = sub.add_parser(
        "sync", help="register the application commands with Discord (bulk overwrite)"
    )
    sync.add_argument("--guild", help="one guild only (instant; global commands can take a while)")
    sync.add_argument("--dry-run", action="store_true", help="print the JSON instead of sending it")
    sync.add_argument(
        "--clear", action="store_true", help="remove the commands (e.g. a test guild's copy)"
    )
    sync.set_defaults(func=functools.partial(cmd_sync, registry=registry))


def cmd_sync(
    args: argparse.Namespace, settings: Settings, *, registry: Callable[[], Registry]
) -> int:
    async def run() -> int:
        client = discord.Client(intents=discord.Intents(guilds=True))

        async def nothing(*_: Any) -> Any:
            return []

        tree = build_tree(client, registry(), nothing, nothing)
        commands = [] if args.clear else await definitions(tree)
        if args.dry_run:
            print(json.dumps(commands, indent=2, ensure_ascii=False))
            return 0
        if not settings.discord_token:
            print("DISCORD_TOKEN is required to register commands.", file=sys.stderr)
            return 2
        rest = DiscordRest(settings.discord_api_url, settings.discord_token.get_secret_value())
        try:
            app_id = settings.discord_application_id
            if not app_id:
                app_id = str((await rest.request("GET", "/oauth2/applications/@me"))["id"])
            result = await rest.overwrite_commands(app_id, commands, args.guild)
        except DiscordApiError as exc:
            print(f"Discord refused the commands: {exc}", file=sys.stderr)
            return 1
        finally:
            await rest.close()
        where = f"guild {args.guild}" if args.guild else "every guild (global)"
        print(f"registered {len(result or [])} commands for {where}", file=sys.stderr)
        return 0

    return asyncio.run(run())
