"""The `accord` command line (also `python -m bot`).

Subcommands are registered explicitly below; each capability that has
operator commands adds them through its `add_cli(subparsers)` entry, one line
here. Commands marked with `app_command` receive the wired `App`, built here
and closed afterwards.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from adapters import discord_adapter
from bot import contract, decisions, health, kpi, matching, planning
from bot.app import build_app, build_registry
from bot.delivery import status as delivery_status
from bot.kernel import log_hygiene
from bot.kernel.cli_args import group
from bot.kernel.config import Settings

log = logging.getLogger("accord")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Tokens and secrets never reach the logs, third-party DEBUG logs included.
    log_hygiene.install(log_hygiene.configured_secrets(settings))
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    if getattr(args, "needs_app", False):
        app = build_app(settings)
        try:
            return int(args.func(args, app) or 0)
        finally:
            app.close()
    return int(args.func(args, settings) or 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="accord", description="Accord, the shared decision channel of business partnerships."
    )
    sub = parser.add_subparsers(metavar="command")

    run = sub.add_parser("run", help="start every configured adapter (the console if none)")
    run.set_defaults(func=cmd_run)

    console = sub.add_parser("console", help="talk to Accord in the terminal")
    console.add_argument("--team", default="local")
    console.add_argument("--channel", default="general")
    console.add_argument("--user", default="me")
    console.add_argument("--lang", default=None, help="fr or en (default: the channel's)")
    console.add_argument("--script", type=Path, help="read one message per line, then exit")
    console.add_argument(
        "--admin",
        action="append",
        default=[],
        metavar="USER",
        help="a user who stands for a workspace admin (may repair companies); repeatable",
    )
    console.add_argument(
        "--today",
        type=_iso_day,
        metavar="YYYY-MM-DD",
        help="fix the clock at 09:00 UTC that day (scripts with dates replay the same any day)",
    )
    console.set_defaults(func=cmd_console)

    database = sub.add_parser("db", help="database maintenance")
    db_sub = database.add_subparsers(metavar="action")
    upgrade = db_sub.add_parser("upgrade", help="apply migrations")
    upgrade.set_defaults(func=cmd_db_upgrade)

    decisions.add_cli(sub)
    contract.add_cli(group(sub, "export", "write data to stdout"))

    dispatch = sub.add_parser("dispatch", help="send due reminders and digests")
    dispatch.add_argument("--once", action="store_true", help="one pass, then exit")
    dispatch.set_defaults(func=cmd_dispatch)
    discord_adapter.add_cli(sub, build_registry)
    kpi.add_cli(sub)
    matching.add_cli(sub)
    planning.add_cli(sub)
    health.add_cli(sub)
    delivery_status.add_cli(sub)
    return parser


# -- commands -----------------------------------------------------------------


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runner import run

    return run(settings)


def _iso_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-03-02") from exc


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.console import ConsoleAdapter

    clock = None
    if args.today is not None:
        from datetime import UTC, datetime, time

        from bot.kernel.clock import FixedClock

        clock = FixedClock(datetime.combine(args.today, time(9, 0), tzinfo=UTC))
    app = build_app(settings, clock=clock)
    adapter = ConsoleAdapter(
        app.core,
        team_id=args.team,
        channel_id=args.channel,
        user=args.user,
        locale=args.lang,
        admins=frozenset(args.admin),
    )
    try:
        if args.script:
            with args.script.open(encoding="utf-8") as fh:
                adapter.run_script(fh)
        else:
            from bot.runner import console_with_dispatcher

            console_with_dispatcher(app, adapter)
    finally:
        app.close()
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    app = build_app(settings)
    app.close()
    print("database is up to date", file=sys.stderr)
    return 0


def cmd_dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runner import dispatch_once, hold_instance_lock, serve_dispatcher

    lock = hold_instance_lock(settings)
    if lock is False:
        return 2
    app = build_app(settings)
    try:
        if args.once:
            result = dispatch_once(app)
            print(
                f"claimed {result.claimed}, sent {result.sent}, failed {result.failed}",
                file=sys.stderr,
            )
            return 0 if result.failed == 0 else 1
        return serve_dispatcher(app)
    finally:
        app.close()
        if lock:
            lock.release()
