"""Console transcripts of /kpi in English and French."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlmodel import select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.kernel.types import Command, User
from storage.models import ProcessedRequest
from storage.models.kpi import KpiPoint, KpiToken, Metric
from tests.conftest import say
from tests.kpi.helpers import console_for, setup_launch


def test_objective_metric_log_and_overview_in_english(console: ConsoleAdapter, app: App) -> None:
    out = setup_launch(console)
    assert "Objective “Spring co-launch” added." in out
    assert "Weekly digest: Mondays at 09:00 (Europe/Paris)." in out
    assert "Decisive metric leads for “Spring co-launch”: target 100 by 2026-04-30." in out
    out = say(
        console,
        "/kpi log leads 12 partner:beta channel:newsletter yesterday",
        "/kpi log leads 8",
        "/kpi",
    )
    assert "Recorded leads: 12 on 2026-03-01 · partner Beta · channel newsletter." in out
    # Without partner: the logger's company; the party's spelling is kept.
    assert "Recorded leads: 8 on 2026-03-02 · partner Acme · channel unattributed." in out
    assert "Total so far: 20 of 100 (20%)." in out
    assert "• leads: 20 / 100 ▓▓░░░░░░░░ 20% · on track for 2026-04-30" in out
    with app.session_factory() as s:
        points = s.exec(select(KpiPoint).order_by(KpiPoint.id)).all()
        assert [(p.value, p.partner, p.channel, p.source) for p in points] == [
            (12, "Beta", "newsletter", "chat"),
            (8, "Acme", None, "chat"),
        ]


def test_at_most_two_decisive_metrics(console: ConsoleAdapter, app: App) -> None:
    setup_launch(console)
    out = say(
        console,
        '/kpi metric "Spring co-launch" revenue target 20000€ by end of March',
        '/kpi metric "Spring co-launch" signups target 300',
    )
    assert "revenue for “Spring co-launch”: target €20,000 by 2026-03-31." in out
    assert "“Spring co-launch” already has 2 decisive metrics (leads, revenue)." in out
    assert "more metrics blur what success means" in out
    with app.session_factory() as s:
        assert len(s.exec(select(Metric)).all()) == 2


def test_vanity_metric_refused_then_kept(console: ConsoleAdapter, app: App) -> None:
    say(console, '/kpi objective "Awareness"')
    out = say(console, '/kpi metric "Awareness" story-views target 10000')
    assert "looks like a vanity metric" in out and "link clicks or leads" in out
    with app.session_factory() as s:
        assert s.exec(select(Metric)).all() == []
    out = say(console, '/kpi metric "Awareness" story-views target 10000 --keep-vanity', "/kpi")
    assert "is a vanity metric, kept on purpose" in out
    assert "story-views (vanity metric): 0 / 10,000" in out
    with app.session_factory() as s:
        metric = s.exec(select(Metric)).one()
        assert metric.vanity and metric.vanity_kept_by == "alice"


def test_french_transcript(app: App, tmp_path: Path) -> None:
    console = console_for(app, tmp_path, locale="fr")
    out = say(
        console,
        "/accord lang fr",
        '/kpi objective "Co-lancement printemps"',
        '/kpi metric "Co-lancement printemps" abonnés cible 5000',
        '/kpi metric "Co-lancement printemps" inscriptions cible 1 000 d\'ici le 30 avril 2026',
        "/kpi log inscriptions 1,5k canal:boutique hier",
        "/kpi log inscriptions 3 le 32 truc",
        "/kpi",
    )
    # French typography: narrow no-break spaces inside « » and before ; ! ?, a no-break
    # space before :, the typographic apostrophe, and French digit grouping.
    assert "Objectif «\u202fCo-lancement printemps\u202f» ajouté." in out
    assert "«\u202fabonnés\u202f» ressemble à un indicateur de vanité" in out
    assert "les inscriptions, les conversions (achats) ou le chiffre d’affaires" in out
    assert (
        "Indicateur décisif inscriptions pour «\u202fCo-lancement printemps\u202f»\u00a0:"
        " cible 1\u202f000" in out
    )
    assert "cible 1\u202f000 d’ici le 30/04/2026." in out
    assert (
        "Noté pour inscriptions\u00a0: 1\u202f500 le 01/03/2026 · partenaire non attribué"
        " · canal boutique." in out
    )
    assert "Je ne sais pas lire la date «\u202fle 32 truc\u202f»" in out
    assert "cible atteinte ✅" in out


def test_errors_store_nothing(console: ConsoleAdapter, app: App) -> None:
    setup_launch(console)
    out = say(
        console,
        "/kpi log unknown 3",
        "/kpi log leads abc",
        "/kpi log leads 3 tomorrow",
        '/kpi metric "Nope" leads target 3',
        '/kpi metric "Spring co-launch" clicks target -3',
    )
    assert "There is no metric “unknown”. Metrics: leads." in out
    assert "“abc” is not a number." in out
    assert "is in the future" in out
    assert "There is no objective “Nope”." in out
    assert "is not a target" in out
    with app.session_factory() as s:
        assert s.exec(select(KpiPoint)).all() == []


def test_token_is_a_representatives_and_is_stored_hashed(
    console: ConsoleAdapter, app: App
) -> None:
    say(console, "/accord party add Acme @bob")  # Alice represents Acme, Bob is a member
    out = say(console, "@gus: /kpi token")
    assert "Only a company's representative may show or rotate the KPI ingest token." in out
    out = say(console, "@bob: /kpi token")
    assert "You are a member of Acme." in out
    with app.session_factory() as s:
        assert s.exec(select(KpiToken)).all() == []
    out = say(console, "@alice: /kpi token")
    assert "issued a new KPI ingest token" in out  # logged as a decision, announced
    token = out.split("`acc_kpi_")[1].split("`")[0]
    with app.session_factory() as s:
        row = s.exec(select(KpiToken)).one()
        assert token not in row.token_hash and len(row.token_hash) == 64
        old = row.token_hash
        # The core keeps replies for platform retries: never the token in clear.
        receipts = s.exec(select(ProcessedRequest)).all()
        assert receipts and all(token not in (r.replies_json or "") for r in receipts)
        assert any("acc_kpi_…" in (r.replies_json or "") for r in receipts)
    out = say(console, "/kpi token", "/kpi token rotate")
    assert "cannot be shown again" in out
    with app.session_factory() as s:
        assert s.exec(select(KpiToken)).one().token_hash != old


def test_kpi_is_per_tenant(app: App, tmp_path: Path) -> None:
    a = console_for(app, tmp_path, team="team-a")
    b = console_for(app, tmp_path, team="team-b")
    setup_launch(a)
    say(a, "/kpi log leads 5")
    out = say(b, "/kpi", "/kpi log leads 5")
    assert "No objective yet" in out
    assert "There is no metric “leads”" in out


def test_two_metric_limit_holds_under_concurrency(console: ConsoleAdapter, app: App) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("concurrent instances need PostgreSQL")
    setup_launch(console)  # one metric so far
    barrier = threading.Barrier(2)
    outcomes: list[bool] = []

    def add(name: str) -> None:
        command = Command(
            platform="console",
            team_id="acme-beta",
            channel_id="launch",
            user=User("alice"),
            name="kpi",
            text=f'metric "Spring co-launch" {name} target 10',
            idempotency_key=name,
        )
        barrier.wait()
        outcomes.append(not app.core.handle(command).replies[0].is_error)

    threads = [threading.Thread(target=add, args=(n,)) for n in ("signups", "purchases")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [False, True]
    with app.session_factory() as s:
        assert len(s.exec(select(Metric)).all()) == 2


def test_unknown_names_before_anything_is_defined_say_what_to_do(console: ConsoleAdapter) -> None:
    out = say(console, '/kpi metric "Nope" leads target 5', "/kpi log leads 3")
    assert 'There is no objective yet. Add it first: `/kpi objective "Nope"`.' in out
    assert "no decisive metric is defined yet" in out
    assert "—" not in out
