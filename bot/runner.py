"""The composition root: which adapters run, and the clock that wakes the dispatcher.

With this module and `bot.cli`, the only core modules that import adapters:
they wire things together and decide nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Literal

from apscheduler.schedulers.background import BackgroundScheduler

from adapters import discord_adapter, kpi_ingest, slack_adapter
from adapters.setup import AdapterSetup
from bot.app import App, build_app
from bot.delivery.dispatcher import Dispatcher, PassResult
from bot.delivery.instance_lock import InstanceLock, InstanceLockError, sqlite_lock
from bot.delivery.readiness import Health
from bot.kernel import metrics
from bot.kernel.config import Settings
from bot.kernel.types import Notifier

log = logging.getLogger(__name__)

DISPATCH_JOB_ID = "accord-dispatch"
# Seconds a stop waits for the dispatcher's post in progress (the whole stop stays < 10 s).
STOP_GRACE = 7.0


def notifiers_for(app: App, console: Notifier | None = None) -> dict[str, Notifier]:
    """Every platform the bot can post to from here, keyed by platform name."""
    from adapters.console import ConsoleAdapter

    found: dict[str, Notifier] = {"console": console or ConsoleAdapter(app.core)}
    for platform, make in (
        ("slack", slack_adapter.notifier),
        ("discord", discord_adapter.notifier),
    ):
        made = make(app)
        if made is not None:
            found[platform] = made
    return found


def make_dispatcher(
    app: App, notifiers: Mapping[str, Notifier], teams: frozenset[str] | None = None
) -> Dispatcher:
    return Dispatcher(
        app.session_factory,
        app.registry,
        app.clock,
        notifiers,
        default_locale=app.settings.default_locale,
        default_timezone=app.settings.default_timezone,
        lease=timedelta(seconds=app.settings.dispatch_lease_seconds),
        retry_base=timedelta(seconds=app.settings.retry_base_seconds),
        retry_max=timedelta(seconds=app.settings.retry_max_seconds),
        teams=teams,
    )


def dispatch_once(app: App) -> PassResult:
    return make_dispatcher(app, notifiers_for(app)).run_once()


def start_scheduler(app: App, dispatcher: Dispatcher) -> BackgroundScheduler:
    """APScheduler is only the clock: one in-memory interval job per process.

    The job store is never shared between processes (APScheduler's FAQ: that
    duplicates or misses runs); the database ledger is what makes sends
    exactly-once. `misfire_grace_time=None` because the default (1 s) would
    silently skip a wake-up after a pause; `coalesce` folds missed wake-ups
    into one, and every wake-up sends everything due anyway.
    """
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        dispatcher.run_once,
        "interval",
        seconds=app.settings.dispatch_interval_seconds,
        id=DISPATCH_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        # Wake right away: pings that fell due while the bot was down go out now.
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    return scheduler


def warn_if_sqlite_shared(app: App) -> None:
    if app.engine.dialect.name == "sqlite":
        log.info(
            "using SQLite at %s: run a single Accord process on it; "
            "use PostgreSQL (DATABASE_URL) to run several instances",
            app.engine.url.database,
        )


def console_with_dispatcher(app: App, adapter: Notifier) -> None:
    from adapters.console import ConsoleAdapter

    assert isinstance(adapter, ConsoleAdapter)
    # Its own team only: another console (`--team nido`) on the same file prints its own.
    dispatcher = make_dispatcher(app, notifiers_for(app, adapter), frozenset({adapter.team_id}))
    scheduler = start_scheduler(app, dispatcher)
    try:
        adapter.run_interactive()
    finally:
        scheduler.shutdown(wait=False)


def serve_dispatcher(app: App) -> int:
    """`accord dispatch`: the clock and the dispatcher until SIGTERM or SIGINT."""
    dispatcher = make_dispatcher(app, notifiers_for(app))
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    scheduler = start_scheduler(app, dispatcher)
    try:
        stop.wait()
    finally:
        dispatcher.stop()
        scheduler.shutdown(wait=False)
        drained = dispatcher.wait_idle(STOP_GRACE)
        if drained:  # no pass runs: whatever is still claimed here is an orphan
            dispatcher.release_orphans()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not drained:
        log.error("the dispatcher was still posting after %ss: exiting anyway", STOP_GRACE)
        logging.shutdown()
        os._exit(0)
    return 0


def adapter_setups(app: App) -> list[AdapterSetup]:
    """Every adapter configured in the settings, in a fixed, explicit order."""
    setups: list[AdapterSetup] = []
    if app.settings.slack_configured:
        setups.append(slack_adapter.setup(app))
    if app.settings.discord_configured:
        setups.append(discord_adapter.setup(app))
    setups += kpi_ingest.setups(app)  # POST /kpi/ingest, when ACCORD_HTTP_PORT is set
    return setups


async def serve(app: App, setups: list[AdapterSetup]) -> bool:
    """Run the HTTP server (if any route needs it), background connections and the clock.

    SIGTERM or SIGINT stops it cleanly: `/readyz` turns 503, the dispatcher
    takes no new claim and releases the rows it has not posted, in-flight HTTP
    requests finish (`SHUTDOWN_TIMEOUT`), within `STOP_GRACE` seconds in all.
    Returns False when the dispatcher was still inside a post at the deadline.
    """
    from adapters.http_server import build_http_app, mark_ready, start_http

    routes = [route for s in setups for route in s.routes]
    port = app.settings.http_port
    if port is None and any(s.needs_http for s in setups):
        port = 3000
    notifiers: dict[str, Notifier] = {s.name: s.notifier for s in setups if s.notifier is not None}
    dispatcher = make_dispatcher(app, notifiers)
    health = Health(
        app.engine,
        dispatcher,
        stale_after=max(300.0, 3 * app.settings.dispatch_interval_seconds),
    )
    runner = None
    if port is not None:
        metrics.register_outbox(app.session_factory, app.clock.now)
        http_app = build_http_app(routes, readiness=health.check)
        runner = await start_http(http_app, app.settings.http_host, port)
    scheduler = start_scheduler(app, dispatcher)
    tasks: list[asyncio.Task[None]] = [
        asyncio.create_task(job()) for s in setups for job in s.background
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if runner is not None:
        mark_ready(http_app)
    log.info("Accord is running (pid %d)", os.getpid())
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
    finally:
        log.info("stopping: no new claims, releasing unsent rows, finishing requests")
        health.stopping = True
        dispatcher.stop()
        scheduler.shutdown(wait=False)
        drained, _ = await asyncio.gather(
            asyncio.to_thread(dispatcher.wait_idle, STOP_GRACE),
            _close_http(runner),
        )
        if drained:  # no pass runs: whatever is still claimed here is an orphan
            await asyncio.to_thread(dispatcher.release_orphans)
        for s in setups:
            for stop_job in s.shutdown:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(stop_job(), 2)
        for task in (stopper, *tasks):
            task.cancel()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    for task in tasks:  # a background job that failed (not one we cancelled) is an error
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    if not drained:
        log.error("the dispatcher was still posting after %ss: exiting anyway", STOP_GRACE)
    else:
        log.info("stopped cleanly")
    return bool(drained)


async def _close_http(runner: object) -> None:
    if runner is not None:
        await runner.cleanup()  # type: ignore[attr-defined]


def run(settings: Settings) -> int:
    """`accord run` / `make run`: every configured adapter, or the console."""
    lock = hold_instance_lock(settings)
    if lock is False:
        return 2
    app = build_app(settings)
    warn_if_sqlite_shared(app)
    clean = True
    try:
        setups = adapter_setups(app)
        if not setups and settings.http_port is None:
            from adapters.console import ConsoleAdapter

            print(
                "No Slack or Discord credentials in the environment or .env: "
                "starting the console adapter.",
                file=sys.stderr,
            )
            console_with_dispatcher(app, ConsoleAdapter(app.core))
            return 0
        clean = asyncio.run(serve(app, setups))
        return 0
    finally:
        app.close()
        if lock:
            lock.release()
        if not clean:
            # A post stuck past the grace time holds a worker thread that the
            # interpreter would join: leave now (its rows wait for their lease).
            logging.shutdown()
            os._exit(0)


def hold_instance_lock(settings: Settings) -> InstanceLock | None | Literal[False]:
    """The SQLite single-process lock (None off SQLite; False, said on stderr, if taken)."""
    lock = sqlite_lock(settings.database_url)
    if lock is None:
        return None
    try:
        return lock.acquire()
    except InstanceLockError as err:
        print(f"accord: {err}", file=sys.stderr)
        return False
