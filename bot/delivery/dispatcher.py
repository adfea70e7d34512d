"""The dispatcher: sends due notifications exactly once, whatever happens.

A pass (`run_once`) runs the `before_dispatch` hooks, then repeatedly claims a
batch of due rows in a short transaction, hands them off, and marks them:

- **Claim.** One transaction selects due rows (`FOR UPDATE SKIP LOCKED` on
  PostgreSQL, so several dispatchers share the work without waiting on each
  other; `BEGIN IMMEDIATE` on SQLite, one writer at a time) and stamps them
  `claimed` with this worker's name and a lease (`LEASE`). A claimed row whose
  lease has expired (its dispatcher died) is due again and claimed by another.
- **Send.** Rows with the same channel, kind, group key and due time become one
  message, rendered at send time by `registry.renderers[kind]` and posted
  through the platform's `Notifier`. A worker never posts rows it no longer
  holds: after its lease ran out it stops and leaves them to the next claim.
- **Mark.** Right after each post its rows are marked `sent` (only if still
  held by this worker) on a connection of its own, committed in chunks of at
  most `MARK_CHUNK_ROWS` rows or `MARK_CHUNK_SECONDS` (every message on SQLite).

Failures: a post that raises puts its rows back to `pending` with a retry
time (exponential backoff from `RETRY_BASE` to `RETRY_MAX`, kept in
`lease_until`); after `MAX_ATTEMPTS` they become `failed` and are logged.

Late policy (after downtime, or a backlog):
- nothing due is dropped silently: every due row is sent when a dispatcher
  next runs, however late, and a row sent more than `LATE_AFTER` after its due
  time is stored `late=True` and carries a visible "sent late" footer;
- when several rows of the same series (`payload["series"]`, e.g. one
  milestone's D-7 and D-2 pings) are due in the same claim, only the latest is
  sent; the older ones are marked `cancelled` with the reason in `last_error`
  (one up-to-date ping instead of a burst of stale ones);
- a renderer may return no message when the reason for a row is gone (the
  milestone was done meanwhile): the row is marked `sent` with no message.

The window between a successful post and the commit that marks it sent (at
most `MARK_CHUNK_SECONDS`) is the one place a crash can duplicate a message:
if the process dies there, the
lease expires and another dispatcher posts the same rows again. Slack has no
idempotency key for `chat.postMessage`; Discord's `enforce_nonce` (the
idempotency key passed to `Notifier.post`) closes it for channel messages.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, delete, text, tuple_, update
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.kernel import i18n
from bot.kernel.clock import Clock
from bot.kernel.registry import BATCH_INFO_KEY, Registry, RenderContext
from bot.kernel.types import Notifier
from storage.models import Channel, Notification, ProcessedRequest, Team
from storage.models.notifications import CANCELLED, CLAIMED, FAILED, PENDING, SENT

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
# A notification that failed this many times stops being retried (and is logged).
MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
# Posted rows are marked sent in chunks at most this big or this old (see `_Marks`).
MARK_CHUNK_ROWS = 200
MARK_CHUNK_SECONDS = 0.05
# Past this delay a notification is sent marked as late rather than silently.
LATE_AFTER = timedelta(minutes=5)
# Delivery receipts (`processed_request`) older than this are purged by `housekeeping`:
# platforms retry within minutes (Slack 3 times, Discord's token lives 15 minutes).
RECEIPT_TTL = timedelta(hours=24)
# At most this many receipts deleted per statement (short write transactions).
PURGE_CHUNK = 5000

GroupKey = tuple[str, str, str, str, str, datetime]


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min… capped at an hour."""
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_MAX)


@dataclass(slots=True)
class PassResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    messages: int = 0
    late: int = 0
    superseded: int = 0

    def add(self, other: PassResult) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.failed += other.failed
        self.messages += other.messages
        self.late += other.late
        self.superseded += other.superseded


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
        lease: timedelta = LEASE,
    ) -> None:
        self.session_factory = session_factory
        self.registry = registry
        self.clock = clock
        self.notifiers = notifiers
        self.default_locale = default_locale
        self.default_timezone = default_timezone
        self.batch_size = batch_size
        self.name = name or worker_id()
        self.lease = lease
        self._sqlite = session_factory.kw["bind"].dialect.name == "sqlite"
        # Channel language and zone, read once per pass.
        self._contexts: dict[tuple[str, str, str], RenderContext] = {}

    def run_once(self) -> PassResult:
        """Send everything due now; return what happened."""
        self._contexts = {}
        self.prepare()
        self.housekeeping()
        total = PassResult()
        while True:
            claimed = self.claim()
            if not claimed:
                return total
            total.claimed += len(claimed)
            total.add(self.deliver(claimed))
            if len(claimed) < self.batch_size:
                return total

    def prepare(self) -> None:
        """Let capabilities create the rows of upcoming sends (idempotent by key)."""
        for hook in self.registry.before_dispatch:
            try:
                with self.session_factory() as session:
                    hook(session, self.clock.now())
                    session.commit()
            except Exception:  # a broken hook must not stop what is already due
                log.exception("before_dispatch hook %r failed", hook)

    def housekeeping(self) -> int:
        """Purge delivery receipts older than `RECEIPT_TTL` (by the injected clock)."""
        cutoff = self.clock.now() - RECEIPT_TTL
        table = ProcessedRequest.__table__  # type: ignore[attr-defined]
        old = select(table.c.id).where(table.c.created_at < cutoff).limit(PURGE_CHUNK)
        purged = 0
        try:
            while True:
                with self.session_factory() as session:
                    ids = list(session.execute(old).scalars())
                    if ids:
                        session.execute(delete(table).where(table.c.id.in_(ids)))
                    session.commit()
                purged += len(ids)
                if len(ids) < PURGE_CHUNK:
                    break
        except Exception:  # housekeeping must never stop what is due
            log.exception("purging old delivery receipts failed")
        if purged:
            log.info("purged %d delivery receipts older than %s", purged, RECEIPT_TTL)
        return purged

    # -- claim ------------------------------------------------------------------

    def claim(self) -> list[int]:
        """Take up to `batch_size` due rows under a lease, in one short transaction."""
        now = self.clock.now()
        platforms = list(self.notifiers)
        with self.session_factory() as session:
            query = (
                select(Notification.id)
                .where(
                    col(Notification.platform).in_(platforms),
                    Notification.due_at <= now,
                    # Pending (and past its retry time), or claimed by a worker whose lease ran out.
                    (
                        (col(Notification.status) == PENDING)
                        & (
                            col(Notification.lease_until).is_(None)
                            | (col(Notification.lease_until) <= now)
                        )
                    )
                    | (
                        (col(Notification.status) == CLAIMED)
                        & (col(Notification.lease_until) < now)
                    ),
                )
                .order_by(col(Notification.due_at), col(Notification.id))
                .limit(self.batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = [i for i in session.exec(query).all() if i is not None]
            if ids:
                session.execute(
                    update(Notification)
                    .where(col(Notification.id).in_(ids))
                    .values(
                        status=CLAIMED,
                        claimed_by=self.name,
                        lease_until=now + self.lease,
                        attempts=Notification.attempts + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
            session.commit()
            return ids

    # -- send -----------------------------------------------------------------------

    def deliver(self, ids: list[int]) -> PassResult:
        result = PassResult()
        contexts = self._contexts
        # One connection for the whole batch: a commit would otherwise hand it
        # back to the pool and the next query would check one out (and ping it).
        engine = self.session_factory.kw["bind"]
        with (
            engine.connect() as conn,
            engine.connect() as mark_conn,
            self.session_factory(bind=conn) as session,
            self.session_factory(bind=mark_conn) as mark_session,
        ):
            marks = _Marks(self, mark_session)
            rows = list(
                session.exec(
                    select(Notification)
                    .where(
                        col(Notification.id).in_(ids),
                        Notification.claimed_by == self.name,
                        Notification.status == CLAIMED,
                    )
                    .order_by(col(Notification.due_at), col(Notification.id))
                ).all()
            )
            rows, stale = _collapse_series(rows)
            if stale:
                self._mark(
                    session,
                    [n.id for n in stale],
                    CANCELLED,
                    last_error="superseded by a later ping of the same series",
                )
                session.commit()
                result.superseded += len(stale)
            # Renderers may read the whole batch to prefetch what its messages need.
            session.info[BATCH_INFO_KEY] = rows
            groups: dict[GroupKey, list[Notification]] = defaultdict(list)
            for row in rows:
                key = row.group_key or f"id:{row.id}"
                groups[
                    (row.platform, row.team_id, row.channel_id, row.kind, key, row.due_at)
                ].append(row)
            try:
                self._load_contexts(session, {(k[0], k[1], k[2]) for k in groups})
                for (platform, team_id, channel_id, kind, _, _), group in groups.items():
                    if self._lease_lost(group):
                        log.warning(
                            "lease lost on %d notifications; leaving them to the next claim",
                            len(group),
                        )
                        break
                    where = (platform, team_id, channel_id)
                    sent, late = self._send_group(session, marks, kind, group, contexts[where])
                    result.messages += 1 if sent else 0
                    result.sent += len(group) if sent else 0
                    result.failed += 0 if sent else len(group)
                    result.late += len(group) if sent and late else 0
            finally:
                # Posted is posted: never let a later error roll these marks back.
                marks.flush()
        return result

    def _lease_lost(self, group: Sequence[Notification]) -> bool:
        now = self.clock.now()
        return any(n.lease_until is None or n.lease_until <= now for n in group)

    def _send_group(
        self,
        session: Session,
        marks: _Marks,
        kind: str,
        group: list[Notification],
        ctx: RenderContext,
    ) -> tuple[bool, bool]:
        now = self.clock.now()
        renderer = self.registry.renderers.get(kind)
        first = group[0]
        notifier = self.notifiers[first.platform]
        ids = [n.id for n in group]
        attempts = {n.id: n.attempts for n in group}  # the claim already counted this one
        team_id, channel_id, due_at = first.team_id, first.channel_id, first.due_at
        key = f"{kind}:{first.idempotency_key}"[:200]
        late = any(now - n.due_at > LATE_AFTER for n in group)
        try:
            if renderer is None:
                raise LookupError(f"no renderer for notification kind {kind!r}")
            reply = renderer(session, group, RenderContext(ctx.lang, ctx.timezone, now))
            if self._sqlite:  # its transactions hold the write lock: never across a post
                session.commit()
            if reply is not None:
                reply.lang = reply.lang or ctx.lang
                if late:
                    note = i18n.Translator(ctx.lang)(
                        "dispatch.late", due=_local(due_at, ctx.timezone)
                    )
                    reply.footer = f"{reply.footer}\n{note}" if reply.footer else note
                ref: str | None = notifier.post(team_id, channel_id, reply, key)
            else:  # nothing left to say (the milestone was done meanwhile)
                ref = None
        except Exception as exc:  # one bad channel must not stop the others
            session.rollback()
            log.warning(
                "notification %s for %s/%s failed: %s", kind, first.platform, channel_id, exc
            )
            self._fail(session, attempts, str(exc))
            return False, late
        marks.add(ids, message_ref=ref, late=late, sent_at=now)
        return True, late

    def _mark(
        self,
        session: Session,
        ids: Sequence[int | None],
        status: str,
        *,
        message_ref: str | None = None,
        late: bool = False,
        sent_at: datetime | None = None,
        last_error: str | None = None,
    ) -> None:
        values: dict[str, object] = {"status": status, "lease_until": None}
        if status == SENT:
            values.update(sent_at=sent_at, late=late, message_ref=message_ref)
        if last_error is not None:
            values["last_error"] = last_error
        session.execute(
            update(Notification)
            .where(
                col(Notification.id).in_([i for i in ids if i is not None]),
                # Only rows this worker still holds: a re-claim by another wins.
                col(Notification.claimed_by) == self.name,
                col(Notification.status) == CLAIMED,
            )
            .values(**values)
            # Not evaluated against the loaded rows: that costs O(rows) per message.
            .execution_options(synchronize_session=False)
        )

    def _fail(self, session: Session, attempts_by_id: Mapping[int | None, int], error: str) -> None:
        now = self.clock.now()
        for row_id, attempts in attempts_by_id.items():
            gave_up = attempts >= MAX_ATTEMPTS
            if gave_up:
                log.error(
                    "notification %s gave up after %d attempts: %s", row_id, attempts, error[:200]
                )
            session.execute(
                update(Notification)
                .where(
                    col(Notification.id) == row_id,
                    col(Notification.claimed_by) == self.name,
                    col(Notification.status) == CLAIMED,
                )
                .values(
                    status=FAILED if gave_up else PENDING,
                    # A pending row's lease is its retry time.
                    lease_until=None if gave_up else now + retry_delay(attempts),
                    last_error=error[:1000],
                )
                .execution_options(synchronize_session=False)
            )
        session.commit()

    def _load_contexts(self, session: Session, wanted: set[tuple[str, str, str]]) -> None:
        """Language and zone of every channel in the batch, two queries for all."""
        missing = wanted - set(self._contexts)
        if not missing:
            return
        channels = {
            (c.platform, c.team_id, c.channel_id): c
            for c in session.exec(
                select(Channel).where(
                    tuple_(Channel.platform, Channel.team_id, Channel.channel_id).in_(list(missing))
                )
            )
        }
        teams = {
            (t.platform, t.team_id): t
            for t in session.exec(
                select(Team).where(
                    tuple_(Team.platform, Team.team_id).in_(list({(p, t) for p, t, _ in missing}))
                )
            )
        }
        session.commit()
        for where in missing:
            channel, team = channels.get(where), teams.get(where[:2])
            lang = (
                i18n.normalize_locale(channel.locale if channel else None)
                or i18n.normalize_locale(team.locale if team else None)
                or i18n.normalize_locale(self.default_locale)
                or i18n.DEFAULT
            )
            tz = (channel.timezone if channel else None) or (team.timezone if team else None)
            self._contexts[where] = RenderContext(
                lang=lang, timezone=tz or self.default_timezone, now=self.clock.now()
            )


class _Marks:
    """Marks posted rows `sent` on a connection of their own, committing in small chunks.

    A commit per message would cap hand-off at the database's commit rate; a
    chunk is committed once it holds `MARK_CHUNK_ROWS` rows or its first post
    is `MARK_CHUNK_SECONDS` old, so the post-to-commit window stays that short.
    With a real platform (tens of milliseconds per post) that is one message per
    commit. SQLite commits every message: its one writer must not wait on us.
    """

    def __init__(self, dispatcher: Dispatcher, session: Session) -> None:
        self.dispatcher = dispatcher
        self.session = session
        sqlite = session.get_bind().dialect.name == "sqlite"
        self.max_rows = 1 if sqlite else MARK_CHUNK_ROWS
        self.pending: list[dict[str, object]] = []
        self.since = 0.0

    def add(
        self, ids: Sequence[int | None], *, message_ref: str | None, late: bool, sent_at: datetime
    ) -> None:
        if not self.pending:
            self.since = time.monotonic()
        self.pending.extend(
            {"row_id": i, "ref": message_ref, "is_late": late, "at": sent_at}
            for i in ids
            if i is not None
        )
        if (
            len(self.pending) >= self.max_rows
            or time.monotonic() - self.since >= MARK_CHUNK_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        table = Notification.__table__  # type: ignore[attr-defined]
        if self.session.get_bind().dialect.name == "postgresql":
            # A mark lost to a database crash (not an app crash) means at worst a
            # resend, never a lost ping: no need to wait for the WAL flush.
            self.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        # One executemany for the chunk: only rows this worker still holds.
        self.session.execute(
            table.update()
            .where(
                table.c.id == bindparam("row_id"),
                table.c.claimed_by == self.dispatcher.name,
                table.c.status == CLAIMED,
            )
            .values(
                status=SENT,
                lease_until=None,
                sent_at=bindparam("at"),
                late=bindparam("is_late"),
                message_ref=bindparam("ref"),
            ),
            self.pending,
        )
        self.session.commit()
        self.pending = []


def _local(when: datetime, timezone: str) -> str:
    """'2026-03-04 09:00 (Europe/Paris)': the due time as the channel reads it."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return f"{when.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"


def _collapse_series(rows: list[Notification]) -> tuple[list[Notification], list[Notification]]:
    """Keep the latest due row of each series; return (kept, superseded)."""
    latest: dict[tuple[str, str, str], Notification] = {}
    for row in rows:
        series = row.payload.get("series") if isinstance(row.payload, dict) else None
        if not series:
            continue
        key = (row.platform, row.team_id, str(series))
        if key not in latest or row.due_at > latest[key].due_at:
            latest[key] = row
    kept, stale = [], []
    for row in rows:
        series = row.payload.get("series") if isinstance(row.payload, dict) else None
        if series and latest[(row.platform, row.team_id, str(series))] is not row:
            stale.append(row)
        else:
            kept.append(row)
    return kept, stale
