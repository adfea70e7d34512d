"""The weekly digest: the partnership's weekly page, posted in the shared channel.

Exactly once per channel and ISO week: a `before_dispatch` hook makes sure
the ledger holds a `kpi.digest` row for the last and the next scheduled send
(idempotency key: channel + reviewed ISO week, so two instances or a restart
never create a second one); the dispatcher claims it when due and this
module's renderer builds the message at send time from what is stored then.
A digest due while the bot was down is sent when it comes back, marked late
by the dispatcher.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, delete, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.kernel import formatting
from bot.kernel.context import Ctx
from bot.kernel.errors import UserError
from bot.kernel.i18n import Translator
from bot.kernel.parsing import fold, split_first
from bot.kernel.permissions import Permission, require
from bot.kernel.registry import CommandSpec, DigestWeek, Registry, RenderContext
from bot.kernel.types import Attachment, Reply, Visibility
from bot.kpi import charts
from bot.kpi.stats import (
    MetricFigures,
    Week,
    figures,
    iso_week,
    local_midnight,
    objectives_and_metrics,
    progress,
    progress_bar,
    reviewed_week,
    tenant_params,
    trend,
    weekly_series,
)
from storage.models import Channel, Decision, Notification, Partnership, Team
from storage.models.kpi import DigestSchedule, Metric, Objective
from storage.models.notifications import PENDING
from storage.types import UTCDateTime
from storage.upsert import get_or_create

KIND = "kpi.digest"
CHART_WEEKS = 8
MAX_DECISIONS = 10
MAX_BREAKDOWN = 5
WEEKDAYS = {
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    **{
        name: i
        for i, name in enumerate(
            ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
        )
    },
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{name: i for i, name in enumerate(("lun", "mar", "mer", "jeu", "ven", "sam", "dim"))},
}
_TIME_RE = re.compile(r"^(\d{1,2})(?:[:h](\d{2})?)?\s*(am|pm)?$")
PAUSE_WORDS = {"pause", "off", "stop", "suspendre", "arreter"}
RESUME_WORDS = {"resume", "on", "start", "reprendre", "activer"}


def register(registry: Registry) -> None:
    registry.add_command(
        CommandSpec(
            name="digest",
            handler=preview_command,
            summary_key="kpi.digest.summary",
            usage_key="kpi.digest.usage",
        )
    )

    def render(session: Session, rows: list[Notification], rc: RenderContext) -> Reply | None:
        return render_notification(session, rows, rc, registry)

    registry.add_renderer(KIND, render)
    registry.before_dispatch.append(ensure_digest_rows)
    registry.add_accord_subcommand(("digest", "bilan"), configure)
    registry.timezone_changed.append(follow_timezone)


# -- the schedule ------------------------------------------------------------------


def ensure_schedule(ctx: Ctx) -> DigestSchedule:
    """The partnership's schedule (it belongs to the partnership, not to a channel)."""
    return get_or_create(
        ctx.session,
        DigestSchedule,
        {"partnership_id": ctx.partnership.id},
        {
            "platform": ctx.tenant.platform,
            "team_id": ctx.tenant.team_id,
            "channel_id": ctx.shared_channel_id,
            "fallback_timezone": ctx.tz.key,
            "updated_at": ctx.now,
        },
    )


def schedule_of(session: Session, partnership: Partnership) -> DigestSchedule | None:
    return session.exec(
        select(DigestSchedule).where(
            DigestSchedule.platform == partnership.platform,
            DigestSchedule.team_id == partnership.team_id,
            DigestSchedule.partnership_id == partnership.id,
        )
    ).first()


def describe(ctx: Ctx, schedule: DigestSchedule) -> str:
    day = ctx.t(f"kpi.digest.weekday.{schedule.weekday}")
    when = ctx.t(
        "kpi.digest.schedule",
        day=day,
        time=f"{schedule.hour:02d}:{schedule.minute:02d}",
        tz=ctx.tz.key,
    )
    return ctx.t("kpi.digest.schedule_paused", schedule=when) if schedule.paused else when


def configure(ctx: Ctx, rest: str) -> list[Reply]:
    """`/accord digest [pause|resume|<day> <time>]`."""
    schedule = ensure_schedule(ctx)
    words = [fold(w).rstrip(".,") for w in rest.split()]
    if not words:
        return [
            Reply(
                text=ctx.t("kpi.digest.schedule_now", schedule=describe(ctx, schedule)),
                visibility=Visibility.EPHEMERAL,
            )
        ]
    require(ctx, Permission.MANAGE_SETTINGS)
    if len(words) == 1 and words[0] in PAUSE_WORDS:
        schedule.paused = True
    elif len(words) == 1 and words[0] in RESUME_WORDS:
        schedule.paused = False
    else:
        weekday, hour, minute = _parse_when(words, schedule)
        schedule.weekday, schedule.hour, schedule.minute = weekday, hour, minute
        schedule.paused = False
    schedule.updated_at = ctx.now
    ctx.session.add(schedule)
    forget_pending(ctx, schedule.channel_id)
    return [Reply(text=ctx.t("kpi.digest.schedule_set", schedule=describe(ctx, schedule)))]


def forget_pending(ctx: Ctx, channel_id: str) -> None:
    """Sends not yet made follow a new schedule or zone: the next dispatch pass
    recreates them at the new time (their keys are free again)."""
    ctx.session.execute(
        delete(Notification).where(
            col(Notification.platform) == ctx.tenant.platform,
            col(Notification.team_id) == ctx.tenant.team_id,
            col(Notification.channel_id) == channel_id,
            col(Notification.kind) == KIND,
            col(Notification.status) == PENDING,
        )
    )


def follow_timezone(ctx: Ctx) -> None:
    forget_pending(ctx, ctx.shared_channel_id)


def _parse_when(words: list[str], schedule: DigestSchedule) -> tuple[int, int, int]:
    weekday, hour, minute = schedule.weekday, schedule.hour, schedule.minute
    seen = False
    for word in words:
        if word in WEEKDAYS or word.rstrip("s") in WEEKDAYS:
            weekday, seen = WEEKDAYS.get(word, WEEKDAYS.get(word.rstrip("s"), 0)), True
            continue
        match = _TIME_RE.match(word)
        if match is None or word in ("at", "a", "à"):
            if word in ("at", "a", "à", "every", "chaque", "le", "on"):
                continue
            raise UserError("kpi.digest.errors.bad_schedule", value=word)
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if match.group(3) == "pm" and hour < 12:
            hour += 12
        if match.group(3) == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            raise UserError("kpi.digest.errors.bad_schedule", value=word)
        seen = True
    if not seen:
        raise UserError("kpi.digest.errors.bad_schedule", value=" ".join(words))
    return weekday, hour, minute


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def occurrences(
    schedule: DigestSchedule, zone: ZoneInfo, now: datetime
) -> tuple[datetime, datetime]:
    """The last scheduled send at or before `now` and the next one after, in UTC."""
    local = now.astimezone(zone)
    at = time(schedule.hour, schedule.minute)
    day = local.date() + timedelta(days=(schedule.weekday - local.weekday()) % 7)
    upcoming = datetime.combine(day, at, tzinfo=zone)
    if upcoming <= local:
        upcoming = datetime.combine(day + timedelta(days=7), at, tzinfo=zone)
    last = datetime.combine(upcoming.date() - timedelta(days=7), at, tzinfo=zone)
    return last.astimezone(UTC), upcoming.astimezone(UTC)


def digest_key(channel_id: str, week: Week) -> str:
    return f"{KIND}:{channel_id}:{week.key}"


def ensure_digest_rows(session: Session, now: datetime) -> None:
    """The dispatcher's hook: a ledger row for the last and the next send of each channel.

    The last one is only owed if the schedule already stood then (a digest
    missed during downtime goes out late; a channel created on Tuesday does
    not get Monday's). Keys are unique, so concurrent hooks insert each once.
    """
    schedules = session.exec(
        select(DigestSchedule).where(col(DigestSchedule.paused).is_(False))
    ).all()
    if not schedules:
        return
    channel_ids = sorted({s.channel_id for s in schedules})
    zones: dict[tuple[str, str, str], str | None] = {}
    for ch in session.exec(select(Channel).where(col(Channel.channel_id).in_(channel_ids))):
        zones[(ch.platform, ch.team_id, ch.channel_id)] = ch.timezone
    team_ids = sorted({s.team_id for s in schedules})
    team_zones = {
        (t.platform, t.team_id): t.timezone
        for t in session.exec(select(Team).where(col(Team.team_id).in_(team_ids)))
    }
    wanted: dict[tuple[str, str, str], dict[str, object]] = {}
    for s in schedules:
        zone = (
            _zone(zones.get((s.platform, s.team_id, s.channel_id)))
            or _zone(team_zones.get((s.platform, s.team_id)))
            or _zone(s.fallback_timezone)
            or ZoneInfo("UTC")
        )
        last, upcoming = occurrences(s, zone, now)
        for due in (last, upcoming):
            if due is last and due < s.updated_at:
                continue
            week = reviewed_week(due, zone.key)
            key = digest_key(s.channel_id, week)
            wanted[(s.platform, s.team_id, key)] = {
                "platform": s.platform,
                "team_id": s.team_id,
                "channel_id": s.channel_id,
                "kind": KIND,
                "idempotency_key": key,
                "group_key": key,
                "payload": {
                    "partnership_id": s.partnership_id,
                    "year": week.year,
                    "week": week.week,
                    "timezone": zone.key,
                },
                "due_at": due,
                "status": PENDING,
                "attempts": 0,
                "late": False,
                "created_at": now,
            }
    keys = list(wanted)
    existing: set[tuple[str, str, str]] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        existing.update(
            (p, t, k)
            for p, t, k in session.execute(
                select(
                    col(Notification.platform),
                    col(Notification.team_id),
                    col(Notification.idempotency_key),
                ).where(
                    tuple_(
                        col(Notification.platform),
                        col(Notification.team_id),
                        col(Notification.idempotency_key),
                    ).in_(chunk)
                )
            )
        )
    missing = [row for key, row in wanted.items() if key not in existing]
    if not missing:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Notification.__table__  # type: ignore[attr-defined]
    session.execute(
        insert(table).on_conflict_do_nothing(
            index_elements=["platform", "team_id", "idempotency_key"]
        ),
        missing,
    )


# -- building the digest -----------------------------------------------------------


_DECISIONS = (
    select(Decision)
    .where(
        Decision.platform == bindparam("platform"),
        Decision.team_id == bindparam("team_id"),
        Decision.partnership_id == bindparam("partnership_id"),
        Decision.created_at >= bindparam("week_start", type_=UTCDateTime()),
        Decision.created_at < bindparam("week_end", type_=UTCDateTime()),
    )
    .order_by(col(Decision.number))
)


@dataclass(slots=True)
class DigestData:
    partnership: Partnership
    week: Week
    objectives: list[Objective]
    figures: list[MetricFigures]
    decisions: list[Decision]


def compute(session: Session, partnership: Partnership, week: Week) -> DigestData:
    """Every figure of one digest: a handful of aggregate queries, whatever the points."""
    pairs = objectives_and_metrics(session, partnership)
    decisions = list(
        session.exec(
            _DECISIONS,
            params={**tenant_params(partnership), "week_start": week.start, "week_end": week.end},
        ).all()
    )
    return DigestData(
        partnership=partnership,
        week=week,
        objectives=[o for o, _ in pairs],
        figures=figures(session, partnership, week, pairs=pairs) if pairs else [],
        decisions=decisions,
    )


def _change(t: Translator, this: float, last: float, unit: str) -> str:
    delta = this - last
    if abs(delta) < 1e-9:
        return t("kpi.digest.change_same")
    sign = "+" if delta > 0 else "−"
    amount = sign + formatting.amount(abs(delta), unit, t.lang)
    if last > 0:
        return t(
            "kpi.digest.change_pct",
            arrow="▲" if delta > 0 else "▼",
            amount=amount,
            percent=sign + formatting.percent(abs(delta) / last, t.lang),
        )
    return t("kpi.digest.change", arrow="▲" if delta > 0 else "▼", amount=amount)


def _breakdown(t: Translator, values: dict[str | None, float]) -> str:
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], kv[0] or "\uffff"))
    shown = [
        f"{name or t('kpi.unattributed')} {formatting.number(v, t.lang)}"
        for name, v in ordered[:MAX_BREAKDOWN]
    ]
    if len(ordered) > MAX_BREAKDOWN:
        rest = sum(v for _, v in ordered[MAX_BREAKDOWN:])
        shown.append(t("kpi.digest.others", value=formatting.number(rest, t.lang)))
    return " · ".join(shown)


def metric_block(t: Translator, f: MetricFigures, week: Week, as_of: datetime) -> str:
    m = f.metric
    unit = m.unit
    started = min(x for x in (m.created_at, f.first_at) if x is not None)
    tr = trend(f.cumulative, m.target, started, as_of, m.target_date, week.timezone)
    ratio = progress(f.cumulative, m.target)
    day = formatting.day(m.target_date, t.lang)
    lines = [
        t(
            "kpi.digest.metric_week",
            metric=m.name,
            vanity=t("kpi.vanity.label") if m.vanity else "",
            value=formatting.amount(f.this_week, unit, t.lang),
            change=_change(t, f.this_week, f.last_week, unit),
        ),
        t(
            "kpi.digest.metric_total",
            total=formatting.amount(f.cumulative, unit, t.lang),
            target=formatting.amount(m.target, unit, t.lang),
            bar=progress_bar(ratio),
            percent=formatting.percent(ratio, t.lang),
            trend=t(
                f"kpi.trend.{tr.status}",
                projected=formatting.amount(round(tr.projected or 0), unit, t.lang),
                date=day,
            ),
        ),
    ]
    if f.breakdown:
        lines.append(t("kpi.digest.by_partner", values=_breakdown(t, f.by_partner)))
        lines.append(t("kpi.digest.by_channel", values=_breakdown(t, f.by_channel)))
    if m.vanity:
        lines.append(t("kpi.digest.vanity_note"))
    return "\n".join(lines)


def render(
    session: Session,
    data: DigestData,
    rc: RenderContext,
    registry: Registry | None,
    *,
    with_chart: bool = True,
) -> Reply:
    t = Translator(rc.lang)
    week = data.week
    now = rc.now if isinstance(rc.now, datetime) else week.end
    as_of = min(now, week.end)
    fmt = t("format.date")
    sections: list[str] = []
    if registry is not None:
        top = DigestWeek(year=week.year, week=week.week, start=week.start, end=week.end)
        for section in registry.digest_top_sections:
            sections.extend(section(session, data.partnership, top, rc))
    for objective in data.objectives:
        mine = [f for f in data.figures if f.objective.id == objective.id]
        lines = [t("kpi.digest.objective", name=objective.name)]
        lines += [metric_block(t, f, week, as_of) for f in mine] or [
            t("kpi.objective_no_metric", name=objective.name)
        ]
        sections.append("\n".join(lines))
    if not data.objectives:
        sections.append(t("kpi.digest.no_objectives"))
    if data.decisions:
        items = [
            t(
                "kpi.digest.decision_item",
                number=d.number,
                text=d.text if len(d.text) <= 140 else d.text[:139] + "…",
            )
            for d in data.decisions[:MAX_DECISIONS]
        ]
        if len(data.decisions) > MAX_DECISIONS:
            items.append(t("kpi.digest.more_decisions", count=len(data.decisions) - MAX_DECISIONS))
        sections.append(
            t("kpi.digest.decisions_title", count=len(data.decisions)) + "\n" + "\n".join(items)
        )
    else:
        sections.append(t("kpi.digest.no_decisions"))
    if registry is not None:
        bounds = DigestWeek(year=week.year, week=week.week, start=week.start, end=week.end)
        for section in registry.digest_sections:
            sections.extend(section(session, data.partnership, bounds, rc))
    reply = Reply(
        title=t(
            "kpi.digest.title",
            week=week.week,
            start=week.first_day.strftime(fmt),
            end=week.last_day.strftime(fmt),
        ),
        sections=sections,
        footer=t("kpi.digest.footer"),
    )
    if with_chart:
        png = chart_for(session, data, t)
        if png is not None:
            reply.image = Attachment(
                filename=f"digest-{week.key}.png",
                content=png,
                mime="image/png",
                alt=t("kpi.digest.chart_alt", week=week.week),
            )
        if registry is not None:
            files = DigestWeek(year=week.year, week=week.week, start=week.start, end=week.end)
            for attach in registry.digest_attachments:
                reply.attachments.extend(attach(session, data.partnership, files, rc))
    return reply


def chart_for(session: Session, data: DigestData, t: Translator) -> bytes | None:
    """The PNG of every decisive metric over the last weeks against its target."""
    lines = chart_series(session, data, t)
    return charts.render(lines, t) if lines else None


def chart_series(session: Session, data: DigestData, t: Translator) -> list[charts.Series]:
    """What the chart draws: each metric's weeks, its legend figures and the pace needed."""
    metrics = [f.metric for f in data.figures if f.metric.id is not None]
    if not metrics:
        return []
    weeks = [data.week]
    while len(weeks) < CHART_WEEKS:
        weeks.insert(0, weeks[0].previous())
    series = weekly_series(session, data.partnership, [m.id for m in metrics if m.id], weeks)
    lines = []
    for m in metrics:
        before, weekly = series.get(m.id or 0, (0.0, [0.0] * len(weeks)))
        cumulative: list[float] = []
        running = before
        for value in weekly:
            running += value
            cumulative.append(running)
        lines.append(
            charts.Series(
                name=m.name + (f" ({t('kpi.vanity.short')})" if m.vanity else ""),
                unit=m.unit,
                target=m.target,
                labels=[t("kpi.digest.week_label", week=w.week) for w in weeks],
                weekly=weekly,
                cumulative=cumulative,
                pace=_pace(m, weeks),
            )
        )
    return lines


def _pace(metric: Metric, weeks: list[Week]) -> list[float] | None:
    """Share of the target needed by each week's end to reach it on its date, at a
    steady pace from the metric's creation; None when the metric has no date."""
    if metric.target_date is None or not weeks:
        return None
    start = metric.created_at
    deadline = local_midnight(metric.target_date + timedelta(days=1), weeks[0].timezone)
    span = (deadline - start).total_seconds()
    if span <= 0:
        return None
    return [min(1.0, max(0.0, (w.end - start).total_seconds() / span)) for w in weeks]


def week_from_payload(payload: dict[str, object]) -> Week:
    monday = date.fromisocalendar(int(payload["year"]), int(payload["week"]), 1)  # type: ignore[call-overload]
    return iso_week(monday, str(payload.get("timezone") or "UTC"))


def render_notification(
    session: Session, rows: list[Notification], rc: RenderContext, registry: Registry
) -> Reply | None:
    row = rows[0]
    partnership = session.get(Partnership, int(row.payload["partnership_id"]))  # type: ignore[call-overload]
    if partnership is None or (partnership.platform, partnership.team_id) != (
        row.platform,
        row.team_id,
    ):
        return None
    schedule = schedule_of(session, partnership)
    if schedule is not None and schedule.paused:
        return None
    data = compute(session, partnership, week_from_payload(row.payload))
    return render(session, data, rc, registry)


# -- /digest -----------------------------------------------------------------------


def preview(
    session: Session,
    partnership: Partnership,
    now: datetime,
    rc: RenderContext,
    registry: Registry | None,
    *,
    with_chart: bool = True,
) -> Reply:
    week = reviewed_week(now, rc.timezone)
    return render(session, compute(session, partnership, week), rc, registry, with_chart=with_chart)


_LAST_WORDS = {"last", "previous", "dernier", "precedent"}


def digest_week(
    schedule: DigestSchedule | None, zone: ZoneInfo, now: datetime, *, last: bool
) -> Week:
    """The week the next scheduled digest will review (the week so far, for the default
    Monday digest), or with `last` the one the latest scheduled digest reviewed."""
    # No schedule yet: the default one (Mondays 09:00) that the first objective creates.
    when = schedule or DigestSchedule(
        platform="", team_id="", channel_id="", partnership_id=0, updated_at=now
    )
    previous, upcoming = occurrences(when, zone, now)
    return reviewed_week(previous if last else upcoming, zone.key)


def preview_command(ctx: Ctx) -> list[Reply]:
    sub, _ = split_first(ctx.text)
    if sub and fold(sub) not in _LAST_WORDS:
        raise UserError("kpi.digest.errors.unknown_subcommand", sub=sub)
    rc = RenderContext(lang=ctx.lang, timezone=ctx.tz.key, now=ctx.now)
    schedule = schedule_of(ctx.session, ctx.partnership)
    week = digest_week(schedule, ctx.tz, ctx.now, last=bool(sub))
    reply = render(ctx.session, compute(ctx.session, ctx.partnership, week), rc, ctx.registry)
    note = (
        ctx.t("kpi.digest.preview_note", schedule=describe(ctx, schedule))
        if schedule
        else ctx.t("kpi.digest.preview_note_none")
    )
    if sub:
        note = ctx.t("kpi.edges.digest_last_note") + "\n" + note
    reply.footer = f"{reply.footer}\n{note}" if reply.footer else note
    return [reply]
