"""Posting replies to Slack: pacing, retries, files, and Slack's errors.

- `chat.postMessage` is limited to about one message per second per channel:
  `ChannelPacer` hands out send slots per channel (shared by the interactive
  path and the dispatcher's notifier, thread-safe), so bursts are spread out,
  not rejected.
- On HTTP 429 slack_sdk's `RateLimitErrorRetryHandler` waits `Retry-After`
  and retries; 5xx and connection errors are retried too. Nothing is dropped:
  a notification that still fails goes back to the dispatcher's outbox.
- Files (exports, charts) go through `files_upload_v2` (the external upload
  flow); `files.upload` is retired. An ephemeral reply's files go to the
  user's direct message with the bot, never to the whole channel.
- `channel_not_found`, `not_in_channel`, `is_archived`, invalid tokens: the
  user gets a clear, localized message (interactive path) or the log does
  (notifier), and the process carries on.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack_render import SlackMessage, render
from bot.kernel.delivery_errors import PermanentDeliveryError, PlatformUnavailable, RetryLater
from bot.kernel.i18n import Translator
from bot.kernel.types import Attachment, Reply, Visibility

log = logging.getLogger(__name__)

# Errors about the channel: the user can fix them (invite the bot, unarchive).
CHANNEL_ERRORS = ("channel_not_found", "not_in_channel", "is_archived")
TOKEN_ERRORS = ("invalid_auth", "not_authed", "token_revoked", "account_inactive", "token_expired")
RETRIES = 5
# Errors no retry can fix: the dispatcher gives the notification up and says so.
PERMANENT_ERRORS = frozenset(
    {
        *CHANNEL_ERRORS,
        *TOKEN_ERRORS,
        "team_access_not_granted",
        "missing_scope",
        "restricted_action",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "too_many_attachments",
        "ekm_access_denied",
    }
)
# The dispatcher's posts: one post never takes longer than about
# NOTIFY_TIMEOUT * (1 + NOTIFY_RETRIES) + NOTIFY_MAX_RATE_WAIT, far below the lease.
NOTIFY_TIMEOUT = 10
NOTIFY_RETRIES = 1
NOTIFY_MAX_RATE_WAIT = 2
# No connection retry inside a post: the dispatcher retries (and a repeated
# request whose first copy did reach Slack would post twice).
NOTIFY_CONNECTION_RETRIES = 0


def api_base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def async_retry_handlers() -> list:  # type: ignore[type-arg]
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


def sync_retry_handlers() -> list:  # type: ignore[type-arg]
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=RETRIES),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


class CappedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, but only for short waits: a longer Retry-After is
    raised to the caller (who can give the work back) instead of slept through."""

    def __init__(self, max_retry_count: int, max_wait: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:  # type: ignore[no-untyped-def,override]
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        return retry_after(response.headers if response is not None else {}) <= self.max_wait


def retry_after(headers: object) -> float:
    """Retry-After from a slack_sdk response's headers (values may be lists), 1 s if absent."""
    if not isinstance(headers, dict):
        return 1.0
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return max(0.0, float(str(raw)))
            except ValueError:
                return 1.0
    return 1.0


def notifier_retry_handlers() -> list:  # type: ignore[type-arg]
    return [
        ConnectionErrorRetryHandler(max_retry_count=NOTIFY_CONNECTION_RETRIES),
        CappedRateLimitRetryHandler(max_retry_count=1, max_wait=NOTIFY_MAX_RATE_WAIT),
        ServerErrorRetryHandler(max_retry_count=NOTIFY_RETRIES),
    ]


def make_async_client(token: str | None, base_url: str) -> AsyncWebClient:
    return AsyncWebClient(
        token=token, base_url=api_base_url(base_url), retry_handlers=async_retry_handlers()
    )


def make_sync_client(token: str | None, base_url: str) -> WebClient:
    return WebClient(
        token=token, base_url=api_base_url(base_url), retry_handlers=sync_retry_handlers()
    )


def error_code(err: SlackApiError) -> str:
    try:
        return str(err.response.get("error") or "unknown_error")
    except Exception:  # a response that is not JSON
        return "unknown_error"


class ChannelPacer:
    """About one post per second per channel; returns how long to wait for a slot."""

    def __init__(self, interval: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, channel: str) -> float:
        if self.interval <= 0:
            return 0.0
        with self._lock:
            now = self.clock()
            slot = max(now, self._next.get(channel, now))
            self._next[channel] = slot + self.interval
            if len(self._next) > 10_000:  # forget channels idle for a while
                self._next = {c: t for c, t in self._next.items() if t > now}
            return slot - now


def _upload_kwargs(attachment: Attachment) -> dict[str, object]:
    upload: dict[str, object] = {
        "content": attachment.content,
        "filename": attachment.filename,
        "title": attachment.filename,
    }
    if attachment.is_image and attachment.alt:
        upload["alt_txt"] = attachment.alt
    return upload


@dataclass
class Target:
    """Where the replies to one interaction go."""

    client: AsyncWebClient
    channel_id: str
    user_id: str
    lang: str
    response_url: str | None = None
    # The message whose button was pressed (`replace_original`).
    message_ts: str | None = None


class AsyncDelivery:
    """Delivers the core's replies to one interaction (slash command, button, modal)."""

    def __init__(self, pacer: ChannelPacer) -> None:
        self.pacer = pacer

    async def deliver(self, replies: list[Reply], target: Target) -> None:
        for reply in replies:
            try:
                if reply.replace_original:
                    await self._replace(reply, target)
                elif reply.visibility is Visibility.EPHEMERAL:
                    await self._ephemeral(reply, target)
                else:
                    await self._channel(reply, target)
            except SlackApiError as err:
                await self._report(err, reply, target)
            except Exception:
                log.exception("could not deliver a reply in %s", target.channel_id)

    # -- the three ways to answer -------------------------------------------

    async def _channel(self, reply: Reply, target: Target) -> None:
        channel = reply.target_channel or target.channel_id
        for message in render(reply):
            await self.post_message(target.client, channel, message)
        await self._upload(target.client, channel, reply)

    async def post_message(
        self, client: AsyncWebClient, channel: str, message: SlackMessage
    ) -> str:
        delay = self.pacer.reserve(channel)
        if delay > 0:
            await asyncio.sleep(delay)
        response = await client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks, unfurl_links=False
        )
        return str(response.get("ts", ""))

    async def _ephemeral(self, reply: Reply, target: Target) -> None:
        for message in render(reply):
            if target.response_url:
                await self._respond(target.response_url, message, response_type="ephemeral")
            else:
                await target.client.chat_postEphemeral(
                    channel=target.channel_id,
                    user=target.user_id,
                    text=message.text,
                    blocks=message.blocks,
                )
        if reply.attachments or reply.image:
            # Files cannot be ephemeral: they go to the user's direct message.
            opened = await target.client.conversations_open(users=target.user_id)
            await self._upload(target.client, str(opened["channel"]["id"]), reply)

    async def _replace(self, reply: Reply, target: Target) -> None:
        messages = render(reply)
        first, rest = messages[0], messages[1:]
        if target.response_url:
            await self._respond(target.response_url, first, replace_original=True)
        elif target.message_ts:
            await target.client.chat_update(
                channel=target.channel_id,
                ts=target.message_ts,
                text=first.text,
                blocks=first.blocks,
            )
        else:
            await self.post_message(target.client, target.channel_id, first)
        for message in rest:
            await self.post_message(target.client, target.channel_id, message)

    @staticmethod
    async def _respond(url: str, message: SlackMessage, **kwargs: object) -> None:
        webhook = AsyncWebhookClient(url, retry_handlers=async_retry_handlers())
        response = await webhook.send(text=message.text, blocks=message.blocks, **kwargs)  # type: ignore[arg-type]
        if response.status_code >= 400:
            log.warning("response_url answered %s: %s", response.status_code, response.body[:200])

    async def _upload(self, client: AsyncWebClient, channel: str, reply: Reply) -> None:
        files = ([reply.image] if reply.image else []) + reply.attachments
        if not files:
            return
        delay = self.pacer.reserve(channel)
        if delay > 0:
            await asyncio.sleep(delay)
        await client.files_upload_v2(
            channel=channel, file_uploads=[_upload_kwargs(a) for a in files]
        )

    # -- Slack said no ----------------------------------------------------------

    async def _report(self, err: SlackApiError, reply: Reply, target: Target) -> None:
        code = error_code(err)
        channel = reply.target_channel or target.channel_id
        if code in TOKEN_ERRORS:
            log.error(
                "Slack rejected the bot token (%s): reinstall the app or fix SLACK_BOT_TOKEN", code
            )
            return
        log.warning("Slack refused a reply in %s: %s", channel, code)
        key = f"slack.errors.{code}" if code in CHANNEL_ERRORS else "slack.errors.generic"
        text = Translator(reply.lang or target.lang)(key, channel=f"<#{channel}>", error=code)
        notice = Reply(text=f"⚠️ {text}", visibility=Visibility.EPHEMERAL, is_error=True)
        try:
            if reply.visibility is Visibility.EPHEMERAL and not target.response_url:
                # The private answer itself was refused (a form submitted in a
                # channel the bot is not in): it goes to the user's direct messages.
                await self._direct([reply, notice], target)
            else:
                await self._ephemeral(notice, target)
        except SlackApiError as again:
            log.warning("could not tell the user either: %s", error_code(again))

    async def _direct(self, replies: list[Reply], target: Target) -> None:
        opened = await target.client.conversations_open(users=target.user_id)
        dm = str(opened["channel"]["id"])
        for reply in replies:
            for message in render(reply):
                await self.post_message(target.client, dm, message)


class SlackNotifier:
    """The dispatcher's `Notifier` for Slack: runs in the dispatcher's thread."""

    platform = "slack"

    def __init__(
        self,
        token_for: Callable[[str], str | None],
        base_url: str,
        pacer: ChannelPacer,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.token_for = token_for
        self.base_url = base_url
        self.pacer = pacer
        self.sleep = sleep
        self._clients: dict[str, WebClient] = {}

    def _client(self, team_id: str) -> WebClient:
        token = self.token_for(team_id)
        if not token:
            raise PermanentDeliveryError(
                "not_installed", f"no Slack installation for team {team_id}"
            )
        client = self._clients.get(token)
        if client is None:
            client = self._clients[token] = WebClient(
                token=token,
                base_url=api_base_url(self.base_url),
                timeout=NOTIFY_TIMEOUT,
                retry_handlers=notifier_retry_handlers(),
            )
        return client

    def post(self, team_id: str, channel_id: str, reply: Reply, idempotency_key: str) -> str:
        client = self._client(team_id)
        channel = reply.target_channel or channel_id
        ts = ""
        try:
            for message in render(reply):
                delay = self.pacer.reserve(channel)
                if delay > 0:
                    self.sleep(delay)
                response = client.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks, unfurl_links=False
                )
                ts = ts or str(response.get("ts", ""))
            files = ([reply.image] if reply.image else []) + reply.attachments
            if files:
                client.files_upload_v2(
                    channel=channel, file_uploads=[_upload_kwargs(a) for a in files]
                )
        except SlackApiError as err:
            code = error_code(err)
            hint = {
                "not_in_channel": "invite the bot to the channel",
                "channel_not_found": "the channel is gone or private",
                "is_archived": "the channel is archived",
            }.get(code, "")
            # No token or payload in the message: it ends up in logs and the outbox row.
            refused = f"Slack refused the post in {channel}: {code}" + (
                f" ({hint})" if hint else ""
            )
            status = getattr(err.response, "status_code", 0)
            if status == 429 or code == "ratelimited":
                raise RetryLater(
                    retry_after(getattr(err.response, "headers", {})), refused
                ) from None
            if code in PERMANENT_ERRORS:
                raise PermanentDeliveryError(code, refused) from None
            if status >= 500:
                raise PlatformUnavailable(refused) from None
            raise RuntimeError(refused) from None
        except (OSError, URLError) as exc:  # refused, reset, timed out: Slack is unreachable
            raise PlatformUnavailable(f"Slack unreachable: {exc}") from None
        return f"slack:{channel}:{ts}"
