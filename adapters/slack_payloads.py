"""Slack payloads -> neutral `Command` / `Action`. Pure functions, no I/O.

Slack's markup in user text: `<@U123|name>` (a mention, with the name when the
command escapes users), `<#C123|name>` (a channel), `<https://x|label>` (a
link), `<!here>`; `&`, `<`, `>` arrive escaped. The core gets neutral text:
`<@U123>`, `<#C123>`, bare URLs and unescaped characters.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from bot.kernel.types import Action, Command, User

PLATFORM = "slack"
DECIDE_MODAL_ID = "accord_decide"
LOG_DECISION_SHORTCUT = "accord_log_decision"

_MARKUP_RE = re.compile(r"<([^<>]*)>")
_TYPED_MARKUP_RE = re.compile(r"&lt;(?=[@#!])")
_RAW_MARKUP_RE = re.compile(r"<(?=[@#!])")


def normalize(raw: str) -> tuple[str, tuple[User, ...]]:
    """Slack markup -> neutral text, and the users mentioned in it (in order)."""
    mentioned: dict[str, User] = {}

    def convert(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            user_id = target[1:]
            if user_id not in mentioned or (label and not mentioned[user_id].name):
                mentioned[user_id] = User(user_id, label)
            return f"<@{user_id}>"
        if target.startswith("#"):
            return f"<#{target[1:]}>"
        if target.startswith("!subteam^"):
            return label or "@team"
        if target.startswith("!"):
            return "@" + (label or target[1:]).lstrip("@")
        if target.startswith("mailto:"):
            return label or target[len("mailto:") :]
        return target  # a link: the URL itself

    text = _MARKUP_RE.sub(convert, raw or "")
    # A `<` the user typed arrives as `&lt;`. Followed by `@`, `#` or `!` it would
    # read as a mention (`<@U0BOSS>` typed by hand): a word joiner (U+2060,
    # invisible) after it keeps it literal. Only Slack's own markup mentions.
    text = _TYPED_MARKUP_RE.sub("<\u2060", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text, tuple(mentioned.values())


def tenant_id(
    body: dict[str, Any], context_team: str | None, context_enterprise: str | None
) -> str:
    """The workspace the app is installed in (bolt's view of it), else the payload's."""
    team = body.get("team")
    payload_team = body.get("team_id") or (team.get("id") if isinstance(team, dict) else None)
    return context_team or payload_team or context_enterprise or "unknown"


def _user_from_interaction(body: dict[str, Any]) -> User:
    user = body.get("user") or {}
    return User(
        user.get("id", ""),
        user.get("name") or user.get("username") or "",
        home_team_id=user.get("team_id"),
    )


def command_from_slash(
    body: dict[str, Any],
    *,
    team_id: str,
    received_at: datetime | None = None,
    profile: tuple[str | None, str | None, str | None, bool] = (None, None, None, False),
) -> Command:
    """`profile` is (display name, locale, home team, workspace admin or owner) from
    `users.info` when known."""
    name, locale, home, admin = profile
    text, mentioned = normalize(body.get("text", ""))
    return Command(
        platform=PLATFORM,
        team_id=team_id,
        channel_id=body.get("channel_id", ""),
        user=User(
            body.get("user_id", ""),
            name or body.get("user_name", ""),
            home_team_id=home,
            is_workspace_admin=admin,
        ),
        name=body.get("command", "").lstrip("/").lower(),
        text=text.strip(),
        locale=locale,
        received_at=received_at,
        idempotency_key=f"trigger:{body['trigger_id']}" if body.get("trigger_id") else None,
        mentioned=mentioned,
        raw=body,
    )


def action_from_block_action(
    body: dict[str, Any],
    action: dict[str, Any],
    *,
    neutral_action_id: str,
    team_id: str,
    received_at: datetime | None = None,
    locale: str | None = None,
) -> Action:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id", ""
    )
    message_ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get(
        "ts"
    )
    # The action's own timestamp identifies this click; a retry carries the same.
    key = f"action:{action.get('action_ts') or body.get('trigger_id')}:{action.get('action_id')}"
    return Action(
        platform=PLATFORM,
        team_id=team_id,
        channel_id=channel,
        user=_user_from_interaction(body),
        action_id=neutral_action_id,
        value=action.get("value") or (action.get("selected_option") or {}).get("value", ""),
        locale=locale or (body.get("user") or {}).get("locale"),
        received_at=received_at,
        idempotency_key=key,
        message_ref=f"{channel}:{message_ts}" if message_ts else None,
        raw=body,
    )


def decide_modal_text(values: dict[str, Any]) -> tuple[str, tuple[User, ...]]:
    """The `/decide` text a submitted modal stands for, and its participants."""

    def value(block: str, action: str) -> Any:
        return (values.get(block) or {}).get(action) or {}

    # A plain-text input cannot hold a real mention: whatever looks like one was
    # typed, so it stays text; the participants come from the users picker.
    typed = _RAW_MARKUP_RE.sub("&lt;", value("decision", "text").get("value") or "")
    text, mentioned = normalize(typed)
    participants = tuple(
        User(u) for u in value("participants", "users").get("selected_users") or []
    )
    raw_tags = value("tags", "text").get("value") or ""
    tags = " ".join(f"#{t.lstrip('#')}" for t in re.split(r"[\s,]+", raw_tags) if t.strip("#"))
    supersedes = (value("supersedes", "number").get("value") or "").strip().lstrip("#")
    parts = [text.strip()]
    if tags:
        parts.append(tags)
    if supersedes:
        parts.append(f"--supersedes {supersedes}")
    known = {u.id for u in mentioned}
    return " ".join(parts), mentioned + tuple(u for u in participants if u.id not in known)


def command_from_view(
    body: dict[str, Any], *, team_id: str, received_at: datetime | None = None
) -> Command:
    view = body.get("view") or {}
    meta = json.loads(view.get("private_metadata") or "{}")
    text, mentioned = decide_modal_text((view.get("state") or {}).get("values") or {})
    key = body.get("trigger_id") or f"{view.get('id')}:{view.get('hash')}"
    return Command(
        platform=PLATFORM,
        team_id=team_id,
        channel_id=meta.get("channel_id", ""),
        user=_user_from_interaction(body),
        name="decide",
        text=text,
        locale=meta.get("locale"),
        received_at=received_at,
        idempotency_key=f"view:{key}",
        mentioned=mentioned,
        raw=body,
    )


def command_from_message_shortcut(
    body: dict[str, Any],
    *,
    team_id: str,
    permalink: str | None,
    received_at: datetime | None = None,
) -> Command:
    message = body.get("message") or {}
    text, mentioned = normalize(message.get("text", ""))
    return Command(
        platform=PLATFORM,
        team_id=team_id,
        channel_id=(body.get("channel") or {}).get("id", ""),
        user=_user_from_interaction(body),
        name="decide",
        text=text.strip(),
        received_at=received_at,
        idempotency_key=f"trigger:{body.get('trigger_id')}",
        source_link=permalink,
        mentioned=mentioned,
        raw=body,
    )
