"""The retroplanning as files: CSV in and out, iCalendar out, and their CLI.

CSV columns (header required, any order, unknown columns ignored):
  title   required
  due     required: `2026-03-20`, `D-14` / `J-14`, `D-day`, `D+3` (or any date `/plan add` reads)
  time    optional `HH:MM`
  owners  optional, user ids separated by spaces, commas or semicolons (`@` optional)
  status  optional: todo (default), done, cancelled
  notes   optional
  number  optional: the milestone's number (`/plan show 3`); a row whose number
          exists updates that milestone, a new number is kept for the new one
  relative optional: `D-10`; with D-day set, the milestone follows D-day (unless
          the `due` column was edited to another date, which then wins)
Export writes `number,title,due,time,relative,owners,status,notes` with ISO dates,
which imports back as the same plan: importing an export, once or twice, changes
nothing. An import is all or nothing: every bad line is reported and nothing is written.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.kernel import csv_safe
from bot.kernel.cli_args import app_command, group, tenant_args
from bot.kernel.errors import UserError
from bot.kernel.i18n import Translator, translator
from bot.kernel.parsing import MAX_ITEM_NUMBER
from bot.kernel.types import Tenant
from bot.planning.dates import Due, format_offset, parse_due, relative_offset
from storage.counters import raise_to
from storage.models import Milestone, Partnership
from storage.models.planning import STATUSES, TODO

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.kernel.services import Services

FORMATS = ("csv", "ics")
EXPORT_COLUMNS = ("number", "title", "due", "time", "relative", "owners", "status", "notes")
REQUIRED = ("title", "due")
_OWNER_SPLIT = re.compile(r"[\s,;]+")
_TIME = re.compile(r"^(\d{1,2})[:h](\d{2})$")


# -- export -------------------------------------------------------------------------


def export(
    rows: Sequence[Milestone], partnership: Partnership, fmt: str, tz: ZoneInfo, now: datetime
) -> str:
    if fmt == "ics":
        return to_ics(rows, partnership, tz, now)
    buffer = io.StringIO()
    writer = csv_safe.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for m in rows:
        writer.writerow(
            {
                "number": m.number,
                "title": m.title,
                "due": m.due_date.isoformat(),
                "time": m.due_time.strftime("%H:%M") if m.due_time else "",
                "relative": format_offset(m.offset_days, "en") if m.offset_days is not None else "",
                "owners": " ".join(m.owners),
                "status": m.status,
                "notes": m.notes or "",
            }
        )
    return buffer.getvalue()


def to_ics(rows: Sequence[Milestone], partnership: Partnership, tz: ZoneInfo, now: datetime) -> str:
    from datetime import timedelta

    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Accord//retroplanning//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", partnership.name or f"Accord {partnership.channel_id}")
    base = f"{partnership.platform}-{partnership.team_id}-{partnership.id}"
    if partnership.launch_date is not None:
        dday = Event()
        dday.add("uid", f"{base}-dday@accord")
        dday.add("dtstamp", now)
        dday.add("summary", "🚀 D-day")
        dday.add("dtstart", partnership.launch_date)
        dday.add("dtend", partnership.launch_date + timedelta(days=1))
        cal.add_component(dday)
    for m in rows:
        event = Event()
        event.add("uid", f"{base}-m{m.number}@accord")
        event.add("dtstamp", now)
        event.add("summary", f"#{m.number} {m.title}")
        if m.due_time is not None:
            # UTC instants: every calendar reads them without a VTIMEZONE block.
            start = (
                datetime.combine(m.due_date, m.due_time)
                .replace(tzinfo=tz)
                .astimezone(ZoneInfo("UTC"))
            )
            event.add("dtstart", start)
            event.add("dtend", start + timedelta(minutes=30))
        else:
            event.add("dtstart", m.due_date)
            event.add("dtend", m.due_date + timedelta(days=1))
        lines = [f"Owners: {', '.join(m.owners)}", f"Status: {m.status}"]
        if m.offset_days is not None:
            lines.append(f"Relative: {format_offset(m.offset_days, 'en')}")
        if m.notes:
            lines.append(m.notes)
        event.add("description", "\n".join(lines))
        event.add("status", "CANCELLED" if m.status == "cancelled" else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical().decode("utf-8")


# -- import -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Planned:
    title: str
    due: Due
    owners: list[str]
    status: str
    notes: str | None
    number: int | None = None


@dataclass(frozen=True, slots=True)
class PlanImport:
    """What an import did: every milestone of the file, and how many were new or changed."""

    milestones: list[Milestone]
    created: int
    updated: int


class ImportFailed(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def read_csv(
    text: str, *, now: datetime, tz: ZoneInfo, partnership: Partnership, t: Translator
) -> list[Planned]:
    """Every line, or `ImportFailed` listing every bad line (nothing partial)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFailed(
            [
                t(
                    "plan.import.line",
                    line=1,
                    error=t("plan.import.missing_columns", columns=", ".join(REQUIRED)),
                )
            ]
        )
    planned: list[Planned] = []
    errors: list[str] = []
    seen: set[int] = set()
    for line_no, raw in enumerate(reader, start=2):
        row = {
            (k or "").strip().lower(): csv_safe.unescape((v or "").strip())
            for k, v in raw.items()
            if k
        }
        if not any(row.values()):
            continue
        try:
            item = _planned(row, now=now, tz=tz, partnership=partnership)
            if item.number is not None:
                if item.number in seen:
                    raise UserError("plan.edges.import_number_twice", number=item.number)
                seen.add(item.number)
            planned.append(item)
        except UserError as err:
            errors.append(t("plan.import.line", line=line_no, error=t(err.key, **err.params)))
    if errors:
        raise ImportFailed(errors)
    if not planned:
        raise ImportFailed([t("plan.import.empty")])
    return planned


def _planned(
    row: dict[str, str], *, now: datetime, tz: ZoneInfo, partnership: Partnership
) -> Planned:
    from bot.planning.commands import TITLE_MAX

    title = row.get("title", "")
    if not title:
        raise UserError("plan.errors.no_title")
    if len(title) > TITLE_MAX:
        raise UserError("plan.errors.title_too_long", limit=TITLE_MAX)
    due = parse_due(row.get("due", ""), now=now, tz=tz, launch=partnership.launch_date)
    relative = row.get("relative", "")
    if relative:
        offset = relative_offset(relative)
        if offset is None:
            raise UserError("plan.edges.import_bad_relative", relative=relative)
        launch = partnership.launch_date
        # The offset holds while the `due` column still says launch + offset (an
        # export); a `due` edited to another date is what the user meant.
        if launch is not None and (due.offset == offset or due.day == launch + timedelta(offset)):
            due = Due(launch + timedelta(days=offset), due.at, offset)
    if clock := row.get("time"):
        match = _TIME.match(clock)
        if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise UserError("plan.errors.bad_date", date=clock)
        due = Due(due.day, time(int(match.group(1)), int(match.group(2))), due.offset)
    status = (row.get("status") or TODO).lower()
    if status not in STATUSES:
        raise UserError("plan.import.bad_status", status=status)
    owners = [o.strip("<>@") for o in _OWNER_SPLIT.split(row.get("owners", "")) if o.strip("<>@")]
    number = None
    if raw_number := row.get("number", "").lstrip("#"):
        if not raw_number.isdigit() or not 0 < int(raw_number[:12]) <= MAX_ITEM_NUMBER:
            raise UserError("plan.edges.import_bad_number", number=row.get("number", ""))
        number = int(raw_number)
    return Planned(title, due, owners, status, row.get("notes") or None, number)


def import_plan(
    session: Session,
    tenant: Tenant,
    partnership: Partnership,
    text: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    t: Translator,
    author: str,
) -> PlanImport:
    """Create or update every milestone of the CSV and plan their pings, in the caller's
    transaction. A row with the number of an existing milestone updates it (only what
    differs); an unchanged row changes nothing, so an export imports back as the same plan.
    """
    from bot.planning import reminders
    from bot.planning.commands import create_milestone, milestones

    planned = read_csv(text, now=now, tz=tz, partnership=partnership, t=t)
    existing = {m.number: m for m in milestones(session, tenant, partnership)}
    scope = f"milestone:{partnership.id}"
    created: list[Milestone] = []
    changed: list[Milestone] = []
    result: list[Milestone] = []
    for p in planned:
        current = existing.get(p.number) if p.number is not None else None
        if current is None:
            if p.number is not None:
                raise_to(session, tenant.platform, tenant.team_id, scope, p.number)
            m = create_milestone(
                session,
                tenant,
                partnership,
                title=p.title,
                due=p.due,
                owners=p.owners or [author],
                author=author,
                now=now,
                notes=p.notes,
                status=p.status,
                number=p.number,
            )
            created.append(m)
        else:
            m = current
            if _update(m, p, now):
                session.add(m)
                changed.append(m)
        result.append(m)
    session.flush()
    reminders.reschedule(session, partnership, created, now, fallback_tz=tz.key, fresh=True)
    reminders.reschedule(session, partnership, changed, now, fallback_tz=tz.key)
    return PlanImport(result, len(created), len(changed))


def _update(m: Milestone, p: Planned, now: datetime) -> bool:
    """Apply a row to its milestone; False when the row says what the milestone already is."""
    wanted = {
        "title": p.title,
        "due_date": p.due.day,
        "due_time": p.due.at,
        "offset_days": p.due.offset,
        "status": p.status,
        "notes": p.notes,
        "owners": p.owners or list(m.owners),
    }
    diff = {k: v for k, v in wanted.items() if getattr(m, k) != v}
    if not diff:
        return False
    if "due_date" in diff or "due_time" in diff:
        m.snoozed_until = None
        m.overdue_through = None
    for key, value in diff.items():
        setattr(m, key, value)
    m.updated_at = now
    return True


# -- CLI ------------------------------------------------------------------------------


def add_cli(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = group(subparsers, "import", "load data from files").add_parser(
        "plan", help="milestones from a CSV file (all or nothing)"
    )
    imp.add_argument("file", type=Path)
    exp = group(subparsers, "export", "write data to stdout").add_parser(
        "plan", help="a partnership's retroplanning as CSV or iCalendar"
    )
    exp.add_argument("--format", choices=FORMATS, default="csv")
    for parser in (imp, exp):
        parser.add_argument("--channel", required=True, help="the partnership's shared channel")
        tenant_args(parser)
        parser.add_argument("--lang", default="en")
    app_command(imp, cmd_import)
    app_command(exp, cmd_export)


def _open(
    args: argparse.Namespace, app: Services, session: Session, now: datetime
) -> tuple[Tenant, Partnership, ZoneInfo]:
    from bot.kernel.tenancy import ensure_channel, ensure_team, partnership_for
    from bot.planning import reminders

    tenant = Tenant(args.platform, args.team)
    ensure_team(session, tenant, now)
    channel = ensure_channel(session, tenant, args.channel, now)
    partnership = partnership_for(session, tenant, channel, now)
    tz = reminders.zone(reminders.zone_name(session, partnership, app.settings.default_timezone))
    return tenant, partnership, tz


def cmd_import(args: argparse.Namespace, app: Services) -> int:
    from storage.db import transaction

    t = translator(args.lang)
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        print(t("plan.edges.not_utf8", file=args.file), file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            t("plan.edges.unreadable", file=args.file, error=exc.strerror or exc), file=sys.stderr
        )
        return 2
    try:
        with transaction(app.session_factory) as session:
            now = app.clock.now()
            tenant, partnership, tz = _open(args, app, session, now)
            created = import_plan(
                session, tenant, partnership, text, now=now, tz=tz, t=t, author="cli"
            )
    except ImportFailed as failed:
        print(t("plan.import.failed", count=len(failed.errors)), file=sys.stderr)
        for error in failed.errors:
            print(error, file=sys.stderr)
        return 1
    print(
        t(
            "plan.edges.import_ok",
            created=created.created,
            updated=created.updated,
            unchanged=len(created.milestones) - created.created - created.updated,
        ),
        file=sys.stderr,
    )
    return 0


def cmd_export(args: argparse.Namespace, app: Services) -> int:
    from bot.planning.commands import milestones

    with app.session_factory() as session:
        now = app.clock.now()
        tenant, partnership, tz = _open(args, app, session, now)
        rows = milestones(session, tenant, partnership)
        if not rows:
            from bot.kernel.scopes import held, nothing_here

            where = held(
                session,
                Milestone,
                channel=Partnership.channel_id,
                join=(Partnership, Partnership.id == Milestone.partnership_id),
            )
            scope = f"{args.platform}/{args.team} #{args.channel}"
            message = nothing_here(translator(args.lang), "milestones", scope, where)
            print(message, file=sys.stderr)
        sys.stdout.write(export(rows, partnership, args.format, tz, now))
        session.rollback()
    return 0
