"""The contract recap as a file for the partners: Markdown, or PDF built with fpdf2.

The PDF embeds DejaVu Sans (shipped with matplotlib, already a dependency), so
French accents and typographic apostrophes render; the PDF core fonts cannot.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.contract.terms import SIGNATURE, ContractState, find_contract, load_state
from bot.kernel import formatting
from bot.kernel.i18n import Translator, translator
from bot.kernel.tenancy import find_channel
from bot.kernel.types import Tenant
from storage.models import Contract, Member, Partnership

if TYPE_CHECKING:
    from bot.kernel.services import Services

FORMATS = ("md", "pdf")
MIME = {"md": "text/markdown", "pdf": "application/pdf"}


@dataclass(slots=True)
class TermView:
    title: str
    text: str | None
    confirmed_by: str


@dataclass(slots=True)
class ContractDocument:
    """The recap as plain strings, in one language: what both formats print."""

    title: str
    status: str
    subtitle: str
    parties: list[str]
    terms: list[TermView]
    facts: list[str] = field(default_factory=list)
    footer: str = ""


def build_document(
    session: Session,
    tenant: Tenant,
    partnership: Partnership,
    contract: Contract,
    t: Translator,
    zone: ZoneInfo,
    now: datetime,
) -> ContractDocument:
    state = load_state(session, tenant, partnership, contract)
    ids = [u for _, users in state.parties for u in users]
    ids += [row.user_id for done in state.confirmed.values() for row in done.values()]
    names = display_names(session, tenant, ids)

    def local(when: datetime) -> str:
        return formatting.moment(when.astimezone(zone), t.lang)

    parties = [
        t(
            "contract.party_members",
            name=party.name,
            members=formatting.items([names.get(u, u) for u in users], t.lang) or "—",
        )
        for party, users in state.parties
    ]
    terms = []
    for definition in state.checklist:
        if definition.key == SIGNATURE:
            continue
        term = state.terms.get(definition.key)
        who = []
        for party in state.parties_confirming(definition.key):
            row = state.confirmed[party.id or 0][definition.key]
            who.append(
                t(
                    "contract.export.confirmed_item",
                    party=party.name,
                    user=names.get(row.user_id, row.user_id),
                    when=local(row.confirmed_at),
                )
            )
        terms.append(
            TermView(
                title=definition.title(t),
                text=term.text if term else None,
                confirmed_by="; ".join(who) or t("contract.export.not_confirmed"),
            )
        )
    return ContractDocument(
        title=t("contract.export.title"),
        status=t("contract.export.status", status=t(f"contract.status.{contract.status}")),
        subtitle=t("contract.export.channel", channel=partnership.channel_id),
        parties=parties,
        terms=terms,
        facts=_facts(state, t),
        footer=t("contract.export.generated", when=local(now), revision=contract.revision),
    )


def display_names(session: Session, tenant: Tenant, user_ids: list[str]) -> dict[str, str]:
    """user id -> display name as last seen (a file has no mentions to render)."""
    if not user_ids:
        return {}
    return {
        m.user_id: m.display_name
        for m in session.exec(
            select(Member).where(
                Member.platform == tenant.platform,
                Member.team_id == tenant.team_id,
                col(Member.user_id).in_(set(user_ids)),
            )
        )
    }


def _facts(state: ContractState, t: Translator) -> list[str]:
    contract = state.contract
    facts = []
    if contract.signed_link:
        facts.append(t("contract.export.signed", link=contract.signed_link))
    if contract.end_date:
        day = formatting.day(contract.end_date, t.lang)
        facts.append(t("contract.export.end_date", date=day))
    return facts


def to_markdown(doc: ContractDocument, t: Translator) -> str:
    lines = [f"# {doc.title}", "", doc.status, doc.subtitle, ""]
    lines += [f"## {t('contract.export.parties_heading')}", ""]
    lines += [f"- {p}" for p in doc.parties] or [f"- {t('contract.export.no_parties')}"]
    lines.append("")
    for term in doc.terms:
        lines += [f"## {term.title}", ""]
        lines.append(term.text if term.text else f"_{t('contract.export.missing')}_")
        lines += ["", f"*{t('contract.export.confirmed_line', parties=term.confirmed_by)}*", ""]
    if doc.facts:
        lines += [f"## {t('contract.export.facts_heading')}", ""]
        lines += [f"- {fact}" for fact in doc.facts]
        lines.append("")
    lines += ["---", doc.footer, ""]
    return "\n".join(lines)


@cache
def font_path(bold: bool = False) -> Path:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise RuntimeError("matplotlib (which ships the DejaVu fonts) is not installed")
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / name


def to_pdf(doc: ContractDocument, t: Translator, created: datetime) -> bytes:
    from fpdf import FPDF  # imported here: only exports need it

    # fontTools logs every glyph of the font subset at INFO.
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    class _Pdf(FPDF):
        # The "generated by" line is every page's footer, inside the bottom margin:
        # written as body text, it could spill alone onto a last page.
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", "", 8)
            self.cell(0, 4, f"{doc.footer} · {self.page_no()}/{{nb}}", align="C")

    pdf = _Pdf(format="A4")
    pdf.set_creation_date(created)
    pdf.set_title(doc.title)
    pdf.set_creator("Accord")
    pdf.add_font("DejaVu", "", str(font_path()))
    pdf.add_font("DejaVu", "B", str(font_path(bold=True)))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    def write(text: str, size: float = 11, bold: bool = False, gap: float = 1.5) -> None:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    write(doc.title, 18, bold=True, gap=3)
    write(doc.status, 11)
    write(doc.subtitle, 10, gap=4)
    write(t("contract.export.parties_heading"), 14, bold=True)
    for party in doc.parties or [t("contract.export.no_parties")]:
        write(f"• {party}", 11)
    pdf.ln(3)
    for term in doc.terms:
        write(term.title, 13, bold=True)
        write(term.text or t("contract.export.missing"), 11)
        write(t("contract.export.confirmed_line", parties=term.confirmed_by), 9, gap=4)
    if doc.facts:
        write(t("contract.export.facts_heading"), 13, bold=True)
        for fact in doc.facts:
            write(f"• {fact}", 11)
        pdf.ln(3)
    return bytes(pdf.output())


def render(doc: ContractDocument, fmt: str, t: Translator, created: datetime) -> bytes:
    if fmt == "pdf":
        return to_pdf(doc, t, created)
    return to_markdown(doc, t).encode("utf-8")


# -- operator export ------------------------------------------------------------


def export_for_channel(
    session: Session,
    platform: str,
    team_id: str,
    channel_id: str,
    fmt: str,
    lang: str,
    zone: ZoneInfo,
    now: datetime,
) -> bytes | None:
    """The contract of the partnership a channel belongs to, or None if it has none."""
    tenant = Tenant(platform, team_id)
    channel = find_channel(session, tenant, channel_id)
    home = (channel.shared_channel_id if channel else None) or channel_id
    partnership = session.exec(
        select(Partnership).where(
            Partnership.platform == platform,
            Partnership.team_id == team_id,
            col(Partnership.channel_id) == home,
        )
    ).first()
    if partnership is None:
        return None
    contract_row = find_contract(session, tenant, partnership)
    if contract_row is None:
        return None
    t = translator(lang)
    doc = build_document(session, tenant, partnership, contract_row, t, zone, now)
    return render(doc, fmt, t, now)


def cmd_export_contract(args: argparse.Namespace, app: Services) -> int:
    """`accord export contract`: the file on stdout, or in `--output`."""
    with app.session_factory() as session:
        content = export_for_channel(
            session,
            args.platform,
            args.team,
            args.channel,
            args.format,
            args.lang,
            ZoneInfo(app.settings.default_timezone),
            app.clock.now(),
        )
        if content is None:
            from bot.kernel.scopes import held, nothing_here

            where = held(
                session,
                Contract,
                channel=Partnership.channel_id,
                join=(Partnership, Partnership.id == Contract.partnership_id),
            )
            scope = f"{args.platform}/{args.team} #{args.channel}"
            print(nothing_here(translator(args.lang), "contract", scope, where), file=sys.stderr)
    if content is None:
        return 1
    if args.output:
        with open(args.output, "wb") as fh:
            fh.write(content)
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    return 0
