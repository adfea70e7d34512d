"""The `accord` command line (also `python -m bot`).

Subcommands are registered explicitly below; each capability that has
operator commands adds its own `add_*_commands(subparsers)` call here.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlmodel import col, select

from adapters import discord_adapter
from bot import kpi_cli, matching, ops_status, plan_files
from bot.app import App, build_app
from bot.cli_args import group, tenant_args
from bot.config import Settings
from bot.contract import add_cli as add_contract_cli
from bot.i18n import translator

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
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
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
    console.set_defaults(func=cmd_console)

    database = sub.add_parser("db", help="database maintenance")
    db_sub = database.add_subparsers(metavar="action")
    upgrade = db_sub.add_parser("upgrade", help="apply migrations")
    upgrade.set_defaults(func=cmd_db_upgrade)

    export_sub = group(sub, "export", "write data to stdout")
    decisions = export_sub.add_parser("decisions", help="the decision log")
    tenant_args(decisions)
    decisions.add_argument("--channel", help="one partnership's shared channel (default: all)")
    decisions.add_argument("--format", choices=("csv", "md", "json"), default="md")
    decisions.add_argument("--lang", default="en")
    decisions.set_defaults(func=cmd_export_decisions)
    add_contract_cli(export_sub)

    dispatch = sub.add_parser("dispatch", help="send due reminders and digests")
    dispatch.add_argument("--once", action="store_true", help="one pass, then exit")
    dispatch.set_defaults(func=cmd_dispatch)
    discord_adapter.add_cli(sub)
    kpi_cli.add_cli(sub)
    matching.add_cli(sub)
    plan_files.add_cli(sub)
    ops_status.add_cli(sub)
    return parser


# -- commands -----------------------------------------------------------------


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runner import run

    return run(settings)


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.console import ConsoleAdapter

    app = build_app(settings)
    adapter = ConsoleAdapter(
        app.core, team_id=args.team, channel_id=args.channel, user=args.user, locale=args.lang
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


def cmd_export_decisions(args: argparse.Namespace, settings: Settings) -> int:
    from bot import decisions
    from storage.models import Decision

    app: App = build_app(settings)
    try:
        with app.session_factory() as session:
            query = select(Decision).where(
                Decision.platform == args.platform, Decision.team_id == args.team
            )
            if args.channel:
                query = query.where(Decision.posted_channel_id == args.channel)
            rows = session.exec(query.order_by(col(Decision.number))).all()
            sys.stdout.write(
                decisions.export(
                    session, rows, args.format, translator(args.lang), settings.default_timezone
                )
            )
    finally:
        app.close()
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
