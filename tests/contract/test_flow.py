"""The checklist flow end to end in the console, two companies talking."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import Session, select

from adapters.console import ConsoleAdapter
from bot.app import App
from storage.models import Contract, ContractConfirmation, Decision
from tests.conftest import say
from tests.contract.helpers import PARTIES, TERMS, confirmed, console_in, filled


def status(app: App) -> str:
    with Session(app.engine) as session:
        return session.exec(select(Contract)).one().status


def test_start_shows_every_term_missing(console: ConsoleAdapter, app: App) -> None:
    out = say(console, "/contract")
    assert "Partnership agreement — draft" in out
    assert "The agreement is started" in out
    assert out.count("— missing") == 8
    assert "⬜ Shared objectives and decisive KPIs — missing · `/contract set objectives …`" in out
    assert "8 terms missing" in out
    assert status(app) == "draft"
    # Showing it again does not start it twice.
    assert "The agreement is started" not in say(console, "/contract")


def test_whole_flow_two_companies(console: ConsoleAdapter, app: App) -> None:
    out = filled(console)
    assert "Agreement — Shared objectives and decisive KPIs" in out
    assert "500 inscriptions d’ici juin" in out
    out = say(console, "/contract")
    assert "— missing" not in out.replace("Link to the signed document — after", "")
    assert "post the recap with `/contract recap`" in out

    out = say(console, "/contract recap")
    assert "Accord → #launch:" in out
    assert "did we understand the same thing?" in out
    for line in ("Logos only, no video", "12 months, renewable", "10 000 € each side"):
        assert line in out
    assert "[1] We understood the same thing (Acme)  [2] We understood the same thing (Beta)" in out
    assert status(app) == "awaiting_confirmation"

    out = say(console, "@bob: !2")
    assert "@bob (Beta) confirmed for Beta: we understood the same thing" in out
    assert "Still to confirm: Acme." in out
    # The pressed recap is updated in place: Beta ticked, only Acme's button left.
    assert "Accord (updated) → #launch:" in out
    assert "✅ Beta — @bob (Beta): confirmed by @bob (Beta) on 2026-03-02 10:00" in out
    assert "[1] We understood the same thing (Acme)\n" in out
    assert "(Beta)  [" not in out
    assert status(app) == "awaiting_confirmation"

    out = say(console, "@alice: /contract confirm")
    assert "@alice (Acme) confirmed for Acme" in out
    assert "Agreement confirmed by all parties" in out
    assert status(app) == "confirmed"

    out = say(console, "/contract sign https://docs.example.com/acme-beta-signed.pdf")
    assert "Agreement signed" in out
    assert "https://docs.example.com/acme-beta-signed.pdf" in out
    assert status(app) == "signed"
    out = say(console, "/contract")
    assert "✅ Link to the signed document: https://docs.example.com/acme-beta-signed.pdf" in out

    out = say(console, "/contract set droits Logos and video")
    assert "The agreement is signed: its terms can no longer change." in out

    out = say(console, "@bob: /contract end because the campaign is over")
    assert "Agreement ended" in out
    assert "Reason: the campaign is over" in out
    assert status(app) == "ended"
    assert "Ended on 2026-03-02" in say(console, "/contract")


def test_confirm_for_own_company_only(console: ConsoleAdapter, app: App) -> None:
    filled(console)
    say(console, "/contract recap")
    out = say(console, "@bob: !1")  # Acme's button
    assert "You represent Beta: you can confirm for Beta only, not for Acme." in out
    out = say(console, "@carol: !2")
    assert "Only a company's representative (for their own company) may confirm" in out
    assert "You are a guest here (in no company of this partnership)." in out
    out = say(console, "@carol: /contract confirm")
    assert "You are a guest here" in out
    # A member of Beta is not its representative either.
    say(console, "@bob: /accord party add Beta @carol")
    out = say(console, "@carol: /contract confirm")
    assert "You are a member of Beta." in out
    with Session(app.engine) as session:
        assert session.exec(select(ContractConfirmation)).all() == []
    # Once Beta's representative names her, she confirms for Beta.
    say(console, "@bob: /accord party rep @carol")
    out = say(console, "@carol: /contract confirm")
    assert "@carol (Beta) confirmed for Beta" in out
    out = say(console, "@bob: /contract confirm")
    assert "Beta has already confirmed every current term." in out


def test_no_confirmation_before_recap_nor_sign_before_confirmation(
    console: ConsoleAdapter, app: App
) -> None:
    filled(console)
    assert "post the recap first with `/contract recap`" in say(console, "@bob: /contract confirm")
    out = say(console, "/contract sign https://docs.example.com/x.pdf")
    assert "every company must confirm it before it is signed" in out
    assert "is not a link" in say(console, "/contract sign tomorrow")
    assert status(app) == "draft"


def test_recap_needs_every_term_and_two_companies(console: ConsoleAdapter, app: App) -> None:
    say(console, *PARTIES[:1], *TERMS[:7])
    out = say(console, "/contract recap")
    assert "Some terms are still missing: Duration, renewal and exit (`duration`)" in out
    say(console, TERMS[7])
    out = say(console, "/contract recap")
    assert "An agreement needs at least two companies" in out
    assert status(app) == "draft"


def test_change_after_confirmation_resets_and_logs_decision(
    console: ConsoleAdapter, app: App
) -> None:
    confirmed(console)
    assert status(app) == "confirmed"
    out = say(console, "@bob: /contract set budget 12 000 € each side")
    assert "their confirmation of it is reset" in out
    assert "Acme, Beta" in out
    assert "Decision #3" in out  # #1 and #2: the two companies' creation
    assert status(app) == "awaiting_confirmation"
    with Session(app.engine) as session:
        decision = session.exec(select(Decision).where(Decision.source != "accord.party")).one()
        assert decision.source == "contract.term"
        assert "12 000 € each side" in decision.text
        assert decision.author_id == "bob"
    out = say(console, "@alice: /contract")
    assert "12 000 € each side — awaiting Acme, Beta" in out
    assert "Logos only, no video — confirmed by Acme, Beta" in out
    # The old recap's buttons name an older revision: they no longer confirm.
    say(console, "@alice: /contract confirm")
    out = say(console, "@bob: /contract confirm")
    assert "Agreement confirmed by all parties" in out
    assert status(app) == "confirmed"


def test_change_before_any_confirmation_is_not_a_decision(
    console: ConsoleAdapter, app: App
) -> None:
    filled(console)
    say(console, "/contract recap", "@alice: /contract set droits Logos and video")
    with Session(app.engine) as session:
        assert session.exec(select(Decision).where(Decision.source != "accord.party")).all() == []
    out = say(console, "@bob: !2")
    assert "The terms changed since this recap" in out
    out = say(console, "/contract set droits Logos and video")
    assert "nothing changed" in out


def test_failed_change_writes_nothing(console: ConsoleAdapter, app: App) -> None:
    confirmed(console)
    out = say(console, "/contract set budget " + "x" * 1501)
    assert "A term has at most 1500 characters" in out
    assert status(app) == "confirmed"
    with Session(app.engine) as session:
        assert session.exec(select(Decision).where(Decision.source != "accord.party")).all() == []
        assert session.exec(select(Contract)).one().revision == 9


def test_unknown_term_and_subcommand(console: ConsoleAdapter) -> None:
    out = say(console, "/contract set pricing 10€")
    assert "“pricing” is not a term of this checklist" in out
    assert "objectives, deliverables" in out
    assert "Unknown request “foo”" in say(console, "/contract foo")
    assert "`/contract sign <link>`" in say(console, "/contract set signature http://x.y")
    assert "What does the term say?" in say(console, "/contract set objectives")


def test_french(console: ConsoleAdapter, app: App) -> None:
    say(console, "/accord lang fr", *PARTIES)
    out = say(console, "/contract")
    assert "Accord de partenariat — brouillon" in out
    assert "⬜ Objectifs communs et KPI décisifs — manquant" in out
    say(console, *TERMS)
    out = say(console, "/contract recapitulatif")
    assert "avons-nous compris la même chose\u202f?" in out
    assert "[2] Nous avons compris la même chose (Beta)" in out
    out = say(console, "@bob: !1")
    assert (
        "Vous représentez Beta\u00a0: vous ne pouvez confirmer que pour Beta, pas pour Acme."
        in out
    )
    say(console, "@bob: /contract confirmer")
    out = say(console, "@alice: /contract valider")
    assert "Accord confirmé par toutes les parties" in out
    out = say(console, "@alice: /contract set objectifs 600 inscriptions")
    assert "Terme du contrat «\u202fObjectifs communs et KPI décisifs\u202f» modifié" in out
    assert status(app) == "awaiting_confirmation"


def test_template_per_team(console: ConsoleAdapter) -> None:
    out = say(console, "/contract template")
    assert "`objectives` — Shared objectives and decisive KPIs (also: objectifs" in out
    out = say(console, "/contract template add sla Service levels and support hours")
    assert "Term `sla` added" in out
    out = say(console, "/contract template remove données")
    assert "Term `data` removed" in out
    out = say(console, "/contract")
    assert "⬜ Service levels and support hours — missing · `/contract set sla …`" in out
    assert "Data sharing" not in out
    assert "already has a term `sla`" in say(console, "/contract template add SLA again")
    assert "already has a term `objectifs`" in say(console, "/contract template add objectifs x")
    out = say(console, "/contract template reset")
    assert "back to the default one" in out
    assert "Service levels" not in say(console, "/contract")


def test_template_change_completes_confirmation(console: ConsoleAdapter, app: App) -> None:
    say(console, "/contract template add sla Service levels")
    filled(console)
    say(console, "/contract set sla 99.9%", "/contract recap", "@alice: /contract confirm")
    say(console, "/contract template add kickoff Kick-off meeting")
    out = say(console, "@bob: /contract confirm")
    assert "Some terms are still missing: Kick-off meeting" in out
    out = say(console, "/contract template remove kickoff")
    # Taking a term out after confirmations resets them: nobody's agreement is assumed.
    assert "Acme must confirm again" in out
    assert status(app) == "awaiting_confirmation"
    out = say(console, "@bob: /contract confirm")
    assert "Agreement confirmed by all parties" not in out
    out = say(console, "@alice: /contract confirm")
    assert "Agreement confirmed by all parties" in out


def test_posts_go_to_the_shared_channel(console: ConsoleAdapter, app: App, tmp_path: Path) -> None:
    prep = console_in(app, tmp_path, "acme-beta", "acme-prep")
    filled(console)
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", say(console, "/accord link"))
    assert code is not None
    say(prep, f"/accord link {code.group(0)}")
    out = say(prep, "/contract recap")
    assert "Accord → #launch:" in out
    assert "Posted in the shared channel #launch." in out
    out = say(prep, "/contract confirm")
    assert "Accord → #launch:" in out and "@alice (Acme) confirmed for Acme" in out


def test_recap_of_a_confirmed_agreement_changes_nothing(console: ConsoleAdapter, app: App) -> None:
    confirmed(console)
    out = say(console, "/contract recap")
    assert "✅ Acme — @alice (Acme): confirmed by @alice (Acme)" in out
    assert "We understood the same thing" not in out  # no button left to press
    assert "Agreement confirmed by all parties" not in out
    assert status(app) == "confirmed"


def test_a_company_joining_later_must_confirm_too(console: ConsoleAdapter, app: App) -> None:
    confirmed(console)
    say(console, "@carol: /accord party add Gamma @carol")
    out = say(console, "/contract sign https://docs.example.com/x.pdf")
    assert "every company must confirm it before it is signed" in out
    out = say(console, "/contract")
    assert "Partnership agreement — awaiting confirmation" in out
    assert "— confirmed by Acme, Beta · awaiting Gamma" in out
    assert status(app) == "awaiting_confirmation"
    out = say(console, "@carol: /contract confirm")
    assert "Agreement confirmed by all parties" in out
    assert "Agreement signed" in say(console, "/contract sign https://docs.example.com/x.pdf")


def test_recap_shows_the_metrics_and_milestones_it_refers_to(console: ConsoleAdapter) -> None:
    out = say(
        console,
        "@alice: /accord party add Acme @alice",
        "@bob: /accord party add Beta @bob",
        "/plan launch 2026-04-01",
        '/plan add "Landing page" D-14 @alice',
        '/kpi objective "Co-launch"',
        '/kpi metric "Co-launch" leads target 500 by 2026-06-30',
        "/contract set objectives 500 leads by June",
        "/contract set deliverables landing page by Acme, press kit by Beta",
        "/contract",
    )
    assert "(+1 from /kpi or /plan, shown in the recap)" in out
    for key in ("parties", "resources", "rights", "communication", "data", "duration"):
        say(console, f"/contract set {key} agreed")
    recap = say(console, "/contract recap")
    assert "Decisive metrics in /kpi:\n  • Co-launch · leads → 500 by 2026-06-30" in recap
    milestone = "#1 Landing page · 2026-03-18 (D-14) · @alice (Acme)"
    assert f"Open milestones in /plan:\n  • {milestone}" in recap
