"""Figures typed in chat and in files are read alike, in the channel's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.cli import main
from storage.models.kpi import KpiPoint, Metric
from tests.conftest import say
from tests.kpi.helpers import setup_launch


def _values(app: App) -> list[float]:
    with app.session_factory() as s:
        return [p.value for p in s.exec(select(KpiPoint).order_by(KpiPoint.id)).all()]


def test_english_thousands_are_thousands(console: ConsoleAdapter, app: App) -> None:
    setup_launch(console)
    out = say(
        console,
        '/kpi metric "Spring co-launch" revenue target 20,000€ by 2026-04-30',
        "/kpi log leads 2,000",
        "/kpi log leads 12.5",
        "/kpi",
    )
    assert "revenue for “Spring co-launch”: target €20,000 by 2026-04-30." in out
    assert "Recorded leads: 2,000 on 2026-03-02" in out
    assert "target reached" in out  # 2,012.5 of 100 leads
    with app.session_factory() as s:
        revenue = s.exec(select(Metric).where(Metric.name == "revenue")).one()
        assert (revenue.target, revenue.unit) == (20000, "€")
    assert _values(app) == [2000, 12.5]


def test_french_figures_and_an_ambiguous_one(console: ConsoleAdapter, app: App) -> None:
    setup_launch(console)
    out = say(
        console,
        "/accord langue fr",
        "/kpi noter leads 1.500",
        "/kpi noter leads 1 500",
        "/kpi noter leads 2,5",
        '/kpi métrique "Spring co-launch" revenu cible 20 000 € d’ici le 30/04/2026',
    )
    # Refused with both readings, nothing stored.
    assert "«\u202f1.500\u202f» se lit de deux façons\u00a0: 1500 ou 1,5." in out
    assert "Noté pour leads\u00a0: 1\u202f500 le 02/03/2026" in out
    assert "Noté pour leads\u00a0: 2,5 le 02/03/2026" in out
    assert "cible 20\u202f000\u00a0€ d’ici le 30/04/2026" in out
    assert _values(app) == [1500, 2.5]


def test_the_file_import_reads_as_the_chat_does(
    console: ConsoleAdapter,
    app: App,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", app.settings.database_url)
    monkeypatch.chdir(tmp_path)
    setup_launch(console)
    say(console, "/accord lang fr")
    data = tmp_path / "points.csv"
    data.write_text(
        'metric,value,date\nleads,"1 250,50",2026-03-01\nleads,"2,5",2026-03-01\n'
        "leads,1.500,2026-03-01\n",
        encoding="utf-8",
    )
    args = ["import", "kpi", "--team", "acme-beta", "--channel", "launch", str(data)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "ligne 4\u00a0: «\u202f1.500\u202f» se lit de deux façons, 1500 ou 1,5" in err
    assert _values(app) == []
    data.write_text(
        'metric,value,date\nleads,"1 250,50",2026-03-01\nleads,"2,5",2026-03-01\n',
        encoding="utf-8",
    )
    assert main(args) == 0
    # The same figures typed in the chat give the same values.
    say(console, "/kpi noter leads 1 250,50 hier", "/kpi noter leads 2,5 hier")
    assert _values(app) == [1250.5, 2.5, 1250.5, 2.5]
