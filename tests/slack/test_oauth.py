"""OAuth install for many workspaces, with slack_sdk's SQLAlchemy stores on our database."""

from __future__ import annotations

import asyncio
import re

import aiohttp
from sqlalchemy import func, select
from sqlmodel import Session

from adapters.http_server import build_http_app, mark_ready, start_http
from adapters.slack_adapter import SlackAdapter, SlackConfig
from bot.app import App
from storage.models.slack import slack_bots, slack_installations, slack_oauth_states
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import SECRET


def _count(app: App, table: object) -> int:
    with Session(app.engine) as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_install_flow_stores_the_workspace_and_the_notifier_uses_its_token(app: App) -> None:
    async def scenario() -> None:
        fake = FakeSlack()
        await fake.start()
        adapter = SlackAdapter(
            app,
            SlackConfig(
                api_url=fake.api_url,
                signing_secret=SECRET,
                client_id="111.222",
                client_secret="shh",
            ),
        )
        http_app = build_http_app(adapter.routes())
        runner = await start_http(http_app, "127.0.0.1", 0)
        mark_ready(http_app)
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            async with aiohttp.ClientSession() as client:
                async with client.get(f"{base}/slack/install") as resp:
                    assert resp.status == 200
                    page = await resp.text()
                    cookie = resp.headers["Set-Cookie"].split(";")[0]
                state = re.search(r"state=([\w-]+)", page).group(1)  # type: ignore[union-attr]
                assert "client_id=111.222" in page and "commands" in page
                assert _count(app, slack_oauth_states) == 1
                async with client.get(
                    f"{base}/slack/oauth_redirect",
                    params={"code": "c0de", "state": state},
                    headers={"Cookie": cookie},
                ) as resp:
                    assert resp.status == 200, await resp.text()
            [access] = fake.calls("oauth.v2.access")
            assert access.body.get("code") == "c0de"
            assert _count(app, slack_installations) == 1 and _count(app, slack_bots) == 1
            token = await asyncio.to_thread(adapter.notifier().token_for, "T0OTHER")
            assert token == "xoxb-installed-token"
            assert await asyncio.to_thread(adapter.notifier().token_for, "T0UNKNOWN") is None
        finally:
            await runner.cleanup()
            await fake.stop()

    asyncio.run(scenario())


def test_install_with_a_forged_state_is_refused(app: App) -> None:
    async def scenario() -> None:
        fake = FakeSlack()
        await fake.start()
        adapter = SlackAdapter(
            app,
            SlackConfig(
                api_url=fake.api_url,
                signing_secret=SECRET,
                client_id="111.222",
                client_secret="shh",
            ),
        )
        http_app = build_http_app(adapter.routes())
        runner = await start_http(http_app, "127.0.0.1", 0)
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            async with (
                aiohttp.ClientSession() as client,
                client.get(
                    f"{base}/slack/oauth_redirect",
                    params={"code": "c0de", "state": "forged"},
                    headers={"Cookie": "slack-app-oauth-state=forged"},
                ) as resp,
            ):
                assert resp.status >= 400
            assert fake.calls("oauth.v2.access") == []
            assert _count(app, slack_installations) == 0
        finally:
            await runner.cleanup()
            await fake.stop()

    asyncio.run(scenario())
