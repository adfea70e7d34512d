"""End to end through the real HTTP server: signed requests in, Web API calls out."""

from __future__ import annotations

import asyncio

from bot.app import App
from tests.slack.harness import decisions, fixture, running


def test_slash_decide_posts_block_kit_in_the_channel(app: App) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            payload = fixture("slash_command", r.fake)
            resp = await r.command(payload)
            assert resp.status == 200
            posts = await r.fake.wait_calls("chat.postMessage")
            body = posts[0].body
            assert body["channel"] == "C0LAUNCH"
            assert posts[0].headers["Authorization"].startswith("Bearer xoxb-")
            header = body["blocks"][0]
            assert header["type"] == "header" and "Decision #1" in header["text"]["text"]
            section = body["blocks"][1]["text"]["text"]
            # Slack's escaping came in, was undone for the core, and is redone going out.
            assert "with <@U0BOB> &amp; <@U0CARA> #launch see https://example.com/plan" in section
            assert "Decision #1" in body["text"]

    asyncio.run(scenario())
    [decision] = decisions(app)
    assert (
        decision.text
        == "we launch on 3 March with <@U0BOB> & <@U0CARA> #launch see https://example.com/plan"
    )
    assert decision.participants == ["U0BOB", "U0CARA"]
    assert decision.team_id == "T0ACME" and decision.platform == "slack"
