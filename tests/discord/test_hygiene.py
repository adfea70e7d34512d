"""Discord: stale signed interactions are refused; masked links in user text are escaped."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from nacl.signing import SigningKey
from sqlmodel import Session, select

from adapters.discord_render import escape_masked_links, render
from bot.app import App
from bot.kernel.clock import FixedClock
from bot.kernel.types import Reply
from storage.models import Decision
from tests.conftest import START
from tests.discord import payloads as p
from tests.discord.conftest import Endpoint, sign
from tests.discord.fake_discord import FakeDiscord


def _decisions(app: App) -> list[Decision]:
    with Session(app.engine) as session:
        return list(session.exec(select(Decision)).all())


def test_interactions_older_than_five_minutes_are_refused(
    app: App, fake: FakeDiscord, signing_key: SigningKey, clock: FixedClock
) -> None:
    now = int(START.timestamp())

    async def scenario() -> list[int]:
        statuses = []
        async with Endpoint(app, fake, signing_key) as ep:
            for n, age in enumerate((301, -301, 3600, 300, 0)):
                raw = json.dumps(p.slash("decide", f"decision {n}")).encode()
                headers = sign(signing_key, raw, timestamp=str(now - age))
                statuses.append((await ep.post({}, body=raw, headers=headers))[0])
            # The same request signed at a fresh time, replayed 6 minutes later.
            raw = json.dumps(p.slash("decide", "replayed")).encode()
            headers = sign(signing_key, raw, timestamp=str(now))
            clock.set(START + timedelta(minutes=6))
            statuses.append((await ep.post({}, body=raw, headers=headers))[0])
            # A forged signature is refused whatever the timestamp.
            forged = sign(SigningKey.generate(), raw, timestamp=str(now + 360))
            statuses.append((await ep.post({}, body=raw, headers=forged))[0])
        return statuses

    assert asyncio.run(scenario()) == [401, 401, 401, 200, 200, 401, 401]
    assert sorted(d.text for d in _decisions(app)) == ["decision 3", "decision 4"]


def test_masked_links_in_user_text_are_escaped(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    text = "URGENT re-enter your password at [the bank](https://evil.example/login)"

    async def scenario() -> object:
        async with Endpoint(app, fake, signing_key) as ep:
            return await ep.send(p.slash("decide", text))

    body = asyncio.run(scenario())
    shown = json.dumps(body["data"])
    assert "[the bank](https" not in shown
    assert "\\\\[the bank\\\\](https://evil.example/login)" in shown
    [row] = _decisions(app)
    assert row.text == text  # stored as typed; only the rendering is defanged
    # Everywhere a reply carries text: title, items, fields, footer, plain content.
    reply = Reply(title="[a](http://x)", items=["[b](http://y)"], footer="[c](http://z)")
    rendered = json.dumps([m.payload for m in render(reply)])
    assert "[a](" not in rendered and "[b](" not in rendered and "[c](" not in rendered
    assert escape_masked_links("[x] (y) and [ok]") == "[x] (y) and [ok]"
