"""Two teams using the same channel names never see each other's contract."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from adapters.console import ConsoleAdapter
from bot.app import App
from storage.models import Contract, ContractTemplateTerm, ContractTerm
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


def test_checklist_change_moves_every_partnership_of_the_team(
    console: ConsoleAdapter, app: App, tmp_path: Path
) -> None:
    confirmed(console)
    other = other_team(app, tmp_path)
    confirmed(other)
    second = console_in(app, tmp_path, "acme-beta", "second-launch")
    say(second, "/contract template add sla Service levels")
    with Session(app.engine) as session:
        statuses = {(c.team_id, c.partnership_id): c.status for c in session.exec(select(Contract))}
    # The team's confirmed contract reopens; the other team's stays confirmed.
    assert sorted(statuses.values()) == ["awaiting_confirmation", "confirmed"]
    assert [s for (team, _), s in statuses.items() if team == "acme-beta"] == [
        "awaiting_confirmation"
    ]
    say(second, "/contract template remove sla")
    with Session(app.engine) as session:
        assert {c.status for c in session.exec(select(Contract))} == {"confirmed"}
