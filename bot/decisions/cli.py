"""`accord export decisions`: the decision log on stdout (Markdown, CSV or JSON)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from sqlmodel import col, select

from bot.decisions.commands import export
from bot.kernel.cli_args import app_command, group, tenant_args
from bot.kernel.i18n import translator
from bot.kernel.scopes import held, nothing_here
from storage.models import Decision

if TYPE_CHECKING:
    from bot.kernel.services import Services


def add_cli(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = group(subparsers, "export", "write data to stdout").add_parser(
        "decisions", help="the decision log"
    )
    tenant_args(parser)
    parser.add_argument("--channel", help="one partnership's shared channel (default: all)")
    parser.add_argument("--format", choices=("csv", "md", "json"), default="md")
    parser.add_argument("--lang", default="en")
    app_command(parser, cmd_export_decisions)


def cmd_export_decisions(args: argparse.Namespace, app: Services) -> int:
    with app.session_factory() as session:
        query = select(Decision).where(
            Decision.platform == args.platform, Decision.team_id == args.team
        )
        if args.channel:
            query = query.where(Decision.posted_channel_id == args.channel)
        rows = session.exec(query.order_by(col(Decision.number))).all()
        if not rows:
            scope = f"{args.platform}/{args.team}" + (f" #{args.channel}" if args.channel else "")
            where = held(session, Decision, channel=Decision.posted_channel_id)
            print(nothing_here(translator(args.lang), "decisions", scope, where), file=sys.stderr)
        sys.stdout.write(
            export(session, rows, args.format, translator(args.lang), app.settings.default_timezone)
        )
    return 0
