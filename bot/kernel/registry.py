"""The explicit command registry: every command, action, notification kind and hook.

The registry is only the data structure. Capabilities fill it through their
`register(registry)` entry, called one line each by `bot.app.build_registry`
(the composition root), in the order help lists them. Nothing is discovered by
introspection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.kernel.parsing import OptionKind

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import sessionmaker
    from sqlmodel import Session

    from bot.kernel.context import Ctx
    from bot.kernel.types import Attachment, Reply, Tenant
    from bot.kernel.words import Words
    from storage.models import Notification, Partnership, Party

CommandHandler = Callable[["Ctx"], "list[Reply]"]
ActionHandler = Callable[["Ctx", str], "list[Reply]"]
# A `/accord <name> …` setting owned by a capability: (ctx, rest of the text) -> replies.
AccordSubcommand = Callable[["Ctx", str], "list[Reply]"]
# Builds the message for due notifications of one kind in one channel, at send time.
NotificationRenderer = Callable[["Session", "list[Notification]", "RenderContext"], "Reply | None"]
# Runs at the start of every dispatch pass, in its own transaction, to make sure the
# rows for upcoming sends exist (e.g. next week's digest): (session, now) -> None.
BeforeDispatch = Callable[["Session", "datetime"], None]
# Runs in the transaction of `/accord tz` once the channel has its new zone.
TimezoneChanged = Callable[["Ctx"], None]
# Autocomplete: what the user may mean by `current` in an option, from stored things
# of the partnership: [(label shown, value sent back)].
Suggester = Callable[["Session", "Tenant", "Partnership", str], "list[tuple[str, str | int]]"]
# A company's representatives stopped representing it (removed, left, role withdrawn):
# (ctx, company, user ids) -> replies. The contract withdraws their confirmations.
RepresentationLost = Callable[["Ctx", "Party", "list[str]"], "list[Reply]"]
# People joined a company because their workspace is bound to it: (ctx, [(user, company)]).
CompanyJoined = Callable[["Ctx", "list[tuple[str, Party]]"], "list[Reply]"]
# Adds a part to the weekly digest of a partnership: (session, partnership, week) -> texts.
DigestSection = Callable[["Session", "Partnership", "DigestWeek", "RenderContext"], "list[str]"]
# The Slack App Home: (session factory, tenant, user id, language, now) -> replies, read-only.
HomeView = Callable[["sessionmaker[Session]", "Tenant", str, str, "datetime | None"], "list[Reply]"]
# `POST /kpi/ingest`: (session, bearer token, JSON body, now) -> counts to answer with.
# Refusals raise `bot.kernel.errors.RequestRefused`; the caller commits or rolls back.
PointIngest = Callable[["Session", str, object, "datetime"], "Mapping[str, int]"]
# Whether a bearer token is one the ingest accepts: checked before the body is even read.
PointTokenKnown = Callable[["Session", str], bool]
# `session.info` key under which renderers find every row of the batch being dispatched.
BATCH_INFO_KEY = "dispatch.batch"
# Adds files to the weekly digest (the plan's timeline picture): same arguments.
DigestAttachment = Callable[
    ["Session", "Partnership", "DigestWeek", "RenderContext"], "list[Attachment]"
]
# Adds a part to a partnership's overview on the home surface (Slack's App Home):
# (session, partnership, render context) -> texts, shown first.
HomeSection = Callable[["Session", "Partnership", "RenderContext"], "list[str]"]
# Draws a post again for another place of the partnership, in its language and zone:
# (a context for drawing, `Reply.mirror`) -> the post, None when it no longer applies.
MirrorRenderer = Callable[["Ctx", "dict[str, Any]"], "Reply | None"]


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What a notification renderer knows besides its rows."""

    lang: str
    timezone: str
    now: object  # datetime; kept loose to avoid an import cycle in type checking


@dataclass(frozen=True, slots=True)
class DigestWeek:
    """The ISO week a digest covers, as aware UTC bounds [start, end)."""

    year: int
    week: int
    start: object  # datetime
    end: object  # datetime


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    handler: CommandHandler
    # Catalog keys: one line for `/accord help`, the full usage for `/accord help <name>`.
    summary_key: str
    usage_key: str
    options: Mapping[str, OptionKind] = field(default_factory=dict)
    # French option names -> the option they stand for (`--remplace` -> `supersedes`).
    option_aliases: Mapping[str, str] = field(default_factory=dict)
    # The command's word tables (subcommands first), in both languages: see bot/words.py.
    words: tuple[Words, ...] = ()

    def all_options(self) -> dict[str, OptionKind]:
        """Every option name accepted, in either language."""
        return {
            **self.options,
            **{alias: self.options[name] for alias, name in self.option_aliases.items()},
        }


@dataclass(slots=True)
class Registry:
    commands: dict[str, CommandSpec] = field(default_factory=dict)
    actions: dict[str, ActionHandler] = field(default_factory=dict)
    renderers: dict[str, NotificationRenderer] = field(default_factory=dict)
    mirror_renderers: dict[str, MirrorRenderer] = field(default_factory=dict)
    # Parts other capabilities add to the weekly digest (decisions, milestones...).
    digest_sections: list[DigestSection] = field(default_factory=list)
    # Parts shown first in the digest, before the metrics (the partnership's health).
    digest_top_sections: list[DigestSection] = field(default_factory=list)
    # Files attached to the digest (the timeline picture).
    digest_attachments: list[DigestAttachment] = field(default_factory=list)
    # Parts shown first in each partnership of the home overview (the health).
    home_sections: list[HomeSection] = field(default_factory=list)
    before_dispatch: list[BeforeDispatch] = field(default_factory=list)
    # `/accord <word> …` settings other capabilities add (`/accord reminders`).
    accord_subcommands: dict[str, AccordSubcommand] = field(default_factory=dict)
    # Plans made in local time (reminders, digests) follow a new channel zone.
    timezone_changed: list[TimezoneChanged] = field(default_factory=list)
    # (command, option) -> suggester; option "text" is the free text.
    suggesters: dict[tuple[str, str], Suggester] = field(default_factory=dict)
    # Served by adapters that have such a surface (Slack's App Home, the ingest endpoint).
    home_view: HomeView | None = None
    point_ingest: PointIngest | None = None
    point_token_known: PointTokenKnown | None = None
    # Who speaks for a company changed: confirmations made for it follow.
    representation_lost: list[RepresentationLost] = field(default_factory=list)
    company_joined: list[CompanyJoined] = field(default_factory=list)

    def add_command(self, spec: CommandSpec) -> None:
        if spec.name in self.commands:
            raise ValueError(f"command /{spec.name} registered twice")
        self.commands[spec.name] = spec

    def add_action(self, action_id: str, handler: ActionHandler) -> None:
        """`action_id` is matched exactly, or as the prefix before the first ':'."""
        if action_id in self.actions:
            raise ValueError(f"action {action_id} registered twice")
        self.actions[action_id] = handler

    def add_accord_subcommand(self, names: tuple[str, ...], handler: AccordSubcommand) -> None:
        for name in names:
            if name in self.accord_subcommands:
                raise ValueError(f"/accord {name} registered twice")
            self.accord_subcommands[name] = handler

    def add_suggester(self, command: str, option: str, suggester: Suggester) -> None:
        if (command, option) in self.suggesters:
            raise ValueError(f"/{command} {option} suggester registered twice")
        self.suggesters[(command, option)] = suggester

    def add_renderer(self, kind: str, renderer: NotificationRenderer) -> None:
        if kind in self.renderers:
            raise ValueError(f"notification kind {kind} registered twice")
        self.renderers[kind] = renderer

    def add_mirror_renderer(self, kind: str, renderer: MirrorRenderer) -> None:
        if kind in self.mirror_renderers:
            raise ValueError(f"mirror kind {kind} registered twice")
        self.mirror_renderers[kind] = renderer

    def command(self, name: str) -> CommandSpec | None:
        return self.commands.get(name.lstrip("/").lower())

    def action(self, action_id: str) -> ActionHandler | None:
        return self.actions.get(action_id) or self.actions.get(action_id.split(":", 1)[0])
