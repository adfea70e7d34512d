"""Two teams using the same channel names never see each other's contract."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from adapters.console import ConsoleAdapter
from bot.app import App
from storage.models import Contract, ContractTemplateTerm, ContractTerm, Decision, Partnership
from tests.conftest import say
from tests.contract.helpers import confirmed, console_in


def other_team(app: App, tmp_path: Path) -> ConsoleAdapter:
    return console_in(app, tmp_path, "gamma-delta", "launch")


def test_contracts_terms_and_templates_are_per_team(
    console: ConsoleAdapter, app: App, tmp_path: Path
) -> None:
    confirmed(console)
    say(console, "/contract template add sla Service levels")
    other = other_team(app, tmp_path)

    out = say(other, "/contract")
    assert "Partnership agreement — draft" in out
    assert "500 inscriptions" not in out
    assert "Service levels" not in out
    assert out.count("— missing") == 8
    # Same user id, other team: not in a company there.
    say(other, "/contract set objectives Gamma's own goal")
    assert "you are not listed in a company" in say(other, "/contract confirm")

    with Session(app.engine) as session:
        contracts = session.exec(select(Contract).order_by(Contract.id)).all()  # type: ignore[arg-type]
        assert [(c.team_id, c.status) for c in contracts] == [
            # A new checklist term reopens the confirmation of this team's contract only.
            ("acme-beta", "awaiting_confirmation"),
            ("gamma-delta", "draft"),
        ]
        terms = session.exec(
            select(ContractTerm).where(ContractTerm.team_id == "gamma-delta")
        ).all()
        assert [t.text for t in terms] == ["Gamma's own goal"]
        templates = session.exec(select(ContractTemplateTerm)).all()
        assert {t.team_id for t in templates} == {"acme-beta"}

    assert "Gamma's own goal" not in say(console, "/contract")
    out = say(console, "/contract export md")
    md = (tmp_path / "files" / "contract.md").read_text(encoding="utf-8")
    assert "Gamma" not in md
    assert "500 inscriptions" in md
    assert "contract.md" in out


def test_button_of_another_team_does_nothing(
    console: ConsoleAdapter, app: App, tmp_path: Path
) -> None:
    confirmed(console)
    other = other_team(app, tmp_path)
    say(other, "/accord party add Gamma @alice", "/contract")
    with Session(app.engine) as session:
        theirs = session.exec(select(Contract).where(Contract.team_id == "acme-beta")).one()
    # A forged value naming the first team's contract, pressed in the other team.
    other._last_buttons = [("contract.confirm", f"{theirs.id}:1:{theirs.revision}")]
    out = say(other, "!1")
    assert "This button no longer does anything" in out


def test_checklist_change_touches_only_its_partnership(
    console: ConsoleAdapter, app: App, tmp_path: Path
) -> None:
    confirmed(console)
    other = other_team(app, tmp_path)
    confirmed(other)
    second = console_in(app, tmp_path, "acme-beta", "second-launch")
    say(second, "/contract template add sla Service levels")
    with Session(app.engine) as session:
        assert {c.status for c in session.exec(select(Contract))} == {"confirmed"}
        second_id = session.exec(
            select(Partnership.id).where(Partnership.channel_id == "second-launch")
        ).one()
        templates = session.exec(select(ContractTemplateTerm)).all()
        assert templates and {t.partnership_id for t in templates} == {second_id}
    assert "Service levels" not in say(console, "/contract", "/contract template")
    assert "Service levels" in say(second, "/contract template")


def test_template_remove_typed_in_random_does_not_touch_the_partnership(
    console: ConsoleAdapter, app: App, tmp_path: Path
) -> None:
    """The issue's scenario: `/contract template remove data` typed in #random."""
    confirmed(console)
    # One company has not confirmed the `data` term yet: removing it would "complete" it.
    say(console, "/contract set data Only aggregated figures leave either company")
    random = console_in(app, tmp_path, "acme-beta", "random")
    out = say(random, "/contract template remove data")
    assert "Accord → #launch" not in out
    with Session(app.engine) as session:
        [contract] = session.exec(select(Contract).where(Contract.team_id == "acme-beta")).all()
        assert contract.status == "awaiting_confirmation"
        templates = session.exec(select(ContractTemplateTerm)).all()
        assert all(t.partnership_id != contract.partnership_id for t in templates)
    out = say(console, "/contract")
    assert "Only aggregated figures" in out and "awaiting confirmation" in out


def test_template_change_after_confirmations_resets_announces_and_logs(
    console: ConsoleAdapter, app: App
) -> None:
    confirmed(console)
    out = say(console, "/contract template remove data")
    assert "Accord → #launch:" in out
    assert "The agreement’s checklist changed" in out
    assert "Acme, Beta must confirm again" in out
    with Session(app.engine) as session:
        contract = session.exec(select(Contract)).one()
        assert contract.status == "awaiting_confirmation"
        [decision] = session.exec(
            select(Decision).where(Decision.source == "contract.template")
        ).all()
        assert "`data`" in decision.text and "Acme, Beta" in decision.text
    # Confirming again completes it; bringing the term back needs confirmation again.
    out = say(console, "@alice: /contract confirm", "@bob: /contract confirm")
    assert "confirmed by all parties" in out.lower() or "all parties" in out
    out = say(console, "/contract template add data")
    assert "The agreement’s checklist changed" in out
    with Session(app.engine) as session:
        assert session.exec(select(Contract)).one().status == "awaiting_confirmation"
        assert len(session.exec(
            select(Decision).where(Decision.source == "contract.template")
        ).all()) == 2


def test_template_of_a_signed_agreement_is_kept(console: ConsoleAdapter) -> None:
    confirmed(console)
    say(console, "/contract sign https://example.com/signed.pdf")
    out = say(console, "/contract template remove data")
    assert "⚠️" in out and "signed" in out
