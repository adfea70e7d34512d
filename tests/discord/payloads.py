"""Interaction payloads in the shape Discord documents (interaction object).

https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.discord.fake_discord import APP_ID

GUILD = "700000000000000001"
CHANNEL = "710000000000000001"
SHARED = "710000000000000002"
ALICE = "800000000000000001"

_ids = itertools.count(1_300_000_000_000_000_000)


def next_id() -> str:
    return str(next(_ids))


def _base(
    kind: int,
    data: dict[str, Any],
    *,
    guild: str | None = GUILD,
    channel: str = CHANNEL,
    user: str = ALICE,
    name: str = "alice",
    locale: str = "en-US",
    guild_locale: str | None = "en-US",
    interaction_id: str | None = None,
    permissions: str = "2251799813685247",
) -> dict[str, Any]:
    raw_user = {
        "id": user,
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
    }
    payload: dict[str, Any] = {
        "id": interaction_id or next_id(),
        "application_id": APP_ID,
        "type": kind,
        "data": data,
        "channel_id": channel,
        "channel": {
            "id": channel,
            "type": 0,
            "guild_id": guild,
            "name": "launch",
            "position": 3,
            "permission_overwrites": [],
            "nsfw": False,
            "topic": None,
            "parent_id": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
            "permissions": "2251799813685247",
        },
        "token": f"tok-{next_id()}",
        "version": 1,
        "locale": locale,
        "app_permissions": "2251799813685247",
        "entitlements": [],
        "authorizing_integration_owners": {"0": guild} if guild else {"1": user},
        "context": 0 if guild else 1,
        "attachment_size_limit": 26214400,
    }
    if guild:
        payload["guild_id"] = guild
        payload["guild_locale"] = guild_locale
        payload["guild"] = {"id": guild, "locale": guild_locale, "features": []}
        payload["member"] = {
            "user": raw_user,
            "roles": [],
            "joined_at": "2026-01-05T10:00:00.000000+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "pending": False,
            "permissions": permissions,
        }
    else:
        payload["user"] = raw_user
    return payload


def ping() -> dict[str, Any]:
    return {"id": next_id(), "application_id": APP_ID, "type": 1, "token": "tok", "version": 1}


def slash(name: str, text: str | None = None, **kwargs: Any) -> dict[str, Any]:
    options = dict(kwargs.pop("options", {}))
    if text is not None:
        options = {"text": text, **options}
    types = {str: 3, int: 4, bool: 5}
    data = {
        "id": next_id(),
        "name": name,
        "type": 1,
        "options": [{"name": k, "type": types[type(v)], "value": v} for k, v in options.items()],
    }
    return _base(2, data, **kwargs)


def autocomplete(name: str, option: str, value: str | int, **kwargs: Any) -> dict[str, Any]:
    data = {
        "id": next_id(),
        "name": name,
        "type": 1,
        "options": [
            {"name": option, "type": 3 if option == "text" else 4, "value": value, "focused": True}
        ],
    }
    return _base(4, data, **kwargs)


def message_command(
    content: str, *, message_id: str = "1400000000000000001", **kwargs: Any
) -> dict[str, Any]:
    channel = kwargs.get("channel", CHANNEL)
    author = {
        "id": "800000000000000002",
        "username": "bob",
        "global_name": "Bob",
        "discriminator": "0",
        "avatar": None,
    }
    message = _message(message_id, channel, author, content)
    data = {
        "id": next_id(),
        "name": "Log as decision",
        "type": 3,
        "target_id": message_id,
        "resolved": {"messages": {message_id: message}},
    }
    return _base(2, data, **kwargs)


def modal_submit(
    value: str, custom_id: str = "accord.modal:decide", **kwargs: Any
) -> dict[str, Any]:
    data = {
        "custom_id": custom_id,
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "text", "value": value}]}
        ],
    }
    return _base(5, data, **kwargs)


def button(
    custom_id: str, *, message_id: str = "1400000000000000009", **kwargs: Any
) -> dict[str, Any]:
    payload = _base(3, {"custom_id": custom_id, "component_type": 2}, **kwargs)
    bot = {"id": APP_ID, "username": "accord", "discriminator": "0", "avatar": None, "bot": True}
    payload["message"] = {**_message(message_id, payload["channel_id"], bot, ""), "components": []}
    return payload


def _message(message_id: str, channel: str, author: dict[str, Any], content: str) -> dict[str, Any]:
    """A message object as Discord sends it inside an interaction."""
    return {
        "id": message_id,
        "channel_id": channel,
        "author": author,
        "content": content,
        "timestamp": "2026-03-02T08:00:00.000000+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
    }
