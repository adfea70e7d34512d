"""Requests must carry Slack's signature: anything else gets 401 and changes nothing."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlmodel import Session, select

from bot.app import App
from storage.models import Decision, ProcessedRequest
from tests.slack.harness import fixture, form_body, running, signed_headers


def _stored(app: App) -> int:
    with Session(app.engine) as session:
        return len(session.exec(select(Decision)).all()) + len(
            session.exec(select(ProcessedRequest)).all()
        )


@pytest.mark.parametrize("case", ["bad", "missing", "old", "tampered", "no_timestamp"])
def test_unsigned_requests_get_401_and_store_nothing(
    app: App, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            body = form_body(fixture("slash_command", r.fake))
            if case == "bad":
                headers = signed_headers(body, secret="not-the-signing-secret")
            elif case == "missing":
                headers = {"Content-Type": "application/x-www-form-urlencoded"}
            elif case == "old":
                headers = signed_headers(body, timestamp=int(time.time()) - 301)
            elif case == "no_timestamp":
                headers = signed_headers(body)
                del headers["X-Slack-Request-Timestamp"]
            else:
                headers = signed_headers(body)
                body = body.replace("we+launch", "we+cancel")
            resp = await r.post(body, headers)
            assert resp.status == 401
            # The rejection happens before any listener runs: nothing can be in flight.
            assert r.fake.requests == []

    with caplog.at_level("DEBUG"):
        asyncio.run(scenario())
    assert _stored(app) == 0
    assert "bad or missing Slack signature" in caplog.text
    assert "response_url" not in caplog.text and "slash1" not in caplog.text


def test_signed_request_within_five_minutes_is_accepted(app: App) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            body = form_body(fixture("slash_command", r.fake))
            resp = await r.post(body, signed_headers(body, timestamp=int(time.time()) - 240))
            assert resp.status == 200
            await r.fake.wait_calls("chat.postMessage")

    asyncio.run(scenario())
    assert _stored(app) == 2
