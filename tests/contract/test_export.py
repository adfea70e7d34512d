"""Exports: Markdown and PDF, from the chat and from the operator CLI."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
from sqlalchemy.engine import Engine

from adapters.console import ConsoleAdapter
from bot import cli
from tests.conftest import say
from tests.contract.helpers import confirmed


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_markdown_export_in_chat(console: ConsoleAdapter, tmp_path: Path) -> None:
    confirmed(console)
    out = say(console, "/contract export md")
    assert "The agreement, as md." in out
    md = (tmp_path / "files" / "contract.md").read_text(encoding="utf-8")
    assert md.startswith("# Partnership agreement\n")
    assert "Status: confirmed by all parties" in md
    assert "## Shared objectives and decisive KPIs\n\n500 inscriptions d’ici juin" in md
    assert "- Acme: alice" in md and "- Beta: bob" in md
    assert "*Confirmed by: Acme (alice, 2026-03-02 10:00); Beta (bob, 2026-03-02 10:00)*" in md


def test_pdf_export_holds_terms_with_accents(console: ConsoleAdapter, tmp_path: Path) -> None:
    confirmed(console)
    say(console, "/contract sign https://docs.example.com/signed.pdf", "/contract export pdf")
    data = (tmp_path / "files" / "contract.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in (
        "Partnership agreement",
        "Status: signed",
        "500 inscriptions d’ici juin",
        "10 000 € each side",
        "30 days’ notice to exit",
        "Signed document: https://docs.example.com/signed.pdf",
    ):
        assert expected in text


def test_pdf_export_in_french(console: ConsoleAdapter, tmp_path: Path) -> None:
    say(console, "/accord lang fr", "/contract set données Aucune donnée personnelle échangée")
    assert "L’accord, au format pdf." in say(console, "/contract export pdf")
    text = pdf_text((tmp_path / "files" / "contract.pdf").read_bytes())
    assert "Accord de partenariat" in text
    assert "Statut : brouillon" in text  # pypdf extracts the no-break space as a space
    assert "Partage de données et données personnelles" in text
    assert "Aucune donnée personnelle échangée" in text
    assert "Droits d’usage de la marque et des contenus" in text
    assert "Manquant." in text


def test_bad_format(console: ConsoleAdapter) -> None:
    assert "I cannot export as “docx”" in say(console, "/contract export docx")


def test_cli_export(
    console: ConsoleAdapter,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    confirmed(console)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.chdir(tmp_path)  # no stray .env
    target = tmp_path / "out.pdf"
    args = ["export", "contract", "--team", "acme-beta", "--channel", "launch"]
    assert cli.main([*args, "--format", "pdf", "--output", str(target)]) == 0
    assert "12 months, renewable" in pdf_text(target.read_bytes())

    assert cli.main([*args, "--format", "md", "--lang", "fr"]) == 0
    md = capsysbinary.readouterr().out.decode("utf-8")
    assert md.startswith("# Accord de partenariat")
    assert "Logos only, no video" in md

    # Tenancy: the same channel in another team has no contract.
    assert cli.main(["export", "contract", "--team", "other", "--channel", "launch"]) == 1


@pytest.mark.parametrize("facts", range(28, 44))
def test_no_pdf_page_holds_only_the_footer_whatever_the_length(facts: int) -> None:
    """Issue 13: a recap ending at a page's end put its footer alone on the next page."""
    from datetime import UTC, datetime

    from bot.contract.export import ContractDocument, TermView, to_pdf
    from bot.kernel.i18n import Translator

    doc = ContractDocument(
        title="Accord de partenariat",
        status="Statut : signé",
        subtitle="Canal : launch",
        parties=["Acme : alice", "Beta : bob"],
        terms=[
            TermView(f"Clause {i}", "Un texte assez long pour une ligne entière. " * 2, "Acme")
            for i in range(8)
        ],
        facts=[f"Fait {i}" for i in range(facts)],
        footer="Généré par Accord le 02/03/2026 10:00 · révision 3",
    )
    reader = pypdf.PdfReader(
        io.BytesIO(to_pdf(doc, Translator("fr"), datetime(2026, 3, 2, tzinfo=UTC)))
    )
    for page in reader.pages:
        body = [x for x in page.extract_text().splitlines() if x.strip() and "Généré" not in x]
        assert body
    assert all("Généré par Accord" in page.extract_text() for page in reader.pages)
