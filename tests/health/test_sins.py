"""Each sin, from stored situations: ✅, ⚠️ and ❌ with the evidence and the command.

The situations are typed through the console (both back-ends); the findings are
computed at a fixed clock, moved by hand to age the data.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.health import rules
from bot.health.commands import findings, line
from bot.kernel.clock import FixedClock
from bot.kernel.i18n import Translator
from bot.kernel.types import Tenant
from bot.matching import profiles
from bot.matching.profiles import Profile
from storage.models import Partnership
from tests.conftest import say
from tests.contract.helpers import PARTIES, TERMS, confirmed

TENANT = Tenant("console", "acme-beta")


def check(app: App, sin: str, lang: str = "en") -> tuple[rules.Finding, str]:
    """The finding of one sin now, and its line as the user reads it."""
    with app.session_factory() as session:
        partnership = session.exec(select(Partnership)).one()
        found = findings(session, partnership, app.clock.now(), lang=lang, timezone="Europe/Paris")
    finding = next(f for f in found if f.sin == sin)
    return finding, line(Translator(lang), finding)


def store_profiles(app: App, *partners: Profile) -> None:
    own = Profile(
        name="Acme",
        description="Organic baby food for young families",
        audience=["families", "parents", "eco-friendly"],
        geography=["FR"],
        channels={"newsletter": 40_000, "instagram": 30_000},
        resources=["recipes", "shop"],
        needs=["events", "retail"],
        culture=["sustainability", "fast decisions"],
        objectives=["leads", "brand awareness"],
    )
    with app.session_factory() as session:
        profiles.store(session, TENANT, [own], app.clock.now(), own=True)
        profiles.store(session, TENANT, list(partners), app.clock.now())
        session.commit()


GOOD_PARTNER = Profile(
    name="Beta",
    description="Family events and eco-friendly retail for parents",
    audience=["families", "parents", "eco-friendly"],
    geography=["FR"],
    channels={"newsletter": 50_000, "instagram": 25_000},
    resources=["events", "retail"],
    needs=["recipes"],
    culture=["sustainability", "fast decisions"],
    objectives=["leads", "brand awareness"],
)
TRENDY_PARTNER = Profile(
    name="Beta",
    description="Streetwear for gamers",
    audience=["teenagers", "gamers"],
    geography=["US"],
    channels={"instagram": 2_000_000, "tiktok": 3_000_000},
    resources=["influencers"],
    needs=["money"],
    culture=["hype"],
    objectives=["reach"],
)


# -- 1. partner choice --------------------------------------------------------------


def test_partner_exposed_without_profile(app: App, console: ConsoleAdapter) -> None:
    say(console, *PARTIES)
    finding, text = check(app, rules.PARTNER)
    assert finding.state == rules.EXPOSED
    assert "❌ *Partner choice*" in text and "profile is missing" in text
    assert "`/match profile`" in text


def test_partner_exposed_when_the_partner_is_not_in_the_directory(
    app: App, console: ConsoleAdapter
) -> None:
    say(console, *PARTIES)
    store_profiles(app)  # our own profile only
    finding, text = check(app, rules.PARTNER)
    assert finding.state == rules.EXPOSED
    assert "Beta: not in your directory" in text and '`/partner add "Beta"`' in text


def test_partner_at_risk_with_the_trendy_brand_warning(app: App, console: ConsoleAdapter) -> None:
    say(console, *PARTIES)
    store_profiles(app, TRENDY_PARTNER)
    finding, text = check(app, rules.PARTNER)
    assert finding.state == rules.RISK
    assert "Beta: score" in text and "trendy-brand trap" in text and "5000000" in text
    assert "→ next: `/match`" in text


def test_partner_covered_with_a_close_audience(app: App, console: ConsoleAdapter) -> None:
    say(console, *PARTIES)
    store_profiles(app, GOOD_PARTNER)
    finding, text = check(app, rules.PARTNER, "fr")
    assert finding.state == rules.OK, text
    [evidence] = finding.evidence
    assert int(str(evidence.params["score"])) >= 50
    assert int(str(evidence.params["affinity"])) >= 34
    assert "✅ *Choix du partenaire* — Beta\u00a0: score" in text and "`/partner voir Beta`" in text


# -- 2. agreement ----------------------------------------------------------------------


def test_agreement_exposed_as_a_draft(app: App, console: ConsoleAdapter) -> None:
    say(console, *PARTIES, TERMS[0])
    finding, text = check(app, rules.AGREEMENT)
    assert finding.state == rules.EXPOSED
    assert "draft: 1 of 8 terms written" in text
    assert "`/contract set objectives <text>`" in text


def test_agreement_at_risk_while_a_company_has_not_confirmed(
    app: App, console: ConsoleAdapter
) -> None:
    say(console, *PARTIES, *TERMS, "/contract recap", "@alice: /contract confirm")
    finding, text = check(app, rules.AGREEMENT)
    assert finding.state == rules.RISK
    assert "awaiting confirmation from Beta" in text and "`/contract recap`" in text


def test_agreement_at_risk_when_changed_after_a_confirmation(
    app: App, console: ConsoleAdapter
) -> None:
    confirmed(console)
    say(console, "/contract set data Only aggregated figures are shared")
    finding, text = check(app, rules.AGREEMENT)
    assert finding.state == rules.RISK
    assert "changed since a confirmation: Data" in text


def test_agreement_covered_once_confirmed_and_signed_then_renewal_near(
    app: App, console: ConsoleAdapter, clock: FixedClock
) -> None:
    confirmed(console)
    finding, text = check(app, rules.AGREEMENT)
    assert finding.state == rules.RISK and "no signed document linked" in text
    assert "`/contract sign <link to the signed document>`" in text
    say(console, "/contract sign https://example.com/signed.pdf", "/contract date 2026-04-30")
    finding, text = check(app, rules.AGREEMENT)
    assert finding.state == rules.OK, text
    assert "confirmed by Acme, Beta" in text and "https://example.com/signed.pdf" in text
    clock.advance(timedelta(days=40))  # 2026-04-11: the end date is 19 days away
    finding, text = check(app, rules.AGREEMENT)
    assert finding.state == rules.RISK and "in 19 days" in text
    clock.advance(timedelta(days=30))  # past the end date
    finding, text = check(app, rules.AGREEMENT)
    assert finding.state == rules.EXPOSED and "passed 11 days ago" in text
    assert "`/contract date <new end date>`" in text


# -- 3. plan ------------------------------------------------------------------------------


def test_plan_exposed_without_d_day(app: App, console: ConsoleAdapter) -> None:
    say(console, '/plan add "Press kit" 2026-03-20 @alice')
    finding, text = check(app, rules.PLAN)
    assert finding.state == rules.EXPOSED
    assert "D-day is not set" in text and "`/plan launch <date>`" in text


def test_plan_from_covered_to_at_risk_to_exposed_as_days_pass(
    app: App, console: ConsoleAdapter, clock: FixedClock
) -> None:
    say(
        console,
        "/plan launch 2026-04-01",
        '/plan add "Landing page" 2026-03-10 @alice',
        '/plan add "Press kit" D-7 @bob',
    )
    finding, text = check(app, rules.PLAN)
    assert finding.state == rules.OK, text
    assert "2 milestones, all dated and owned" in text and "nothing overdue" in text
    clock.set(clock.now() + timedelta(days=12))  # 14 March: #1 is 4 days late
    finding, text = check(app, rules.PLAN)
    assert finding.state == rules.RISK
    assert "1 overdue, the oldest #1 Landing page by 4 days" in text
    assert "`/plan done 1`, or `/plan move 1 <date> because <reason>`" in text
    clock.set(clock.now() + timedelta(days=5))  # 19 March: 9 days late, more than 7
    finding, text = check(app, rules.PLAN)
    assert finding.state == rules.EXPOSED


def test_plan_at_risk_after_three_moves_with_their_reasons(
    app: App, console: ConsoleAdapter
) -> None:
    say(
        console,
        "/plan launch 2026-04-01",
        '/plan add "Landing page" 2026-03-20 @alice',
        "/plan move 1 2026-03-22 because the agency is late",
        "/plan move 1 2026-03-24 because legal review",
    )
    finding, text = check(app, rules.PLAN)
    assert finding.state == rules.OK and "2 moves in 30 days" in text
    say(console, "/plan move D-day 2026-04-08 because the factory slipped")
    finding, text = check(app, rules.PLAN, "fr")
    assert finding.state == rules.RISK
    assert "3 déplacements en 30 jours" in text
    assert "«\u202fthe factory slipped\u202f»" in text and "«\u202flegal review\u202f»" in text
    assert "`/plan frise`" in text


# -- 4. decisions ----------------------------------------------------------------------


def test_decisions_exposed_when_none_in_two_weeks(
    app: App, console: ConsoleAdapter, clock: FixedClock
) -> None:
    say(console, *PARTIES)
    finding, text = check(app, rules.DECISIONS)
    assert finding.state == rules.EXPOSED and "no decision logged yet" in text
    say(console, "@alice: /decide we launch on 1 April")
    clock.advance(timedelta(days=15))
    finding, text = check(app, rules.DECISIONS)
    assert finding.state == rules.EXPOSED
    assert "no decision logged in 14 days (the last: #3, 2026-03-02)" in text
    assert "`/decide <what was agreed>`" in text


def test_decisions_one_sided_then_shared(app: App, console: ConsoleAdapter) -> None:
    say(console, *PARTIES, "@alice: /decide we launch on 1 April", "@alice: /decide budget 10k")
    finding, text = check(app, rules.DECISIONS)
    assert finding.state == rules.RISK
    assert "2 decisions in 14 days, all by Acme (2); none by Beta" in text
    assert "typed by someone at Beta" in text
    say(console, "@bob: /decide Beta writes the newsletter")
    finding, text = check(app, rules.DECISIONS)
    assert finding.state == rules.OK, text
    assert "by Acme (2), Beta (1)" in text


def test_decisions_at_risk_with_a_long_superseded_chain(app: App, console: ConsoleAdapter) -> None:
    say(
        console,
        *PARTIES,
        # #1 and #2 are the audit trail of the two companies' creation.
        "@alice: /decide launch on 1 April",
        "@bob: /decide launch on 8 April --supersedes 3",
        "@alice: /decide launch on 15 April --supersedes 4",
    )
    finding, text = check(app, rules.DECISIONS)
    assert finding.state == rules.RISK
    assert "#3 → #4 → #5 (3 versions)" in text and "`/decisions show 5`" in text


# -- 5. tracking ---------------------------------------------------------------------


def test_tracking_exposed_without_objective_or_metric(app: App, console: ConsoleAdapter) -> None:
    say(console, "/accord health")  # the partnership exists from its first command
    finding, text = check(app, rules.TRACKING)
    assert finding.state == rules.EXPOSED and "no objective set" in text
    say(console, '/kpi objective "Co-launch"')
    finding, text = check(app, rules.TRACKING)
    assert finding.state == rules.EXPOSED
    assert "no decisive metric for: Co-launch" in text
    assert '`/kpi metric "Co-launch" <decisive metric> target <number> by <date>`' in text


def test_tracking_covered_then_stale(app: App, console: ConsoleAdapter, clock: FixedClock) -> None:
    say(
        console,
        '/kpi objective "Co-launch"',
        '/kpi metric "Co-launch" leads target 100 by 2026-03-31',
        "/kpi log leads 40",
    )
    finding, text = check(app, rules.TRACKING)
    assert finding.state == rules.OK, text
    assert "figures logged in the last 7 days" in text and "on track" in text
    clock.advance(timedelta(days=8))
    finding, text = check(app, rules.TRACKING)
    assert finding.state == rules.RISK and "no figure logged for 8 days" in text
    assert "`/kpi log leads <value>`" in text
    clock.advance(timedelta(days=7))
    finding, _ = check(app, rules.TRACKING)
    assert finding.state == rules.EXPOSED


def test_tracking_at_risk_with_a_vanity_metric_kept(app: App, console: ConsoleAdapter) -> None:
    say(
        console,
        '/kpi objective "Awareness"',
        '/kpi metric "Awareness" likes target 10000 --keep-vanity',
        "/kpi log likes 500",
    )
    finding, text = check(app, rules.TRACKING)
    assert finding.state == rules.RISK
    assert "vanity metric kept: likes" in text
