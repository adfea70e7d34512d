"""Neutral types between the adapters and the core.

Adapters build a `Command` (or an `Action`) from a platform event, the core
answers with `Reply` objects, and each adapter renders those natively. Every
reply has a plain-text rendering (`Reply.plain_text`) for notifications and
for the console.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

# Mentions travel through the core as `<@user_id>` whatever the platform.
# A person of another place of the partnership is `<@platform~team~user>` (see
# bot/kernel/places.py); each place shows them as a real mention only at home.
MENTION_RE = re.compile(r"<@([A-Za-z0-9_.~\-]+)>")
# Channels likewise travel as `<#channel_id>`.
CHANNEL_RE = re.compile(r"<#([A-Za-z0-9_.\-]+)>")


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str = ""
    # The user's home workspace when the platform knows it (Slack Connect).
    home_team_id: str | None = None
    # A fact the platform gives: an admin or owner of the workspace (Slack), a member
    # with Manage Server (Discord). The core decides what it allows (companies' repair).
    is_workspace_admin: bool = False

    @property
    def display(self) -> str:
        return self.name or self.id


@dataclass(frozen=True, slots=True)
class Tenant:
    platform: str
    team_id: str


@dataclass(slots=True)
class Command:
    """A slash command (or a line typed in the console)."""

    platform: str
    team_id: str
    channel_id: str
    user: User
    name: str  # without the slash: "decide"
    text: str = ""
    locale: str | None = None
    received_at: datetime | None = None
    idempotency_key: str | None = None
    # A link to the message the command came from (message shortcut, thread).
    source_link: str | None = None
    # Users named in the text, with display names when the platform gave them.
    mentioned: tuple[User, ...] = ()
    raw: dict[str, Any] | None = None

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.platform, self.team_id)


@dataclass(slots=True)
class Action:
    """A button pressed on one of the bot's messages."""

    platform: str
    team_id: str
    channel_id: str
    user: User
    action_id: str
    value: str = ""
    locale: str | None = None
    received_at: datetime | None = None
    idempotency_key: str | None = None
    message_ref: str | None = None
    raw: dict[str, Any] | None = None

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.platform, self.team_id)


class Visibility(StrEnum):
    CHANNEL = "channel"  # everyone in the channel sees it
    EPHEMERAL = "ephemeral"  # only the user who asked


class ButtonStyle(StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(slots=True)
class Button:
    label: str
    action_id: str
    value: str = ""
    style: ButtonStyle = ButtonStyle.DEFAULT


@dataclass(slots=True)
class ReplyField:
    label: str
    value: str


@dataclass(slots=True)
class Attachment:
    """A file: an image shown inline (charts) or a document (exports)."""

    filename: str
    content: bytes
    mime: str = "application/octet-stream"
    alt: str = ""

    @property
    def is_image(self) -> bool:
        return self.mime.startswith("image/")


@dataclass(slots=True)
class Reply:
    """A small rich message; adapters render it natively."""

    text: str = ""
    title: str | None = None
    sections: list[str] = field(default_factory=list)
    fields: list[ReplyField] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    footer: str | None = None
    image: Attachment | None = None
    attachments: list[Attachment] = field(default_factory=list)
    visibility: Visibility = Visibility.CHANNEL
    # Post there instead of the channel the command came from (shared channel).
    target_channel: str | None = None
    # Replace the message whose button was pressed instead of posting anew.
    replace_original: bool = False
    # user id -> "Name (Company)", so text-only adapters can render mentions.
    mentions: dict[str, str] = field(default_factory=dict)
    is_error: bool = False
    # The language the core wrote it in ("en", "fr"): adapters localize their chrome.
    lang: str | None = None
    # Strings shown once (a token): masked in the copy the core keeps for retries.
    secrets: list[str] = field(default_factory=list)
    # Files of the first answer that the kept copy does not hold (`stored_json`):
    # set on a reply read back for a retried delivery.
    withheld_files: list[str] = field(default_factory=list)
    # How to draw this post again in another place's language and zone: a mirror
    # renderer's kind and its arguments (`Registry.mirror_renderers`). Without it the
    # other places get this very reply.
    mirror: dict[str, Any] | None = None

    def plain_text(self) -> str:
        """The whole reply as text, mentions rendered as `@Name (Company)`."""
        lines: list[str] = []
        if self.title:
            lines.append(self.title)
        if self.text:
            lines.append(self.text)
        lines.extend(f"{f.label}{self.colon} {f.value}" for f in self.fields)
        lines.extend(self.sections)
        lines.extend(f"• {item}" for item in self.items)
        if self.footer:
            lines.append(self.footer)
        return self.render_mentions("\n".join(lines))

    @property
    def colon(self) -> str:
        """French sets a (narrow) space before a colon."""
        return "\u00a0:" if self.lang == "fr" else ":"

    def render_mentions(self, text: str) -> str:
        text = MENTION_RE.sub(lambda m: "@" + self.mentions.get(m.group(1), m.group(1)), text)
        return CHANNEL_RE.sub(lambda m: "#" + m.group(1), text)

    def to_json(self) -> str:
        data = asdict(self)
        data["secrets"] = []
        for attachment in [data["image"], *data["attachments"]]:
            if attachment is not None:
                attachment["content"] = base64.b64encode(attachment["content"]).decode()
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Reply:
        data = json.loads(raw)

        withheld: list[str] = []

        def attachment(d: dict[str, Any] | None) -> Attachment | None:
            if d is None:
                return None
            if d["content"] is None:  # kept without its bytes (`stored_json`)
                withheld.append(d["filename"])
                return None
            return Attachment(**{**d, "content": base64.b64decode(d["content"])})

        return cls(
            text=data["text"],
            title=data["title"],
            sections=data["sections"],
            fields=[ReplyField(**f) for f in data["fields"]],
            items=data["items"],
            buttons=[
                Button(b["label"], b["action_id"], b["value"], ButtonStyle(b["style"]))
                for b in data["buttons"]
            ],
            footer=data["footer"],
            image=attachment(data["image"]),
            attachments=[a for a in map(attachment, data["attachments"]) if a is not None],
            visibility=Visibility(data["visibility"]),
            target_channel=data["target_channel"],
            replace_original=data["replace_original"],
            mentions=data["mentions"],
            is_error=data["is_error"],
            lang=data.get("lang"),
            withheld_files=withheld,
            mirror=data.get("mirror"),
        )

    def stored_json(self) -> str:
        """What may be kept in the database: secrets masked, files without their bytes.

        Replies are kept for retried deliveries only (a day); an export or a chart
        read back from here has its name but not its content (`withheld_files`).
        """
        kept = replace(
            self,
            image=replace(self.image, content=b"") if self.image else None,
            attachments=[replace(a, content=b"") for a in self.attachments],
        )
        data = json.loads(kept.to_json())
        for attachment in [data["image"], *data["attachments"]]:
            if attachment is not None:
                attachment["content"] = None
        raw = json.dumps(data, ensure_ascii=False)
        for secret in self.secrets:
            raw = raw.replace(secret, _mask(secret))
        return raw


@dataclass(slots=True)
class Outcome:
    """What the core answers to a command or an action."""

    replies: list[Reply]
    # True when the platform delivered the same request again: the replies are
    # those of the first delivery and the adapter must not post them twice.
    duplicate: bool = False


def _mask(secret: str) -> str:
    """Keep a recognisable head ('acc_kpi_…'), never the secret itself."""
    head = secret[: min(8, len(secret) // 3)]
    return head + "…"


class Notifier(Protocol):
    """Implemented by each adapter; used by the dispatcher for pings and digests."""

    platform: str

    def post(self, team_id: str, channel_id: str, reply: Reply, idempotency_key: str) -> str:
        """Post `reply` in a channel and return a reference to the message."""
        ...
