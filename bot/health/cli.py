"""`accord health --channel C [--format json]`: the five sins for operators and dashboards."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from bot.kernel.cli_args import app_command, tenant_args

if TYPE_CHECKING:
    from bot.kernel.services import Services


def add_cli(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    health = subparsers.add_parser(
        "health", help="a partnership's health: the five sins checked (as /accord health)"
    )
    health.add_argument("--channel", required=True, help="the partnership's shared channel id")
    tenant_args(health)
    health.add_argument("--format", choices=("text", "json"), default="text")
    health.add_argument("--lang", default=None, help="fr or en (default: the channel's)")
    app_command(health, cmd_health)


def cmd_health(args: argparse.Namespace, app: Services) -> int:
    from bot.health import commands
    from bot.kernel.i18n import translator
    from bot.kernel.tenancy import existing_partnership, find_channel
    from bot.kernel.types import Tenant
    from bot.matching import parse_weights

    tenant = Tenant(args.platform, args.team)
    now = app.clock.now()
    with app.session_factory() as session:
        partnership = existing_partnership(session, tenant, args.channel)
        if partnership is None:
            print(
                f"no partnership in channel {args.channel} ({args.platform}, team {args.team})",
                file=sys.stderr,
            )
            return 2
        channel = find_channel(session, tenant, partnership.channel_id)
        lang = translator(
            args.lang or (channel.locale if channel else None) or app.settings.default_locale
        ).lang
        t = translator(lang)
        found = commands.findings(
            session,
            partnership,
            now,
            lang=lang,
            timezone=app.settings.default_timezone,
            weights=parse_weights(app.settings.match_weights),
        )
        if args.format == "json":
            out = json.dumps(
                commands.as_json(t, partnership, now, found), ensure_ascii=False, indent=2
            )
        else:
            out = commands.reply(t, found).plain_text()
        session.rollback()  # read-only
    print(out)
    return 0
