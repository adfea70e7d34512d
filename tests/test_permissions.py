"""Who may do what, in the console: two companies (Acme, Beta), each with a representative
and a member, a guest in the channel and a stranger from another partnership.

Every row of the permission table is tried by everyone: refused users get a localized
message saying who may do it, and nothing at all changes; allowed users change something.
The issue's scenarios are replayed and refused; the audit decisions are present.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel, col, select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.kernel.permissions import Permission
from storage.models import ContractConfirmation, Decision, Party, PartyMember
from tests.conftest import say
from tests.contract.helpers import TERMS

ACME_REP, ACME_MEMBER, BETA_REP, BETA_MEMBER, GUEST = "alice", "bob", "carol", "dave", "gus"
EVERYONE = (ACME_REP, ACME_MEMBER, BETA_REP, BETA_MEMBER, GUEST)
REPS = (ACME_REP, BETA_REP)
MEMBERS = (ACME_REP, ACME_MEMBER, BETA_REP, BETA_MEMBER)

# A refused command leaves every table as it was, but those recording who was seen and
# which deliveries were handled (not the partnership's data).
UNWATCHED = {"member", "processed_request"}


def snapshot(app: App) -> dict[str, list[Any]]:
    with app.engine.connect() as conn:
        return {
            table: sorted(map(repr, conn.execute(text(f'SELECT * FROM "{table}"')).all()))
            for table in (t.name for t in SQLModel.metadata.sorted_tables)
            if table not in UNWATCHED
        }


def two_companies(console: ConsoleAdapter) -> str:
    return say(
        console,
        f"@{ACME_REP}: /accord party add Acme @{ACME_MEMBER}",
        f"@{BETA_REP}: /accord party add Beta @{BETA_MEMBER}",
        f"@{GUEST}: /accord",
    )


@pytest.fixture
def partnership(console: ConsoleAdapter) -> ConsoleAdapter:
    two_companies(console)
    return console


def decisions(app: App, source: str | None = None) -> list[Decision]:
    with Session(app.engine) as session:
        query = select(Decision).order_by(col(Decision.number))
        if source is not None:
            query = query.where(Decision.source == source)
        return list(session.exec(query).all())


def roster(app: App) -> dict[str, tuple[str, bool]]:
    """user -> (company, representative)."""
    with Session(app.engine) as session:
        rows = session.exec(
            select(PartyMember, Party).join(Party, col(Party.id) == col(PartyMember.party_id))
        ).all()
        return {pm.user_id: (party.name, pm.is_representative) for pm, party in rows}


def refused(app: App, console: ConsoleAdapter, user: str, line: str, *expected: str) -> str:
    before = snapshot(app)
    out = say(console, f"@{user}: {line}")
    assert "⚠️" in out, out
    for part in expected:
        assert part in out, out
    assert snapshot(app) == before, f"{line!r} by {user} changed something"
    return out


def test_bootstrap_makes_each_creator_its_companys_representative(
    app: App, console: ConsoleAdapter
) -> None:
    out = two_companies(console)
    assert roster(app) == {
        ACME_REP: ("Acme", True),
        ACME_MEMBER: ("Acme", False),
        BETA_REP: ("Beta", True),
        BETA_MEMBER: ("Beta", False),
    }
    # Announced in the shared channel and recorded as decisions: the audit trail.
    assert "@alice (Acme) created the company Acme in this partnership and represents it" in out
    assert "also in Acme: @bob (Acme)" in out
    audit = [d.text for d in decisions(app, "accord.party")]
    assert len(audit) == 2
    assert audit[1] == (
        "<@carol> created the company Beta in this partnership and represents it;"
        " also in Beta: <@dave>."
    )
    out = say(console, f"@{GUEST}: /accord")
    assert "Acme: @alice (Acme) (representative), @bob (Acme)" in out
    assert "You: a guest here (in no company of this partnership)" in out


# (permission, command with {user} for what must differ per user, who may, setup lines)
ROWS: list[tuple[Permission, str, tuple[str, ...], tuple[str, ...]]] = [
    (Permission.READ, "/decisions", EVERYONE, ()),
    (Permission.DECIDE, "/decide {user} agrees on 3 March", MEMBERS, ()),
    (Permission.PLAN, '/plan add "Landing {user}" 2026-04-01', MEMBERS, ()),
    (
        Permission.PLAN,
        "/plan move D-day 2026-05-1{n} because {user} asked",
        MEMBERS,
        ("@alice: /plan launch 2026-05-01",),
    ),
    (Permission.LOG_KPI, '/kpi objective "Goal {user}"', MEMBERS, ()),
    (Permission.EDIT_DIRECTORY, "/partner add Org {user} --audience parents", MEMBERS, ()),
    (Permission.EDIT_DIRECTORY, "/match profile set name Team {user}", MEMBERS, ()),
    (Permission.DRAFT_CONTRACT, "/contract set objectives {user}: 500 leads", MEMBERS, ()),
    (Permission.DRAFT_CONTRACT, "/contract date 2027-0{n}-01", MEMBERS, ()),
    (
        Permission.END_CONTRACT,
        "/contract end because {user} says so",
        (ACME_REP,),
        ("@alice: /contract",),
    ),
    (
        Permission.END_CONTRACT,
        "/contract end because {user} says so",
        (BETA_REP,),
        ("@alice: /contract",),
    ),
    (Permission.CREATE_COMPANY, "/accord party add Gamma", (GUEST,), ()),
    (Permission.MANAGE_COMPANY, "/accord party add Acme @erin{n}", (ACME_REP,), ()),
    (Permission.MANAGE_COMPANY, "/accord party rep @bob", (ACME_REP,), ()),
    (Permission.MANAGE_COMPANY, "/accord party remove @bob", (ACME_REP,), ()),
    (Permission.LEAVE_COMPANY, "/accord party leave", (ACME_MEMBER, BETA_MEMBER), ()),
    (Permission.MANAGE_KPI_TOKEN, "/kpi token rotate", REPS, ()),
    (Permission.MANAGE_SETTINGS, "/accord lang {lang}", REPS, ()),
    (Permission.MANAGE_SETTINGS, "/accord tz Europe/{city}", REPS, ()),
    (Permission.MANAGE_SETTINGS, "/accord reminders {n}0 1", REPS, ()),
    (Permission.MANAGE_SETTINGS, "/accord digest friday 1{n}:00", REPS, ()),
    (Permission.MANAGE_SETTINGS, "/contract template add budget{n} Budget", REPS, ()),
    (Permission.MANAGE_LINKS, "/accord link", REPS, ()),
]
_CITIES = {ACME_REP: "Paris", BETA_REP: "Berlin"}


def _line(template: str, user: str) -> str:
    n = EVERYONE.index(user) + 1
    lang = "fr" if user == ACME_REP else "en"
    return template.format(user=user, n=n, lang=lang, city=_CITIES.get(user, "Rome"))


@pytest.mark.parametrize(
    ("permission", "template", "allowed", "setup"),
    ROWS,
    ids=[f"{r[0].value}:{r[1].split()[0]}{r[1].split()[1] if ' ' in r[1] else ''}" for r in ROWS],
)
def test_every_row_allowed_and_refused(
    app: App,
    partnership: ConsoleAdapter,
    permission: Permission,
    template: str,
    allowed: tuple[str, ...],
    setup: tuple[str, ...],
) -> None:
    console = partnership
    say(console, *setup)
    for user in EVERYONE:
        if user in allowed:
            continue
        if permission in (Permission.END_CONTRACT, Permission.LEAVE_COMPANY) and user in REPS:
            # Allowed too: ending is tried by the other representative in the other row;
            # the last representative leaving is refused for another reason (tested below).
            continue
        line = _line(template, user)
        if f"remove @{user}" in line:
            continue  # removing oneself is leaving: allowed
        out = refused(app, console, user, line, "Only ")
        assert "You are " in out
    for user in allowed:
        before = snapshot(app)
        out = say(console, f"@{user}: {_line(template, user)}")
        assert "⚠️" not in out, out
        if permission is not Permission.READ:
            assert snapshot(app) != before, f"{template} by {user} changed nothing"


def test_a_refusal_says_who_may_and_who_you_are_in_both_languages(
    app: App, partnership: ConsoleAdapter
) -> None:
    out = refused(app, partnership, GUEST, "/decide we launch", "Only members of a company")
    assert "may log decisions. You are a guest here (in no company of this partnership)." in out
    out = refused(
        app, partnership, ACME_MEMBER, "/contract end because", "a company's representative"
    )
    assert "You are a member of Acme." in out
    say(partnership, "@alice: /accord lang fr")
    out = refused(
        app, partnership, GUEST, "/decide on lance", "Seul·e·s les membres d’une entreprise"
    )
    assert "Vous êtes invité·e ici" in out
    out = refused(
        app, partnership, BETA_REP, "/accord party add Acme @gus", "représentant·e·s d’Acme"
    )
    assert "Vous êtes représentant·e de Beta." in out


# -- the scenarios ------------------------------------------------------------------


def test_nobody_puts_themselves_in_the_partner_company(
    app: App, partnership: ConsoleAdapter
) -> None:
    refused(app, partnership, GUEST, "/accord party add Beta @gus", "a representative of Beta")
    refused(
        app, partnership, ACME_MEMBER, "/accord party add Beta @bob", "a representative of Beta"
    )
    # Not even its own representative can take a person from another company.
    refused(app, partnership, ACME_REP, "/accord party add Beta @alice", "a representative of Beta")
    # Nor create a second company to hop into.
    refused(app, partnership, ACME_MEMBER, "/accord party add Gamma", "people in no company yet")
    assert roster(app)[GUEST if GUEST in roster(app) else ACME_MEMBER] == ("Acme", False)
    assert GUEST not in roster(app)


def test_nobody_moves_a_person_out_of_their_company(app: App, partnership: ConsoleAdapter) -> None:
    out = refused(app, partnership, ACME_REP, "/accord party add Acme @dave", "@dave is in Beta")
    assert "nobody moves a person out of another company" in out
    refused(app, partnership, BETA_REP, "/accord party add Beta @bob @alice", "is in Acme")
    refused(app, partnership, BETA_REP, "/accord party remove @bob", "a representative of Acme")
    refused(app, partnership, GUEST, "/accord party remove @dave", "a representative of Beta")
    refused(app, partnership, ACME_MEMBER, "/accord party rep @bob", "a representative of Acme")
    refused(app, partnership, BETA_REP, "/accord party rep @bob", "a representative of Acme")
    # Only they or their representative: Dave leaves by himself, Bob is removed by Alice.
    out = say(partnership, "@dave: /accord party leave")
    assert "<@dave>" not in out and "@dave left Beta." in out
    out = say(partnership, "@alice: /accord party remove @bob")
    assert "@alice (Acme) removed @bob from Acme." in out
    assert roster(app) == {ACME_REP: ("Acme", True), BETA_REP: ("Beta", True)}
    texts = [d.text for d in decisions(app, "accord.party")]
    assert texts[-2:] == ["<@dave> left Beta.", "<@alice> removed <@bob> from Acme."]


def test_a_company_keeps_a_representative(app: App, partnership: ConsoleAdapter) -> None:
    refused(
        app, partnership, ACME_REP, "/accord party leave", "Acme would have no representative left"
    )
    refused(app, partnership, ACME_REP, "/accord party rep @alice off", "no representative left")
    say(partnership, "@alice: /accord party rep @bob")
    out = say(partnership, "@alice: /accord party leave")
    assert "@alice left Acme." in out
    assert roster(app)[ACME_MEMBER] == ("Acme", True)


def _recapped(console: ConsoleAdapter) -> None:
    out = say(console, "@alice: /contract", *(f"@bob: {t}" for t in TERMS), "@bob: /contract recap")
    assert "⚠️" not in out, out


def _status(app: App) -> str:
    with app.engine.connect() as conn:
        return str(conn.execute(text("SELECT status FROM contract")).scalar())


def test_only_a_representative_confirms_and_only_for_their_own_company(
    app: App, partnership: ConsoleAdapter
) -> None:
    _recapped(partnership)
    refused(app, partnership, ACME_MEMBER, "/contract confirm", "a company's representative")
    refused(app, partnership, GUEST, "/contract confirm", "You are a guest")
    refused(app, partnership, BETA_MEMBER, "!2", "You are a member of Beta")  # Beta's button
    out = say(partnership, "@alice: /contract confirm")
    assert "@alice (Acme) confirmed for Acme" in out
    # The trick: confirm for Acme, switch to Beta, confirm again. Refused at the switch.
    refused(app, partnership, ACME_REP, "/accord party add Beta @alice", "a representative of Beta")
    refused(app, partnership, ACME_REP, "/accord party leave", "no representative left")
    refused(app, partnership, ACME_REP, "/accord party add Gamma", "people in no company yet")
    assert _status(app) == "awaiting_confirmation"
    out = say(partnership, "@carol: /contract confirm")
    assert "Agreement confirmed by all parties" in out
    assert _status(app) == "confirmed"


def test_a_confirmation_lapses_when_its_author_stops_representing(
    app: App, partnership: ConsoleAdapter
) -> None:
    _recapped(partnership)
    say(partnership, "@alice: /contract confirm", "@carol: /contract confirm")
    assert _status(app) == "confirmed"
    out = say(partnership, "@alice: /accord party rep @bob", "@bob: /accord party rep @alice off")
    assert "@bob (Acme) withdrew @alice (Acme)'s role as representative of Acme." in out
    assert "Acme's confirmation is withdrawn" in out
    assert "@alice (Acme) no longer represents Acme" in out
    assert "The agreement is no longer confirmed by all parties." in out
    assert _status(app) == "awaiting_confirmation"
    with Session(app.engine) as session:
        rows = session.exec(select(ContractConfirmation)).all()
        assert {r.user_id for r in rows if r.withdrawn_at is not None} == {ACME_REP}
    refused(app, partnership, ACME_REP, "/contract confirm", "You are a member of Acme")
    out = say(partnership, "@bob: /contract confirm")
    assert "Agreement confirmed by all parties" in out
    # Beta's representative leaving (after naming another) withdraws Beta's too.
    out = say(partnership, "@carol: /accord party rep @dave", "@carol: /accord party leave")
    assert "Beta's confirmation is withdrawn" in out
    assert _status(app) == "awaiting_confirmation"


def test_signing_and_ending_belong_to_representatives_and_are_logged(
    app: App, partnership: ConsoleAdapter
) -> None:
    _recapped(partnership)
    say(partnership, "@alice: /contract confirm", "@carol: /contract confirm")
    link = "https://docs.example.com/signed.pdf"
    for user in (ACME_MEMBER, BETA_MEMBER, GUEST):
        refused(app, partnership, user, f"/contract sign {link}", "Only a company's representative")
        refused(
            app,
            partnership,
            user,
            "/contract end because we stop",
            "Only a company's representative",
        )
    out = say(partnership, f"@carol: /contract sign {link}")
    assert "Agreement signed" in out and "Logged as decision #" in out
    refused(app, partnership, BETA_REP, "/contract end", "needs a reason")
    out = say(partnership, "@alice: /contract end because the campaign is over")
    assert "Reason: the campaign is over" in out
    assert _status(app) == "ended"
    texts = [d.text for d in decisions(app, "contract.status")]
    assert texts == [
        f"<@carol> (Beta) recorded the signed agreement: {link}",
        "<@alice> (Acme) ended the agreement. Reason: the campaign is over",
    ]


def test_the_kpi_token_is_the_representatives_and_its_rotation_is_logged(
    app: App, partnership: ConsoleAdapter
) -> None:
    out = say(partnership, "@carol: /kpi token rotate")
    assert "acc_kpi_" in out
    [decision] = decisions(app, "kpi.token")
    assert decision.text.startswith("<@carol> issued a new KPI ingest token")
    assert "acc_kpi_" not in decision.text  # never the token itself


def test_a_stranger_from_another_partnership_changes_nothing_here(
    app: App, partnership: ConsoleAdapter, tmp_path: Path
) -> None:
    stranger = ConsoleAdapter(
        app.core,
        team_id="acme-beta",
        channel_id="elsewhere",
        user="mallory",
        out=io.StringIO(),
        files_dir=tmp_path / "elsewhere",
        run_id="elsewhere",
    )
    before = roster(app)
    out = say(
        stranger,
        "@mallory: /accord party add Beta @mallory",
        "@mallory: /accord party add Acme @bob",
    )
    # Her "Beta" is a company of her own partnership; Bob stays in Acme, here.
    assert roster(app)[ACME_MEMBER] == ("Acme", False)
    assert {u: v for u, v in roster(app).items() if u != "mallory"} == before
    assert "is in no company" not in out
    out = say(stranger, "@mallory: /decisions")
    assert "Acme" not in out and "Beta" in out  # only her own partnership's log
    # In the partnership's channel she is a guest.
    refused(app, partnership, "mallory", "/decide we give up", "You are a guest")


def test_a_workspace_admin_repairs_companies(app: App, partnership: ConsoleAdapter) -> None:
    partnership.admins = frozenset({"root"})
    refused(app, partnership, "eve", "/accord party remove @alice", "or a workspace admin")
    out = say(
        partnership,
        "@root: /accord party remove @alice",
        "@root: /accord party rep @bob",
        "@root: /accord party add Beta @bob",
    )
    assert "⚠️" not in out, out
    assert roster(app)[ACME_MEMBER] == ("Beta", False)  # moved by the admin, logged
    assert ACME_REP not in roster(app)
    assert "As a workspace admin, they moved @bob (Beta) out of their previous company." in out
    # Repair is all an admin gets: no decisions for someone in no company.
    refused(app, partnership, "root", "/decide all good", "You are a guest")


def test_an_open_partnership_is_set_up_by_anyone(app: App, console: ConsoleAdapter) -> None:
    out = say(console, "@zoe: /accord lang fr", "@yan: /decide on lance le 3 mars")
    assert "⚠️" not in out
    say(console, "@zoe: /accord party add Acme")
    refused(app, console, "yan", "/accord tz Europe/Paris", "Vous êtes invité·e")


def test_an_admin_of_a_guest_workspace_repairs_only_its_company() -> None:
    from datetime import UTC, datetime

    from bot.kernel.permissions import TABLE, Role, Standing

    now = datetime(2026, 3, 2, tzinfo=UTC)

    def company(name: str, home: str | None) -> Party:
        return Party(
            id=len(name), platform="slack", team_id="T0ACME", partnership_id=1,
            name=name, name_key=name.lower(), home_team_id=home, created_at=now,
        )  # fmt: skip

    acme, beta = company("Acme", None), company("Beta", "T0BETA")
    host_admin = Standing(company=None, representative=False, open=False, admin=True)
    guest_admin = Standing(None, False, False, admin=True, admin_home="T0BETA")
    manage = TABLE[Permission.MANAGE_COMPANY]
    assert host_admin.roles(acme) & manage and host_admin.roles(beta) & manage
    assert guest_admin.roles(beta) & manage
    assert not guest_admin.roles(acme) & manage
    assert Role.WORKSPACE_ADMIN not in guest_admin.roles()
