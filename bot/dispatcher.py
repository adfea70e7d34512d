"""The dispatcher: sends due notifications exactly once, whatever happens.

Each pass claims due rows in a short transaction with a lease, renders and
sends them through the adapter's `Notifier`, then marks them sent. A lease that
expires (the instance died mid-send) makes the rows claimable again.

Claiming is `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
dispatchers share the work without waiting on each other; on SQLite the
session already runs under `BEGIN IMMEDIATE` (one writer at a time).

The window between a successful post and the commit that marks it sent is the
one place a crash can duplicate a message: Slack has no idempotency key for
`chat.postMessage`; Discord's `enforce_nonce` closes it for channel messages.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot import i18n
from bot.clock import Clock
from bot.registry import Registry, RenderContext
from bot.types import Notifier
from storage.models import Channel, Notification, Team
from storage.models.notifications import CLAIMED, FAILED, PENDING, SENT

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
# A notification that failed this many times stops being retried (and is logged).
MAX_ATTEMPTS = 5
# Past this delay a notification is sent marked as late rather than silently.
LATE_AFTER = timedelta(minutes=5)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(slots=True)
class PassResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    messages: int = 0


class Dispatcher:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        registry: Registry,
        clock: Clock,
        notifiers: Mapping[str, Notifier],
        *,
        default_locale: str = "en",
        default_timezone: str = "UTC",
        batch_size: int = 200,
        name: str | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.registry = registry
        self.clock = clock
        self.notifiers = notifiers
        self.default_locale = default_locale
        self.default_timezone = default_timezone
        self.batch_size = batch_size
        self.name = name or worker_id()

    def run_once(self) -> PassResult:
        """Send everything due now; return what happened."""
        self.prepare()
        total = PassResult()
        while True:
            claimed = self.claim()
            if not claimed:
                return total
            total.claimed += len(claimed)
            result = self.deliver(claimed)
            total.sent += result.sent
            total.failed += result.failed
            total.messages += result.messages
            if len(claimed) < self.batch_size:
                return total

    def prepare(self) -> None:
        """Let capabilities create the rows of upcoming sends (idempotent by key)."""
        for hook in self.registry.before_dispatch:
            with self.session_factory() as session:
                hook(session, self.clock.now())
                session.commit()

    def claim(self) -> list[int]:
        now = self.clock.now()
        platforms = list(self.notifiers)
        with self.session_factory() as session:
            query = (
                select(Notification)
                .where(
                    col(Notification.platform).in_(platforms),
                    Notification.due_at <= now,
                    (Notification.status == PENDING)
                    | ((Notification.status == CLAIMED) & (col(Notification.lease_until) < now)),
                )
                .order_by(col(Notification.due_at), col(Notification.id))
                .limit(self.batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = session.exec(query).all()
            for row in rows:
                row.status = CLAIMED
                row.claimed_by = self.name
                row.lease_until = now + LEASE
                row.attempts += 1
                session.add(row)
            session.commit()
            return [row.id for row in rows if row.id is not None]

    def deliver(self, ids: list[int]) -> PassResult:
        result = PassResult()
        with self.session_factory() as session:
            rows = session.exec(
                select(Notification)
                .where(col(Notification.id).in_(ids), Notification.claimed_by == self.name)
                .order_by(col(Notification.due_at), col(Notification.id))
            ).all()
            groups: dict[tuple[str, str, str, str, str, datetime], list[Notification]] = (
                defaultdict(list)
            )
            for row in rows:
                key = row.group_key or f"id:{row.id}"
                groups[(row.platform, row.team_id, row.channel_id, row.kind, key, row.due_at)].append(row)
            session.commit()
        for (platform, team_id, channel_id, kind, _, _), group in groups.items():
            ok = self._send_group(platform, team_id, channel_id, kind, group)
            result.messages += 1 if ok else 0
            result.sent += len(group) if ok else 0
            result.failed += 0 if ok else len(group)
        return result

    def _send_group(
        self, platform: str, team_id: str, channel_id: str, kind: str, group: list[Notification]
    ) -> bool:
        now = self.clock.now()
        renderer = self.registry.renderers.get(kind)
        notifier = self.notifiers[platform]
        ids = [n.id for n in group]
        late = any(now - n.due_at > LATE_AFTER for n in group)
        try:
            with self.session_factory() as session:
                ctx = self._render_context(session, platform, team_id, channel_id, now)
                if renderer is None:
                    raise LookupError(f"no renderer for notification kind {kind!r}")
                reply = renderer(session, group, ctx)
                session.rollback()
            if reply is None:  # nothing left to say (the milestone was done meanwhile)
                self._finish(ids, status=SENT, message_ref=None, late=late)
                return True
            if late:
                reply.footer = (reply.footer + "\n" if reply.footer else "") + i18n.Translator(
                    ctx.lang
                )("dispatch.late", due=group[0].due_at.strftime("%Y-%m-%d %H:%M UTC"))
            key = f"{kind}:{group[0].idempotency_key}"[:200]
            ref = notifier.post(team_id, channel_id, reply, key)
        except Exception as exc:  # one bad channel must not stop the others
            log.warning("notification %s for %s/%s failed: %s", kind, platform, channel_id, exc)
            self._fail(ids, str(exc))
            return False
        self._finish(ids, status=SENT, message_ref=ref, late=late)
        return True

    def _render_context(
        self, session: Session, platform: str, team_id: str, channel_id: str, now: datetime
    ) -> RenderContext:
        channel = session.exec(
            select(Channel).where(
                Channel.platform == platform,
                Channel.team_id == team_id,
                Channel.channel_id == channel_id,
            )
        ).first()
        team = session.exec(
            select(Team).where(Team.platform == platform, Team.team_id == team_id)
        ).first()
        lang = (
            i18n.normalize_locale(channel.locale if channel else None)
            or i18n.normalize_locale(team.locale if team else None)
            or i18n.normalize_locale(self.default_locale)
            or i18n.DEFAULT
        )
        tz = (channel.timezone if channel else None) or (team.timezone if team else None)
        return RenderContext(lang=lang, timezone=tz or self.default_timezone, now=now)

    def _finish(self, ids: list[int | None], *, status: str, message_ref: str | None, late: bool) -> None:
        now = self.clock.now()
        with self.session_factory() as session:
            for row in session.exec(
                select(Notification).where(
                    col(Notification.id).in_(ids), Notification.claimed_by == self.name
                )
            ):
                row.status = status
                row.sent_at = now
                row.late = late
                row.message_ref = message_ref
                row.lease_until = None
                session.add(row)
            session.commit()

    def _fail(self, ids: list[int | None], error: str) -> None:
        with self.session_factory() as session:
            for row in session.exec(
                select(Notification).where(
                    col(Notification.id).in_(ids), Notification.claimed_by == self.name
                )
            ):
                row.last_error = error[:1000]
                row.lease_until = None
                row.status = FAILED if row.attempts >= MAX_ATTEMPTS else PENDING
                session.add(row)
            session.commit()
