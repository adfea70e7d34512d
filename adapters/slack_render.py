"""Neutral `Reply` -> Block Kit, within Slack's limits.

Slack rejects a message with more than 50 blocks, a section text over 3,000
characters, more than 10 fields (2,000 each), a header over 150 characters or
a button label over 75; it truncates `text` past 40,000. Everything here is
split or cut *before* sending, so no payload is ever rejected: long sections
are split at line ends, fields are chunked by ten, and a reply that still
needs more than 50 blocks, or more than 12,000 characters of text across its
blocks, becomes several messages (buttons on the last one).

Neutral mentions `<@U…>` and channels `<#C…>` are Slack's own syntax and pass
through; every other `&`, `<`, `>` is escaped as Slack's mrkdwn requires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.kernel.types import Button, ButtonStyle, Reply

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELDS = 10
MAX_FIELD = 2000
MAX_HEADER = 150
MAX_CONTEXT = 3000
MAX_TEXT = 40000
MAX_BUTTONS = 25  # elements of one actions block
MAX_BUTTON_LABEL = 75
MAX_BUTTON_VALUE = 2000
# Text across all the blocks of one message: Slack refuses more than about 12,000
# characters in total (`msg_blocks_too_long`, slackapi/bolt-js #2509 and #2867),
# however few the blocks. Counted over every text of every block, labels included.
MAX_MESSAGE_CHARS = 12000

# A neutral token Slack understands natively, kept as is when escaping.
_TOKEN_RE = re.compile(r"<[@#][A-Za-z0-9_.\-]+>")
BlockDict = dict[str, Any]


@dataclass(slots=True)
class SlackMessage:
    """One `chat.postMessage`-shaped payload: fallback `text` and `blocks`."""

    text: str
    blocks: list[BlockDict] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def escape(text: str) -> str:
    """Escape mrkdwn control characters, keeping `<@U…>` / `<#C…>` tokens."""
    out: list[str] = []
    pos = 0
    for match in _TOKEN_RE.finditer(text):
        out.append(_escape_plain(text[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_escape_plain(text[pos:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_text(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Split at line ends (or hard, for one very long line) into parts <= limit."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return [p for p in parts if p.strip()]


def _section(text: str) -> BlockDict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def action_id_for(button: Button, index: int) -> str:
    """Slack wants action ids unique within a message: suffix the position."""
    return truncate(f"{button.action_id}#{index}", 255)


def neutral_action_id(slack_action_id: str) -> str:
    return slack_action_id.rsplit("#", 1)[0] if "#" in slack_action_id else slack_action_id


def _button(button: Button, index: int) -> BlockDict:
    element: BlockDict = {
        "type": "button",
        "text": {
            "type": "plain_text",
            "text": truncate(button.label, MAX_BUTTON_LABEL),
            "emoji": True,
        },
        "action_id": action_id_for(button, index),
    }
    if button.value:  # Slack rejects an empty value; absent is fine
        element["value"] = button.value[:MAX_BUTTON_VALUE]
    if button.style is not ButtonStyle.DEFAULT:
        element["style"] = button.style.value
    return element


def reply_blocks(reply: Reply) -> list[BlockDict]:
    """Every block of a reply, each within its own limits (not yet split)."""
    blocks: list[BlockDict] = []
    if reply.title:
        blocks.append(
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": truncate(reply.title, MAX_HEADER),
                    "emoji": True,
                },
            }
        )
    if reply.text:
        blocks.extend(_section(part) for part in split_text(escape(reply.text)))
    for start in range(0, len(reply.fields), MAX_FIELDS):
        chunk = reply.fields[start : start + MAX_FIELDS]
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {
                        "type": "mrkdwn",
                        "text": truncate(f"*{escape(f.label)}*\n{escape(f.value)}", MAX_FIELD),
                    }
                    for f in chunk
                ],
            }
        )
    for section in reply.sections:
        blocks.extend(_section(part) for part in split_text(escape(section)))
    if reply.items:
        lines = "\n".join(f"• {escape(item)}" for item in reply.items)
        blocks.extend(_section(part) for part in split_text(lines))
    if reply.footer:
        for part in split_text(escape(reply.footer), MAX_CONTEXT):
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": part}]})
    buttons = list(enumerate(reply.buttons))
    for start in range(0, len(buttons), MAX_BUTTONS):
        blocks.append(
            {
                "type": "actions",
                "elements": [_button(b, i) for i, b in buttons[start : start + MAX_BUTTONS]],
            }
        )
    return blocks


def fallback_text(reply: Reply) -> str:
    """The plain `text` of the message (notifications, screen readers)."""
    lines: list[str] = []
    if reply.title:
        lines.append(f"*{escape(reply.title)}*")
    if reply.text:
        lines.append(escape(reply.text))
    lines.extend(f"{escape(f.label)}: {escape(f.value)}" for f in reply.fields)
    lines.extend(escape(s) for s in reply.sections)
    lines.extend(f"• {escape(i)}" for i in reply.items)
    if reply.footer:
        lines.append(escape(reply.footer))
    return truncate("\n".join(lines) or " ", MAX_TEXT)


def _chars(block: Any) -> int:
    """Characters of every `text` string in a block (section, fields, context, labels)."""
    if isinstance(block, dict):
        return sum(
            len(value) if key == "text" and isinstance(value, str) else _chars(value)
            for key, value in block.items()
        )
    if isinstance(block, list):
        return sum(_chars(item) for item in block)
    return 0


def render(reply: Reply) -> list[SlackMessage]:
    """The reply as one message, or several when it exceeds one message's limits."""
    blocks = reply_blocks(reply)
    chunks: list[list[BlockDict]] = [[]]
    size = 0
    for block in blocks:
        n = _chars(block)
        if chunks[-1] and (len(chunks[-1]) >= MAX_BLOCKS or size + n > MAX_MESSAGE_CHARS):
            chunks.append([])
            size = 0
        chunks[-1].append(block)
        size += n
    text = fallback_text(reply)
    if len(chunks) == 1:
        return [SlackMessage(text=text, blocks=chunks[0])]
    # Later parts get a short fallback of their own: the full text went with part one.
    messages = [SlackMessage(text=text, blocks=chunks[0])]
    for index, chunk in enumerate(chunks[1:], start=2):
        messages.append(SlackMessage(text=f"({index}/{len(chunks)})", blocks=chunk))
    return messages
