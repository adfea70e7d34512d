"""CSV exports neutralise formula cells (=, +, -, @, tab, CR): one test per export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.app import App
from bot.cli import main
from bot.kernel import csv_safe
from bot.matching import profiles
from tests.hygiene.helpers import run

FORMULAS = ['=HYPERLINK("https://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _assert_defused(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(DANGEROUS), cell


def test_unit_rules() -> None:
    out = io.StringIO()
    writer = csv_safe.writer(out, lineterminator="\n")
    writer.writerow([*FORMULAS, "\tTAB", "\rCR", "-12", "-1,5", 42, -3, "plain"])
    [row] = _cells(out.getvalue())
    assert row[:6] == [
        "'" + FORMULAS[0],
        "'+cmd\\|' /C calc'!A0",
        "'-2+3",
        "'@SUM(A1)",
        "'\tTAB",
        "'\nCR",  # a carriage return inside a cell is written as a line break
    ]
    assert row[6:] == ["-12", "-1,5", "42", "-3", "plain"]  # numbers stay numbers
    assert [csv_safe.unescape(c) for c in row[:5]] == [*FORMULAS, "\tTAB"]


def test_decisions_export(app: App) -> None:
    for formula in FORMULAS:
        run(app, "decide", formula)
    [reply] = run(app, "decisions", "export csv").replies
    rows = _cells(reply.attachments[0].content.decode())
    _assert_defused(rows)
    assert {r[rows[0].index("text")] for r in rows[1:]} == {
        "'" + f.replace("|", "\\|") for f in FORMULAS
    }


def test_plan_export(app: App) -> None:
    run(app, "plan", "launch 2026-06-01")
    for n, formula in enumerate(FORMULAS):
        run(app, "plan", f'add "{formula.replace(chr(34), "")}" D-{n + 1} --notes "=1+{n}"')
    [reply] = run(app, "plan", "export csv").replies
    rows = _cells(reply.attachments[0].content.decode())
    assert len(rows) == 1 + len(FORMULAS)
    _assert_defused(rows)
    assert {r[rows[0].index("notes")] for r in rows[1:]} == {f"'=1+{n}" for n in range(4)}


def test_plan_import_reads_back_its_own_export(app: App) -> None:
    from zoneinfo import ZoneInfo

    from bot.kernel.i18n import translator
    from bot.planning.files import read_csv
    from storage.models import Partnership
    from tests.conftest import START

    text = "title,due,notes\n'=SUM(A1),2026-05-01,'-note\n"
    [planned] = read_csv(
        text,
        now=START,
        tz=ZoneInfo("UTC"),
        partnership=Partnership(launch_date=None),
        t=translator("en"),
    )
    assert (planned.title, planned.notes) == ("=SUM(A1)", "-note")


def test_partners_export(
    engine: Engine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    source = [
        {
            "name": "Acme",
            "description": FORMULAS[0],
            "website": "https://acme.example",
            "contacts": [{"name": "@bob", "role": "-CEO", "email": None}],
        },
        {"name": "Beta", "description": "\tindented"},
    ]
    path = tmp_path / "partners.json"
    path.write_text(json.dumps(source), encoding="utf-8")
    assert main(["import", "partners", str(path), "--team", "t1"]) == 0
    capsys.readouterr()
    assert main(["export", "partners", "--team", "t1", "--format", "csv"]) == 0
    exported = capsys.readouterr().out
    rows = _cells(exported)
    _assert_defused(rows)
    # Accord's own import reads its export back to the same values.
    parsed = profiles.parse_text(exported, "csv")
    assert not parsed.errors
    acme = next(p for _, p in parsed.rows if p.name == "Acme")
    assert acme.description == FORMULAS[0]
    assert [c.name for c in acme.contacts] == ["@bob"] and acme.contacts[0].role == "-CEO"
