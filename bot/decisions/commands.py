"""The decision log: `/decide` and `/decisions`.

Decisions are append-only. A correction is a new decision that supersedes the
old one; the old one stays, marked as superseded, and both show the history.
Every decision is posted, visibly, in the partnership's shared channel.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.kernel import csv_safe, formatting
from bot.kernel.context import Ctx
from bot.kernel.errors import UserError
from bot.kernel.i18n import Translator
from bot.kernel.limits import check_words
from bot.kernel.lists import more_line
from bot.kernel.parsing import (
    fold,
    in_item_range,
    mentions,
    parse_item_number,
    split_first,
    tags,
)
from bot.kernel.permissions import Permission, require
from bot.kernel.places import batch_specs
from bot.kernel.registry import CommandSpec, Registry
from bot.kernel.types import Attachment, Reply, ReplyField, Tenant, Visibility
from bot.kernel.words import Words, option_aliases
from storage.counters import next_number
from storage.models import Decision, Partnership

EXPORT_FORMATS = ("md", "csv", "json")
# The words of /decisions in both languages (French first: the form French help shows).
SUBCOMMANDS = Words(
    {
        "": ("",),
        "search": ("chercher", "recherche"),
        "show": ("voir", "afficher"),
        "export": ("exporter",),
    },
    extra={"": ("list", "liste"), "search": ("find",)},
)


MIRROR_KIND = "decision"


def register(registry: Registry) -> None:
    registry.add_mirror_renderer(MIRROR_KIND, draw_for_place)
    registry.add_command(
        CommandSpec(
            name="decide",
            handler=decide,
            summary_key="help.summary.decide",
            usage_key="help.usage.decide",
            options={"supersedes": "int", "link": "str"},
            option_aliases=option_aliases({"supersedes": ("remplace",), "link": ("lien",)}),
        )
    )
    registry.add_command(
        CommandSpec(
            name="decisions",
            handler=decisions,
            summary_key="help.summary.decisions",
            usage_key="help.usage.decisions",
            words=(SUBCOMMANDS,),
        )
    )
    registry.add_suggester("decide", "supersedes", suggest_numbers)
    registry.add_suggester("decisions", "text", suggest_show)


# -- autocomplete -------------------------------------------------------------

SHOW_WORDS = ("show", "voir")


def _label(number: int, text: str) -> str:
    name = f"#{number} · {' '.join(text.split())}"
    return name if len(name) <= 100 else name[:99] + "…"


def suggest_numbers(
    session: Session, tenant: Tenant, partnership: Partnership, current: str
) -> list[tuple[str, str | int]]:
    """Decisions matching what was typed: a number's first digits, or words."""
    words = current.strip().lstrip("#")
    if words.isdigit() or not words:
        rows = [
            d for d in recent(session, tenant, partnership, 200) if str(d.number).startswith(words)
        ]
    else:
        rows = search(session, tenant, partnership, words, 25)
    return [(_label(d.number, d.text), d.number) for d in rows[:25]]


def suggest_show(
    session: Session, tenant: Tenant, partnership: Partnership, current: str
) -> list[tuple[str, str | int]]:
    """`/decisions show 1…` completes to each matching decision."""
    head, _, rest = current.strip().partition(" ")
    if head.lower() not in SHOW_WORDS:
        return []
    return [
        (f"{head.lower()} {number} — {label.partition(' · ')[2]}"[:100], f"{head.lower()} {number}")
        for label, number in suggest_numbers(session, tenant, partnership, rest)
    ]


# -- recording --------------------------------------------------------------


def record_decision(
    ctx: Ctx,
    text: str,
    *,
    supersedes: int | None = None,
    link: str | None = None,
    source: str = "decide",
    extra_participants: Sequence[str] = (),
) -> Decision:
    """Validate and store one decision. Other capabilities log through here too
    (a milestone moved, a contract term changed)."""
    text = text.strip()
    if not text:
        raise UserError("decisions.errors.empty")
    if len(text) > ctx.limits.decision_max_chars:
        raise UserError(
            "decisions.errors.too_long", limit=ctx.limits.decision_max_chars, length=len(text)
        )
    previous = None
    if supersedes is not None:
        previous = find(ctx.session, ctx.tenant, ctx.partnership, supersedes)
        if previous is None:
            raise UserError("decisions.errors.unknown", number=supersedes)
        successor = superseded_by(ctx.session, previous)
        if successor is not None:
            raise UserError(
                "decisions.errors.already_superseded", number=supersedes, by=successor.number
            )
    participants = list(
        dict.fromkeys([*mentions(text), *(u.id for u in ctx.mentioned), *extra_participants])
    )
    decision_tags = tags(text)
    decision = Decision(
        platform=ctx.tenant.platform,
        team_id=ctx.tenant.team_id,
        # Per partnership: a number tells nothing of the workspace's other partnerships.
        number=next_number(
            ctx.session, ctx.tenant.platform, ctx.tenant.team_id, f"decision:{ctx.partnership.id}"
        ),
        partnership_id=ctx.partnership.id,  # type: ignore[arg-type]
        channel_id=ctx.channel.channel_id,
        posted_channel_id=ctx.shared_channel_id,
        text=text,
        search_text=fold(" ".join([text, *decision_tags])),
        author_id=ctx.user.id,
        participants=participants,
        tags=decision_tags,
        link=link,
        supersedes_id=previous.id if previous else None,
        source=source,
        created_at=ctx.now,
    )
    ctx.session.add(decision)
    ctx.session.flush()
    return decision


def decide(ctx: Ctx) -> list[Reply]:
    require(ctx, Permission.DECIDE)
    supersedes = ctx.options.get("supersedes")
    typed_link = ctx.options.get("link")
    if typed_link is not None and not _LINK_RE.match(str(typed_link)):
        raise UserError("decisions.edges.bad_link", link=typed_link)
    link = typed_link or ctx.source_link
    decision = record_decision(
        ctx,
        ctx.text,
        supersedes=int(supersedes) if isinstance(supersedes, int) else None,
        link=str(link) if link else None,
    )
    return announce(ctx, decision)


# `--link`: a web address (the message, the thread, the document), nothing else.
_LINK_RE = re.compile(
    r"^https?://[^\s/?#.]+(?:\.[^\s/?#.]+)*(?::\d+)?(?:[/?#]\S*)?$", re.IGNORECASE
)


def draw_for_place(ctx: Ctx, spec: dict[str, Any]) -> Reply | None:
    """The decision card again, for another place of the partnership (the mirror)."""
    superseded = _prefetch_batch(ctx.session)
    decision = ctx.session.get(Decision, int(spec["id"]))
    if decision is None or decision.partnership_id != ctx.partnership.id:
        return None
    # Known to have no successor: the card needs no query to say so.
    fresh = superseded is not None and decision.id not in superseded
    return decision_card(ctx, decision, title_key="decisions.recorded_title", fresh=fresh)


_BATCH_KEY = "decisions.mirror"


def _prefetch_batch(session: Session) -> set[int] | None:
    """Every decision the dispatcher's batch copies, in two queries for the whole batch.

    Returns the ids among them that a later decision supersedes (None: no batch).
    """
    if _BATCH_KEY in session.info:
        return set(session.info[_BATCH_KEY][0])
    ids = [int(spec["id"]) for spec in batch_specs(session, MIRROR_KIND)]
    if not ids:
        return None
    # Held here: the session's identity map keeps rows only while someone refers to them.
    rows = list(session.exec(select(Decision).where(col(Decision.id).in_(ids))))
    superseded = {
        int(i)
        for i in session.exec(
            select(Decision.supersedes_id).where(col(Decision.supersedes_id).in_(ids))
        )
        if i is not None
    }
    session.info[_BATCH_KEY] = (superseded, rows)
    return superseded


def announce(ctx: Ctx, decision: Decision) -> list[Reply]:
    """The post in the shared channel, and a note to the author when that is elsewhere."""
    post = decision_card(ctx, decision, title_key="decisions.recorded_title", fresh=True)
    post.target_channel = ctx.target_channel
    # Every place of the partnership gets it, drawn in its own language.
    post.mirror = {"kind": MIRROR_KIND, "id": decision.id}
    replies = [post]
    if post.target_channel:
        replies.append(
            Reply(
                text=ctx.t(
                    "decisions.posted_elsewhere",
                    number=decision.number,
                    channel=f"<#{post.target_channel}>",
                ),
                visibility=Visibility.EPHEMERAL,
            )
        )
    return replies


def decision_card(ctx: Ctx, decision: Decision, *, title_key: str, fresh: bool = False) -> Reply:
    t = ctx.t
    fields = [ReplyField(t("decisions.field.author"), f"<@{decision.author_id}>")]
    if decision.participants:
        fields.append(
            ReplyField(
                t("decisions.field.participants"),
                ", ".join(f"<@{p}>" for p in decision.participants),
            )
        )
    if decision.tags:
        fields.append(
            ReplyField(t("decisions.field.tags"), " ".join(f"#{x}" for x in decision.tags))
        )
    if decision.supersedes_id is not None:
        old = ctx.session.get(Decision, decision.supersedes_id)
        if old is not None:
            fields.append(ReplyField(t("decisions.field.supersedes"), f"#{old.number}"))
    # A decision recorded in this very transaction has no successor yet.
    successor = None if fresh else superseded_by(ctx.session, decision)
    if successor is not None:
        fields.append(ReplyField(t("decisions.field.superseded_by"), f"#{successor.number}"))
    if decision.link:
        fields.append(ReplyField(t("decisions.field.link"), decision.link))
    return Reply(
        title=t(title_key, number=decision.number),
        text=decision.text,
        fields=fields,
        footer=t("decisions.footer", when=ctx.format_datetime(decision.created_at)),
    )


# -- reading ------------------------------------------------------------------


def find(
    session: Session, tenant: Tenant, partnership: Partnership, number: int
) -> Decision | None:
    if not in_item_range(number):
        return None  # no row can have it (and the database would overflow)
    return session.exec(
        select(Decision).where(
            Decision.platform == tenant.platform,
            Decision.team_id == tenant.team_id,
            Decision.partnership_id == partnership.id,
            Decision.number == number,
        )
    ).first()


def superseded_by(session: Session, decision: Decision) -> Decision | None:
    return session.exec(
        select(Decision).where(
            Decision.platform == decision.platform,
            Decision.team_id == decision.team_id,
            Decision.supersedes_id == decision.id,
        )
    ).first()


def history(session: Session, decision: Decision) -> list[Decision]:
    """The whole chain the decision belongs to, oldest first."""
    chain = [decision]
    current = decision
    while current.supersedes_id is not None:
        older = session.get(Decision, current.supersedes_id)
        if older is None or older.team_id != decision.team_id:
            break
        chain.insert(0, older)
        current = older
    current = decision
    while (newer := superseded_by(session, current)) is not None:
        chain.append(newer)
        current = newer
    return chain


def recent(
    session: Session, tenant: Tenant, partnership: Partnership, limit: int | None = None
) -> list[Decision]:
    query = (
        select(Decision)
        .where(
            Decision.platform == tenant.platform,
            Decision.team_id == tenant.team_id,
            Decision.partnership_id == partnership.id,
        )
        .order_by(col(Decision.number).desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def search(
    session: Session, tenant: Tenant, partnership: Partnership, words: str, limit: int
) -> list[Decision]:
    query = _search_query(tenant, partnership, words)
    return list(session.exec(query.order_by(col(Decision.number).desc()).limit(limit)).all())


def search_count(session: Session, tenant: Tenant, partnership: Partnership, words: str) -> int:
    query = _search_query(tenant, partnership, words).subquery()
    return int(session.exec(select(func.count()).select_from(query)).one())


def _search_query(tenant: Tenant, partnership: Partnership, words: str) -> Any:
    query = select(Decision).where(
        Decision.platform == tenant.platform,
        Decision.team_id == tenant.team_id,
        Decision.partnership_id == partnership.id,
    )
    for word in fold(words).split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(col(Decision.search_text).like(f"%{escaped}%", escape="\\"))
    return query


def _superseded_ids(session: Session, decisions: Sequence[Decision]) -> set[int]:
    ids = [d.id for d in decisions]
    if not ids:
        return set()
    rows = session.exec(
        select(Decision.supersedes_id).where(col(Decision.supersedes_id).in_(ids))
    ).all()
    return {r for r in rows if r is not None}


def _summary_items(ctx: Ctx, rows: Sequence[Decision]) -> list[str]:
    superseded = _superseded_ids(ctx.session, rows)
    items = []
    for d in rows:
        marker = ctx.t("decisions.superseded_marker") if d.id in superseded else ""
        text = formatting.excerpt(d.text, 120)
        items.append(
            ctx.t(
                "decisions.item",
                number=d.number,
                text=text,
                author=f"<@{d.author_id}>",
                date=ctx.format_date(d.created_at),
                marker=marker,
            )
        )
    return items


def decisions(ctx: Ctx) -> list[Reply]:
    sub, rest = split_first(ctx.text)
    name = SUBCOMMANDS.resolve(sub)
    if name == "":
        return _list(ctx)
    if name == "search":
        return _search(ctx, rest)
    if name == "show":
        return _show(ctx, rest)
    if name == "export":
        return _export(ctx, rest)
    raise UserError("decisions.errors.unknown_subcommand", sub=sub)


def _list(ctx: Ctx) -> list[Reply]:
    rows = recent(ctx.session, ctx.tenant, ctx.partnership, ctx.limits.list_size)
    if not rows:
        return [Reply(text=ctx.t("decisions.none_yet"), visibility=Visibility.EPHEMERAL)]
    return [
        Reply(
            title=ctx.t("decisions.list_title", count=len(rows)),
            items=_summary_items(ctx, rows),
            footer=ctx.t("decisions.list_footer"),
            visibility=Visibility.EPHEMERAL,
        )
    ]


def _search(ctx: Ctx, words: str) -> list[Reply]:
    check_words(words)
    if not words.strip():
        raise UserError("decisions.errors.search_empty")
    rows = search(ctx.session, ctx.tenant, ctx.partnership, words, ctx.limits.search_size)
    if not rows:
        return [
            Reply(text=ctx.t("decisions.search_none", words=words), visibility=Visibility.EPHEMERAL)
        ]
    items = _summary_items(ctx, rows)
    if len(rows) == ctx.limits.search_size:
        total = search_count(ctx.session, ctx.tenant, ctx.partnership, words)
        if total > len(rows):
            items.append(more_line(ctx.t, total - len(rows), "`/decisions export`"))
    return [
        Reply(
            title=ctx.t("decisions.search_title", words=words, count=len(rows)),
            items=items,
            visibility=Visibility.EPHEMERAL,
        )
    ]


def _show(ctx: Ctx, arg: str) -> list[Reply]:
    if not arg:
        raise UserError("decisions.errors.show_needs_number")
    number = parse_item_number(arg.split()[0], "decisions.errors.unknown")
    decision = find(ctx.session, ctx.tenant, ctx.partnership, number)
    if decision is None:
        raise UserError("decisions.errors.unknown", number=number)
    card = decision_card(ctx, decision, title_key="decisions.show_title")
    chain = history(ctx.session, decision)
    if len(chain) > 1:
        card.sections.append(ctx.t("decisions.history_title"))
        card.items = [
            ctx.t(
                "decisions.history_item",
                number=d.number,
                text=formatting.excerpt(d.text, 120),
                author=f"<@{d.author_id}>",
                when=ctx.format_datetime(d.created_at),
                current=ctx.t("decisions.current_marker") if d is chain[-1] else "",
            )
            for d in chain
        ]
    card.visibility = Visibility.EPHEMERAL
    return [card]


def _export(ctx: Ctx, arg: str) -> list[Reply]:
    fmt = (arg.split() or ["md"])[0].lower()
    if fmt not in EXPORT_FORMATS:
        raise UserError(
            "decisions.errors.bad_format", format=fmt, formats=", ".join(EXPORT_FORMATS)
        )
    rows = list(reversed(recent(ctx.session, ctx.tenant, ctx.partnership)))
    content = export(ctx.session, rows, fmt, ctx.t, ctx.tz.key)
    mime = {"md": "text/markdown", "csv": "text/csv", "json": "application/json"}[fmt]
    return [
        Reply(
            text=ctx.t("decisions.export_ready", count=len(rows), format=fmt),
            attachments=[Attachment(f"decisions.{fmt}", content.encode("utf-8"), mime=mime)],
            visibility=Visibility.EPHEMERAL,
        )
    ]


# -- export -------------------------------------------------------------------

EXPORT_COLUMNS = (
    "number",
    "created_at",
    "author",
    "text",
    "participants",
    "tags",
    "supersedes",
    "superseded_by",
    "link",
    "channel",
    "author_id",
    "participant_ids",
    "timezone",
)


class ExportRow(TypedDict):
    number: int
    created_at: str
    author: str
    text: str
    participants: list[str]
    tags: list[str]
    supersedes: int | None
    superseded_by: int | None
    link: str | None
    channel: str
    author_id: str
    participant_ids: list[str]
    timezone: str


class _Readable:
    """People as 'Name (Company)' and times in the channel's zone, for exports."""

    def __init__(self, session: Session, fallback_tz: str) -> None:
        self.session = session
        self.fallback_tz = fallback_tz
        self._names: dict[int, dict[str, str]] = {}
        self._zones: dict[tuple[str, str, str], ZoneInfo] = {}

    def names(self, rows: Sequence[Decision]) -> None:
        from bot.kernel.tenancy import people

        wanted: dict[int, set[str]] = {}
        for d in rows:
            wanted.setdefault(d.partnership_id, set()).update(
                [d.author_id, *d.participants, *mentions(d.text)]
            )
        for pid, ids in wanted.items():
            partnership = self.session.get(Partnership, pid)
            if partnership is not None:
                tenant = Tenant(partnership.platform, partnership.team_id)
                self._names[pid] = people(self.session, tenant, partnership, ids)

    def person(self, d: Decision, user_id: str) -> str:
        return self._names.get(d.partnership_id, {}).get(user_id, user_id)

    def text(self, d: Decision) -> str:
        def name(match: re.Match[str]) -> str:
            return "@" + self.person(d, match.group(1))

        return re.sub(r"<@([^>|]+)(?:\|[^>]*)?>", name, d.text)

    def zone(self, d: Decision) -> ZoneInfo:
        from storage.models import Channel, Team

        key = (d.platform, d.team_id, d.posted_channel_id)
        if key not in self._zones:
            channel = self.session.exec(
                select(Channel).where(
                    Channel.platform == d.platform,
                    Channel.team_id == d.team_id,
                    Channel.channel_id == d.posted_channel_id,
                )
            ).first()
            team = self.session.exec(
                select(Team).where(Team.platform == d.platform, Team.team_id == d.team_id)
            ).first()
            name = (channel and channel.timezone) or (team and team.timezone) or self.fallback_tz
            try:
                self._zones[key] = ZoneInfo(name)
            except (KeyError, ValueError):
                self._zones[key] = ZoneInfo("UTC")
        return self._zones[key]


def export_rows(
    session: Session, rows: Sequence[Decision], timezone: str = "UTC"
) -> list[ExportRow]:
    """Rows as people read them: authors and mentions as 'Name (Company)' (ids in
    their own columns), times in the zone of the channel the decision was posted in."""
    readable = _Readable(session, timezone)
    readable.names(rows)
    by_id = {d.id: d for d in rows}
    successor = {d.supersedes_id: d.number for d in rows if d.supersedes_id is not None}
    out: list[ExportRow] = []
    for d in rows:
        older = by_id.get(d.supersedes_id) if d.supersedes_id is not None else None
        if d.supersedes_id is not None and older is None:
            older = session.get(Decision, d.supersedes_id)
        out.append(
            {
                "number": d.number,
                "created_at": d.created_at.astimezone(readable.zone(d)).isoformat(),
                "author": readable.person(d, d.author_id),
                "text": readable.text(d),
                "participants": [readable.person(d, p) for p in d.participants],
                "tags": list(d.tags),
                "supersedes": older.number if older else None,
                "superseded_by": successor.get(d.id) if d.id is not None else None,
                "link": d.link,
                "channel": d.posted_channel_id,
                "author_id": d.author_id,
                "participant_ids": list(d.participants),
                "timezone": readable.zone(d).key,
            }
        )
    return out


def export(
    session: Session, rows: Sequence[Decision], fmt: str, t: Translator, timezone: str
) -> str:
    data = export_rows(session, rows, timezone)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv_safe.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in data:
            writer.writerow(
                {
                    **row,
                    "participants": ";".join(row["participants"]),
                    "participant_ids": ";".join(row["participant_ids"]),
                    "tags": ";".join(row["tags"]),
                }
            )
        return buffer.getvalue()
    lines = [f"# {t('decisions.export_heading')}", ""]
    for row in data:
        when = datetime.fromisoformat(str(row["created_at"]))
        lines.append(f"## #{row['number']} — {when:%Y-%m-%d %H:%M} ({row['timezone']})")
        lines.append("")
        lines.append(str(row["text"]))
        lines.append("")
        lines.append(f"- {t('decisions.field.author')}: {row['author']}")
        if row["participants"]:
            lines.append(f"- {t('decisions.field.participants')}: {', '.join(row['participants'])}")
        if row["tags"]:
            lines.append(f"- {t('decisions.field.tags')}: {' '.join('#' + x for x in row['tags'])}")
        if row["supersedes"]:
            lines.append(f"- {t('decisions.field.supersedes')}: #{row['supersedes']}")
        if row["superseded_by"]:
            lines.append(f"- {t('decisions.field.superseded_by')}: #{row['superseded_by']}")
        if row["link"]:
            lines.append(f"- {t('decisions.field.link')}: {row['link']}")
        lines.append("")
    return "\n".join(lines)
