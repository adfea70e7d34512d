"""The retroplanning as files: CSV in and out, iCalendar out, and their CLI.

CSV columns (header required, any order, unknown columns ignored):
  title   required
  due     required: `2026-03-20`, `D-14` / `J-14`, `D-day`, `D+3` (or any date `/plan add` reads)
  time    optional `HH:MM`
  owners  optional, user ids separated by spaces, commas or semicolons (`@` optional)
  status  optional: todo (default), done, cancelled
  notes   optional
Export writes `number,title,due,time,relative,owners,status,notes` with ISO dates,
which imports back as is. An import is all or nothing: every bad line is
reported and nothing is written.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.kernel import csv_safe
from bot.kernel.cli_args import app_command, group, tenant_args
from bot.kernel.errors import UserError
from bot.kernel.i18n import Translator, translator
from bot.kernel.types import Tenant
from bot.planning.dates import Due, format_offset, parse_due
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
    for line_no, raw in enumerate(reader, start=2):
        row = {
            (k or "").strip().lower(): csv_safe.unescape((v or "").strip())
            for k, v in raw.items()
            if k
        }
        if not any(row.values()):
            continue
        try:
            planned.append(_planned(row, now=now, tz=tz, partnership=partnership))
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
    if clock := row.get("time"):
        match = _TIME.match(clock)
        if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise UserError("plan.errors.bad_date", date=clock)
        due = Due(due.day, time(int(match.group(1)), int(match.group(2))), due.offset)
    status = (row.get("status") or TODO).lower()
    if status not in STATUSES:
        raise UserError("plan.import.bad_status", status=status)
    owners = [o.strip("<>@") for o in _OWNER_SPLIT.split(row.get("owners", "")) if o.strip("<>@")]
    return Planned(title, due, owners, status, row.get("notes") or None)


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
) -> list[Milestone]:
    """Create every milestone of the CSV and plan their pings, in the caller's transaction."""
    from bot.planning import reminders
    from bot.planning.commands import create_milestone

    planned = read_csv(text, now=now, tz=tz, partnership=partnership, t=t)
    created = [
        create_milestone(
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
        )
        for p in planned
    ]
    reminders.reschedule(session, partnership, created, now, fallback_tz=tz.key, fresh=True)
    return created


# -- CLI ------------------------------------------------------------------------------


def add_cli(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = group(subparsers, "import", "load data from files").add_parser(
        "plan", help="milestones from a CSV file (all or nothing)"
    )
    imp.add_argument("file", type=argparse.FileType("r", encoding="utf-8"))
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
    text = args.file.read()
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
    print(t("plan.import.ok", count=len(created)), file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace, app: Services) -> int:
    from bot.planning.commands import milestones
    with app.session_factory() as session:
        now = app.clock.now()
        tenant, partnership, tz = _open(args, app, session, now)
        rows = milestones(session, tenant, partnership)
        sys.stdout.write(export(rows, partnership, args.format, tz, now))
        session.rollback()
    return 0
