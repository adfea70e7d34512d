"""The home overview brings the capabilities together for one user."""

from __future__ import annotations

from adapters.console import ConsoleAdapter
from bot import home
from bot.app import App
from bot.kernel.types import Tenant
from tests.conftest import say


def test_overview_shows_decisions_deadlines_and_metrics(app: App, console: ConsoleAdapter) -> None:
    say(
        console,
        "@alice: /accord party add Acme @alice",
        "/plan launch 2026-04-01",
        '/plan add "Landing page" D-14 @alice',
        '/plan add "Press kit" D-7 @alice',
        "/plan done 2",
        '/kpi objective "Co-launch"',
        '/kpi metric "Co-launch" leads target 500',
        "/kpi log leads 125",
        "/decide we launch on 1 April #launch",
    )
    title, partnership = home.overview(
        app.session_factory, Tenant("console", "acme-beta"), "alice", "en", app.clock.now()
    )
    assert title.text == "You take part in 1 partnership."
    decisions, deadlines, metrics = partnership.sections
    # #1 is the audit decision of Acme's creation.
    assert "#2 · we launch on 1 April #launch" in decisions
    assert "#1 · <@alice> created the company Acme" in decisions
    assert "#1 Landing page · 2026-03-18 · <@alice>" in deadlines
    assert "Press kit" not in deadlines  # done
    assert "leads: 125 / 500 (25%)" in metrics


def test_overview_of_a_newcomer_in_french(app: App) -> None:
    [only] = home.overview(app.session_factory, Tenant("console", "t"), "nobody", "fr")
    assert only.title == "Vos partenariats" and "Aucun partenariat" in only.text
