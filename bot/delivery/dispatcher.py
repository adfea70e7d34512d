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
- **Mark.** Right after each post its rows are marked `sent` in a short
  transaction of their own (one commit per message), so the window in which
  a crash can repeat a message is one post-to-commit round trip.
- **Lease.** Before a post, if the rows were last confirmed held more than
  `lease / RENEW_FRACTION` ago, the dispatcher renews the lease of everything
  it has not posted yet and posts only rows it still holds, so a claim never
  outlives its lease however long a batch takes; a single post is bounded by
  the notifier's timeouts, well below the lease.

Failures never drop a ping by time: a post that raises a transient error
(platform down, timeout, 5xx) puts its rows back to `pending` with a retry
time (exponential backoff from `retry_base`, capped at `retry_max`, 15 min by
default, kept in `lease_until`), however many attempts that takes. A rate
limit (`RetryLater`) gives the rows back due again after Retry-After, without
waiting while holding them. Only a `PermanentDeliveryError` (channel gone,
bot removed, token revoked, message rejected) marks rows `failed`, with the
reason in `failure_reason`; the partnership is then told in the footer of the
next message that reaches one of its places, and `accord status` lists them.
Attempts (claims that may have reached the platform) and re-claims (a lease
that ran out under another dispatcher) are counted apart.

When a platform comes back, delivery resumes within `retry_base`: every
`retry_base` each dispatcher tries the oldest backed-off row of each platform
early (a probe); once a post to that platform succeeds, the other rows in
backoff are made due at once.

Late policy (after downtime, or a backlog):
- nothing due is dropped silently: every due row is sent when a dispatcher
  next runs, however late, and a row sent more than `LATE_AFTER` after its due
  time is stored `late=True` and carries a visible "sent late" footer;
- when several rows of the same series (`payload["series"]`, e.g. one
  milestone's D-7 and D-2 pings) are due, only the latest is sent: each claim
  first cancels, over the whole backlog (one query, not per batch), every
  claimable due row of a series that has a later due row waiting; they are
  marked `cancelled` with the reason in `last_error`;
- a renderer may return no message when the reason for a row is gone (the
  milestone was done meanwhile): the row is marked `sent` with no message.

Stopping (`stop()`, on SIGTERM/SIGINT): no new claim is taken; the group
being posted finishes and is marked; every other claimed row is released
(pending, due at once) so another instance takes it without waiting for the
lease.

The window between a successful post and the commit that marks it sent is
the one place a crash can duplicate a message: if the process dies there,
the lease expires and another dispatcher posts the same rows again. Slack has
no idempotency key for `chat.postMessage`; Discord's `enforce_nonce` (the
idempotency key passed to `Notifier.post`) closes it for channel messages.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, case, delete, func, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.kernel import i18n, places
from bot.kernel import metrics as m
from bot.kernel.clock import Clock
from bot.kernel.delivery_errors import PermanentDeliveryError, PlatformUnavailable, RetryLater
from bot.kernel.registry import BATCH_INFO_KEY, Registry, RenderContext
from bot.kernel.types import Notifier, Tenant
from storage.models import Channel, Notification, Partnership, ProcessedRequest, Team
from storage.models.notifications import CANCELLED, CLAIMED, FAILED, PENDING, SENT

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
RETRY_BASE = timedelta(seconds=30)
# Backoff never grows past this: a platform back after hours is retried within it
# (and within `retry_base` thanks to the probe).
RETRY_MAX = timedelta(minutes=15)
# `last_error` of rows given back after a 429: the probe leaves them to their time.
RATE_LIMITED = "rate limited"
SUPERSEDED = "superseded by a later ping of the same series"
# Before a post, its rows are confirmed held (and the batch's lease renewed) if the
# last confirmation is older than lease / RENEW_FRACTION (10 s for the 2-minute lease).
RENEW_FRACTION = 12
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


def retry_delay(
    attempts: int, base: timedelta = RETRY_BASE, cap: timedelta = RETRY_MAX
) -> timedelta:
    """30 s, 1 min, 2 min, 4 min… capped at 15 minutes."""
    return min(base * (2 ** min(max(attempts - 1, 0), 30)), cap)


@dataclass(slots=True)
class PassResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    messages: int = 0
    late: int = 0
    superseded: int = 0
    # Of `failed`: given up for good (permanent errors), and rate-limited.
    gave_up: int = 0
    rate_limited: int = 0
    # Claimed rows handed back unsent (stop, or a lease lost mid-batch).
    released: int = 0
    # Copies planned for a partnership's other places (sent in the same pass).
    mirrored: int = 0

    def add(self, other: PassResult) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.failed += other.failed
        self.messages += other.messages
        self.late += other.late
        self.superseded += other.superseded
        self.gave_up += other.gave_up
        self.rate_limited += other.rate_limited
        self.released += other.released
        self.mirrored += other.mirrored


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
        retry_base: timedelta = RETRY_BASE,
        retry_max: timedelta = RETRY_MAX,
        teams: frozenset[str] | None = None,
    ) -> None:
        self.session_factory = session_factory
        # Only these teams' rows (a console serves its own team; two consoles share a file).
        self.teams = teams
        self.registry = registry
        self.clock = clock
        self.notifiers = notifiers
        self.default_locale = default_locale
        self.default_timezone = default_timezone
        self.batch_size = batch_size
        self.name = name or worker_id()
        self.lease = lease
        self.retry_base = retry_base
        self.retry_max = retry_max
        self._sqlite = session_factory.kw["bind"].dialect.name == "sqlite"
        self._pg = session_factory.kw["bind"].dialect.name == "postgresql"
        # Channel language and zone, read once per pass.
        self._contexts: dict[tuple[str, str, str], RenderContext] = {}
        # The partnership place (shared channel) of each channel of the pass.
        self._places: dict[tuple[str, str, str], str] = {}
        # Failed rows not yet told to their partnership, by (platform, team, place).
        self._unreported: dict[tuple[str, str, str], list[tuple[int, str, str]]] | None = None
        # When each platform was last probed, and platforms with rows in backoff.
        self._probed: dict[str, datetime] = {}
        self._backing_off: set[str] = set()
        # Platforms found unreachable during this pass: not tried again until the next.
        self._down: set[str] = set()
        self._resumed = False
        # Rows the last claim cancelled as superseded by a later ping of their series.
        self.superseded_at_claim = 0
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        # Makes "not stopping, so this pass starts (not idle)" one step: without it a
        # stop landing between the check and `_idle.clear()` lets `wait_idle` return
        # at once while the pass goes on to claim rows the exiting process never releases.
        self._lifecycle = threading.Lock()
        # time.monotonic() of the last sign of life (readiness checks read it).
        self.last_progress = time.monotonic()

    # -- lifecycle --------------------------------------------------------------------

    def stop(self) -> None:
        """Take no new claim; the pass in progress releases what it has not posted."""
        with self._lifecycle:
            self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def wait_idle(self, timeout: float) -> bool:
        """True once no pass is running (within `timeout` seconds)."""
        return self._idle.wait(timeout)

    def _touch(self) -> None:
        self.last_progress = time.monotonic()

    def run_once(self) -> PassResult:
        """Send everything due now; return what happened."""
        total = PassResult()
        with self._lifecycle:
            # One pass at a time: a pass starting treats this worker's claims as orphans.
            if self._stop.is_set() or not self._idle.is_set():
                return total
            self._idle.clear()
        try:
            self._touch()
            self._contexts = {}
            self._places = {}
            self._unreported = None
            self._down = set()
            self.release_orphans()
            self.prepare()
            self.housekeeping()
            self.probe()
            while not self._stop.is_set():
                self._resumed = False
                claimed = self.claim()
                total.superseded += self.superseded_at_claim
                if not claimed:
                    break
                total.claimed += len(claimed)
                delivered = self.deliver(claimed)
                total.add(delivered)
                if len(claimed) < self.batch_size and not self._resumed and not delivered.mirrored:
                    break
            return total
        finally:
            self._touch()
            self._idle.set()

    def release_orphans(self) -> int:
        """Hand back rows this worker still holds although no pass of it is running.

        A pass that died half-way (the database went away between a claim and its
        marks) leaves its claims to the lease; one pass runs at a time, so at the
        start of the next one, and once stopped, they are known orphans and come back
        at once. Their attempt stays counted: a post may have left before the failure.
        """
        try:
            with self.session_factory() as session:
                result = session.execute(
                    update(Notification)
                    .where(
                        col(Notification.claimed_by) == self.name,
                        col(Notification.status) == CLAIMED,
                    )
                    .values(status=PENDING, claimed_by=None, lease_until=None)
                    .execution_options(synchronize_session=False)
                )
                session.commit()
        except Exception:  # the database is still away: the lease remains the fallback
            log.warning("could not release this worker's orphaned claims", exc_info=True)
            return 0
        released = int(getattr(result, "rowcount", 0) or 0)
        if released:
            m.RELEASED.inc(released)
            log.info("released %d notifications a failed pass had left claimed", released)
        return released

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
        """Take up to `batch_size` due rows under a lease, in one short transaction.

        The same transaction first cancels, over the whole backlog, the due rows
        superseded by a later due ping of their series.
        """
        now = self.clock.now()
        platforms = list(self.notifiers)
        with self.session_factory() as session:
            self.superseded_at_claim = self._cancel_superseded(session, now, platforms)
            query = (
                select(Notification.id, Notification.status)
                .where(col(Notification.platform).in_(platforms), _claimable(now))
                .order_by(col(Notification.due_at), col(Notification.id))
                .limit(self.batch_size)
            )
            if self.teams is not None:
                query = query.where(col(Notification.team_id).in_(self.teams))
            if self._pg:
                query = query.with_for_update(skip_locked=True)
            found = [(i, st) for i, st in session.exec(query).all() if i is not None]
            ids = [i for i, _ in found]
            if ids:
                was_claimed = col(Notification.status) == CLAIMED
                session.execute(
                    update(Notification)
                    .where(col(Notification.id).in_(ids))
                    .values(
                        status=CLAIMED,
                        claimed_by=self.name,
                        lease_until=now + self.lease,
                        # A re-claim (the previous holder's lease ran out) is not an attempt.
                        attempts=Notification.attempts + case((was_claimed, 0), else_=1),
                        reclaims=Notification.reclaims + case((was_claimed, 1), else_=0),
                    )
                    .execution_options(synchronize_session=False)
                )
            session.commit()
        reclaimed = sum(1 for _, st in found if st == CLAIMED)
        if reclaimed:
            m.RECLAIMS.inc(reclaimed)
            log.warning("re-claimed %d notifications whose lease had run out", reclaimed)
        self._touch()
        return ids

    def _cancel_superseded(self, session: Session, now: datetime, platforms: list[str]) -> int:
        """Cancel claimable due rows whose series has a later due row waiting.

        One grouped pass over the due backlog (series with more than one due
        row, and their newest due time), then a join: linear in the backlog.
        """
        table = Notification.__table__  # type: ignore[attr-defined]
        waiting = table.alias("waiting")
        w_series = waiting.c.payload["series"].as_string()
        latest = (
            select(
                waiting.c.platform,
                waiting.c.team_id,
                w_series.label("series"),
                func.max(waiting.c.due_at).label("newest"),
            )
            .where(
                waiting.c.platform.in_(platforms),
                waiting.c.status.in_([PENDING, CLAIMED]),
                waiting.c.due_at <= now,
                w_series.is_not(None),
            )
            .group_by(waiting.c.platform, waiting.c.team_id, w_series)
            .having(func.count() > 1)
            .subquery("latest")
        )
        query = (
            select(table.c.id)
            .join(
                latest,
                (latest.c.platform == table.c.platform)
                & (latest.c.team_id == table.c.team_id)
                & (latest.c.series == table.c.payload["series"].as_string()),
            )
            .where(table.c.due_at < latest.c.newest, _claimable(now, table.c))
        )
        if self._pg:
            query = query.with_for_update(of=table, skip_locked=True)
        stale = [row[0] for row in session.execute(query).all()]
        if stale:
            session.execute(
                update(Notification)
                .where(col(Notification.id).in_(stale))
                .values(status=CANCELLED, lease_until=None, last_error=SUPERSEDED)
                .execution_options(synchronize_session=False)
            )
        return len(stale)

    def probe(self) -> None:
        """Every `retry_base`, make the oldest backed-off row of each platform due now.

        If the platform is back, that post succeeds and the rest of its backlog
        is made due at once (`_resume`): no waiting out a 15-minute backoff.
        """
        now = self.clock.now()
        for platform in self.notifiers:
            last = self._probed.get(platform)
            if last is not None and now - last < self.retry_base:
                continue
            self._probed[platform] = now
            with self.session_factory() as session:
                query = (
                    select(Notification.id)
                    .where(*_backing_off(platform, now))
                    .order_by(col(Notification.due_at), col(Notification.id))
                    .limit(1)
                )
                if self._pg:
                    query = query.with_for_update(skip_locked=True)
                row_id = session.exec(query).first()
                if row_id is not None:
                    session.execute(
                        update(Notification)
                        .where(col(Notification.id) == row_id)
                        .values(lease_until=now)
                        .execution_options(synchronize_session=False)
                    )
                    self._backing_off.add(platform)
                session.commit()

    def _resume(self, platform: str) -> None:
        """A post to `platform` just succeeded: its rows in backoff are due now."""
        if platform not in self._backing_off:
            return
        self._backing_off.discard(platform)
        now = self.clock.now()
        with self.session_factory() as session:
            result = session.execute(
                update(Notification)
                .where(*_backing_off(platform, now))
                .values(lease_until=now)
                .execution_options(synchronize_session=False)
            )
            session.commit()
        if getattr(result, "rowcount", 0):
            log.info("%s is back: notifications in backoff are due now", platform)
            self._resumed = True

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
                self._mark(session, [n.id for n in stale], CANCELLED, last_error=SUPERSEDED)
                session.commit()
                result.superseded += len(stale)
            # The partnership's other places get their own copy of each row, planned
            # before anything is posted so that one place failing holds up no other.
            if self._sqlite:  # its transactions hold the write lock: release it first
                session.commit()
            result.mirrored += self._plan_copies(marks.session, rows)
            # Renderers may read the whole batch to prefetch what its messages need.
            session.info[BATCH_INFO_KEY] = rows
            groups: dict[GroupKey, list[Notification]] = defaultdict(list)
            for row in rows:
                key = row.group_key or f"id:{row.id}"
                groups[
                    (row.platform, row.team_id, row.channel_id, row.kind, key, row.due_at)
                ].append(row)
            self._load_contexts(session, {(k[0], k[1], k[2]) for k in groups})
            pending = list(groups.items())
            renewed_at = self.clock.now()
            for index, ((platform, team_id, channel_id, kind, _, _), group) in enumerate(pending):
                if self._stop.is_set():
                    # Stopping: what is not posted yet goes back, claimable at once.
                    rest = [n.id for _, g in pending[index:] for n in g]
                    result.released += self._release(marks.session, rest)
                    break
                if self.clock.now() - renewed_at >= self.lease / RENEW_FRACTION:
                    # Keep what is not posted yet, and post only rows still held: a
                    # post starts at most lease/RENEW_FRACTION after its rows were
                    # confirmed ours, with a whole lease ahead.
                    held = self._extend(
                        marks.session, [n.id for _, g in pending[index:] for n in g]
                    )
                    renewed_at = self.clock.now()
                    if not {n.id for n in group} <= held:
                        log.warning(
                            "lease lost on %d notifications; leaving them to their new holder",
                            len(group),
                        )
                        result.released += self._release(marks.session, [n.id for n in group])
                        continue
                where = (platform, team_id, channel_id)
                outcome = self._send_group(session, marks, kind, group, contexts[where])
                self._touch()
                if outcome in (_SENT, _SENT_LATE):
                    result.messages += 1
                    result.sent += len(group)
                    result.late += len(group) if outcome == _SENT_LATE else 0
                else:
                    result.failed += len(group)
                    result.gave_up += len(group) if outcome == _GAVE_UP else 0
                    result.rate_limited += len(group) if outcome == _RATE_LIMITED else 0
        return result

    def _plan_copies(self, session: Session, rows: list[Notification]) -> int:
        copies = places.child_rows(session, rows, self.clock.now())
        if not copies:
            session.commit()  # ends the read (on SQLite, the write lock it took)
            return 0
        insert = postgresql.insert if self._pg else sqlite.insert
        session.execute(
            insert(Notification.__table__).on_conflict_do_nothing(  # type: ignore[attr-defined]
                index_elements=["platform", "team_id", "idempotency_key"]
            ),
            copies,
        )
        session.commit()
        return len(copies)

    def _send_group(
        self,
        session: Session,
        marks: _Marks,
        kind: str,
        group: list[Notification],
        ctx: RenderContext,
    ) -> str:
        now = self.clock.now()
        renderer = self.registry.renderers.get(kind)
        first = group[0]
        platform = first.platform
        notifier = self.notifiers[platform]
        ids = [n.id for n in group]
        attempts = {n.id: n.attempts for n in group}  # the claim already counted this one
        team_id, channel_id, due_at = first.team_id, first.channel_id, first.due_at
        key = f"{kind}:{first.idempotency_key}"[:200]
        late = any(now - n.due_at > LATE_AFTER for n in group)
        reported: list[int] = []
        if platform in self._down:  # found unreachable earlier in this pass
            delay = retry_delay(max(attempts.values()), self.retry_base, self.retry_max)
            self._retry(marks.session, ids, now + delay, f"{platform} unreachable (not tried)")
            return _FAILED
        try:
            if renderer is None:
                raise LookupError(f"no renderer for notification kind {kind!r}")
            reply = renderer(session, group, RenderContext(ctx.lang, ctx.timezone, now))
            if self._sqlite:  # its transactions hold the write lock: never across a post
                session.commit()
            if reply is not None:
                reply = places.for_place(reply, Tenant(platform, team_id), _record(first))
                reply.lang = reply.lang or ctx.lang
                notes: list[str] = []
                if late:
                    t = i18n.Translator(ctx.lang)
                    notes.append(t("dispatch.late", due=_local(due_at, ctx.timezone)))
                undelivered, reported = self._undelivered_note(marks.session, first, ctx.lang)
                if undelivered:
                    notes.append(undelivered)
                for note in notes:
                    reply.footer = f"{reply.footer}\n{note}" if reply.footer else note
                ref: str | None = notifier.post(team_id, channel_id, reply, key)
            else:  # nothing left to say (the milestone was done meanwhile)
                ref = None
        except PermanentDeliveryError as exc:
            session.rollback()
            log.error("notification %s for %s/%s given up: %s", kind, platform, channel_id, exc)
            m.PERMANENT_FAILURES.labels(platform, exc.reason).inc()
            self._give_up(marks.session, ids, exc.reason, str(exc))
            return _GAVE_UP
        except RetryLater as exc:
            session.rollback()
            log.info("notification %s for %s/%s: %s", kind, platform, channel_id, exc)
            m.RATE_LIMITED.labels(platform).inc()
            wait = max(timedelta(seconds=exc.seconds), timedelta(seconds=1))
            self._retry(marks.session, ids, now + wait, f"{RATE_LIMITED}: {exc}")
            return _RATE_LIMITED
        except Exception as exc:  # a transient failure: one bad channel must not stop the others
            session.rollback()
            log.warning(
                "notification %s for %s/%s failed, will retry: %s", kind, platform, channel_id, exc
            )
            m.RETRIES.labels(platform).inc()
            self._backing_off.add(platform)
            if isinstance(exc, PlatformUnavailable):
                self._down.add(platform)
            delay = retry_delay(max(attempts.values()), self.retry_base, self.retry_max)
            self._retry(marks.session, ids, now + delay, str(exc))
            return _FAILED
        # Posted is posted: mark at once, outside the retry handling above.
        marks.add(ids, message_ref=ref, late=late, sent_at=now, reported=reported)
        if ref is not None:
            m.DELIVERIES.labels(platform).inc()
            self._resume(platform)
        return _SENT_LATE if late else _SENT

    def _held(self, ids: Sequence[int | None]) -> tuple[Any, ...]:
        return (
            col(Notification.id).in_([i for i in ids if i is not None]),
            # Only rows this worker still holds: a re-claim by another wins.
            col(Notification.claimed_by) == self.name,
            col(Notification.status) == CLAIMED,
        )

    def _extend(self, session: Session, ids: Sequence[int | None]) -> set[int]:
        """A whole lease from now for the rows still held among `ids`; returns those."""
        if self._pg:  # lost only with the database server itself: at worst a resend
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        held = session.execute(
            update(Notification)
            .where(*self._held(ids))
            .values(lease_until=self.clock.now() + self.lease)
            .returning(col(Notification.id))
            .execution_options(synchronize_session=False)
        ).scalars()
        found = {int(i) for i in held}
        session.commit()
        return found

    def _release(self, session: Session, ids: Sequence[int | None]) -> int:
        """Hand claimed rows back unsent: pending, claimable at once, attempt not counted."""
        if not ids:
            return 0
        result = session.execute(
            update(Notification)
            .where(*self._held(ids))
            .values(
                status=PENDING,
                claimed_by=None,
                lease_until=None,
                attempts=case((col(Notification.attempts) > 0, Notification.attempts - 1), else_=0),
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
        released = int(getattr(result, "rowcount", 0) or 0)
        if released:
            m.RELEASED.inc(released)
            log.info("released %d claimed notifications", released)
        return released

    def _retry(
        self, session: Session, ids: Sequence[int | None], when: datetime, error: str
    ) -> None:
        """Back to pending; a pending row's lease is its retry time."""
        session.execute(
            update(Notification)
            .where(*self._held(ids))
            .values(status=PENDING, lease_until=when, last_error=error[:1000])
            .execution_options(synchronize_session=False)
        )
        session.commit()

    def _give_up(
        self, session: Session, ids: Sequence[int | None], reason: str, error: str
    ) -> None:
        session.execute(
            update(Notification)
            .where(*self._held(ids))
            .values(
                status=FAILED,
                lease_until=None,
                failure_reason=reason[:64],
                last_error=error[:1000],
                reported_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
        self._unreported = None  # read again: the partnership must hear of it

    def _undelivered_note(
        self, session: Session, posting: Notification, lang: str
    ) -> tuple[str | None, list[int]]:
        """A footer telling the partnership what could not be posted in its places."""
        if self._unreported is None:
            self._unreported = self._load_unreported(session)
        if not self._unreported:
            return None, []
        where = (posting.platform, posting.team_id, posting.channel_id)
        place = self._places.get(where, posting.channel_id)
        failed = self._unreported.get((posting.platform, posting.team_id, place))
        if not failed:
            return None, []
        by_channel: dict[str, list[str]] = defaultdict(list)
        for _, failed_in, reason in failed:
            by_channel[failed_in].append(reason)
        t = i18n.Translator(lang)
        lines = [
            t(
                "dispatch.undelivered",
                count=len(reasons),
                channel=failed_in,
                reason=", ".join(sorted(set(reasons))),
            )
            for failed_in, reasons in sorted(by_channel.items())
        ]
        return "\n".join(lines), [row_id for row_id, _, _ in failed]

    def _load_unreported(
        self, session: Session
    ) -> dict[tuple[str, str, str], list[tuple[int, str, str]]]:
        """Failed rows not yet told, by the place that hears of them, with where they failed.

        A copy that failed in another place of a partnership is told in the
        partnership's own channel: the failing place may never read anything again.
        """
        rows = session.execute(
            select(  # type: ignore[call-overload]
                col(Notification.id),
                col(Notification.platform),
                col(Notification.team_id),
                col(Notification.channel_id),
                col(Notification.failure_reason),
                col(Notification.kind),
                col(Notification.payload),
                col(Channel.shared_channel_id),
            )
            .outerjoin(
                Channel,
                (Channel.platform == Notification.platform)  # type: ignore[arg-type]
                & (Channel.team_id == Notification.team_id)
                & (Channel.channel_id == Notification.channel_id),
            )
            .where(
                col(Notification.platform).in_(list(self.notifiers)),
                Notification.status == FAILED,
                col(Notification.reported_at).is_(None),
            )
            .limit(1000)
        ).all()
        ids = {_partnership_of(kind, payload) for *_, kind, payload, _ in rows} - {None}
        homes = (
            {p.id: p for p in session.exec(select(Partnership).where(col(Partnership.id).in_(ids)))}
            if ids
            else {}
        )
        found: dict[tuple[str, str, str], list[tuple[int, str, str]]] = defaultdict(list)
        labels: dict[tuple[str, str, str], str] = {}
        for row_id, platform, team_id, channel_id, reason, kind, payload, shared in rows:
            if row_id is None:
                continue
            home = homes.get(_partnership_of(kind, payload))
            if home is not None:  # another place's copy: told at home, the place named
                key = (home.platform, home.team_id, home.channel_id)
                ref = places.PlaceRef(platform, team_id, channel_id)
                if ref.key not in labels:
                    labels[ref.key] = places.label(session, ref)
                where = labels[ref.key]
            else:
                key = (platform, team_id, shared or channel_id)
                where = f"<#{channel_id}>"
            found[key].append((row_id, where, reason or "error"))
        session.commit()
        return dict(found)

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
            .where(*self._held(ids))
            .values(**values)
            # Not evaluated against the loaded rows: that costs O(rows) per message.
            .execution_options(synchronize_session=False)
        )

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
            self._places[where] = (channel.shared_channel_id if channel else None) or where[2]
            self._contexts[where] = RenderContext(
                lang=lang, timezone=tz or self.default_timezone, now=self.clock.now()
            )


class _Marks:
    """Marks each posted message's rows `sent` at once, in a short transaction of its own.

    One commit per message keeps the post-to-commit window (the only place a
    crash can repeat a message) one database round trip long; the same commit
    records that the partnership was told of earlier failures (`reported`).
    """

    def __init__(self, dispatcher: Dispatcher, session: Session) -> None:
        self.dispatcher = dispatcher
        self.session = session

    def add(
        self,
        ids: Sequence[int | None],
        *,
        message_ref: str | None,
        late: bool,
        sent_at: datetime,
        reported: Sequence[int] = (),
    ) -> None:
        pending = [
            {"row_id": i, "ref": message_ref, "is_late": late, "at": sent_at}
            for i in ids
            if i is not None
        ]
        if not pending:
            return
        table = Notification.__table__  # type: ignore[attr-defined]
        if self.session.get_bind().dialect.name == "postgresql":
            # A mark lost to a database server crash (not an app crash) means at
            # worst a resend, never a lost ping: no need to wait for the WAL flush.
            self.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
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
            pending,
        )
        if reported:
            self.session.execute(
                update(Notification)
                .where(col(Notification.id).in_(list(reported)), col(Notification.status) == FAILED)
                .values(reported_at=sent_at)
                .execution_options(synchronize_session=False)
            )
            self.dispatcher._unreported = None
        self.session.commit()


def _record(row: Notification) -> Tenant:
    """The tenant of the partnership's record the row belongs to (a mirror names it)."""
    record = row.payload.get("record") if row.kind == places.MIRROR_KIND else None
    if isinstance(record, list) and len(record) == 2:
        return Tenant(str(record[0]), str(record[1]))
    return Tenant(row.platform, row.team_id)


def _partnership_of(kind: str, payload: Any) -> int | None:
    """The partnership of a copy for another place (a mirror row), None for any other row."""
    if kind != places.MIRROR_KIND or not isinstance(payload, dict):
        return None
    found = payload.get("partnership")
    return found if isinstance(found, int) else None


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


# Outcomes of one message's send.
_SENT, _SENT_LATE, _FAILED, _RATE_LIMITED, _GAVE_UP = (
    "sent",
    "sent_late",
    "failed",
    "rate_limited",
    "gave_up",
)


def _claimable(now: datetime, c: Any = None) -> Any:
    """Due, and pending past its retry time or claimed under a lease that ran out."""
    cols = c if c is not None else Notification.__table__.c  # type: ignore[attr-defined]
    return (cols.due_at <= now) & (
        ((cols.status == PENDING) & (cols.lease_until.is_(None) | (cols.lease_until <= now)))
        | ((cols.status == CLAIMED) & (cols.lease_until < now))
    )


def _backing_off(platform: str, now: datetime) -> tuple[Any, ...]:
    """Due rows of `platform` waiting out a transient failure's backoff (not a 429's)."""
    return (
        col(Notification.platform) == platform,
        col(Notification.status) == PENDING,
        Notification.due_at <= now,
        col(Notification.lease_until) > now,
        col(Notification.last_error).is_not(None),
        ~col(Notification.last_error).startswith(RATE_LIMITED),
    )
