"""Gateway mode: raw INTERACTION_CREATE payloads fed to a logged-in discord.py client.

The client logs in against the fake REST API (no gateway socket is opened);
`parse_interaction_create` is discord.py's own entry point for the gateway
event, so routing (tree for commands and autocomplete, `on_interaction` for
buttons and modals) is discord.py's. It is a private method: pyproject pins
discord.py's minor version for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import discord
import pytest
from sqlmodel import Session, col, select

from adapters.discord_adapter import AccordClient, use_api_url
from adapters.discord_interactions import InteractionService
from adapters.discord_rest import DiscordRest
from bot.app import App
from storage.models import Decision
from tests.discord import payloads as p
from tests.discord.conftest import BOT_TOKEN
from tests.discord.fake_discord import FakeDiscord


@pytest.fixture
def api_base(fake: FakeDiscord) -> Iterator[None]:
    saved = discord.http.Route.BASE
    use_api_url(fake.url)
    yield
    discord.http.Route.BASE = saved


async def with_client(
    app: App, fake: FakeDiscord, payloads: list[dict[str, Any]], wait: list[str]
) -> AccordClient:
    rest = DiscordRest(fake.url, BOT_TOKEN, backoff=0.001)
    client = AccordClient(InteractionService(app.core, rest, app.session_factory), rest)
    await client.login(BOT_TOKEN)
    try:
        for payload, path in zip(payloads, wait, strict=True):
            client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
            await asyncio.to_thread(fake.wait_count, "POST", path)
        await client.service.drain()
    finally:
        await client.close()
        await rest.close()
    return client


def callback_path(payload: dict[str, Any]) -> str:
    return f"/interactions/{payload['id']}/{payload['token']}/callback"


def test_slash_command_context_menu_and_modal_over_the_gateway(
    app: App, fake: FakeDiscord, api_base: None
) -> None:
    slash = p.slash("decide", "we launch in March #launch", locale="fr")
    menu = p.message_command("Budget: 10k", message_id="1400000000000000077")
    empty = p.slash("decide")
    modal = p.modal_submit("from the modal")
    batch = [slash, menu, empty, modal]
    asyncio.run(with_client(app, fake, batch, [callback_path(x) for x in batch]))
    bodies = [fake.matching("POST", callback_path(x))[0].body for x in batch]
    assert bodies[0]["type"] == 4 and bodies[0]["data"]["embeds"][0]["title"] == "Décision n° 1"
    assert bodies[1]["data"]["embeds"][0]["title"] == "Decision #2"
    assert bodies[2]["type"] == 9
    assert bodies[3]["data"]["embeds"][0]["title"] == "Decision #3"
    with Session(app.engine) as session:
        rows = session.exec(select(Decision).order_by(col(Decision.number))).all()
    assert [(d.team_id, d.text) for d in rows] == [
        (p.GUILD, "we launch in March #launch"),
        (p.GUILD, "Budget: 10k"),
        (p.GUILD, "from the modal"),
    ]
    assert rows[1].link == f"https://discord.com/channels/{p.GUILD}/{p.CHANNEL}/1400000000000000077"


def test_autocomplete_and_buttons_over_the_gateway(
    app: App, fake: FakeDiscord, api_base: None
) -> None:
    def vote(ctx: Any, value: str) -> list[Any]:
        from bot.kernel.types import Reply

        return [Reply(text=f"voted {value}", replace_original=True)]

    app.registry.add_action("test.vote", vote)
    first = p.slash("decide", "launch in March")
    complete = p.autocomplete("decide", "supersedes", "")
    press = p.button("test.vote|yes")
    batch = [first, complete, press]
    asyncio.run(with_client(app, fake, batch, [callback_path(x) for x in batch]))
    (choices,) = fake.matching("POST", callback_path(complete))
    assert choices.body == {
        "type": 8,
        "data": {"choices": [{"name": "#1 · launch in March", "value": 1}]},
    }
    (update,) = fake.matching("POST", callback_path(press))
    assert update.body == {
        "type": 7,
        # The whole message is replaced: the old embeds and buttons go.
        "data": {
            "content": "voted yes",
            "embeds": [],
            "components": [],
            "attachments": [],
            "allowed_mentions": {"parse": []},
        },
    }


def test_a_payload_without_the_channel_object_keeps_its_channel(
    app: App, fake: FakeDiscord, api_base: None
) -> None:
    """Discord may send `channel_id` without the `channel` object: the channel is kept."""
    first = p.slash("decide", "launch in March")
    show = p.slash("decisions", "show 1")
    show.pop("channel")
    batch = [first, show]
    asyncio.run(with_client(app, fake, batch, [callback_path(x) for x in batch]))
    (answer,) = fake.matching("POST", callback_path(show))
    assert answer.body["data"]["embeds"][0]["description"] == "launch in March"


def test_reconnects_register_nothing(app: App, fake: FakeDiscord, api_base: None) -> None:
    async def scenario() -> int:
        rest = DiscordRest(fake.url, BOT_TOKEN)
        client = AccordClient(InteractionService(app.core, rest, app.session_factory), rest)
        await client.login(BOT_TOKEN)
        await client.setup_hook()
        await client.on_ready()
        await client.on_ready()  # after a reconnect
        await client.close()
        await rest.close()
        return client.ready_count

    assert asyncio.run(scenario()) == 2
    assert [r.path for r in fake.requests if "/commands" in r.path] == []
    assert {r.path for r in fake.requests} == {"/users/@me", "/oauth2/applications/@me"}
