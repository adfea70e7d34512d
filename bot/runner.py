"""The composition root: which adapters run, and the clock that wakes the dispatcher.

With this module and `bot.cli`, the only core modules that import adapters:
they wire things together and decide nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from adapters import discord_adapter, kpi_ingest, slack_adapter
from adapters.setup import AdapterSetup
from bot.app import App, build_app
from bot.delivery.dispatcher import Dispatcher, PassResult
from bot.kernel.config import Settings
from bot.kernel.types import Notifier

log = logging.getLogger(__name__)

DISPATCH_JOB_ID = "accord-dispatch"


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


def make_dispatcher(app: App, notifiers: Mapping[str, Notifier]) -> Dispatcher:
    return Dispatcher(
        app.session_factory,
        app.registry,
        app.clock,
        notifiers,
        default_locale=app.settings.default_locale,
        default_timezone=app.settings.default_timezone,
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
    scheduler = start_scheduler(app, make_dispatcher(app, notifiers_for(app, adapter)))
    try:
        adapter.run_interactive()
    finally:
        scheduler.shutdown(wait=False)


def serve_dispatcher(app: App) -> int:
    scheduler = start_scheduler(app, make_dispatcher(app, notifiers_for(app)))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=False)
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


async def serve(app: App, setups: list[AdapterSetup]) -> None:
    """Run the HTTP server (if any route needs it), background connections and the clock."""
    from adapters.http_server import build_http_app, mark_ready, start_http

    routes = [route for s in setups for route in s.routes]
    port = app.settings.http_port or (3000 if any(s.needs_http for s in setups) else None)
    runner = None
    if port is not None:
        http_app = build_http_app(routes)
        runner = await start_http(http_app, app.settings.http_host, port)
    notifiers: dict[str, Notifier] = {s.name: s.notifier for s in setups if s.notifier is not None}
    scheduler = start_scheduler(app, make_dispatcher(app, notifiers))
    tasks: list[asyncio.Task[None]] = [
        asyncio.create_task(job()) for s in setups for job in s.background
    ]
    if runner is not None:
        mark_ready(http_app)
    try:
        if tasks:
            await asyncio.gather(*tasks)
        else:
            await asyncio.Event().wait()
    finally:
        scheduler.shutdown(wait=False)
        for s in setups:
            for stop in s.shutdown:
                await stop()
        if runner is not None:
            await runner.cleanup()


def run(settings: Settings) -> int:
    """`accord run` / `make run`: every configured adapter, or the console."""
    app = build_app(settings)
    warn_if_sqlite_shared(app)
    try:
        setups = adapter_setups(app)
        if not setups and not settings.http_port:
            from adapters.console import ConsoleAdapter

            print(
                "No Slack or Discord credentials in the environment or .env: "
                "starting the console adapter.",
                file=sys.stderr,
            )
            console_with_dispatcher(app, ConsoleAdapter(app.core))
            return 0
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(app, setups))
        return 0
    finally:
        app.close()
