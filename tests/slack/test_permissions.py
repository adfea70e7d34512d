"""Roles and permissions through signed Slack payloads, in a Slack Connect channel shared by
two workspaces: Acme's (the host, T0ACME) and Beta's (T0BETA). The platform's facts (home
workspace, admin) come from `users.info`, as in production."""

from __future__ import annotations

import asyncio
import itertools
import json

from sqlmodel import Session, col, select

from bot.app import App
from storage.models import Decision, Partnership, Party, PartyMember
from tests.permission_steps import AUDIT_SOURCES, replay
from tests.slack.harness import Finished, fixture, running

HOMES = {
    "alice": "T0ACME",
    "bob": "T0ACME",
    "gus": "T0ACME",
    "ivy": "T0ACME",
    "root": "T0ACME",
    "cara": "T0BETA",
    "dan": "T0BETA",
    "erin": "T0BETA",
    "mal": "T0ACME",
}


def uid(name: str) -> str:
    return f"U0{name.upper()}"


def users_info(name: str) -> dict[str, object]:
    return {
        "id": uid(name),
        "name": name,
        "team_id": HOMES[name],
        "locale": "en-US",
        "is_admin": name == "root",
        "profile": {"display_name": name.title()},
    }


def test_every_row_and_the_attacks_through_slack_connect(app: App) -> None:
    mentions = {name: f"<@{uid(name)}|{name}>" for name in HOMES}

    async def scenario() -> list[str]:
        async with running(app) as r:
            for name in HOMES:
                r.fake.users[uid(name)] = users_info(name)
            finished = Finished(r.adapter)
            base = fixture("slash_command", r.fake)
            counter = itertools.count(1)

            press = fixture("block_action", r.fake)

            async def send(user: str, command: str, text: str, channel: str) -> str:
                n = next(counter)
                if command == "!":  # a button of one of the bot's messages
                    action, _, value = text.partition("|")
                    payload = {
                        **press,
                        "user": {"id": uid(user), "username": user, "team_id": HOMES[user]},
                        "actions": [
                            {
                                **press["actions"][0],
                                "action_id": f"{action}#0",
                                "value": value,
                                "action_ts": f"1700000100.{n:06d}",
                            }
                        ],
                        "response_url": r.fake.response_url(f"perm{n}"),
                    }
                    posted = len(r.fake.calls("chat.postMessage"))
                    assert (await r.interactive(payload)).status == 200
                    await finished.wait(n)
                    answers = [c.body for c in r.fake.calls(f"/response/perm{n}")]
                    answers += [c.body for c in r.fake.calls("chat.postMessage")[posted:]]
                    return json.dumps(answers, ensure_ascii=False)
                payload = {
                    **base,
                    "user_id": uid(user),
                    "user_name": user,
                    "command": f"/{command}",
                    "text": text.format(**mentions),
                    "channel_id": "C0LAUNCH" if channel == "main" else "C0OTHER",
                    "trigger_id": f"t-perm-{n}",
                    "response_url": r.fake.response_url(f"perm{n}"),
                }
                posted = len(r.fake.calls("chat.postMessage"))
                assert (await r.command(payload)).status == 200
                await finished.wait(n)
                answers = [c.body for c in r.fake.calls(f"/response/perm{n}")]
                answers += [c.body for c in r.fake.calls("chat.postMessage")[posted:]]
                return json.dumps(answers, ensure_ascii=False)

            return await replay("slack", send, app)

    answers = asyncio.run(scenario())
    assert any(
        "Only members of a company of this partnership may log decisions" in a for a in answers
    )
    with Session(app.engine) as session:
        rows = session.exec(
            select(PartyMember, Party)
            .join(Party, col(Party.id) == col(PartyMember.party_id))
            .join(Partnership, col(Partnership.id) == col(Party.partnership_id))
            .where(Partnership.channel_id == "C0LAUNCH")
        ).all()
        roster = {pm.user_id: (party.name, pm.is_representative) for pm, party in rows}
        beta, theirs = session.exec(
            select(Party).where(Party.name == "Beta").order_by(col(Party.id))
        ).all()
        sources = {d.source for d in session.exec(select(Decision)).all()}
    # Beta is bound to its own workspace; Acme's people never joined it, nor Beta's Acme.
    assert beta.home_team_id == "T0BETA"
    assert theirs.partnership_id != beta.partnership_id  # the stranger's own "Beta"
    assert roster == {
        uid("bob"): ("Acme", True),
        uid("cara"): ("Beta", True),
        uid("dan"): ("Beta", True),
        uid("gus"): ("Gamma", True),
    }
    assert sources >= AUDIT_SOURCES


def test_a_new_user_of_a_bound_workspace_joins_its_company_and_only_it(app: App) -> None:
    async def scenario() -> list[str]:
        async with running(app) as r:
            for name in HOMES:
                r.fake.users[uid(name)] = users_info(name)
            finished = Finished(r.adapter)
            base = fixture("slash_command", r.fake)
            lines = [
                ("cara", "/accord", "party add Beta"),
                ("erin", "/decisions", ""),
                ("erin", "/accord", "party add Erinco"),
                ("erin", "/contract", "confirm"),
            ]
            for n, (user, command, text) in enumerate(lines, 1):
                payload = {
                    **base,
                    "user_id": uid(user),
                    "command": command,
                    "text": text,
                    "trigger_id": f"t-bound-{n}",
                    "response_url": r.fake.response_url(f"bound{n}"),
                }
                await r.command(payload)
                await finished.wait(n)
            return [r.fake.calls(f"/response/bound{n}")[0].body["text"] for n in (3, 4)]

    create, confirm = asyncio.run(scenario())
    # Erin's workspace belongs to Beta: she is a member there, not a company founder.
    assert "Only people in no company yet" in create and "You are a member of Beta" in create
    assert "Only a company's representative" in confirm
    # Her joining is a change of companies like any other: logged and announced.
    with Session(app.engine) as session:
        texts = [d.text for d in session.exec(select(Decision).order_by(col(Decision.number)))]
    assert texts == [
        "<@U0CARA> created the company Beta in this partnership and represents it.",
        "<@U0ERIN> joined Beta: their workspace belongs to it (Slack Connect).",
    ]
