"""Neutral `Reply` -> Discord messages (content, embeds, components, files).

Discord's limits are hard: a message over any of them is refused outright
(400), so a long reply is split cleanly into several messages instead of
being truncated. Mentions travel as `<@id>` / `<#id>`, which is Discord's
own syntax, so they are left as they are.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from bot.kernel.parsing import mentions
from bot.kernel.types import Attachment, Button, ButtonStyle, Reply, Visibility

log = logging.getLogger(__name__)

# https://discord.com/developers/docs/resources/message#embed-object-embed-limits
CONTENT_MAX = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL_MAX = 6000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_PER_EMBED = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
BUTTONS_PER_ROW = 5
ROWS_PER_MESSAGE = 5
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100
FILES_PER_MESSAGE = 10

EPHEMERAL_FLAG = 1 << 6
# Separates the core's action id from its value in a button's custom_id.
CUSTOM_ID_SEP = "|"
ERROR_COLOUR = 0xD83C3E
ACCENT_COLOUR = 0x5865F2

_STYLES = {ButtonStyle.PRIMARY: 1, ButtonStyle.DEFAULT: 2, ButtonStyle.DANGER: 4}


@dataclass(slots=True)
class DiscordMessage:
    """One message as Discord's create/edit endpoints take it, plus its files."""

    payload: dict[str, Any]
    files: list[Attachment] = field(default_factory=list)
    ephemeral: bool = False


def custom_id(button: Button) -> str | None:
    """`action_id|value`; None when it cannot fit Discord's 100 characters."""
    value = f"{button.action_id}{CUSTOM_ID_SEP}{button.value}" if button.value else button.action_id
    return value if len(value) <= CUSTOM_ID_MAX else None


def parse_custom_id(raw: str) -> tuple[str, str]:
    action_id, _, value = raw.partition(CUSTOM_ID_SEP)
    return action_id, value


def chunks(text: str, limit: int) -> list[str]:
    """Split at paragraph, then line, then word boundaries; cut hard only as a last resort."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    out: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = window.rfind(sep, 0, limit + 1)
            if cut > limit // 4:
                break
        if cut <= 0:
            cut = limit
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        out.append(rest)
    return out


def _is_plain(reply: Reply) -> bool:
    return not (
        reply.title or reply.fields or reply.sections or reply.items or reply.footer or reply.image
    )


def _mentioned(reply: Reply) -> list[str]:
    texts = [reply.title or "", reply.text, *reply.sections, *reply.items, reply.footer or ""]
    return mentions("\n".join(texts + [f.value for f in reply.fields]))


def _description(reply: Reply) -> str:
    parts = [reply.text] if reply.text else []
    parts.extend(reply.sections)
    if reply.items:
        parts.append("\n".join(f"• {item}" for item in reply.items))
    return "\n\n".join(p for p in parts if p.strip())


def _embed_size(embed: dict[str, Any]) -> int:
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += len(embed.get("footer", {}).get("text", ""))
    size += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return size


def _fields(reply: Reply) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for f in reply.fields:
        name = (f.label or "\u200b")[:FIELD_NAME_MAX]
        for i, part in enumerate(chunks(f.value, FIELD_VALUE_MAX) or ["—"]):
            out.append({"name": name if i == 0 else "\u200b", "value": part, "inline": False})
    return out


def _embeds(reply: Reply) -> list[dict[str, Any]]:
    """One embed, or a title embed followed by continuation embeds."""
    colour = ERROR_COLOUR if reply.is_error else ACCENT_COLOUR
    title = reply.title[:TITLE_MAX] if reply.title else None
    # Leave room so that title + footer + description always fit the 6,000 total.
    desc_limit = min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - TITLE_MAX - FOOTER_MAX)
    descriptions = chunks(_description(reply), desc_limit) or [""]
    fields = _fields(reply)
    embeds: list[dict[str, Any]] = []
    for i, desc in enumerate(descriptions):
        embed: dict[str, Any] = {"color": colour}
        if i == 0 and title:
            embed["title"] = title
        if desc:
            embed["description"] = desc
        embeds.append(embed)
    # Fields go on the last embed, then on further ones, 25 at a time.
    current = embeds[-1]
    for f in fields:
        if len(current.get("fields", [])) >= FIELDS_PER_EMBED or (
            _embed_size(current) + len(f["name"]) + len(f["value"]) > EMBED_TOTAL_MAX - FOOTER_MAX
        ):
            current = {"color": colour}
            embeds.append(current)
        current.setdefault("fields", []).append(f)
    if reply.footer:
        embeds[-1]["footer"] = {"text": reply.footer[:FOOTER_MAX]}
    if reply.image is not None:
        embeds[0]["image"] = {"url": f"attachment://{reply.image.filename}"}
    return embeds


def _button_rows(buttons: list[Button]) -> list[list[dict[str, Any]]]:
    """Action rows of at most 5 buttons; buttons whose id cannot fit are dropped (logged)."""
    components: list[dict[str, Any]] = []
    seen: set[str] = set()
    for b in buttons:
        cid = custom_id(b)
        if cid is None:
            log.warning("button %r dropped: custom_id longer than %d", b.action_id, CUSTOM_ID_MAX)
            continue
        if cid in seen:  # Discord refuses a message whose custom_ids repeat
            log.warning("button %r dropped: same action and value as another", b.action_id)
            continue
        seen.add(cid)
        components.append(
            {
                "type": 2,
                "style": _STYLES[b.style],
                "label": b.label[:BUTTON_LABEL_MAX],
                "custom_id": cid,
            }
        )
    rows = [
        {"type": 1, "components": components[i : i + BUTTONS_PER_ROW]}
        for i in range(0, len(components), BUTTONS_PER_ROW)
    ]
    # One list of rows per message: 5 rows of 5 buttons at most.
    return [rows[i : i + ROWS_PER_MESSAGE] for i in range(0, len(rows), ROWS_PER_MESSAGE)]


def _pack_embeds(embeds: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Group embeds into messages of at most 10 embeds and 6,000 characters."""
    batch: list[dict[str, Any]] = []
    size = 0
    for embed in embeds:
        n = _embed_size(embed)
        if batch and (len(batch) >= EMBEDS_PER_MESSAGE or size + n > EMBED_TOTAL_MAX):
            yield batch
            batch, size = [], 0
        batch.append(embed)
        size += n
    if batch:
        yield batch


# `[label](url)`: Discord shows only the label. In text users typed (a decision,
# a milestone) that hides where a link goes, so the brackets are escaped and
# the URL shows as it is. Accord's own messages use no masked links.
_MASKED_LINK_RE = re.compile(r"\[([^\[\]\n]*)\]\(")


def escape_masked_links(text: str) -> str:
    """'[bank](https://evil)' -> '\\[bank\\](https://evil)': no hidden destination."""
    return _MASKED_LINK_RE.sub(lambda m: f"\\[{m.group(1)}\\](", text)


def _defanged(reply: Reply) -> Reply:
    esc = escape_masked_links
    return replace(
        reply,
        text=esc(reply.text),
        title=esc(reply.title) if reply.title else reply.title,
        sections=[esc(s) for s in reply.sections],
        items=[esc(i) for i in reply.items],
        fields=[replace(f, label=esc(f.label), value=esc(f.value)) for f in reply.fields],
        footer=esc(reply.footer) if reply.footer else reply.footer,
    )


def render(reply: Reply, *, ping: bool = False) -> list[DiscordMessage]:
    """The Discord messages for one reply, in order; never empty.

    `ping` puts the mentioned users in the content (mentions inside embeds do
    not notify anyone): reminders use it so the people concerned are pinged.
    """
    reply = _defanged(reply)
    ephemeral = reply.visibility is Visibility.EPHEMERAL
    payloads: list[dict[str, Any]] = []
    if _is_plain(reply):
        payloads = [{"content": part} for part in chunks(reply.text, CONTENT_MAX)]
    else:
        payloads = [{"embeds": batch} for batch in _pack_embeds(_embeds(reply))]
    if not payloads:
        payloads = [{"content": "\u200b"}]
    people = _mentioned(reply) if ping else []
    if people and "content" not in payloads[0]:
        payloads[0]["content"] = " ".join(f"<@{uid}>" for uid in people)[:CONTENT_MAX]
    row_groups = _button_rows(reply.buttons)
    # Buttons act on what the user just read: they go with the last part.
    for i, rows in enumerate(row_groups):
        if i == 0:
            payloads[-1]["components"] = rows
        else:
            payloads.append({"content": "\u200b", "components": rows})
    files = ([reply.image] if reply.image else []) + list(reply.attachments)
    messages = [DiscordMessage(p, ephemeral=ephemeral) for p in payloads]
    # The image belongs to the first embed; files ride on the first message, 10 per message.
    messages[0].files = files[:FILES_PER_MESSAGE]
    for i in range(FILES_PER_MESSAGE, len(files), FILES_PER_MESSAGE):
        messages.append(
            DiscordMessage({"content": "\u200b"}, files[i : i + FILES_PER_MESSAGE], ephemeral)
        )
    for m in messages:
        # Users are pinged only where `ping` put them in the content; never roles or @everyone.
        m.payload["allowed_mentions"] = {"parse": ["users"] if ping else []}
        if ephemeral:
            m.payload["flags"] = EPHEMERAL_FLAG
        if m.files:
            m.payload["attachments"] = [
                {
                    "id": i,
                    "filename": a.filename,
                    **({"description": a.alt[:1024]} if a.alt else {}),
                }
                for i, a in enumerate(m.files)
            ]
    return messages


def replacing(payload: dict[str, Any]) -> dict[str, Any]:
    """A payload that replaces a message whole: an edit keeps every field it does not name."""
    full = {"content": "", "embeds": [], "components": [], "attachments": [], **payload}
    full.pop("flags", None)  # visibility cannot change on an edit
    return full


def render_all(replies: list[Reply], *, ping: bool = False) -> list[DiscordMessage]:
    return [m for r in replies for m in render(r, ping=ping)]
