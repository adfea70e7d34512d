"""`/plan`: the partnership's dated retroplanning toward D-day.

Every edit runs in the command's one transaction together with the pings it
plans or cancels (`bot.planning.reminders.reschedule`) and, for a moved date, the
decision that records why (`bot.decisions.record_decision`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.decisions import announce, record_decision
from bot.kernel import formatting
from bot.kernel.context import Ctx
from bot.kernel.errors import UserError
from bot.kernel.i18n import Translator
from bot.kernel.lists import capped
from bot.kernel.parsing import fold, mentions, parse_item_number, parse_number, split_first
from bot.kernel.permissions import Permission, require
from bot.kernel.registry import CommandSpec, DigestWeek, Registry, RenderContext
from bot.kernel.types import Attachment, Button, Reply, ReplyField, Tenant, Visibility
from bot.kernel.words import Words
from bot.planning import reminders
from bot.planning.dates import (
    DATE_MAX_CHARS,
    DATE_MAX_PARSER_CALLS,
    DATE_MAX_WORDS,
    Due,
    format_offset,
    local_today,
    needs_parser,
    parse_due,
    starts_like_a_date,
)
from storage.counters import next_number
from storage.models import Milestone, MilestoneMove, Partnership
from storage.models.planning import CANCELLED, DONE, TODO

TITLE_MAX = 300
TIMELINE_MAX = 40
_QUOTES = {'"': '"', "“": "”", "«": "»", "'": "'"}
_BECAUSE_RE = re.compile(r"\s+(?:because|parce\s+que|parce\s+qu['’]|since)\s*", re.IGNORECASE)
_DDAY_IDS = {"d-day", "dday", "j", "d", "jour j", "launch", "lancement", "jour-j"}

_SUBCOMMANDS = {
    "": "list",
    "list": "list",
    "liste": "list",
    "timeline": "picture",
    "frise": "picture",
    "launch": "launch",
    "lancement": "launch",
    "lancer": "launch",
    "add": "add",
    "ajouter": "add",
    "ajout": "add",
    "done": "done",
    "fait": "done",
    "termine": "done",
    "fini": "done",
    "cancel": "cancel",
    "annuler": "cancel",
    "reopen": "reopen",
    "rouvrir": "reopen",
    "reouvrir": "reopen",
    "show": "show",
    "voir": "show",
    "afficher": "show",
    "move": "move",
    "deplacer": "move",
    "decaler": "move",
    "reminders": "reminders",
    "rappels": "reminders",
    "snooze": "snooze",
    "reporter": "snooze",
    "export": "export",
    "exporter": "export",
}


# The same words as a table for help and the French-wording check (bot/words.py).
SUBCOMMANDS = Words.from_lookup(
    _SUBCOMMANDS,
    french={
        "list": "liste",
        "picture": "frise",
        "launch": "lancement",
        "add": "ajouter",
        "done": "fait",
        "cancel": "annuler",
        "show": "voir",
        "move": "déplacer",
        "reminders": "rappels",
        "snooze": "reporter",
        "export": "exporter",
    },
    english=("timeline",),
)


MILESTONE_MIRROR = "plan.milestone"
LAUNCH_MIRROR = "plan.launch"


def register(registry: Registry) -> None:
    registry.add_mirror_renderer(MILESTONE_MIRROR, draw_for_place)
    registry.add_mirror_renderer(LAUNCH_MIRROR, draw_launch_for_place)
    registry.add_command(
        CommandSpec(
            name="plan",
            handler=plan,
            summary_key="plan.summary",
            usage_key="plan.usage",
            options={"notes": "str"},
            words=(SUBCOMMANDS,),
        )
    )
    registry.add_action("plan.done", done_action)
    registry.add_action("plan.snooze", snooze_action)
    registry.add_action("plan.timeline", lambda ctx, _value: timeline_picture(ctx))
    registry.digest_sections.append(digest_section)
    registry.digest_attachments.append(_digest_timeline)
    registry.add_suggester("plan", "text", suggest)
    reminders.register(registry)


# Subcommands that change the plan (the others read it).
_CHANGES = {"launch", "add", "done", "cancel", "move", "snooze"}
# Subcommands that take a milestone id: autocomplete offers the milestones.
_TAKES_ID = {"done", "cancel", "show", "move", "snooze", "reopen"}


def suggest(
    session: Session, tenant: Tenant, partnership: Partnership, current: str
) -> list[tuple[str, str | int]]:
    """`/plan done 3…`: the open milestones whose number or title matches."""
    head, _, rest = current.strip().partition(" ")
    if _SUBCOMMANDS.get(fold(head)) not in _TAKES_ID:
        return []
    typed = fold(rest.strip().lstrip("#"))
    found: list[tuple[str, str | int]] = []
    for m in milestones(session, tenant, partnership):
        sub = _SUBCOMMANDS.get(fold(head))
        if sub != "show" and (m.status == TODO) == (sub == "reopen"):
            continue
        if typed and not (str(m.number).startswith(typed) or typed in fold(m.title)):
            continue
        value = f"{head} {m.number}"
        found.append((f"{value} — {m.title} · {m.due_date.isoformat()}"[:100], value))
    return found


def plan(ctx: Ctx) -> list[Reply]:
    sub, rest = split_first(ctx.text)
    name = _SUBCOMMANDS.get(fold(sub))
    if name is None:
        raise UserError("plan.errors.unknown_subcommand", sub=sub)
    if name in _CHANGES:
        require(ctx, Permission.PLAN)
    handler = {
        "list": lambda: timeline(ctx),
        "picture": lambda: timeline_picture(ctx),
        "launch": lambda: launch(ctx, rest),
        "add": lambda: add(ctx, rest),
        "done": lambda: finish(ctx, rest, DONE),
        "cancel": lambda: finish(ctx, rest, CANCELLED),
        "reopen": lambda: reopen(ctx, rest),
        "show": lambda: show(ctx, rest),
        "move": lambda: move(ctx, rest),
        "reminders": lambda: preview(ctx),
        "snooze": lambda: snooze(ctx, rest),
        "export": lambda: export_reply(ctx, rest),
    }[name]
    return handler()


# -- reading ----------------------------------------------------------------------


def milestones(session: Session, tenant: Tenant, partnership: Partnership) -> list[Milestone]:
    return list(
        session.exec(
            select(Milestone)
            .where(
                Milestone.platform == tenant.platform,
                Milestone.team_id == tenant.team_id,
                Milestone.partnership_id == partnership.id,
            )
            .order_by(col(Milestone.due_date), col(Milestone.due_time), col(Milestone.number))
        ).all()
    )


def find(ctx: Ctx, arg: str) -> Milestone:
    if not arg.strip():
        raise UserError("plan.errors.needs_number")
    number = parse_item_number(arg.split()[0], "plan.errors.unknown")
    m = ctx.session.exec(
        select(Milestone).where(
            Milestone.platform == ctx.tenant.platform,
            Milestone.team_id == ctx.tenant.team_id,
            Milestone.partnership_id == ctx.partnership.id,
            Milestone.number == number,
        )
    ).first()
    if m is None:
        raise UserError("plan.errors.unknown", number=number)
    return m


def date_label(t: Translator, m: Milestone, launch: date | None) -> str:
    """'2026-03-18 (J-14)': absolute and relative side by side."""
    text = m.due_date.strftime(t("format.date"))
    if m.due_time is not None:
        text += " " + m.due_time.strftime("%H:%M")
    if launch is not None:
        text += f" ({format_offset((m.due_date - launch).days, t.lang)})"
    return text


def _item(ctx: Ctx, m: Milestone, today: date) -> str:
    marker = ""
    if m.status == DONE:
        marker = ctx.t("plan.marker.done")
    elif m.status == CANCELLED:
        marker = ctx.t("plan.marker.cancelled")
    elif m.due_date < today:
        marker = ctx.t("plan.marker.overdue", days=(today - m.due_date).days)
    return ctx.t(
        "plan.item",
        number=m.number,
        date=date_label(ctx.t, m, ctx.partnership.launch_date),
        title=m.title,
        owners=" ".join(f"<@{o}>" for o in m.owners) or "—",
        marker=marker,
    )


def timeline(ctx: Ctx) -> list[Reply]:
    rows = milestones(ctx.session, ctx.tenant, ctx.partnership)
    launch_day = ctx.partnership.launch_date
    today = local_today(ctx.now, reminders.ctx_zone(ctx))
    if not rows and launch_day is None:
        return [Reply(text=ctx.t("plan.empty"), visibility=Visibility.EPHEMERAL)]
    items = [_item(ctx, m, today) for m in rows[:TIMELINE_MAX]]
    if launch_day is not None:
        # D-day takes its place in the timeline.
        line = ctx.t(
            "plan.dday_item",
            date=launch_day.strftime(ctx.t("format.date")),
            when=reminders.when_phrase(ctx.t, launch_day, today),
        )
        position = sum(1 for m in rows[:TIMELINE_MAX] if m.due_date <= launch_day)
        items.insert(position, line)
    overdue = sum(1 for m in rows if m.status == TODO and m.due_date < today)
    title = ctx.t("plan.title", count=len(rows))
    sections = [ctx.t("plan.overdue_count", count=overdue)] if overdue else []
    if len(rows) > TIMELINE_MAX:
        sections.append(ctx.t("plan.truncated", shown=TIMELINE_MAX, count=len(rows)))
    return [
        Reply(
            title=title,
            sections=sections,
            items=items,
            footer=ctx.t("plan.footer"),
            buttons=[Button(ctx.t("plan.timeline.button"), "plan.timeline")],
            visibility=Visibility.EPHEMERAL,
        )
    ]


def timeline_picture(ctx: Ctx) -> list[Reply]:
    """`/plan timeline` (`frise`) and the Timeline button: the plan as a picture."""
    from bot.planning import timeline as picture

    today = local_today(ctx.now, reminders.ctx_zone(ctx))
    return [picture.reply(picture.load(ctx.session, ctx.partnership, today), ctx.t)]


def _digest_timeline(
    session: Session, partnership: Partnership, week: DigestWeek, rctx: RenderContext
) -> list[Attachment]:
    from bot.planning import timeline as picture

    return picture.digest_attachment(session, partnership, week, rctx)


def show(ctx: Ctx, arg: str) -> list[Reply]:
    m = find(ctx, arg)
    t = ctx.t
    today = local_today(ctx.now, reminders.ctx_zone(ctx))
    fields = [
        ReplyField(t("plan.field.due"), date_label(t, m, ctx.partnership.launch_date)),
        ReplyField(t("plan.field.owners"), " ".join(f"<@{o}>" for o in m.owners) or "—"),
        ReplyField(t("plan.field.status"), t(f"plan.status.{m.status}")),
    ]
    if m.offset_days is not None:
        fields.append(ReplyField(t("plan.field.follows"), t("plan.follows_dday")))
    if m.notes:
        fields.append(ReplyField(t("plan.field.notes"), m.notes))
    pings = reminders.upcoming(
        ctx.session, ctx.partnership, [m], ctx.now, fallback_tz=ctx.tz.key, limit=5
    )
    items = [ctx.format_datetime(p.at) for p in pings]
    return [
        Reply(
            title=t("plan.show_title", number=m.number, title=m.title),
            text=_item(ctx, m, today),
            fields=fields,
            sections=[t("plan.next_pings") if items else t("plan.no_pings")],
            items=items,
            visibility=Visibility.EPHEMERAL,
        )
    ]


def preview(ctx: Ctx) -> list[Reply]:
    policy = reminders.policy_for(ctx.session, ctx.partnership)
    rows = milestones(ctx.session, ctx.tenant, ctx.partnership)
    open_ones = [m for m in rows if m.status == TODO]
    pings = reminders.upcoming(
        ctx.session,
        ctx.partnership,
        open_ones,
        ctx.now,
        fallback_tz=ctx.tz.key,
        limit=ctx.limits.search_size,
    )
    items = []
    for p in pings:
        m = p.milestone
        items.append(
            ctx.t(
                "plan.preview_item",
                when=ctx.local(p.at).strftime(ctx.t("format.datetime")),
                number=m.number,
                title=m.title,
                owners=" ".join(f"<@{o}>" for o in m.owners),
            )
        )
    return [
        Reply(
            title=ctx.t("plan.preview_title"),
            text=ctx.t("plan.preview_none") if not items else "",
            items=items,
            sections=reminders.describe(ctx.t, policy),
            footer=ctx.t("plan.preview_footer", tz=reminders.ctx_zone(ctx).key),
            visibility=Visibility.EPHEMERAL,
        )
    ]


# -- writing ------------------------------------------------------------------------


def _due(ctx: Ctx, text: str) -> Due:
    return parse_due(
        text,
        now=ctx.now,
        tz=reminders.ctx_zone(ctx),
        launch=ctx.partnership.launch_date,
        day_first=ctx.lang == "fr",
    )


def split_title(rest: str) -> tuple[str, str]:
    """'"Brief agency" J-14 @a' -> ('Brief agency', 'J-14 @a'); unquoted: the first word."""
    rest = rest.strip()
    if rest and rest[0] in _QUOTES:
        close = rest.find(_QUOTES[rest[0]], 1)
        if close == -1:
            raise UserError("plan.errors.unclosed_quote")
        return rest[1:close].strip(), rest[close + 1 :].strip()
    head, _, tail = rest.partition(" ")
    return head, tail.strip()


def create_milestone(
    session: Session,
    tenant: Tenant,
    partnership: Partnership,
    *,
    title: str,
    due: Due,
    owners: Sequence[str],
    author: str,
    now: datetime,
    notes: str | None = None,
    status: str = TODO,
    number: int | None = None,
) -> Milestone:
    if not title:
        raise UserError("plan.errors.no_title")
    if len(title) > TITLE_MAX:
        raise UserError("plan.errors.title_too_long", limit=TITLE_MAX)
    m = Milestone(
        platform=tenant.platform,
        team_id=tenant.team_id,
        partnership_id=partnership.id,  # type: ignore[arg-type]
        number=number
        or next_number(session, tenant.platform, tenant.team_id, f"milestone:{partnership.id}"),
        title=title,
        owners=list(owners),
        due_date=due.day,
        due_time=due.at,
        offset_days=due.offset,
        status=status,
        notes=notes or None,
        created_by=author,
        created_at=now,
        updated_at=now,
    )
    session.add(m)
    session.flush()
    return m


def _title_and_due(ctx: Ctx, rest: str) -> tuple[str, Due, list[str]]:
    """Title, due date and owners of `/plan add`.

    A quoted title ends at its quote. An unquoted one ends where the longest
    readable date begins: `Press kit next friday @bob` is "Press kit", next
    Friday. Only a date that reads on its own is taken; otherwise the first word
    is the title and the date's own error (with examples) is shown.
    """
    owners = mentions(rest) or [ctx.user.id]
    plain = re.sub(r"<@[^>]+>", " ", rest).strip()
    if plain and plain[0] in _QUOTES:
        title, date_text = split_title(plain)
        if not title:
            raise UserError("plan.edges.no_title")
        if not date_text:
            raise UserError("plan.edges.add_needs_date", title=title)
        return title, _due(ctx, date_text), owners
    words = plain.split()
    if len(words) == 1:
        raise UserError("plan.edges.add_needs_date", title=words[0])
    if not words:
        raise UserError("plan.errors.add_usage")
    refusal: UserError | None = None
    for cut in _date_cuts(words):
        try:
            due = _due(ctx, " ".join(words[cut:]))
        except UserError as err:
            if err.key == "plan.errors.ambiguous_date":
                raise  # a real date that needs the user to say which
            # Keep the most telling refusal ("set D-day first" over "unreadable").
            if refusal is None or refusal.key == "plan.errors.bad_date":
                refusal = err
            continue
        return " ".join(words[:cut]), due, owners
    assert refusal is not None
    raise refusal


def _date_cuts(words: Sequence[str]) -> list[int]:
    """Where the date of `/plan add` may begin, in the order to try; linear in the text.

    Only the last `DATE_MAX_WORDS` words can be a date (never every suffix of a
    long text). Tails read without dateparser (D-14, ISO) are always tried;
    at most `DATE_MAX_PARSER_CALLS` tails go to dateparser: first those that
    start like a date ("next friday", "le 14 mars"), longest first, then the rest.
    """
    cuts = range(max(1, len(words) - DATE_MAX_WORDS), len(words))
    cheap = [c for c in cuts if not needs_parser(" ".join(words[c:]))]
    costly = [c for c in cuts if c not in cheap and len(" ".join(words[c:])) <= DATE_MAX_CHARS]
    costly.sort(key=lambda c: not starts_like_a_date(words[c]))  # stable: longest first
    last = [len(words) - 1] if len(words) - 1 not in cheap + costly else []
    return sorted(cheap) + costly[:DATE_MAX_PARSER_CALLS] + last


def add(ctx: Ctx, rest: str) -> list[Reply]:
    title, due, owners = _title_and_due(ctx, rest)
    notes = ctx.options.get("notes")
    m = create_milestone(
        ctx.session,
        ctx.tenant,
        ctx.partnership,
        title=title,
        due=due,
        owners=owners,
        author=ctx.user.id,
        now=ctx.now,
        notes=str(notes) if notes else None,
    )
    reminders.reschedule(
        ctx.session, ctx.partnership, [m], ctx.now, fallback_tz=ctx.tz.key, fresh=True
    )
    return [milestone_post(ctx, m, "added", ctx.user.id)]


def milestone_post(ctx: Ctx, m: Milestone, event: str, user_id: str) -> Reply:
    """A milestone added, done, cancelled or reopened: posted for all partners.

    Drawn again from the milestone for each other place (`draw_for_place`).
    """
    if event == "added":
        text = ctx.t(
            "plan.added",
            number=m.number,
            title=m.title,
            date=date_label(ctx.t, m, ctx.partnership.launch_date),
            owners=formatting.items([f"<@{o}>" for o in m.owners], ctx.lang),
            count=len(m.owners),
        )
    elif event == "reopened":
        text = ctx.t("plan.edges.reopened", number=m.number, title=m.title, user=f"<@{user_id}>")
    else:
        text = ctx.t(f"plan.{event}", number=m.number, title=m.title, user=f"<@{user_id}>")
    return Reply(
        text=text,
        target_channel=ctx.target_channel,
        mirror={"kind": MILESTONE_MIRROR, "id": m.id, "event": event, "user": user_id},
    )


def draw_for_place(ctx: Ctx, spec: dict[str, Any]) -> Reply | None:
    m = ctx.session.get(Milestone, int(spec["id"]))
    if m is None or m.partnership_id != ctx.partnership.id:
        return None
    return milestone_post(ctx, m, str(spec["event"]), str(spec["user"]))


def set_status(ctx: Ctx, m: Milestone, status: str) -> None:
    m.status = status
    m.updated_at = ctx.now
    ctx.session.add(m)
    ctx.session.flush()
    reminders.reschedule(ctx.session, ctx.partnership, [m], ctx.now, fallback_tz=ctx.tz.key)


def finish(ctx: Ctx, arg: str, status: str) -> list[Reply]:
    m = find(ctx, arg)
    if m.status == status:
        raise UserError(f"plan.errors.already_{status}", number=m.number)
    if m.status != TODO:  # done <-> cancelled only through reopen (docs/planning.md)
        raise UserError(
            "plan.edges.reopen_first", number=m.number, status=ctx.t(f"plan.status.{m.status}")
        )
    set_status(ctx, m, status)
    return [milestone_post(ctx, m, status, ctx.user.id)]


def reopen(ctx: Ctx, arg: str) -> list[Reply]:
    """done or cancelled -> to do: the one way back (docs/planning.md, "States")."""
    m = find(ctx, arg)
    if m.status == TODO:
        raise UserError("plan.edges.already_open", number=m.number)
    m.overdue_through = None  # an overdue milestone reopened is pinged again from tomorrow
    set_status(ctx, m, TODO)
    return [milestone_post(ctx, m, "reopened", ctx.user.id)]


def _split_reason(rest: str) -> tuple[str, str]:
    parts = _BECAUSE_RE.split(rest, maxsplit=1)
    if len(parts) < 2 or not parts[1].strip():
        raise UserError("plan.errors.move_needs_reason")
    return parts[0].strip(), parts[1].strip()


def move(ctx: Ctx, rest: str) -> list[Reply]:
    head, reason = _split_reason(rest)
    target, _, date_text = head.partition(" ")
    if not date_text.strip():
        raise UserError("plan.errors.move_usage")
    if fold(target) in _DDAY_IDS:
        return move_launch(ctx, date_text, reason)
    m = find(ctx, target)
    if m.status != TODO:
        raise UserError("plan.errors.not_open", number=m.number)
    due = _due(ctx, date_text)
    t = ctx.t
    old = date_label(t, m, ctx.partnership.launch_date)
    if (due.day, due.at) == (m.due_date, m.due_time):
        raise UserError("plan.errors.same_date", date=old)
    moves: list[tuple[Milestone | None, date, date]] = [(m, m.due_date, due.day)]
    m.due_date, m.due_time, m.offset_days = due.day, due.at, due.offset
    m.snoozed_until = None
    m.overdue_through = None
    m.updated_at = ctx.now
    ctx.session.add(m)
    ctx.session.flush()
    reminders.reschedule(ctx.session, ctx.partnership, [m], ctx.now, fallback_tz=ctx.tz.key)
    text = t(
        "plan.move_decision",
        number=m.number,
        title=m.title,
        old=old,
        new=date_label(t, m, ctx.partnership.launch_date),
        reason=reason,
    )
    decision = record_decision(ctx, text, source="plan.move", extra_participants=m.owners)
    record_moves(ctx, moves, decision.id, reason)
    return announce(ctx, decision)


def _parse_launch(ctx: Ctx, text: str) -> date:
    due = (
        parse_due(
            text, now=ctx.now, tz=reminders.ctx_zone(ctx), launch=None, day_first=ctx.lang == "fr"
        )
        if not _is_relative(text)
        else None
    )
    if due is None:
        raise UserError("plan.errors.launch_relative")
    return due.day


def _is_relative(text: str) -> bool:
    from bot.planning.dates import relative_offset

    return relative_offset(text) is not None


def launch(ctx: Ctx, rest: str) -> list[Reply]:
    if _BECAUSE_RE.search(" " + rest):
        date_text, reason = _split_reason(" " + rest)
        return move_launch(ctx, date_text, reason)
    if not rest.strip():
        day = ctx.partnership.launch_date
        if day is None:
            raise UserError("plan.edges.launch_not_set")
        return [
            Reply(
                text=ctx.t("plan.launch_is", date=day.strftime(ctx.t("format.date"))),
                visibility=Visibility.EPHEMERAL,
            )
        ]
    if ctx.partnership.launch_date is not None:
        raise UserError(
            "plan.errors.launch_needs_reason",
            date=ctx.partnership.launch_date.strftime(ctx.t("format.date")),
        )
    day = _parse_launch(ctx, rest)
    ctx.partnership.launch_date = day
    ctx.session.add(ctx.partnership)
    past = day < local_today(ctx.now, reminders.ctx_zone(ctx))
    return [launch_post(ctx, day, past)]


def launch_post(ctx: Ctx, day: date, past: bool) -> Reply:
    return Reply(
        text=ctx.t("plan.launch_set", date=day.strftime(ctx.t("format.date"))),
        # Allowed (a plan can follow up a launch that happened), but never silently.
        footer=ctx.t("plan.launch_in_past") if past else None,
        target_channel=ctx.target_channel,
        mirror={"kind": LAUNCH_MIRROR, "date": day.isoformat(), "past": past},
    )


def draw_launch_for_place(ctx: Ctx, spec: dict[str, Any]) -> Reply | None:
    return launch_post(ctx, date.fromisoformat(str(spec["date"])), bool(spec["past"]))


def move_launch(ctx: Ctx, date_text: str, reason: str) -> list[Reply]:
    """Move D-day and every milestone set relative to it, as one decision."""
    old = ctx.partnership.launch_date
    new = _parse_launch(ctx, date_text)
    if old is None:
        raise UserError("plan.errors.no_launch_to_move")
    if new == old:
        raise UserError("plan.errors.same_date", date=old.strftime(ctx.t("format.date")))
    ctx.partnership.launch_date = new
    ctx.session.add(ctx.partnership)
    followers = [
        m
        for m in milestones(ctx.session, ctx.tenant, ctx.partnership)
        if m.offset_days is not None and m.status == TODO
    ]
    moves: list[tuple[Milestone | None, date, date]] = [(None, old, new)]
    moves += [(m, m.due_date, new + timedelta(days=m.offset_days or 0)) for m in followers]
    for m in followers:
        m.due_date = new + timedelta(days=m.offset_days or 0)
        m.snoozed_until = None
        m.overdue_through = None
        m.updated_at = ctx.now
        ctx.session.add(m)
    ctx.session.flush()
    reminders.reschedule(ctx.session, ctx.partnership, followers, ctx.now, fallback_tz=ctx.tz.key)
    fmt = ctx.t("format.date")
    text = ctx.t(
        "plan.launch_move_decision",
        old=old.strftime(fmt),
        new=new.strftime(fmt),
        count=len(followers),
        reason=reason,
    )
    owners = [o for m in followers for o in m.owners]
    decision = record_decision(ctx, text, source="plan.move", extra_participants=owners)
    record_moves(ctx, moves, decision.id, reason)
    return announce(ctx, decision)


def record_moves(
    ctx: Ctx,
    moves: list[tuple[Milestone | None, date, date]],
    decision_id: int | None,
    reason: str,
) -> None:
    """Keep the dates and reason of each move (milestone None: D-day), for the
    timeline and the health check; the decision keeps them in words."""
    for m, old_day, new_day in moves:
        if old_day == new_day:
            continue
        ctx.session.add(
            MilestoneMove(
                platform=ctx.tenant.platform,
                team_id=ctx.tenant.team_id,
                partnership_id=ctx.partnership.id,  # type: ignore[arg-type]
                milestone_id=m.id if m is not None else None,
                old_date=old_day,
                new_date=new_day,
                decision_id=decision_id,
                reason=reason,
                moved_by=ctx.user.id,
                moved_at=ctx.now,
            )
        )
    ctx.session.flush()


def snooze_until(ctx: Ctx, m: Milestone, day: date) -> list[Reply]:
    if m.status != TODO:
        raise UserError("plan.errors.not_open", number=m.number)
    today = local_today(ctx.now, reminders.ctx_zone(ctx))
    if day <= today:
        raise UserError("plan.errors.snooze_past")
    m.snoozed_until = day
    m.updated_at = ctx.now
    ctx.session.add(m)
    ctx.session.flush()
    reminders.reschedule(ctx.session, ctx.partnership, [m], ctx.now, fallback_tz=ctx.tz.key)
    return [
        Reply(
            text=ctx.t(
                "plan.snoozed",
                number=m.number,
                title=m.title,
                date=day.strftime(ctx.t("format.date")),
                user=f"<@{ctx.user.id}>",
            ),
        )
    ]


def snooze(ctx: Ctx, rest: str) -> list[Reply]:
    target, _, date_text = rest.partition(" ")
    m = find(ctx, target)
    if not date_text.strip():
        raise UserError("plan.errors.snooze_usage")
    return snooze_until(ctx, m, _due(ctx, date_text).day)


# -- buttons -------------------------------------------------------------------------


def _already_closed(ctx: Ctx, m: Milestone) -> list[Reply]:
    status = ctx.t(f"plan.status.{m.status}")
    return [
        Reply(
            text=ctx.t("plan.already_closed", number=m.number, status=status),
            visibility=Visibility.EPHEMERAL,
        )
    ]


def done_action(ctx: Ctx, value: str) -> list[Reply]:
    require(ctx, Permission.PLAN)
    m = find(ctx, value)
    if m.status != TODO:  # a button on an old ping
        return _already_closed(ctx, m)
    set_status(ctx, m, DONE)
    return [
        Reply(text=ctx.t("plan.done", number=m.number, title=m.title, user=f"<@{ctx.user.id}>"))
    ]


def snooze_action(ctx: Ctx, value: str) -> list[Reply]:
    require(ctx, Permission.PLAN)
    number, _, days = value.partition(":")
    m = find(ctx, number)
    if m.status != TODO:  # a button on an old ping
        return _already_closed(ctx, m)
    today = local_today(ctx.now, reminders.ctx_zone(ctx))
    count = parse_number(days or "1") if len(days) <= 3 else 0
    if not 1 <= count <= 365:  # our buttons say 1 or 3; anything else is forged
        raise UserError("plan.errors.snooze_usage")
    return snooze_until(ctx, m, today + timedelta(days=count))


# -- export in chat ------------------------------------------------------------------


def export_reply(ctx: Ctx, rest: str) -> list[Reply]:
    from bot.planning import files as plan_files

    fmt = (rest.split() or ["csv"])[0].lower()
    if fmt not in plan_files.FORMATS:
        raise UserError("plan.errors.bad_format", format=fmt, formats=", ".join(plan_files.FORMATS))
    rows = milestones(ctx.session, ctx.tenant, ctx.partnership)
    content = plan_files.export(rows, ctx.partnership, fmt, reminders.ctx_zone(ctx), ctx.now)
    mime = {"csv": "text/csv", "ics": "text/calendar"}[fmt]
    return [
        Reply(
            text=ctx.t("plan.export_ready", count=len(rows), format=fmt),
            attachments=[Attachment(f"plan.{fmt}", content.encode("utf-8"), mime=mime)],
            visibility=Visibility.EPHEMERAL,
        )
    ]


# -- weekly digest ---------------------------------------------------------------------


def digest_section(
    session: Session, partnership: Partnership, week: DigestWeek, rctx: RenderContext
) -> list[str]:
    """Milestones overdue and due the week after the digest's, as one digest section."""
    t = Translator(rctx.lang)
    tz = reminders.zone(rctx.timezone)
    now = rctx.now if isinstance(rctx.now, datetime) else week.end
    assert isinstance(now, datetime) and isinstance(week.end, datetime)
    today = local_today(now, tz)
    start = week.end.astimezone(tz).date()
    end = start + timedelta(days=7)
    rows = [
        m
        for m in milestones(session, Tenant(partnership.platform, partnership.team_id), partnership)
        if m.status == TODO
    ]
    overdue = [m for m in rows if m.due_date < today]
    upcoming = [m for m in rows if start <= m.due_date < end and m.due_date >= today]
    if not overdue and not upcoming:
        return []
    # One section (title and lines), as the digest shows each section as a block.
    lines = [t("plan.digest.title")]
    for label, group in (("plan.digest.overdue", overdue), ("plan.digest.next_week", upcoming)):
        if group:
            lines.append(t(label, count=len(group)))
            group_lines = [
                t(
                    "plan.digest.item",
                    number=m.number,
                    title=m.title,
                    date=date_label(t, m, partnership.launch_date),
                    owners=" ".join(f"<@{o}>" for o in m.owners),
                )
                for m in group
            ]
            lines.extend("• " + line for line in capped(group_lines, t, "`/plan export`"))
    return ["\n".join(lines)]
