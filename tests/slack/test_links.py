"""The link handshake through signed Slack requests, and the bot posting only where invited."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from adapters.slack_adapter import BOT_SCOPES
from bot.app import App
from storage.models import Channel, Decision
from tests.slack.harness import Finished, fixture, running

CODE_RE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")
MANIFEST = Path(__file__).parents[2] / "adapters" / "slack_manifest.yml"


def test_the_bot_asks_for_no_scope_to_post_where_it_was_not_invited() -> None:
    assert "chat:write.public" not in BOT_SCOPES
    assert "chat:write.public" not in MANIFEST.read_text(encoding="utf-8")


def test_handshake_in_slack_links_with_a_private_code(app: App) -> None:
    async def scenario() -> dict[str, Any]:
        async with running(app) as r:
            finished = Finished(r.adapter)
            base = fixture("slash_command", r.fake)

            def command(name: str, text: str, channel: str, key: str) -> dict[str, Any]:
                return {
                    **base,
                    "command": f"/{name}",
                    "text": text,
                    "channel_id": channel,
                    "trigger_id": key,
                    "response_url": r.fake.response_url(key),
                }

            steps = [
                ("decide", "SECRET budget 40k", "C0LAUNCH"),
                ("accord", "channel <#C0LAUNCH|launch>", "C0PREP"),
                ("decisions", "", "C0PREP"),
                ("accord", "link", "C0LAUNCH"),
            ]
            # One at a time: each command's work is done before the next is sent.
            for n, (name, text, channel) in enumerate(steps, 1):
                await r.command(command(name, text, channel, f"t{n}"))
                await finished.wait(n)
            [given] = r.fake.calls("/response/t4")
            code = CODE_RE.search(given.body["text"])
            assert code is not None
            steps = [
                ("accord", f"link {code.group(0)}", "C0PREP"),
                ("decisions", "", "C0PREP"),
                ("accord", f"link {code.group(0)}", "C0OTHER"),
            ]
            for n, (name, text, channel) in enumerate(steps, 5):
                await r.command(command(name, text, channel, f"t{n}"))
                await finished.wait(n)
            await r.fake.wait_calls("chat.postMessage", 3)
            return {
                key: r.fake.calls(f"/response/{key}")
                for key in ("t2", "t3", "t4", "t5", "t6", "t7")
            } | {"posts": r.fake.calls("chat.postMessage")}

    got = asyncio.run(scenario())
    [explain] = got["t2"]
    assert "two steps" in explain.body["text"] and explain.body["response_type"] == "ephemeral"
    assert "SECRET" not in str(got["t3"][0].body)
    assert got["t4"][0].body["response_type"] == "ephemeral"
    assert "SECRET" in str(got["t6"][0].body)
    assert "already used" in got["t7"][0].body["text"]
    posts = got["posts"]
    linked_posts = [c.body for c in posts if "is linked to this partnership" in str(c.body)]
    assert [b["channel"] for b in linked_posts] == ["C0LAUNCH"]
    assert any(c.body["channel"] == "C0PREP" and "Channel linked" in str(c.body) for c in posts)
    with Session(app.engine) as session:
        channel = session.exec(select(Channel).where(Channel.channel_id == "C0PREP")).one()
        assert channel.shared_channel_id == "C0LAUNCH"
        assert session.exec(select(Decision).where(Decision.source == "accord.link")).one()


def test_not_in_the_shared_channel_tells_how_to_invite_in_french(app: App) -> None:
    async def scenario() -> str:
        async with running(app) as r:
            finished = Finished(r.adapter)
            base = fixture("slash_command", r.fake)
            given = {
                **base,
                "command": "/accord",
                "text": "link",
                "trigger_id": "g",
                "response_url": r.fake.response_url("g"),
            }
            await r.command(given)
            await finished.wait(1)
            code = CODE_RE.search(r.fake.calls("/response/g")[0].body["text"])
            assert code is not None
            await r.command(
                {
                    **base,
                    "command": "/accord",
                    "text": "lang fr",
                    "channel_id": "C0PREP",
                    "trigger_id": "f",
                    "response_url": r.fake.response_url("f"),
                }
            )
            await finished.wait(2)
            r.fake.fail("chat.postMessage", error="not_in_channel")
            await r.command(
                {
                    **base,
                    "command": "/accord",
                    "text": f"link {code.group(0)}",
                    "channel_id": "C0PREP",
                    "trigger_id": "l",
                    "response_url": r.fake.response_url("l"),
                }
            )
            await finished.wait(3)
            notes = await r.fake.wait_for(
                lambda reqs: any("invite @Accord" in str(q.body) for q in reqs)
            )
            return " ".join(str(q.body) for q in notes if "invite @Accord" in str(q.body))

    text = asyncio.run(scenario())
    # In the channel's language; the first refused post is the notice here.
    assert "Je ne suis pas membre de <#C0PREP>" in text and "`/invite @Accord`" in text
    assert "je ne publie que là où l’on m’invite" in text
