"""End to end through the real HTTP server: signed requests in, Web API calls out."""

from __future__ import annotations

import asyncio

from bot.app import App
from tests.slack.harness import decisions, event_body, fixture, running, signed_headers


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


def test_url_verification_answers_the_challenge(app: App) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            payload = {
                "token": "x",
                "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                "type": "url_verification",
            }
            async with r.session.post(
                f"{r.url}/slack/events",
                data=event_body(payload).encode(),
                headers=signed_headers(event_body(payload), content_type="application/json"),
            ) as resp:
                assert resp.status == 200
                assert (await resp.json())["challenge"] == payload["challenge"]

    asyncio.run(scenario())


def test_a_failing_users_info_does_not_stop_the_command(app: App) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            r.fake.fail("users.info", status=404)
            await r.command(fixture("slash_command", r.fake))
            [post] = await r.fake.wait_calls("chat.postMessage")
            assert "Decision #1" in post.body["text"]

    asyncio.run(scenario())
