"""`accord status`: an instance's delivery backlog and failures, for a terminal.

The same figures as `GET /metrics`, read straight from the database: rows by
platform and status, what is due and how old the oldest due row is, rows in
backoff and why, who holds claims, and every notification given up for a
permanent reason (with whether its partnership has been told).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from sqlmodel import Session, col, func, select

from bot.kernel.cli_args import app_command
from bot.kernel.metrics import outbox_figures
from storage.models import Notification
from storage.models.notifications import CLAIMED, FAILED, PENDING

if TYPE_CHECKING:
    from bot.kernel.services import Services

FAILED_SHOWN = 50


def add_cli(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    status = sub.add_parser("status", help="delivery backlog, retries and failed notifications")
    status.add_argument("--failed", type=int, default=FAILED_SHOWN, help="failed rows to list")
    app_command(status, cmd_status)


def cmd_status(args: argparse.Namespace, app: Services) -> int:
    with app.session_factory() as session:
        report(session, app.clock.now(), sys.stdout, failed_limit=args.failed)
    return 0


def _age(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def report(
    session: Session, now: datetime, out: TextIO, *, failed_limit: int = FAILED_SHOWN
) -> None:
    figures = outbox_figures(session, now)
    out.write(f"Outbox at {now:%Y-%m-%d %H:%M:%S} UTC\n")
    platforms = sorted({p for p, _ in figures.by_status})
    if not platforms:
        out.write("  empty\n")
    for platform in platforms:
        counts = {s: n for (p, s), n in figures.by_status.items() if p == platform}
        parts = ", ".join(f"{status} {counts[status]}" for status in sorted(counts))
        out.write(f"  {platform}: {parts}\n")
    oldest = f", oldest due {_age(figures.oldest_due_age)} ago" if figures.due else ""
    out.write(f"Due now: {figures.due}{oldest}\n")

    backoff = session.exec(
        select(Notification.platform, func.count(), func.min(Notification.lease_until))
        .where(
            col(Notification.status) == PENDING,
            Notification.due_at <= now,
            col(Notification.lease_until) > now,
        )
        .group_by(col(Notification.platform))
    ).all()
    for platform, count, next_at in backoff:
        when = f", next try {next_at:%H:%M:%S}" if next_at is not None else ""
        out.write(f"Waiting to retry on {platform}: {count}{when}\n")
    errors = Counter(
        (e or "")[:120]
        for e in session.exec(
            select(Notification.last_error).where(
                col(Notification.status) == PENDING,
                col(Notification.lease_until) > now,
                col(Notification.last_error).is_not(None),
            )
        ).all()
    )
    for error, count in errors.most_common(5):
        out.write(f"  {count} × {error}\n")

    holders = session.exec(
        select(Notification.claimed_by, func.count(), func.max(Notification.lease_until))
        .where(col(Notification.status) == CLAIMED)
        .group_by(col(Notification.claimed_by))
    ).all()
    for holder, count, until in holders:
        state = "expired" if until is not None and until < now else "until"
        out.write(f"Claimed by {holder}: {count} (lease {state} {until:%H:%M:%S})\n")
    reclaims = session.exec(select(func.coalesce(func.sum(Notification.reclaims), 0))).one()
    out.write(f"Lease re-claims (all time): {reclaims}\n")

    failed = session.exec(
        select(Notification)
        .where(col(Notification.status) == FAILED)
        .order_by(col(Notification.due_at).desc())
        .limit(failed_limit)
    ).all()
    total_failed = sum(n for (_, s), n in figures.by_status.items() if s == FAILED)
    out.write(f"Failed (given up for a permanent reason): {total_failed}\n")
    for row in failed:
        told = "partnership told" if row.reported_at else "not told yet"
        out.write(
            f"  #{row.id} {row.platform} {row.team_id}/{row.channel_id} {row.kind} "
            f"due {row.due_at:%Y-%m-%d %H:%M} · {row.failure_reason or 'error'} · {told}\n"
            f"      {(row.last_error or '')[:200]}\n"
        )
