"""`accord import kpi` and `accord digest preview`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.cli import main
from bot.kernel.config import Settings
from storage.models.kpi import KpiPoint
from tests.kpi.helpers import setup_launch


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ACCORD_DEFAULT_TIMEZONE", "Europe/Paris")
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_import_all_or_nothing(
    env: None, console: ConsoleAdapter, app: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_launch(console)
    good = tmp_path / "good.csv"
    good.write_text(
        "metric,value,date,partner,channel,source,id\n"
        "leads,5,2026-03-01,acme,newsletter,crm,1\n"
        'leads,"1,5",2026-03-01T23:30,,shop,crm,2\n',
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "metric,value,date\nleads,3,2026-03-01\nleads,x,2026-03-01\n"
        "nope,1,2026-03-01\nleads,1,tomorrow\n",
        encoding="utf-8",
    )
    args = ["import", "kpi", "--team", "acme-beta", "--channel", "launch"]
    assert main([*args, str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 3: “value” must be a number." in err
    assert "line 4: unknown metric “nope”" in err
    assert "line 5: “date” must be an ISO 8601 date" in err
    assert "Nothing imported: 3 bad lines." in err
    assert main([*args, str(good)]) == 0
    assert main([*args, str(good)]) == 0
    assert "No new point imported; already there: 2." in capsys.readouterr().err
    with app.session_factory() as s:
        points = s.exec(select(KpiPoint).order_by(KpiPoint.id)).all()
    assert [(p.value, p.partner, p.channel) for p in points] == [
        (5, "Acme", "newsletter"),
        (1.5, None, "shop"),
    ]
    # A naive time in a file is the channel's: 23:30 in Paris is 22:30 UTC.
    assert points[1].at.hour == 22


def test_digest_preview_writes_the_chart(
    env: None, console: ConsoleAdapter, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_launch(console)
    chart = tmp_path / "chart.png"
    assert (
        main(
            [
                "digest",
                "preview",
                "--team",
                "acme-beta",
                "--channel",
                "launch",
                "--chart",
                str(chart),
                "--lang",
                "fr",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Bilan de la semaine" in out and "🎯 *Spring co-launch*" in out
    assert chart.read_bytes().startswith(b"\x89PNG")
