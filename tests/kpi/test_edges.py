"""KPI sharp edges (issue 13): values that cannot be, corrections, dates, channels."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.cli import main
from bot.kernel.config import Settings
from storage.models import Decision
from storage.models.kpi import KpiPoint
from tests.conftest import say
from tests.kpi.helpers import console_for, setup_launch


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ACCORD_DEFAULT_TIMEZONE", "Europe/Paris")
    monkeypatch.chdir(tmp_path)


def _values(app: App) -> list[float]:
    with app.session_factory() as s:
        return [p.value for p in s.exec(select(KpiPoint).order_by(KpiPoint.id)).all()]  # type: ignore[arg-type]


# -- 6: values that cannot be ----------------------------------------------------------


def test_negative_and_absurd_values_are_refused(app: App, console: ConsoleAdapter) -> None:
    setup_launch(console)
    out = say(console, "/kpi log leads -10")
    assert "leads cannot fall" in out and "--can-fall" in out
    out = say(console, "/kpi log leads 99999999999999999999")
    assert "too large" in out
    assert _values(app) == []
    out = say(
        console, '/kpi metric "Spring co-launch" followers target 50 --can-fall --keep-vanity'
    )
    assert "Decisive metric followers" in out, out
    assert "Recorded" in say(console, "/kpi log followers -10")
    assert _values(app) == [-10]


def test_refusal_in_french(app: App, console: ConsoleAdapter) -> None:
    setup_launch(console)
    out = say(console, "/accord lang fr", "/kpi noter leads -10")
    assert "ne peut pas baisser" in out
    assert _values(app) == []


def test_correct_a_mistaken_point_is_logged_as_a_decision(
    app: App, console: ConsoleAdapter, tmp_path: Path
) -> None:
    setup_launch(console)
    say(console, "/kpi log leads 1200")
    bob = console_for(app, tmp_path, user="bob")
    out = say(bob, "/kpi correct leads 12")
    assert "No figure of yours" in out  # bob (Beta) cannot correct alice's (Acme) point
    out = say(console, "/kpi correct leads 12 because typo")
    assert "1200 → 12" in out.replace("1 200", "1200").replace("1,200", "1200")
    assert _values(app) == [12]
    with app.session_factory() as s:
        # The companies' creation is logged too (the audit trail): the correction is the last.
        decision = s.exec(select(Decision).where(Decision.source == "kpi.correct")).one()
    assert "leads" in decision.text and "typo" in decision.text


def test_import_kpi_applies_the_chat_rules(
    env: None, console: ConsoleAdapter, app: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_launch(console)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "metric,value,date,partner\nleads,-3,2026-03-01,\nleads,1000000000000000,2026-03-01,\n"
        "leads,2,2099-03-09,\nleads,2,2026-03-01,Betta\n",
        encoding="utf-8",
    )
    args = ["import", "kpi", "--team", "acme-beta", "--channel", "launch"]
    assert main([*args, str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 2:" in err and "cannot fall" in err
    assert "line 3:" in err and "too large" in err
    assert "line 4:" in err and "in the future" in err
    assert "line 5:" in err and "“Betta”" in err and "Beta" in err
    assert _values(app) == []


# -- 8: a future date is shown as typed, in the channel's zone ------------------------------


def test_future_date_error_shows_the_typed_date(console: ConsoleAdapter) -> None:
    setup_launch(console)
    out = say(console, "/kpi log leads 10 2027-01-01")
    assert "2027-01-01 is in the future" in out


# -- 14: an unknown channel is said so ---------------------------------------------------------


def test_import_kpi_into_an_unknown_channel(
    env: None, console: ConsoleAdapter, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_launch(console)
    path = tmp_path / "p.csv"
    path.write_text("metric,value,date\nleads,3,2026-03-01\nleads,4,2026-03-01\n", encoding="utf-8")
    args = ["import", "kpi", "--team", "acme-beta", "--channel", "lanch", str(path)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "unknown metric" not in err
    assert "lanch" in err and "launch" in err  # the channels that have metrics


# -- 9: /digest is the week so far; the chart's legend and pace ---------------------------


def test_digest_shows_the_week_so_far_and_the_last_one(console: ConsoleAdapter) -> None:
    setup_launch(console)
    out = say(console, "/kpi log leads 7", "/digest")
    assert "leads: 7 this week" in out and "week 10" in out
    out = say(console, "/digest last")
    assert "leads: 0 this week" in out and "week 9" in out


def test_chart_legend_keeps_the_typed_target_and_draws_the_pace(
    app: App, console: ConsoleAdapter
) -> None:
    from bot.kernel.i18n import Translator
    from bot.kpi import digest
    from bot.kpi.stats import iso_week
    from storage.models import Partnership

    setup_launch(console)
    say(console, '/kpi metric "Spring co-launch" ratio target 1.5 by 2026-03-31')
    with app.session_factory() as s:
        partnership = s.exec(select(Partnership)).one()
        data = digest.compute(s, partnership, iso_week(app.clock.now().date(), "Europe/Paris"))
        lines = {x.name: x for x in digest.chart_series(s, data, Translator("en"))}
    from bot.kpi.charts import legend_label

    assert legend_label(lines["ratio"], Translator("en")).endswith("/ 1.5")
    pace = lines["ratio"].pace
    assert pace is not None and pace[-1] > 0 and all(0 <= p <= 1 for p in pace)
    assert pace == sorted(pace)  # never behind the week before


# -- 7: attribution names resolve to the partnership's companies -----------------------------


def test_partner_names_resolve_to_the_companies(app: App, console: ConsoleAdapter) -> None:
    say(
        console,
        "/accord tz Europe/Paris",
        "/accord party add Acme Media @alice",
        "@bob: /accord party add Beta @bob",
        '/kpi objective "Spring co-launch"',
        '/kpi metric "Spring co-launch" leads target 100',
    )
    out = say(
        console,
        "/kpi log leads 1 partner:Acme",
        "/kpi log leads 2 partner:acme media 2026-02-25",
        '/kpi log leads 3 partner:"Acme Media"',
    )
    assert out.count("partner Acme Media") == 3, out
    out = say(console, "/kpi log leads 4 partner:Betta")
    assert "“Betta”" in out and "Beta" in out  # refused, with the close name
    with app.session_factory() as s:
        points = s.exec(select(KpiPoint).order_by(KpiPoint.id)).all()  # type: ignore[arg-type]
    assert [(p.value, p.partner) for p in points] == [
        (1, "Acme Media"),
        (2, "Acme Media"),
        (3, "Acme Media"),
    ]
    from zoneinfo import ZoneInfo

    assert points[1].at.astimezone(ZoneInfo("Europe/Paris")).date().isoformat() == "2026-02-25"


def test_digest_before_any_schedule_is_the_default_mondays_week() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.kpi.digest import digest_week

    wednesday = datetime(2026, 3, 4, 9, tzinfo=UTC)
    paris = ZoneInfo("Europe/Paris")
    assert digest_week(None, paris, wednesday, last=False).key == "2026-W10"
    assert digest_week(None, paris, wednesday, last=True).key == "2026-W09"
