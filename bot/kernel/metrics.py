"""Prometheus metrics (prometheus-client): what an operator watches.

Counters and histograms live in this process's own `REGISTRY`; the outbox
figures (depth by status, age of the oldest due row) are read from the
database at scrape time by `OutboxCollector`, so every instance reports the
shared backlog and nothing is cached that could lie.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from storage.models import Notification
from storage.models.notifications import CLAIMED, PENDING

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

COMMANDS = Counter(
    "accord_commands_total",
    "Commands and button presses handled, by name and outcome (ok, error, duplicate, crash).",
    ["name", "outcome"],
    registry=REGISTRY,
)
ACK_SECONDS = Histogram(
    "accord_http_ack_seconds",
    "Time from an HTTP request's arrival to its answer (the platform's ack), by route.",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0),
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "accord_deliveries_total",
    "Notification messages posted by the dispatcher, by platform.",
    ["platform"],
    registry=REGISTRY,
)
RETRIES = Counter(
    "accord_delivery_retries_total",
    "Posts that failed for a transient reason and were rescheduled, by platform.",
    ["platform"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "accord_delivery_rate_limited_total",
    "Posts the platform rate-limited (HTTP 429), rescheduled after Retry-After, by platform.",
    ["platform"],
    registry=REGISTRY,
)
PERMANENT_FAILURES = Counter(
    "accord_delivery_permanent_failures_total",
    "Notifications given up for a permanent reason (channel gone, bot removed...), by platform.",
    ["platform", "reason"],
    registry=REGISTRY,
)
RECLAIMS = Counter(
    "accord_delivery_lease_reclaims_total",
    "Rows claimed again after another dispatcher's lease ran out (it died or stalled).",
    registry=REGISTRY,
)
RELEASED = Counter(
    "accord_delivery_released_total",
    "Claimed rows handed back unsent at a clean stop (claimable again at once).",
    registry=REGISTRY,
)


@dataclass(frozen=True, slots=True)
class OutboxFigures:
    by_status: dict[tuple[str, str], int] = field(default_factory=dict)
    due: int = 0
    oldest_due_age: float = 0.0


def outbox_figures(session: Session, now: datetime) -> OutboxFigures:
    """Rows by (platform, status), the number due now and the oldest due row's age."""
    by_status = {
        (str(platform), str(status)): int(count)
        for platform, status, count in session.exec(
            select(Notification.platform, Notification.status, func.count()).group_by(
                col(Notification.platform), col(Notification.status)
            )
        ).all()
    }
    due_filter = (
        col(Notification.status).in_([PENDING, CLAIMED]),
        Notification.due_at <= now,
    )
    due = session.exec(select(func.count()).where(*due_filter)).one()
    oldest = session.exec(select(func.min(Notification.due_at)).where(*due_filter)).one()
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return OutboxFigures(by_status, int(due or 0), age)


class OutboxCollector(Collector):
    """Reads the outbox at scrape time; a database outage gives no figures, not an error."""

    def __init__(self, session_factory: sessionmaker[Session], now: Callable[[], datetime]):
        self.session_factory = session_factory
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "accord_outbox_rows",
            "Outbox rows by platform and status.",
            labels=["platform", "status"],
        )
        due = GaugeMetricFamily("accord_outbox_due", "Rows due now and not yet sent.")
        age = GaugeMetricFamily(
            "accord_outbox_oldest_due_seconds", "Age of the oldest due, unsent row (0: none)."
        )
        try:
            with self.session_factory() as session:
                figures = outbox_figures(session, self.now())
        except Exception as exc:  # the database is down: /readyz says so
            log.warning("metrics: cannot read the outbox: %s", type(exc).__name__)
            return
        for (platform, status), count in sorted(figures.by_status.items()):
            depth.add_metric([platform, status], count)
        due.add_metric([], figures.due)
        age.add_metric([], figures.oldest_due_age)
        yield depth
        yield due
        yield age

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())


_collectors: dict[int, OutboxCollector] = {}


def register_outbox(session_factory: sessionmaker[Session], now: Callable[[], datetime]) -> None:
    """Once per process (one database per process): the outbox gauges."""
    key = id(REGISTRY)
    if key in _collectors:
        REGISTRY.unregister(_collectors.pop(key))
    collector = _collectors[key] = OutboxCollector(session_factory, now)
    REGISTRY.register(collector)
