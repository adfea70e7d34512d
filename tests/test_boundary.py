"""The partnership is the boundary: from a channel that does not belong to a partnership,
no command, button, setting or autocomplete reads or changes anything of it.

Partnership A lives in #launch with something of every capability. Mallory, in
#random (the channel of another partnership, or a channel with none), runs every
command of the registry with the subcommands that read or write, presses every
button with values forged to name A's things, and asks every suggester. Nothing
of A may show in what she gets (replies and exported files), and A's rows, down
to the last column, must be what they were.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.kernel.types import Action, Tenant, User
from storage.models import Contract, Milestone, Partnership
from tests.conftest import say
from tests.contract.helpers import console_in

TEAM = "acme-beta"
MARK = "ALPHA"  # every text of partnership A carries it; nothing else does

SETUP_A = (
    "@alice: /accord party add ALPHACORP @alice",
    "@bob: /accord party add ALPHAPARTNER @bob",
    "@alice: /decide ALPHA-DECISION the budget is 40k #alpha",
    "/plan launch 2026-06-01",
    '/plan add "ALPHA-MILESTONE landing page" D-14 @alice',
    '/kpi objective "ALPHA-OBJECTIVE"',
    '/kpi metric "ALPHA-OBJECTIVE" leads target 500 by 2026-12-31',
    "/kpi log leads 12 partner:ALPHAPARTNER",
    "/kpi token rotate",
    "/contract template add alphasla ALPHA-SLA",
    "/contract set objectives ALPHA-TERM 500 leads",
    "/contract set parties ALPHA-TERM parties",
    "/accord reminders 3,1 at 08:00",
    "/accord digest friday 5pm",
    "/accord lang en",
    "/accord tz Europe/Paris",
)
SETUP_B = (
    "@mallory: /accord party add Evil @mallory",
    "@mallory: /decide our own decision",
    '@mallory: /plan add "our own milestone" 2026-05-01',
)

# Every command of the registry, with what reads and what writes (a test below
# fails when a command is added without its line here).
INVOCATIONS: dict[str, tuple[str, ...]] = {
    "decide": ("FORGED decision", "--supersedes 1 replaces the first"),
    "decisions": (
        "",
        "search alpha",
        "search budget",
        "show 1",
        "show 2",
        "export csv",
        "export json",
        "export md",
    ),
    "plan": (
        "",
        "show 1",
        "done 1",
        "cancel 1",
        "move 1 2026-04-01 because forged",
        "snooze 1 3",
        "launch 2026-09-01",
        'add "forged" D-3',
        "reminders",
        "export csv",
        "export ics",
        "timeline",
        "reopen 1",
    ),
    "match": ("", "profile", "families --top 3"),
    "partner": ("", "list", "show alpha-partner", "add Forged Partner"),
    "kpi": (
        "",
        "log leads 999",
        'objective "Alpha-objective"',
        'metric "Alpha-objective" leads target 1',
        "token",
        "token rotate",
        "correct leads 5",
    ),
    "digest": ("", "last"),
    "contract": (
        "",
        "set objectives forged",
        "recap",
        "confirm",
        "sign https://example.com/forged",
        "end",
        "date 2027-01-01",
        "template",
        "template remove data",
        "template remove alphasla",
        "template add forged Forged",
        "template reset",
        "export md",
        "export pdf",
    ),
    "accord": (
        "",
        "channel #launch",
        "channel launch",
        "channel off",
        "link",
        "link ABCD-EFGH-JKMN",
        "unlink",
        "unlink #launch",
        "unlink 1",
        "unlink 2",
        "link Alphacorp",
        "places",
        "party",
        "party add Alphacorp @mallory",
        "reminders",
        "reminders 0 at 07:00",
        "digest",
        "digest pause",
        "lang fr",
        "tz Asia/Tokyo",
        "health",
        "help",
    ),
}


def _id_of(app: App, channel_id: str) -> int:
    with Session(app.engine) as session:
        row = session.exec(
            select(Partnership).where(
                Partnership.team_id == TEAM, Partnership.channel_id == channel_id
            )
        ).one()
        assert row.id is not None
        return row.id


def snapshot(app: App, partnership_id: int, channel_id: str) -> dict[str, list[Any]]:
    """Every row of partnership A, in every table, every column."""
    out: dict[str, list[Any]] = {}
    with Session(app.engine) as session:
        contracts = [
            c.id
            for c in session.exec(select(Contract).where(Contract.partnership_id == partnership_id))
        ]
        for table in SQLModel.metadata.sorted_tables:
            if table.name == "processed_request":
                continue
            cols = table.c
            conds = []
            if "partnership_id" in cols:
                conds.append(cols.partnership_id == partnership_id)
            if "channel_id" in cols and "team_id" in cols:
                conds.append((cols.channel_id == channel_id) & (cols.team_id == TEAM))
            if "shared_channel_id" in cols:
                conds.append(cols.shared_channel_id == channel_id)
            if "contract_id" in cols:
                conds.append(col(cols.contract_id).in_(contracts))
            if table.name == "partnership":
                conds.append(cols.id == partnership_id)
            if not conds:
                continue
            query = sa_select(table)
            where = conds[0]
            for cond in conds[1:]:
                where = where | cond
            rows = session.execute(query.where(where).order_by(*table.primary_key)).all()
            out[table.name] = [tuple(map(repr, r)) for r in rows]
    return out


def _files_text(directory: Path) -> str:
    if not directory.exists():
        return ""
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in directory.iterdir())


@pytest.fixture(params=["another partnership", "no partnership", "a place of another"])
def where(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def world(
    console: ConsoleAdapter, app: App, tmp_path: Path, where: str
) -> tuple[ConsoleAdapter, int, dict[str, list[Any]]]:
    """Partnership A in #launch; Mallory's console in #random; A's rows before."""
    out = say(console, *SETUP_A)
    assert "⚠️" not in out, out
    random = console_in(app, tmp_path, TEAM, "random")
    random.user = "mallory"
    if where in ("another partnership", "a place of another"):
        out = say(random, *SETUP_B)
        assert "⚠️" not in out, out
    if where == "a place of another":
        # Mallory's own workspace joined partnership B as a place: from there, A is as
        # far away as from anywhere else.
        code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", say(random, "/accord link"))
        assert code is not None
        random = console_in(app, tmp_path, "evil-corp", "deal")
        random.user = "mallory"
        out = say(random, f"/accord link {code.group(0)}", "/accord party add Evil2 @mallory")
        assert "⚠️" not in out, out
    a_id = _id_of(app, "launch")
    before = snapshot(app, a_id, "launch")
    assert before["decision"] and before["milestone"] and before["kpi_token"]
    assert before["contract_template_term"] and before["reminder_policy"]
    assert before["kpi_digest_schedule"]
    return random, a_id, before


def test_every_command_is_covered(app: App) -> None:
    assert set(INVOCATIONS) == set(app.registry.commands)
    # Every `/accord` setting a capability adds (under any of its names) is run too.
    accord = {line.split()[0] for line in INVOCATIONS["accord"] if line}
    extra = app.registry.accord_subcommands
    assert {h for name, h in extra.items() if name in accord} == set(extra.values())


@pytest.mark.parametrize("command", sorted(INVOCATIONS))
def test_no_command_reads_or_writes_another_partnership(
    command: str,
    world: tuple[ConsoleAdapter, int, dict[str, list[Any]]],
    app: App,
) -> None:
    random, a_id, before = world
    for text in INVOCATIONS[command]:
        out = say(random, f"@mallory: /{command} {text}".rstrip())
        assert MARK not in out.replace(f"/{command} {text}", ""), (text, out)
    assert MARK not in _files_text(random.files_dir)
    assert snapshot(app, a_id, "launch") == before


def test_no_button_acts_on_another_partnership(
    world: tuple[ConsoleAdapter, int, dict[str, list[Any]]], app: App
) -> None:
    random, a_id, before = world
    with Session(app.engine) as session:
        contract = session.exec(select(Contract).where(Contract.partnership_id == a_id)).one()
        milestone = session.exec(select(Milestone).where(Milestone.partnership_id == a_id)).one()
    forged = {
        "plan.done": [str(milestone.number), str(milestone.id)],
        "plan.snooze": [f"{milestone.number}:3", f"{milestone.id}:1"],
        "contract.confirm": [f"{contract.id}:1:{contract.revision}", f"{contract.id}:2:1"],
    }
    for action_id in app.registry.actions:
        for value in forged.get(action_id, [""]):
            outcome = app.core.handle_action(
                Action(
                    platform="console",
                    team_id=TEAM,
                    channel_id="random",
                    user=User("mallory", "mallory"),
                    action_id=action_id,
                    value=value,
                    idempotency_key=f"forged:{action_id}:{value}",
                )
            )
            text = "\n".join(r.plain_text() for r in outcome.replies)
            assert MARK not in text, (action_id, value, text)
    assert snapshot(app, a_id, "launch") == before


def test_no_suggestion_comes_from_another_partnership(
    world: tuple[ConsoleAdapter, int, dict[str, list[Any]]], app: App
) -> None:
    random, _, _ = world
    tenant = Tenant("console", TEAM)
    assert app.registry.suggesters
    for command, option in app.registry.suggesters:
        for current in ("", "1", "A", "ALPHA", "show ", "show A", "done ", "leads", "log "):
            found = app.core.suggest(tenant, "random", command, option, current)
            assert MARK not in json.dumps(found), (command, option, current, found)
        # The same suggesters do see A's things from A's own channel.
    seen = app.core.suggest(tenant, "launch", "decisions", "text", "show ")
    assert any(MARK in label for label, _ in seen)


def test_the_issues_scenario_naming_a_channel_gives_nothing(
    console: ConsoleAdapter, app: App, tmp_path: Path
) -> None:
    """`/accord channel <id>` from a DM, then the exports and changes the issue lists."""
    say(console, *SETUP_A)
    a_id = _id_of(app, "launch")
    before = snapshot(app, a_id, "launch")
    dm = console_in(app, tmp_path, TEAM, "D0MALLORY")
    out = say(
        dm,
        "@mallory: /accord channel #launch",
        "/decisions export csv",
        "/contract export md",
        "/plan cancel 1",
        "/plan move D 2026-07-01 because forged",
        "/kpi token rotate",
        "/accord",
    )
    assert "two steps" in out
    assert MARK not in out and MARK not in _files_text(dm.files_dir)
    assert snapshot(app, a_id, "launch") == before
