"""Operator commands of the KPI capability.

`accord import kpi FILE --channel C`: load points from a CSV file, all or
nothing. `accord digest preview --channel C [--chart FILE.png]`: print a
channel's digest as it would be posted now, and write its chart.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.kernel.cli_args import app_command, group
from bot.kernel.i18n import Translator, translator
from bot.kernel.registry import RenderContext
from bot.kernel.services import Services
from bot.kernel.tenancy import ensure_channel, ensure_team, find_channel, partnership_for
from bot.kernel.types import Tenant
from bot.kpi.digest import preview
from bot.kpi.points import ImportFailed, import_csv
from storage.models import Partnership, Team
from storage.models.kpi import Metric

if TYPE_CHECKING:
    from sqlmodel import Session


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--channel", required=True, help="the partnership's shared channel id")
    parser.add_argument("--platform", default="console", help="console, slack or discord")
    parser.add_argument("--team", default="local", help="workspace, guild or console team id")
    parser.add_argument("--lang", default=None, help="fr or en (default: the channel's)")


def add_cli(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    importing = group(subparsers, "import", "load data from files")
    kpi = importing.add_parser(
        "kpi",
        help="KPI points from a CSV file (columns: metric,value,date[,partner,channel,source,id])",
    )
    kpi.add_argument("file", type=Path)
    _common(kpi)
    app_command(kpi, cmd_import_kpi)

    digest = group(subparsers, "digest", "the weekly KPI digest")
    show = digest.add_parser("preview", help="print a channel's digest as it would be posted now")
    _common(show)
    show.add_argument("--chart", type=Path, help="write the chart to this PNG file")
    app_command(show, cmd_digest_preview)


def _where(app: Services, args: argparse.Namespace) -> tuple[str, str]:
    """(language, time zone) of the channel, as the bot would use them."""
    from sqlmodel import select

    with app.session_factory() as session:
        channel = find_channel(session, Tenant(args.platform, args.team), args.channel)
        team = session.exec(
            select(Team).where(Team.platform == args.platform, Team.team_id == args.team)
        ).first()
    lang = args.lang or (channel.locale if channel else None) or (team.locale if team else None)
    tz = (channel.timezone if channel else None) or (team.timezone if team else None)
    return translator(lang or app.settings.default_locale).lang, tz or app.settings.default_timezone


def cmd_import_kpi(args: argparse.Namespace, app: Services) -> int:
    lang, tz = _where(app, args)
    t = translator(lang)
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    tenant = Tenant(args.platform, args.team)
    now = app.clock.now()
    with app.session_factory() as session:
        refusal = _unknown_channel(session, tenant, args.channel, t)
        if refusal is not None:
            print(refusal, file=sys.stderr)
            return 1
        ensure_team(session, tenant, now)
        channel = ensure_channel(session, tenant, args.channel, now)
        partnership = partnership_for(session, tenant, channel, now)
        try:
            result = import_csv(
                session,
                partnership,
                text,
                tz,
                now,
                default_source=f"csv:{args.file.name}"[:64],
                lang=lang,
            )
        except ImportFailed as failed:
            session.rollback()
            for error in failed.errors:
                print(f"{args.file}: {t(error.key, **error.params)}", file=sys.stderr)
            print(t("kpi.import.failed", count=len(failed.errors)), file=sys.stderr)
            return 1
        session.commit()
    print(
        t("kpi.import.done", count=result.stored, duplicates=result.duplicates),
        file=sys.stderr,
    )
    return 0


def _unknown_channel(
    session: Session, tenant: Tenant, channel_id: str, t: Translator
) -> str | None:
    """Why points cannot go to `channel_id` (no metric there: a typo?), or None."""
    from sqlmodel import select

    rows = session.exec(
        select(Partnership.channel_id)
        .join(Metric, Metric.partnership_id == Partnership.id)  # type: ignore[arg-type]
        .where(Partnership.platform == tenant.platform, Partnership.team_id == tenant.team_id)
        .distinct()
    ).all()
    channels = sorted(set(rows))
    linked = find_channel(session, tenant, channel_id)
    if channel_id in channels or (linked is not None and linked.shared_channel_id in channels):
        return None
    where = {"channel": channel_id, "platform": tenant.platform, "team": tenant.team_id}
    if not channels:
        return t("kpi.edges.no_channel_with_metrics", **where)
    return t("kpi.edges.unknown_channel", channels=", ".join(channels), **where)


def cmd_digest_preview(args: argparse.Namespace, app: Services) -> int:
    lang, tz = _where(app, args)
    tenant = Tenant(args.platform, args.team)
    now = app.clock.now()
    with app.session_factory() as session:
        channel = ensure_channel(session, tenant, args.channel, now)
        partnership = partnership_for(session, tenant, channel, now)
        rc = RenderContext(lang=lang, timezone=tz, now=now)
        reply = preview(
            session, partnership, now, rc, app.registry, with_chart=args.chart is not None
        )
        session.rollback()  # a preview writes nothing
    print(reply.plain_text())
    if args.chart is not None:
        if reply.image is None:
            print("no metric yet: no chart written", file=sys.stderr)
        else:
            args.chart.write_bytes(reply.image.content)
            print(f"chart written to {args.chart}", file=sys.stderr)
    return 0
