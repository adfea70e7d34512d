"""OAuth install for many workspaces, with slack_sdk's SQLAlchemy stores on our database."""

from __future__ import annotations

import asyncio
import re

import aiohttp
from sqlalchemy import Table, func, select
from sqlmodel import Session

from adapters.slack_adapter import SlackAdapter, SlackConfig
from bot.app import App
from storage.models.slack import slack_bots, slack_installations, slack_oauth_states
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import SECRET, fake_slack, serving


def _count(app: App, table: Table) -> int:
    with Session(app.engine) as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def _adapter(app: App, fake: FakeSlack) -> SlackAdapter:
    config = SlackConfig(
        api_url=fake.api_url, signing_secret=SECRET, client_id="111.222", client_secret="shh"
    )
    return SlackAdapter(app, config)


def test_install_flow_stores_the_workspace_and_the_notifier_uses_its_token(app: App) -> None:
    async def scenario() -> None:
        async with fake_slack() as fake:
            adapter = _adapter(app, fake)
            async with serving(adapter) as base, aiohttp.ClientSession() as client:
                async with client.get(f"{base}/slack/install") as resp:
                    assert resp.status == 200
                    page = await resp.text()
                    cookie = resp.headers["Set-Cookie"].split(";")[0]
                found = re.search(r"state=([\w-]+)", page)
                assert found is not None
                assert "client_id=111.222" in page and "commands" in page
                assert f"{fake.base_url}/oauth/v2/authorize" in page  # follows SLACK_API_URL
                assert _count(app, slack_oauth_states) == 1
                params = {"code": "c0de", "state": found.group(1)}
                async with client.get(
                    f"{base}/slack/oauth_redirect", params=params, headers={"Cookie": cookie}
                ) as resp:
                    assert resp.status == 200, await resp.text()
            [access] = fake.calls("oauth.v2.access")
            assert access.body.get("code") == "c0de"
            assert _count(app, slack_installations) == 1 and _count(app, slack_bots) == 1
            token_for = adapter.notifier().token_for
            assert await asyncio.to_thread(token_for, "T0OTHER") == "xoxb-installed-token"
            assert await asyncio.to_thread(token_for, "T0UNKNOWN") is None

    asyncio.run(scenario())


def test_install_with_a_forged_state_is_refused(app: App) -> None:
    async def scenario() -> None:
        async with fake_slack() as fake:
            adapter = _adapter(app, fake)
            params = {"code": "c0de", "state": "forged"}
            cookie = {"Cookie": "slack-app-oauth-state=forged"}
            async with (
                serving(adapter) as base,
                aiohttp.ClientSession() as client,
                client.get(f"{base}/slack/oauth_redirect", params=params, headers=cookie) as resp,
            ):
                assert resp.status >= 400
            assert fake.calls("oauth.v2.access") == []
            assert _count(app, slack_installations) == 0

    asyncio.run(scenario())
