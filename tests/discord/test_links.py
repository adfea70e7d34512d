"""The link handshake through signed Discord interactions, and a channel the bot cannot see."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from nacl.signing import SigningKey
from sqlmodel import Session, select

from bot.app import App
from storage.models import Channel, Decision
from tests.discord import payloads as p
from tests.discord.conftest import Endpoint
from tests.discord.fake_discord import FakeDiscord
from tests.discord.test_http_interactions import CODE_RE


def test_handshake_links_with_a_private_code_and_refuses_it_twice(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    other = "710000000000000009"

    async def scenario() -> dict[str, Any]:
        async with Endpoint(app, fake, signing_key) as ep:
            await ep.send(p.slash("decide", "SECRET budget 40k", channel=p.SHARED))
            await ep.service.drain()
            before = await ep.send(p.slash("decisions", ""))
            wrong = await ep.send(p.slash("accord", "link ABCD-EFGH-JKMN", locale="fr"))
            given = await ep.send(p.slash("accord", "link", channel=p.SHARED))
            code = CODE_RE.search(json.dumps(given))
            assert code is not None
            linked = await ep.send(p.slash("accord", f"link {code.group(0).lower()}"))
            await ep.service.drain()
            after = await ep.send(p.slash("decisions", ""))
            again = await ep.send(p.slash("accord", f"link {code.group(0)}", channel=other))
            return {
                "before": before,
                "wrong": wrong,
                "given": given,
                "linked": linked,
                "after": after,
                "again": again,
            }

    got = asyncio.run(scenario())
    assert "SECRET" not in json.dumps(got["before"])
    assert got["wrong"]["data"]["flags"] == 64
    assert "Ce code de liaison est erroné" in got["wrong"]["data"]["content"]
    assert got["given"]["data"]["flags"] == 64
    assert "SECRET" in json.dumps(got["after"])
    assert got["again"]["data"]["flags"] == 64
    assert "already used" in got["again"]["data"]["content"]
    # The visible notice in this channel, the decision in the shared one.
    assert "Channel linked" in json.dumps(got["linked"])
    [post] = fake.matching("POST", f"/channels/{p.SHARED}/messages")
    assert f"<#{p.CHANNEL}> is linked to this partnership" in json.dumps(post.body)
    with Session(app.engine) as session:
        channel = session.exec(select(Channel).where(Channel.channel_id == p.CHANNEL)).one()
        assert channel.shared_channel_id == p.SHARED
        assert session.exec(select(Decision).where(Decision.source == "accord.link")).one()


def test_a_post_where_the_bot_was_not_added_says_how_to_add_it(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    async def scenario() -> None:
        async with Endpoint(app, fake, signing_key) as ep:
            given = await ep.send(p.slash("accord", "link", channel=p.SHARED))
            code = CODE_RE.search(json.dumps(given))
            assert code is not None
            fake.fail_next(
                f"/channels/{p.SHARED}/messages", 403, {"message": "Missing Access", "code": 50001}
            )
            linked = p.slash("accord", f"link {code.group(0)}", locale="fr")
            await ep.send(linked)
            await asyncio.to_thread(
                fake.wait_count, "POST", f"/webhooks/{linked['application_id']}/{linked['token']}"
            )

    asyncio.run(scenario())
    notes = [n.body for n in fake.matching("POST", "/webhooks/") if n.body.get("flags") == 64]
    text = " ".join(str(n.get("content")) for n in notes)
    assert "je n’ai pas été ajouté à ce salon" in text and "Permissions" in text
    assert f"<#{p.SHARED}>" in text
