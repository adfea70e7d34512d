"""Accord in Slack: bolt's AsyncApp, in Socket Mode or HTTP mode.

- Socket Mode when `SLACK_APP_TOKEN` is set (self-hosting, no public URL).
- HTTP mode otherwise, with `SLACK_SIGNING_SECRET`: `POST /slack/events` on
  the shared aiohttp server (slash commands, interactivity and events), plus
  `/slack/install` and `/slack/oauth_redirect` when `SLACK_CLIENT_ID` and
  `SLACK_CLIENT_SECRET` are set (many workspaces, slack_sdk's SQLAlchemy
  stores on the project's database).
- `SLACK_API_URL` is the base of every Web API call.

Every listener acks first, then works: bolt answers Slack as soon as `ack()`
is called, and the core runs in a worker thread of the adapter's own pool, so
a slow database never delays an ack and the event loop keeps acking others.
The pool is not asyncio's default one on purpose: bolt's OAuth authorization
(the installation store, before the ack) uses that one, and slow commands
holding every thread must not stall it.
A retried delivery (same `trigger_id`, action timestamp) is answered by the
core from its ledger with `Outcome.duplicate`: nothing is posted twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import text

from adapters import slack_payloads as payloads
from adapters import slack_stores
from adapters.setup import AdapterSetup
from adapters.slack_delivery import (
    AsyncDelivery,
    ChannelPacer,
    SlackNotifier,
    Target,
    error_code,
    make_async_client,
)
from adapters.slack_render import neutral_action_id, reply_blocks
from bot.kernel import i18n
from bot.kernel.config import Settings
from bot.kernel.core import Core
from bot.kernel.services import Services
from bot.kernel.types import Command, Outcome, Tenant, User

log = logging.getLogger(__name__)


def _without_rejected_bodies(record: logging.LogRecord) -> bool:
    """Bolt logs the whole body of a request whose signature fails (response_url and
    all): keep it out of the logs; `handle_http` logs the rejection without it."""
    return not str(record.msg).startswith("Invalid request signature")


logging.getLogger("slack_bolt.RequestVerification").addFilter(_without_rejected_bodies)

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# Keep in step with adapters/slack_manifest.yml (a test checks it).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "files:write",
    "im:write",
    "users:read",
)
PROFILE_TTL = 3600.0
# Mentioned users looked up (`users.info`, cached) for their Slack Connect home workspace.
MENTION_LOOKUPS = 10
# (display name, locale, home workspace, workspace admin or owner) from `users.info`.
Profile = tuple[str | None, str | None, str | None, bool]
HOME_MAX_BLOCKS = 100
# Threads running the core: within the database pool (SQLAlchemy: 5 + 10 overflow).
CORE_WORKERS = 8
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SlackConfig:
    api_url: str = "https://slack.com/api/"
    bot_token: str | None = None
    app_token: str | None = None
    signing_secret: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    default_locale: str = "en"
    # Seconds between two posts in one channel (Slack: about one per second).
    pace_seconds: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackConfig:
        def secret(value: Any) -> str | None:
            return value.get_secret_value() if value is not None else None

        return cls(
            api_url=settings.slack_api_url,
            bot_token=secret(settings.slack_bot_token),
            app_token=secret(settings.slack_app_token),
            signing_secret=secret(settings.slack_signing_secret),
            client_id=settings.slack_client_id,
            client_secret=secret(settings.slack_client_secret),
            default_locale=settings.default_locale,
        )

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret) and not self.socket_mode


class SlackAdapter:
    def __init__(self, app: Services, config: SlackConfig, *, core: Core | None = None) -> None:
        self.app = app
        self.core = core or app.core
        self.config = config
        self.pacer = ChannelPacer(config.pace_seconds)
        self.delivery = AsyncDelivery(self.pacer)
        self._core_pool = ThreadPoolExecutor(CORE_WORKERS, thread_name_prefix="accord-slack")
        self._profiles: dict[tuple[str, str], tuple[float, Profile]] = {}
        self.installations = (
            slack_stores.installation_store(config.client_id, app.engine)
            if config.oauth and config.client_id
            else None
        )
        self.oauth_flow = self._oauth_flow() if self.installations is not None else None
        self.bolt = AsyncApp(
            name="accord",
            signing_secret=config.signing_secret or "",
            client=make_async_client(None if self.oauth_flow else config.bot_token, config.api_url),
            oauth_flow=self.oauth_flow,
            # Socket Mode messages are not signed: the WebSocket is authenticated.
            request_verification_enabled=not config.socket_mode,
            process_before_response=False,
        )
        # Called after each interaction is fully answered (metrics, tests).
        self.on_finished: Callable[[Outcome], None] | None = None
        self._register()
        self._socket_handler: Any = None

    # -- wiring ------------------------------------------------------------------

    def _oauth_flow(self) -> AsyncOAuthFlow:
        assert self.installations is not None
        return AsyncOAuthFlow(
            client=make_async_client(None, self.config.api_url),
            settings=AsyncOAuthSettings(
                client_id=self.config.client_id,
                client_secret=self.config.client_secret,
                scopes=list(BOT_SCOPES),
                installation_store=slack_stores.AsyncInstallationStoreAdapter(self.installations),
                state_store=slack_stores.AsyncStateStoreAdapter(
                    slack_stores.state_store(self.app.engine)
                ),
                install_path=INSTALL_PATH,
                redirect_uri_path=REDIRECT_PATH,
                # GovSlack-style hosts authorize on their own domain too.
                authorization_url=self.config.api_url.rstrip("/").removesuffix("/api")
                + "/oauth/v2/authorize",
            ),
        )

    def _register(self) -> None:
        """Explicit listeners: one per core command, then interactivity and events."""
        for name in self.app.registry.commands:
            self.bolt.command(f"/{name}")(self.on_command)
        self.bolt.action(re.compile(r".+"))(self.on_action)
        self.bolt.view(payloads.DECIDE_MODAL_ID)(self.on_decide_submitted)
        self.bolt.shortcut(payloads.LOG_DECISION_SHORTCUT)(self.on_log_decision)
        self.bolt.event("app_home_opened")(self.on_home_opened)

    def routes(self) -> list[web.RouteDef]:
        if self.config.socket_mode:
            return []
        routes = [web.post(EVENTS_PATH, self.handle_http)]
        if self.oauth_flow is not None:
            routes += [
                web.get(INSTALL_PATH, self.handle_install),
                web.get(REDIRECT_PATH, self.handle_oauth_redirect),
            ]
        return routes

    def notifier(self) -> SlackNotifier:
        return _notifier(self.config, self.installations, self.pacer)

    def adapter_setup(self) -> AdapterSetup:
        return AdapterSetup(
            name="slack",
            routes=self.routes(),
            notifier=self.notifier(),
            background=[self.run_socket_mode] if self.config.socket_mode else [],
            shutdown=[self.close],
            needs_http=not self.config.socket_mode,
        )

    # -- HTTP mode -----------------------------------------------------------------

    async def handle_http(self, request: web.Request) -> web.Response:
        """Signature checks (401 on failure), ssl_check and url_verification are bolt's."""
        response = await self.bolt.async_dispatch(await to_bolt_request(request))
        if response.status == 401:
            log.warning("rejected a request to %s: bad or missing Slack signature", EVENTS_PATH)
        return await to_aiohttp_response(response)

    async def handle_install(self, request: web.Request) -> web.Response:
        assert self.oauth_flow is not None
        return await to_aiohttp_response(
            await self.oauth_flow.handle_installation(await to_bolt_request(request))
        )

    async def handle_oauth_redirect(self, request: web.Request) -> web.Response:
        assert self.oauth_flow is not None
        return await to_aiohttp_response(
            await self.oauth_flow.handle_callback(await to_bolt_request(request))
        )

    # -- Socket Mode -----------------------------------------------------------------

    async def run_socket_mode(self) -> None:
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        self._socket_handler = AsyncSocketModeHandler(self.bolt, self.config.app_token)
        await self._socket_handler.connect_async()
        log.info("Slack Socket Mode connected")
        await asyncio.Event().wait()

    async def close(self) -> None:
        if self._socket_handler is not None:
            await self._socket_handler.close_async()
        self._core_pool.shutdown(wait=False)

    # -- listeners -------------------------------------------------------------------

    async def on_command(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await ack()
        team = payloads.tenant_id(body, context.team_id, context.enterprise_id)
        if body.get("command") == "/decide" and not (body.get("text") or "").strip():
            await self._open_decide_modal(client, body, team)
            return
        profile = await self._profile(client, team, body.get("user_id", ""))
        command = payloads.command_from_slash(
            body, team_id=team, received_at=self._now(), profile=profile
        )
        command.mentioned = await self._with_homes(client, team, command.mentioned)
        await self._answer(command, client, body.get("response_url"))

    async def on_action(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        team = payloads.tenant_id(body, context.team_id, context.enterprise_id)
        user_id = (body.get("user") or {}).get("id", "")
        profile = await self._profile(client, team, user_id)
        act = payloads.action_from_block_action(
            body,
            action,
            neutral_action_id=neutral_action_id(action.get("action_id", "")),
            team_id=team,
            received_at=self._now(),
            locale=profile[1],
        )
        outcome = await self._in_core_pool(self.core.handle_action, act)
        ts = act.message_ref.split(":", 1)[1] if act.message_ref else None
        await self._deliver(
            outcome,
            Target(
                client=client,
                channel_id=act.channel_id,
                user_id=user_id,
                lang=self._lang(profile[1]),
                response_url=body.get("response_url"),
                message_ts=ts,
            ),
        )

    async def on_decide_submitted(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await ack()  # closes the modal
        team = payloads.tenant_id(body, context.team_id, context.enterprise_id)
        command = payloads.command_from_view(body, team_id=team, received_at=self._now())
        # No response_url in a modal: ephemeral answers go through chat.postEphemeral.
        await self._answer(command, client, None)

    async def on_log_decision(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        """Message shortcut "Log as decision": the message becomes a decision, linked back."""
        await ack()
        team = payloads.tenant_id(body, context.team_id, context.enterprise_id)
        channel = (body.get("channel") or {}).get("id", "")
        message_ts = str((body.get("message") or {}).get("ts") or body.get("message_ts") or "")
        permalink = None
        try:
            found = await client.chat_getPermalink(channel=channel, message_ts=message_ts)
            permalink = found.get("permalink")
        except Exception as err:  # optional: the decision is logged without a link
            log.info("no permalink for a shortcut message: %s", _reason(err))
        user_id = (body.get("user") or {}).get("id", "")
        profile = await self._profile(client, team, user_id)
        command = payloads.command_from_message_shortcut(
            body, team_id=team, permalink=permalink, received_at=self._now()
        )
        command.locale = profile[1]
        await self._answer(command, client, body.get("response_url"))

    async def on_home_opened(
        self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        if event.get("tab") != "home":
            return
        home = self.app.registry.home_view
        if home is None:
            return
        user_id = event.get("user", "")
        team = context.team_id or context.enterprise_id or ""
        profile = await self._profile(client, team, user_id)
        replies = await self._in_core_pool(
            home,
            self.app.session_factory,
            Tenant(payloads.PLATFORM, team),
            user_id,
            self._lang(profile[1]),
            self.app.clock.now(),
        )
        blocks: list[dict[str, Any]] = []
        for reply in replies:
            if blocks:
                blocks.append({"type": "divider"})
            blocks.extend(b for b in reply_blocks(reply) if b["type"] != "actions")
        try:
            await client.views_publish(
                user_id=user_id, view={"type": "home", "blocks": blocks[:HOME_MAX_BLOCKS]}
            )
        except Exception as err:
            log.warning("could not publish the App Home: %s", _reason(err))

    # -- helpers -----------------------------------------------------------------------

    async def _answer(
        self, command: Command, client: AsyncWebClient, response_url: str | None
    ) -> None:
        outcome = await self._in_core_pool(self.core.handle, command)
        target = Target(
            client=client,
            channel_id=command.channel_id,
            user_id=command.user.id,
            lang=self._lang(command.locale),
            response_url=response_url,
        )
        await self._deliver(outcome, target)

    async def _deliver(self, outcome: Outcome, target: Target) -> None:
        try:
            if outcome.duplicate:
                log.info("duplicate Slack delivery in %s: already answered", target.channel_id)
            else:
                await self.delivery.deliver(outcome.replies, target)
        finally:
            if self.on_finished is not None:
                self.on_finished(outcome)

    async def _open_decide_modal(
        self, client: AsyncWebClient, body: dict[str, Any], team: str
    ) -> None:
        profile = await self._profile(client, team, body.get("user_id", ""))
        lang = self._lang(profile[1])
        view = decide_modal(
            i18n.Translator(lang), channel_id=body.get("channel_id", ""), locale=lang
        )
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=view)
        except Exception as err:
            log.warning("could not open the /decide modal: %s", _reason(err))

    async def _with_homes(
        self, client: AsyncWebClient, team: str, users: tuple[User, ...]
    ) -> tuple[User, ...]:
        """Mentioned users with the name and home workspace Slack knows (Slack Connect):
        the core then keeps each person in their own company. Cached like the author's."""
        if not users:
            return users
        looked = users[:MENTION_LOOKUPS]
        profiles = await asyncio.gather(*(self._profile(client, team, u.id) for u in looked))
        known = [
            dataclasses.replace(u, name=u.name or p[0] or "", home_team_id=p[2])
            for u, p in zip(looked, profiles, strict=True)
        ]
        return (*known, *users[MENTION_LOOKUPS:])

    async def _cached_profile(self, team: str, user_id: str) -> Profile | None:
        cached = self._profiles.get((team, user_id))
        return cached[1] if cached and cached[0] > time.monotonic() else None

    async def _profile(self, client: AsyncWebClient, team: str, user_id: str) -> Profile:
        """(display name, locale, home team, admin) from `users.info`, cached for an hour.

        Slack puts neither the locale nor (in slash commands) the home team of a
        Slack Connect user in the payload; without `users:read` all are None. The
        last is the user's `is_admin`/`is_owner` fact: the core decides what it allows.
        """
        if not user_id:
            return (None, None, None, False)
        cached = await self._cached_profile(team, user_id)
        if cached is not None:
            return cached
        profile: Profile = (None, None, None, False)
        try:
            found = await client.users_info(user=user_id, include_locale=True)
            user = found.get("user") or {}
            name = (
                (user.get("profile") or {}).get("display_name")
                or user.get("real_name")
                or user.get("name")
            )
            admin = bool(
                user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")
            )
            profile = (name or None, user.get("locale"), user.get("team_id"), admin)
        except Exception as err:  # optional: the payload alone still makes a command
            log.info("users.info unavailable (%s): using the payload only", _reason(err))
        if len(self._profiles) > 50_000:  # a crude bound: start afresh
            self._profiles.clear()
        self._profiles[(team, user_id)] = (time.monotonic() + PROFILE_TTL, profile)
        return profile

    def warm_up(self) -> None:
        """Start the core's threads and open their database connections before the
        first burst of commands, so that burst's acks do not pay for them."""
        sqlite = self.app.engine.dialect.name == "sqlite"
        barrier = threading.Barrier(CORE_WORKERS)

        def touch() -> None:
            with self.app.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                if not sqlite:  # hold it: the pool then keeps one per thread
                    barrier.wait(timeout=10)
            if sqlite:  # SQLite serialises transactions: do not hold one while waiting
                barrier.wait(timeout=10)

        for future in [self._core_pool.submit(touch) for _ in range(CORE_WORKERS)]:
            try:
                future.result()
            except Exception as err:  # a slow start is not a failed start
                log.warning("Slack adapter warm-up incomplete: %s", type(err).__name__)
                return

    async def _in_core_pool(self, func: Callable[..., T], *args: Any) -> T:
        """The core is synchronous (one database transaction): off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._core_pool, functools.partial(func, *args))

    def _lang(self, locale: str | None) -> str:
        return (
            i18n.normalize_locale(locale)
            or i18n.normalize_locale(self.config.default_locale)
            or i18n.DEFAULT
        )

    def _now(self) -> datetime:
        return self.app.clock.now()


def _reason(err: Exception) -> str:
    """Slack's error code, or the exception's type: never a payload or a token."""
    return error_code(err) if isinstance(err, SlackApiError) else type(err).__name__


def decide_modal(t: i18n.Translator, *, channel_id: str, locale: str) -> dict[str, Any]:
    """The `/decide` modal: decision, participants, tags, supersedes."""

    def label(key: str) -> dict[str, Any]:
        return {"type": "plain_text", "text": t(key)[:2000]}

    return {
        "type": "modal",
        "callback_id": payloads.DECIDE_MODAL_ID,
        "title": {"type": "plain_text", "text": t("slack.modal.title")[:24]},
        "submit": {"type": "plain_text", "text": t("slack.modal.submit")[:24]},
        "close": {"type": "plain_text", "text": t("slack.modal.cancel")[:24]},
        "private_metadata": json.dumps({"channel_id": channel_id, "locale": locale}),
        "blocks": [
            {
                "type": "input",
                "block_id": "decision",
                "label": label("slack.modal.decision"),
                "hint": label("slack.modal.decision_hint"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "max_length": 2000,
                },
            },
            {
                "type": "input",
                "block_id": "participants",
                "optional": True,
                "label": label("slack.modal.participants"),
                "element": {"type": "multi_users_select", "action_id": "users"},
            },
            {
                "type": "input",
                "block_id": "tags",
                "optional": True,
                "label": label("slack.modal.tags"),
                "hint": label("slack.modal.tags_hint"),
                "element": {"type": "plain_text_input", "action_id": "text"},
            },
            {
                "type": "input",
                "block_id": "supersedes",
                "optional": True,
                "label": label("slack.modal.supersedes"),
                "element": {
                    "type": "number_input",
                    "action_id": "number",
                    "is_decimal_allowed": False,
                    "min_value": "1",
                },
            },
        ],
    }


def _notifier(config: SlackConfig, installations: Any, pacer: ChannelPacer) -> SlackNotifier:
    token = config.bot_token

    def token_for(team_id: str) -> str | None:
        if installations is not None:
            return slack_stores.bot_token(installations, team_id)
        return token

    return SlackNotifier(token_for, config.api_url, pacer)


def notifier(app: Services) -> SlackNotifier | None:
    """Posts for the stand-alone dispatcher (`accord dispatch`): no listener, no server."""
    config = SlackConfig.from_settings(app.settings)
    installations = (
        slack_stores.installation_store(config.client_id, app.engine)
        if config.oauth and config.client_id
        else None
    )
    if installations is None and not config.bot_token:
        return None
    return _notifier(config, installations, ChannelPacer(config.pace_seconds))


def setup(app: Services) -> AdapterSetup:
    """What `accord run` starts for Slack (see `bot.runner.adapter_setups`)."""
    adapter = SlackAdapter(app, SlackConfig.from_settings(app.settings))
    adapter.warm_up()
    return adapter.adapter_setup()
