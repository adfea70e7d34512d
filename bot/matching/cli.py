"""Operator commands: `accord import partners|profile FILE`, `accord export partners`, `demo`.

An import is checked whole first. By default it is all-or-nothing: one bad row
and nothing is stored (exit status 1, every bad row listed with its line).
`--skip-invalid` stores the good rows in one transaction and lists the others.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot.kernel.cli_args import app_command, group, tenant_args
from bot.kernel.i18n import translator

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.kernel.i18n import Translator
    from bot.kernel.services import Services
    from bot.matching.profiles import Parsed


T = TypeVar("T")


def add_cli(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    imports = group(subparsers, "import", "read data from files")
    partners = imports.add_parser("partners", help="import a partner directory (CSV or JSON)")
    partners.add_argument("file", type=Path)
    tenant_args(partners)
    partners.add_argument(
        "--skip-invalid",
        action="store_true",
        help="store the valid rows and report the others (default: all or nothing)",
    )
    partners.add_argument("--lang", default="en", help="language of the messages: en or fr")
    app_command(partners, cmd_import_partners)

    profile = imports.add_parser("profile", help="import the team's own profile (CSV or JSON)")
    profile.add_argument("file", type=Path)
    tenant_args(profile)
    profile.add_argument("--lang", default="en")
    app_command(profile, cmd_import_profile)

    exports = group(subparsers, "export", "write data to stdout")
    export = exports.add_parser("partners", help="the partner directory, as CSV or JSON")
    tenant_args(export)
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--lang", default="en", help="language of the messages: en or fr")
    app_command(export, cmd_export_partners)

    demo = subparsers.add_parser("demo", help="load the demo partner directory (fictional)")
    tenant_args(demo)
    app_command(demo, cmd_demo)


def _tenant_of(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from bot.kernel.types import Tenant

    return Tenant(args.platform, args.team)


def _read(path: Path, t: Translator) -> Parsed | None:
    from bot.matching import profiles

    try:
        return profiles.parse_file(path)
    except (OSError, UnicodeDecodeError) as err:
        print(
            t("matching.import.unreadable", file=str(path), reason=type(err).__name__),
            file=sys.stderr,
        )
        return None


def _write(args: argparse.Namespace, app: Services, work: Callable[[Session, datetime], T]) -> T:
    """Run `work` in one transaction on the tenant of `args`, its team row ensured."""
    from bot.kernel.tenancy import ensure_team
    from storage.db import transaction

    with transaction(app.session_factory) as session:
        now = app.clock.now()
        ensure_team(session, _tenant_of(args), now)
        return work(session, now)


def cmd_import_partners(args: argparse.Namespace, app: Services) -> int:
    from bot.matching import profiles

    t = translator(args.lang)
    parsed = _read(args.file, t)
    if parsed is None:
        return 2
    from bot.kernel.progress import bar

    try:
        with bar(len(parsed.rows), t("matching.edges.progress_import")) as progress:
            result = _write(
                args,
                app,
                lambda session, now: profiles.import_parsed(
                    session,
                    _tenant_of(args),
                    parsed,
                    now,
                    skip_invalid=args.skip_invalid,
                    advance=progress.update,
                ),
            )
    except profiles.ImportRefused as refused:  # rolled back: nothing stored
        for error in refused.errors:
            print(error.message(t), file=sys.stderr)
        print(t("matching.import.refused", count=len(refused.errors)), file=sys.stderr)
        return 1
    for error in parsed.errors:
        print(error.message(t), file=sys.stderr)
    counts = {"created": result.created, "updated": result.updated, "skipped": len(parsed.errors)}
    print(t("matching.import.done", **counts), file=sys.stderr)
    return 0


def cmd_import_profile(args: argparse.Namespace, app: Services) -> int:
    from bot.matching import profiles

    t = translator(args.lang)
    parsed = _read(args.file, t)
    if parsed is None:
        return 2
    own = parsed.own or (parsed.rows[0][1] if len(parsed.rows) == 1 else None)
    if parsed.errors or own is None:
        for error in parsed.errors:
            print(error.message(t), file=sys.stderr)
        if not parsed.errors:
            print(t("matching.import.one_profile", count=len(parsed.rows)), file=sys.stderr)
        return 1
    _write(
        args,
        app,
        lambda session, now: profiles.store(session, _tenant_of(args), [own], now, own=True),
    )
    print(t("matching.import.profile_done", name=own.name), file=sys.stderr)
    return 0


def cmd_export_partners(args: argparse.Namespace, app: Services) -> int:
    from bot.matching import profiles

    with app.session_factory() as session:
        rows = profiles.export_rows(session, _tenant_of(args))
        if not rows:
            from bot.kernel.scopes import held, nothing_here
            from storage.models import PartnerProfile

            where = held(session, PartnerProfile)
            scope = f"{args.platform}/{args.team}"
            message = nothing_here(translator(args.lang), "partners", scope, where)
            print(message, file=sys.stderr)
    sys.stdout.write(profiles.export_text(rows, args.format))
    return 0


def cmd_demo(args: argparse.Namespace, app: Services) -> int:
    from bot.matching.directory import load_demo

    count, own_set = _write(
        args, app, lambda session, now: load_demo(session, _tenant_of(args), now)
    )
    t = translator("en")
    print(t("matching.demo.loaded_own" if own_set else "matching.demo.loaded", count=count))
    print(t("matching.edges.demo_where", platform=args.platform, team=args.team))
    return 0
