"""A small Discord REST client: interaction callbacks, webhook follow-ups, channel posts.

discord.py's own HTTP client needs a logged-in `Client`; HTTP interactions
mode has none, so both modes share this one. It retries 429s after Discord's
`retry_after` and 5xx with a short backoff, and turns Discord's permission
errors into `DiscordPermissionError` so callers can tell the user what is
missing instead of crashing. `DISCORD_API_URL` sets its base for every call.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from adapters.discord_render import DiscordMessage, render, replacing
from bot.kernel.types import Reply

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://discord.com/api/v10"
NONCE_MAX = 25
# Discord's JSON error codes for a channel the bot cannot see or write to.
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
PERMISSION_CODES = {MISSING_ACCESS, MISSING_PERMISSIONS}


class DiscordApiError(Exception):
    def __init__(self, status: int, code: int | None, message: str, path: str) -> None:
        super().__init__(f"Discord API {status} on {path}: {message} (code {code})")
        self.status = status
        self.code = code
        self.message = message
        self.path = path


class DiscordRateLimited(DiscordApiError):
    """A 429 whose wait is longer than the caller accepts (`defer_after`): try later."""

    def __init__(self, retry_after: float, path: str) -> None:
        super().__init__(429, None, f"rate limited for {retry_after:g}s", path)
        self.retry_after = retry_after


class DiscordPermissionError(DiscordApiError):
    """Missing Access (50001) or Missing Permissions (50013): an admin must fix the channel."""

    def __init__(
        self, status: int, code: int | None, message: str, path: str, channel_id: str | None
    ) -> None:
        super().__init__(status, code, message, path)
        self.channel_id = channel_id


def nonce_for(key: str, part: int = 0) -> str:
    """A deterministic nonce of at most 25 characters for one message of one send."""
    return hashlib.sha256(f"{key}#{part}".encode()).hexdigest()[:NONCE_MAX]


@dataclass
class DiscordRest:
    api_url: str = DEFAULT_API_URL
    # Only channel posts and command sync need it; interaction responses use the token.
    bot_token: str | None = None
    max_retries: int = 5
    # Backoff for 5xx (seconds, doubled each time); tests make it tiny.
    backoff: float = 0.5
    # Never wait longer than this for a 429, whatever Discord says.
    max_retry_after: float = 60.0
    # A 429 asking to wait longer than this raises `DiscordRateLimited` instead of
    # sleeping (the dispatcher gives its rows back rather than hold them). None: wait.
    defer_after: float | None = None
    timeout: float = 15.0
    _session: aiohttp.ClientSession | None = field(default=None, init=False, repr=False)

    # -- plumbing -------------------------------------------------------------

    async def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={"User-Agent": "DiscordBot (https://github.com/accord, 0.1) Accord"},
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        message: DiscordMessage | None = None,
        auth: bool = True,
        channel_id: str | None = None,
    ) -> Any:
        """One call with retries; returns the decoded JSON body (None for 204)."""
        url = self.api_url.rstrip("/") + path
        headers: dict[str, str] = {}
        if auth and self.bot_token:
            headers["Authorization"] = f"Bot {self.bot_token}"
        session = await self.session()
        attempt = 0
        while True:
            attempt += 1
            data: aiohttp.FormData | None = None
            body = json_body if message is None else message.payload
            if message is not None and message.files:
                data = _multipart(body, message)
                body = None
            try:
                async with session.request(
                    method, url, json=body, data=data, headers=headers
                ) as resp:
                    text = await resp.text()
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                # Whether Discord acted on it is unknown: repeat only what is safe to repeat.
                sent = json_body if message is None else message.payload
                if _safe_to_repeat(method, sent) and attempt <= self.max_retries:
                    wait = self.backoff * 2 ** (attempt - 1)
                    log.info(
                        "Discord %s %s failed (%s), retrying in %.2fs",
                        method,
                        _redact(path),
                        type(exc).__name__,
                        wait,
                    )
                    await asyncio.sleep(wait)
                    continue
                raise
            payload = _decode(text)
            if resp.status < 300:
                return payload
            if resp.status == 429 and attempt <= self.max_retries:
                wait = _retry_after(resp, payload)
                if self.defer_after is not None and wait > self.defer_after:
                    raise DiscordRateLimited(wait, _redact(path))
                log.info("Discord 429 on %s %s, retrying in %.2fs", method, _redact(path), wait)
                await asyncio.sleep(min(wait, self.max_retry_after))
                continue
            if resp.status >= 500 and attempt <= self.max_retries:
                wait = self.backoff * 2 ** (attempt - 1)
                log.info(
                    "Discord %s on %s %s, retrying in %.2fs",
                    resp.status,
                    method,
                    _redact(path),
                    wait,
                )
                await asyncio.sleep(wait)
                continue
            code = payload.get("code") if isinstance(payload, dict) else None
            msg = payload.get("message", text[:200]) if isinstance(payload, dict) else text[:200]
            if resp.status == 403 and code in PERMISSION_CODES:
                log.warning(
                    "Discord refused %s %s: %s. Give the bot View Channel, Send Messages, "
                    "Embed Links and Attach Files in that channel.",
                    method,
                    _redact(path),
                    msg,
                )
                raise DiscordPermissionError(resp.status, code, msg, _redact(path), channel_id)
            raise DiscordApiError(resp.status, code, msg, _redact(path))

    # -- interactions -----------------------------------------------------------

    async def interaction_callback(
        self, interaction_id: str, token: str, body: dict[str, Any]
    ) -> None:
        """The first response to an interaction received over the gateway (files go by webhook)."""
        path = f"/interactions/{interaction_id}/{token}/callback"
        await self.request("POST", path, json_body=body, auth=False)

    async def followup(self, application_id: str, token: str, message: DiscordMessage) -> Any:
        return await self.request(
            "POST", f"/webhooks/{application_id}/{token}", message=message, auth=False
        )

    async def edit_original(self, application_id: str, token: str, message: DiscordMessage) -> Any:
        edited = DiscordMessage(replacing(message.payload), message.files, message.ephemeral)
        return await self.request(
            "PATCH",
            f"/webhooks/{application_id}/{token}/messages/@original",
            message=edited,
            auth=False,
        )

    async def delete_original(self, application_id: str, token: str) -> None:
        await self.request(
            "DELETE", f"/webhooks/{application_id}/{token}/messages/@original", auth=False
        )

    # -- channel messages and commands --------------------------------------------

    async def create_message(self, channel_id: str, message: DiscordMessage, nonce: str) -> Any:
        """Post in a channel with the bot token; `enforce_nonce` makes a resend a no-op."""
        if not self.bot_token:
            raise DiscordApiError(
                0, None, "DISCORD_TOKEN is not set: cannot post in channels", "/channels"
            )
        payload = {k: v for k, v in message.payload.items() if k != "flags"}
        payload["nonce"] = nonce
        payload["enforce_nonce"] = True
        return await self.request(
            "POST",
            f"/channels/{channel_id}/messages",
            message=DiscordMessage(payload, message.files),
            channel_id=channel_id,
        )

    async def post_reply(
        self, channel_id: str, reply: Reply, key: str, *, ping: bool = False
    ) -> str:
        """Every message of `reply` in a channel; returns a reference to the first one."""
        refs: list[str] = []
        for part, message in enumerate(render(reply, ping=ping)):
            created = await self.create_message(channel_id, message, nonce_for(key, part))
            if isinstance(created, dict) and created.get("id"):
                refs.append(str(created["id"]))
        return f"discord:{channel_id}:{refs[0] if refs else ''}"

    async def overwrite_commands(
        self, application_id: str, commands: list[dict[str, Any]], guild_id: str | None = None
    ) -> Any:
        path = f"/applications/{application_id}"
        path += f"/guilds/{guild_id}/commands" if guild_id else "/commands"
        return await self.request("PUT", path, json_body=commands)


def _multipart(payload: dict[str, Any], message: DiscordMessage) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps(payload), content_type="application/json")
    for i, attachment in enumerate(message.files):
        form.add_field(
            f"files[{i}]",
            attachment.content,
            filename=attachment.filename,
            content_type=attachment.mime,
        )
    return form


def _decode(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _safe_to_repeat(method: str, body: Any) -> bool:
    """Idempotent methods, and posts whose `enforce_nonce` makes a resend a no-op."""
    if method in ("GET", "PUT", "PATCH", "DELETE"):
        return True
    return isinstance(body, dict) and bool(body.get("enforce_nonce")) and bool(body.get("nonce"))


def _retry_after(resp: aiohttp.ClientResponse, payload: Any) -> float:
    if isinstance(payload, dict) and isinstance(payload.get("retry_after"), int | float):
        return max(0.0, float(payload["retry_after"]))
    try:
        return max(0.0, float(resp.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


def _redact(path: str) -> str:
    """Interaction tokens are secrets: keep them out of logs and errors."""
    parts = path.split("/")
    if len(parts) > 3 and parts[1] in ("webhooks", "interactions"):
        parts[3] = "***"
    return "/".join(parts)
