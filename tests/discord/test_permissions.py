"""Roles and permissions through signed Discord interactions. The only platform fact is the
member's permissions in the payload: Manage Server (or Administrator) makes a workspace admin."""

from __future__ import annotations

import asyncio
import json

from nacl.signing import SigningKey
from sqlmodel import Session, select

from adapters.discord_interactions import MANAGE_GUILD, user_of
from bot.app import App
from storage.models import Decision
from tests.discord import payloads as p
from tests.discord.conftest import Endpoint
from tests.discord.fake_discord import FakeDiscord
from tests.permission_steps import AUDIT_SOURCES, replay

# View Channel, Send Messages, Read Message History, Use Application Commands: a member.
MEMBER_PERMISSIONS = str((1 << 10) | (1 << 11) | (1 << 16) | (1 << 31))
ADMIN_PERMISSIONS = str(int(MEMBER_PERMISSIONS) | MANAGE_GUILD)
NAMES = ("alice", "bob", "cara", "dan", "gus", "ivy", "root", "erin", "mal")
OTHER_CHANNEL = "710000000000000009"
IDS = {name: str(800_000_000_000_000_100 + i) for i, name in enumerate(NAMES)}


def test_every_row_and_the_attacks_through_discord(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    mentions = {name: f"<@{uid}>" for name, uid in IDS.items()}

    async def scenario() -> list[str]:
        async with Endpoint(app, fake, signing_key) as ep:

            async def send(user: str, command: str, text: str, channel: str) -> str:
                if command == "!":  # a button of one of the bot's messages
                    payload = p.button(
                        text,
                        user=IDS[user],
                        permissions=MEMBER_PERMISSIONS,
                        channel=p.CHANNEL if channel == "main" else OTHER_CHANNEL,
                    )
                    return json.dumps(await ep.send(payload), ensure_ascii=False)
                payload = p.slash(
                    command,
                    text.format(**mentions),
                    user=IDS[user],
                    channel=p.CHANNEL if channel == "main" else OTHER_CHANNEL,
                    permissions=ADMIN_PERMISSIONS if user == "root" else MEMBER_PERMISSIONS,
                )
                return json.dumps(await ep.send(payload), ensure_ascii=False)

            return await replay("discord", send, app)

    answers = asyncio.run(scenario())
    assert any("Only a company's representative may end the agreement" in a for a in answers)
    with Session(app.engine) as session:
        sources = {d.source for d in session.exec(select(Decision)).all()}
    assert sources >= AUDIT_SOURCES


def test_manage_server_is_the_admin_fact_and_a_dm_has_none() -> None:
    member = p.slash("accord", "", permissions=MEMBER_PERMISSIONS)
    admin = p.slash("accord", "", permissions=str(MANAGE_GUILD))
    administrator = p.slash("accord", "", permissions=str(1 << 3))
    direct = p.slash("accord", "", guild=None)
    assert [user_of(x).is_workspace_admin for x in (member, admin, administrator, direct)] == [
        False,
        True,
        True,
        False,
    ]
