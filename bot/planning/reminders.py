"""Deadline reminders: which pings a milestone gets, and the message they make.

Every ping is a `Notification` row keyed `(milestone, occurrence)`, e.g.
`plan:m12:d-7@2026-03-20`: the due date is part of the occurrence, so moving
a milestone plans new rows and cancels the old pending ones, and moving it
back revives them without ever sending the same ping twice. The daily
overdue pings are created lazily, one local day at a time, by `sweep_overdue`
at the start of each dispatch pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.kernel.context import Ctx
from bot.kernel.errors import UserError
from bot.kernel.i18n import Translator
from bot.kernel.lists import LIST_MAX, capped
from bot.kernel.permissions import Permission, require
from bot.kernel.places import every_place
from bot.kernel.registry import BATCH_INFO_KEY, Registry, RenderContext
from bot.kernel.types import Button, ButtonStyle, Reply, Tenant, Visibility
from bot.planning.dates import local_moment, local_today
from storage.models import (
    Channel,
    Member,
    Milestone,
    Notification,
    Partnership,
    Party,
    PartyMember,
    ReminderPolicy,
    Team,
)
from storage.models.notifications import CANCELLED, PENDING
from storage.models.planning import TODO

KIND = "plan.reminder"
DEFAULT_DAYS = (7, 2, 0)
DEFAULT_AT = time(9, 0)
# Buttons for at most this many milestones in one grouped ping (Discord: 25 components).
MAX_BUTTONED = 5
_CACHE_KEY = "plan.render_cache"
_TIME_RE = re.compile(r"^(\d{1,2})(?:[:h](\d{2})?)?$")


@dataclass(frozen=True, slots=True)
class Policy:
    days_before: tuple[int, ...] = DEFAULT_DAYS
    at: time = DEFAULT_AT
    overdue: bool = True
    timezone: str | None = None


def register(registry: Registry) -> None:
    registry.add_renderer(KIND, render)
    registry.before_dispatch.append(sweep_overdue)
    registry.add_accord_subcommand(("reminders", "rappels"), accord_reminders)
    registry.timezone_changed.append(follow_timezone)


# -- policy and time zone -------------------------------------------------------


def _policy_row(session: Session, partnership: Partnership) -> ReminderPolicy | None:
    """The partnership's own policy (it belongs to the partnership, not to a channel)."""
    return session.exec(
        select(ReminderPolicy).where(
            ReminderPolicy.platform == partnership.platform,
            ReminderPolicy.team_id == partnership.team_id,
            ReminderPolicy.partnership_id == partnership.id,
        )
    ).first()


def policy_for(session: Session, partnership: Partnership) -> Policy:
    row = _policy_row(session, partnership)
    if row is None:
        return Policy()
    return Policy(tuple(row.days_before), row.at, row.overdue_daily, row.timezone)


def zone_name(session: Session, partnership: Partnership, fallback: str | None) -> str:
    """The shared channel's zone, else the team's, else `fallback`, else UTC."""
    channel = session.exec(
        select(Channel).where(
            Channel.platform == partnership.platform,
            Channel.team_id == partnership.team_id,
            Channel.channel_id == partnership.channel_id,
        )
    ).first()
    team = session.exec(
        select(Team).where(
            Team.platform == partnership.platform, Team.team_id == partnership.team_id
        )
    ).first()
    return (
        (channel.timezone if channel else None)
        or (team.timezone if team else None)
        or fallback
        or "UTC"
    )


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def ctx_zone(ctx: Ctx) -> ZoneInfo:
    """Plans live in the shared channel's zone, even when asked from a linked channel."""
    return zone(zone_name(ctx.session, ctx.partnership, ctx.tz.key))


# -- planning the rows --------------------------------------------------------


def key_prefix(milestone_id: int) -> str:
    return f"plan:m{milestone_id}:"


def occurrences(m: Milestone, policy: Policy, tz: ZoneInfo) -> list[tuple[str, datetime]]:
    """The pings a milestone should get under `policy`: (occurrence, due UTC)."""
    if m.status != TODO:
        return []
    found: list[tuple[str, datetime]] = []
    for days in sorted(set(policy.days_before), reverse=True):
        name = "day" if days == 0 else f"d-{days}"
        found.append(
            (
                f"{name}@{m.due_date.isoformat()}",
                local_moment(m.due_date - timedelta(days=days), policy.at, tz),
            )
        )
    if m.snoozed_until is not None:
        until = local_moment(m.snoozed_until, policy.at, tz)
        # A snooze silences the pings before its day; the later ones (D-2, the
        # day itself) still come. No extra ping when one already falls that day.
        found = [(o, at) for o, at in found if at >= until]
        if all(at != until for _, at in found):
            found.append((f"snooze@{m.snoozed_until.isoformat()}", until))
    return found


def _row(
    m: Milestone, channel_id: str, occurrence: str, due_at: datetime, now: datetime
) -> dict[str, object]:
    return {
        "platform": m.platform,
        "team_id": m.team_id,
        "channel_id": channel_id,
        "kind": KIND,
        "idempotency_key": key_prefix(m.id or 0) + occurrence,
        "group_key": f"plan:{channel_id}",
        # One series per milestone: after downtime only its latest due ping goes out.
        "payload": {
            "milestone": m.id,
            "occurrence": occurrence,
            "due": m.due_date.isoformat(),
            "series": f"plan:m{m.id}",
        },
        "due_at": due_at,
        "status": PENDING,
        "attempts": 0,
        "late": False,
        "created_at": now,
    }


def _insert(session: Session, rows: list[dict[str, object]], *, revive: bool) -> None:
    """Insert ping rows; an existing key is left alone, or revived if it was cancelled."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Notification.__table__  # type: ignore[attr-defined]
    stmt = insert(table)
    if revive:
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "team_id", "idempotency_key"],
            set_={
                "status": PENDING,
                "due_at": stmt.excluded.due_at,
                "payload": stmt.excluded.payload,
                "channel_id": stmt.excluded.channel_id,
                "group_key": stmt.excluded.group_key,
                "attempts": 0,
                "lease_until": None,
            },
            where=table.c.status == CANCELLED,
        )
    else:
        stmt = stmt.on_conflict_do_nothing(
            index_elements=["platform", "team_id", "idempotency_key"]
        )
    # executemany: one cached statement, batched by SQLAlchemy's insertmanyvalues.
    session.execute(stmt, rows)


def reschedule(
    session: Session,
    partnership: Partnership,
    milestones: Sequence[Milestone],
    now: datetime,
    *,
    fallback_tz: str | None = None,
    fresh: bool = False,
    retime: bool = False,
) -> int:
    """Make the pending pings of `milestones` match their dates, status and the policy.

    Runs in the caller's transaction: the edit and its pings commit together.
    Pings whose time has already passed are not planned (no late ping for a
    milestone added today with a D-7 reminder). `fresh` skips the cancelling
    pass for milestones just created; `retime` re-plans every pending ping even
    when its key is unchanged (the zone moved under it). Returns the number of
    rows planned.
    """
    policy = policy_for(session, partnership)
    tz = zone(zone_name(session, partnership, policy.timezone or fallback_tz))
    rows: list[dict[str, object]] = []
    for m in milestones:
        wanted = [(o, at) for o, at in occurrences(m, policy, tz) if at > now]
        if not fresh:
            prefix = key_prefix(m.id or 0)
            keep = [prefix + o for o, _ in wanted]
            stmt = (
                update(Notification)
                .where(
                    col(Notification.platform) == m.platform,
                    col(Notification.team_id) == m.team_id,
                    # A key range, so the unique index serves it on both back-ends.
                    col(Notification.idempotency_key) >= prefix,
                    col(Notification.idempotency_key) < prefix[:-1] + ";",
                    col(Notification.status) == PENDING,
                )
                .values(status=CANCELLED)
                .execution_options(synchronize_session=False)
            )
            if keep and not retime:
                stmt = stmt.where(col(Notification.idempotency_key).not_in(keep))
            session.execute(stmt)
        rows.extend(_row(m, partnership.channel_id, o, at, now) for o, at in wanted)
    _insert(session, rows, revive=True)
    if policy.timezone != tz.key:
        _remember_zone(session, partnership, tz.key, now)
    return len(rows)


def _remember_zone(session: Session, partnership: Partnership, tz: str, now: datetime) -> None:
    row = _policy_row(session, partnership)
    if row is None:
        row = ReminderPolicy(
            platform=partnership.platform,
            team_id=partnership.team_id,
            partnership_id=partnership.id,  # type: ignore[arg-type]
            channel_id=partnership.channel_id,
            days_before=list(DEFAULT_DAYS),
            updated_at=now,
        )
    row.timezone = tz
    session.add(row)
    session.flush()


def _settings_of(
    session: Session, partnership_ids: set[int]
) -> dict[int, tuple[Partnership, Policy, ZoneInfo]]:
    """Each partnership with its policy and zone, in four queries for any number."""
    if not partnership_ids:
        return {}
    partnerships = list(
        session.exec(select(Partnership).where(col(Partnership.id).in_(partnership_ids)))
    )
    keys = [(p.platform, p.team_id, p.channel_id) for p in partnerships]
    channels = {
        (c.platform, c.team_id, c.channel_id): c
        for c in session.exec(
            select(Channel).where(
                tuple_(Channel.platform, Channel.team_id, Channel.channel_id).in_(keys)
            )
        )
    }
    teams = {
        (t.platform, t.team_id): t
        for t in session.exec(
            select(Team).where(tuple_(Team.platform, Team.team_id).in_(list({k[:2] for k in keys})))
        )
    }
    policies = {
        r.partnership_id: r
        for r in session.exec(
            select(ReminderPolicy).where(col(ReminderPolicy.partnership_id).in_(partnership_ids))
        )
    }
    out: dict[int, tuple[Partnership, Policy, ZoneInfo]] = {}
    for p, key in zip(partnerships, keys, strict=True):
        row = policies.get(p.id or 0)
        policy = (
            Policy(tuple(row.days_before), row.at, row.overdue_daily, row.timezone)
            if row
            else Policy()
        )
        channel, team = channels.get(key), teams.get(key[:2])
        name = (
            (channel.timezone if channel else None)
            or (team.timezone if team else None)
            or policy.timezone
            or "UTC"
        )
        out[p.id or 0] = (p, policy, zone(name))
    return out


def sweep_overdue(session: Session, now: datetime) -> None:
    """`before_dispatch` hook: create today's overdue ping of every late milestone.

    One row per milestone per local day, at the policy's time; after downtime
    only today's is created (missed days are not replayed: one late nag is
    enough). A milestone done meanwhile has its row cancelled with its others.
    """
    utc_today = now.date()
    candidates = session.exec(
        select(Milestone).where(
            Milestone.status == TODO,
            col(Milestone.due_date) <= utc_today,
            col(Milestone.overdue_through).is_(None)
            | (col(Milestone.overdue_through) <= utc_today),
        )
    ).all()
    cache = _settings_of(session, {m.partnership_id for m in candidates})
    rows: list[dict[str, object]] = []
    swept: dict[date, list[int]] = {}
    for m in candidates:
        if m.partnership_id not in cache or cache[m.partnership_id][0].team_id != m.team_id:
            continue
        partnership, policy, tz = cache[m.partnership_id]
        today = local_today(now, tz)
        if today <= m.due_date or (m.overdue_through is not None and m.overdue_through >= today):
            continue
        if m.snoozed_until is not None and today <= m.snoozed_until:
            continue
        swept.setdefault(today, []).append(m.id or 0)
        moment = overdue_moment(m, policy, tz, today)
        if moment is not None:
            rows.append(
                _row(m, partnership.channel_id, f"overdue@{today.isoformat()}", moment, now)
            )
    # One UPDATE per local day rather than one per milestone.
    for day, ids in swept.items():
        session.execute(
            update(Milestone)
            .where(col(Milestone.id).in_(ids))
            .values(overdue_through=day)
            .execution_options(synchronize_session=False)
        )
    _insert(session, rows, revive=False)


def overdue_moment(m: Milestone, policy: Policy, tz: ZoneInfo, day: date) -> datetime | None:
    """The overdue ping `m` gets on local `day` (what the sweep creates that day), or None.

    A milestone that became overdue after that day's ping time (added with a past
    date, moved, reopened) gets no ping that day, never one "sent late": its
    first overdue ping is the next day's. The sweep and the previews share this.
    """
    if m.status != TODO or not policy.overdue or day <= m.due_date:
        return None
    if m.snoozed_until is not None and day <= m.snoozed_until:
        return None
    moment = local_moment(day, policy.at, tz)
    return None if moment < m.updated_at else moment


def is_moot(m: Milestone | None, row: Notification) -> bool:
    """A ping row whose milestone is gone, closed or moved since it was planned."""
    return (
        m is None
        or (m.platform, m.team_id) != (row.platform, row.team_id)
        or m.status != TODO
        or row.payload.get("due") != m.due_date.isoformat()
    )


@dataclass(frozen=True, slots=True)
class Upcoming:
    at: datetime
    milestone: Milestone


def upcoming(
    session: Session,
    partnership: Partnership,
    milestones: Sequence[Milestone],
    now: datetime,
    *,
    fallback_tz: str | None = None,
    limit: int = 10,
) -> list[Upcoming]:
    """The pings the dispatcher will send for `milestones`, in order: what `/plan show`
    and `/plan reminders` preview. The planned rows that will not be dropped as moot,
    and, for a milestone with none left, the next daily overdue ping the sweep creates.
    """
    by_id = {m.id: m for m in milestones}
    rows = pending_pings(session, partnership, [i for i in by_id if i], limit=limit + len(by_id))
    found: list[Upcoming] = []
    covered: set[int | None] = set()
    for r in rows:
        m = by_id.get(int(str(r.payload.get("milestone") or 0)))
        if m is None or is_moot(m, r):
            continue
        covered.add(m.id)
        found.append(Upcoming(r.due_at, m))
    policy = policy_for(session, partnership)
    tz = zone(zone_name(session, partnership, policy.timezone or fallback_tz))
    today = local_today(now, tz)
    for m in milestones:
        if m.id in covered or m.status != TODO:
            continue
        swept = m.overdue_through is not None and m.overdue_through >= today
        day = today + timedelta(1) if swept else today
        day = max(day, m.due_date + timedelta(1))
        if m.snoozed_until is not None:
            day = max(day, m.snoozed_until + timedelta(1))
        for candidate in (day, day + timedelta(1)):
            moment = overdue_moment(m, policy, tz, candidate)
            if moment is not None:
                found.append(Upcoming(moment, m))
                break
    found.sort(key=lambda u: (u.at, u.milestone.number))
    return found[:limit]


# -- the message ----------------------------------------------------------------


def when_phrase(t: Translator, due: date, today: date) -> str:
    days = (due - today).days
    if days > 1:
        return t("plan.when.in_days", days=days)
    if days == 1:
        return t("plan.when.tomorrow")
    if days == 0:
        return t("plan.when.today")
    if days == -1:
        return t("plan.when.late_one")
    return t("plan.when.late_days", days=-days)


def render(session: Session, rows: list[Notification], rctx: RenderContext) -> Reply | None:
    """One message for the pings due at one moment in one channel; None if all are moot."""
    if not rows:
        return None
    cache = _batch_cache(session, rows)
    milestones: dict[int | None, Milestone] = cache.milestones
    live: list[Milestone] = []
    for r in rows:
        m = milestones.get(int(str(r.payload.get("milestone") or 0)))
        # Moot: done, cancelled, or moved since the row was planned.
        if is_moot(m, r):
            continue
        assert m is not None
        if m not in live:
            live.append(m)
    if not live:
        return None
    live.sort(key=lambda m: (m.due_date, m.number))
    t = Translator(rctx.lang)
    tz = zone(rctx.timezone)
    now = rctx.now if isinstance(rctx.now, datetime) else datetime.now(tz)
    today = local_today(now, tz)
    items = []
    buttons: list[Button] = []
    for m in live:
        owners = " ".join(f"<@{o}>" for o in m.owners)
        items.append(
            t(
                "plan.ping.item",
                number=m.number,
                title=m.title,
                date=m.due_date.strftime(t("format.date")),
                when=when_phrase(t, m.due_date, today),
                owners=owners,
            )
        )
        if len(buttons) < MAX_BUTTONED * 3:
            buttons += [
                Button(
                    t("plan.ping.done", number=m.number),
                    "plan.done",
                    str(m.number),
                    ButtonStyle.PRIMARY,
                ),
                Button(t("plan.ping.snooze1", number=m.number), "plan.snooze", f"{m.number}:1"),
                Button(t("plan.ping.snooze3", number=m.number), "plan.snooze", f"{m.number}:3"),
            ]
    overdue = any(m.due_date < today for m in live)
    reply = Reply(
        title=t("plan.ping.title_overdue" if overdue else "plan.ping.title", count=len(live)),
        items=capped(items, t, "`/plan`"),
        buttons=buttons,
        footer=t("plan.ping.footer"),
    )
    names = cache.names.get(live[0].partnership_id, {})
    # Only the people of the lines shown are pinged.
    shown = live[: LIST_MAX - 1] if len(live) > LIST_MAX else live
    reply.mentions = {o: names.get(o, o) for m in shown for o in m.owners}
    return reply


def _names(session: Session, milestones: Iterable[Milestone]) -> dict[int, dict[str, str]]:
    """partnership id -> owner id -> 'Name (Company)', in two queries for a whole batch.

    The batched form of `bot.kernel.tenancy.people`, same rendering.
    """
    owners: dict[tuple[str, str], set[str]] = {}
    by_partnership: dict[int, set[str]] = {}
    tenant_of: dict[int, tuple[str, str]] = {}
    for m in milestones:
        owners.setdefault((m.platform, m.team_id), set()).update(m.owners)
        by_partnership.setdefault(m.partnership_id, set()).update(m.owners)
        tenant_of[m.partnership_id] = (m.platform, m.team_id)
    display: dict[tuple[str, str, str], str] = {}
    for (platform, team_id), ids in owners.items():
        for member in session.exec(
            select(Member).where(
                Member.platform == platform,
                Member.team_id == team_id,
                col(Member.user_id).in_(ids),
            )
        ):
            display[(platform, team_id, member.user_id)] = member.display_name
    companies: dict[tuple[int, str], str] = {}
    if by_partnership:
        for party, pid, user_id in session.exec(
            select(Party, PartyMember.partnership_id, PartyMember.user_id)
            .join(PartyMember, PartyMember.party_id == Party.id)  # type: ignore[arg-type]
            .where(col(PartyMember.partnership_id).in_(list(by_partnership)))
        ):
            companies[(pid, user_id)] = party.name
    result: dict[int, dict[str, str]] = {}
    for pid, ids in by_partnership.items():
        platform, team_id = tenant_of[pid]
        result[pid] = {}
        for user_id in ids:
            name = display.get((platform, team_id, user_id), user_id)
            company = companies.get((pid, user_id))
            result[pid][user_id] = f"{name} ({company})" if company else name
    return result


@dataclass(slots=True)
class _Cache:
    row_ids: set[int | None]
    milestones: dict[int | None, Milestone]
    names: dict[int, dict[str, str]]


def _batch_cache(session: Session, rows: list[Notification]) -> _Cache:
    """Milestones and owner names for the whole claimed batch, read once.

    The dispatcher puts the batch in `session.info`; rendering each message
    from it instead of querying per message is what makes hand-off fast.
    """

    cache = session.info.get(_CACHE_KEY)
    if isinstance(cache, _Cache) and all(r.id in cache.row_ids for r in rows):
        return cache
    batch = [r for r in session.info.get(BATCH_INFO_KEY) or rows if r.kind == KIND]
    if not all(r in batch for r in rows):
        batch = rows
    wanted: dict[tuple[str, str], set[int]] = {}
    for r in batch:
        wanted.setdefault((r.platform, r.team_id), set()).add(
            int(str(r.payload.get("milestone") or 0))
        )
    found: dict[int | None, Milestone] = {}
    for (platform, team_id), ids in wanted.items():
        for m in session.exec(
            select(Milestone).where(
                Milestone.platform == platform,
                Milestone.team_id == team_id,
                col(Milestone.id).in_(ids),
            )
        ):
            found[m.id] = m
    names = _names(session, found.values())
    cache = _Cache({r.id for r in batch}, found, names)
    session.info[_CACHE_KEY] = cache
    return cache


# -- /accord reminders ------------------------------------------------------------


def describe(t: Translator, policy: Policy) -> list[str]:
    if not policy.days_before and not policy.overdue:
        return [t("plan.policy.off")]
    parts = []
    for days in sorted(set(policy.days_before), reverse=True):
        parts.append(t("plan.policy.on_day") if days == 0 else t("plan.policy.before", days=days))
    lines = [t("plan.policy.pings", list=", ".join(parts) or "—", at=policy.at.strftime("%H:%M"))]
    lines.append(
        t(
            "plan.policy.overdue_on" if policy.overdue else "plan.policy.overdue_off",
            at=policy.at.strftime("%H:%M"),
        )
    )
    return lines


def _parse_policy(arg: str, current: Policy) -> Policy:
    words = arg.replace(",", " ").split()
    lowered = [w.lower() for w in words]
    if lowered in (["default"], ["défaut"], ["defaut"], ["reset"]):
        return Policy(timezone=current.timezone)
    if lowered in (["off"], ["non"], ["aucun"], ["none"]):
        return Policy((), current.at, False, current.timezone)
    days: list[int] = []
    at, overdue = current.at, current.overdue
    i = 0
    while i < len(lowered):
        word = lowered[i]
        if word in ("at", "à", "a") and i + 1 < len(lowered):
            match = _TIME_RE.match(lowered[i + 1])
            if match is None or int(match.group(1)) > 23 or int(match.group(2) or 0) > 59:
                raise UserError("plan.edges.policy_bad_time", value=words[i + 1])
            at = time(int(match.group(1)), int(match.group(2) or 0))
            i += 2
            continue
        if word in ("overdue", "retard") and i + 1 < len(lowered):
            value = lowered[i + 1]
            if value not in ("on", "off", "oui", "non"):
                raise UserError("plan.edges.policy_bad_overdue", value=words[i + 1])
            overdue = value in ("on", "oui")
            i += 2
            continue
        if word.isdigit() and len(word) <= 3 and int(word) <= 365:
            days.append(int(word))
            i += 1
            continue
        if word.lstrip("+-").isdigit():
            raise UserError("plan.edges.policy_bad_day", value=words[i])
        raise UserError("plan.edges.policy_bad_word", value=words[i])
    if not days and not any(w in ("at", "à", "a", "overdue", "retard") for w in lowered):
        raise UserError("plan.errors.policy_usage")
    return Policy(
        tuple(sorted(set(days), reverse=True)) if days else current.days_before,
        at,
        overdue,
        current.timezone,
    )


def accord_reminders(ctx: Ctx, arg: str) -> list[Reply]:
    current = policy_for(ctx.session, ctx.partnership)
    if not arg.strip():
        return [
            Reply(
                title=ctx.t("plan.policy.title"),
                sections=describe(ctx.t, current),
                footer=ctx.t("plan.policy.footer"),
                visibility=Visibility.EPHEMERAL,
            )
        ]
    require(ctx, Permission.MANAGE_SETTINGS)
    new = _parse_policy(arg, current)
    p = ctx.partnership
    row = _policy_row(ctx.session, p) or ReminderPolicy(
        platform=p.platform,
        team_id=p.team_id,
        partnership_id=p.id,  # type: ignore[arg-type]
        channel_id=p.channel_id,
        updated_at=ctx.now,
    )
    row.days_before = list(new.days_before)
    row.at = new.at
    row.overdue_daily = new.overdue
    row.timezone = ctx_zone(ctx).key
    row.updated_at = ctx.now
    ctx.session.add(row)
    ctx.session.flush()
    open_ones = open_milestones(ctx.session, ctx.tenant, p)
    reschedule(ctx.session, p, open_ones, ctx.now)
    return [
        Reply(
            title=ctx.t("plan.policy.changed", count=len(open_ones)),
            sections=describe(ctx.t, new),
            target_channel=ctx.target_channel,
            mirror=every_place(),
        )
    ]


def follow_timezone(ctx: Ctx) -> None:
    """`/accord tz`: pending pings move to 09:00 (or the policy's time) of the new zone."""
    p = ctx.partnership
    reschedule(ctx.session, p, open_milestones(ctx.session, ctx.tenant, p), ctx.now, retime=True)


def open_milestones(session: Session, tenant: Tenant, partnership: Partnership) -> list[Milestone]:
    return list(
        session.exec(
            select(Milestone).where(
                Milestone.platform == tenant.platform,
                Milestone.team_id == tenant.team_id,
                Milestone.partnership_id == partnership.id,
                Milestone.status == TODO,
            )
        ).all()
    )


def pending_pings(
    session: Session,
    partnership: Partnership,
    milestone_ids: Iterable[int] | None = None,
    limit: int = 10,
) -> list[Notification]:
    query = select(Notification).where(
        Notification.platform == partnership.platform,
        Notification.team_id == partnership.team_id,
        Notification.kind == KIND,
        Notification.channel_id == partnership.channel_id,
        Notification.status == PENDING,
    )
    if milestone_ids is not None:
        ors = None
        for mid in milestone_ids:
            prefix = key_prefix(mid)
            cond = (col(Notification.idempotency_key) >= prefix) & (
                col(Notification.idempotency_key) < prefix[:-1] + ";"
            )
            ors = cond if ors is None else ors | cond
        if ors is None:
            return []
        query = query.where(ors)
    return list(session.exec(query.order_by(col(Notification.due_at)).limit(limit)).all())
