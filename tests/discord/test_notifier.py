"""Reminders and digests through Discord's REST API: nonces, retries, permission errors."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import Session

from adapters.discord_adapter import DiscordNotifier
from adapters.discord_rest import DiscordRest
from bot.app import App
from bot.delivery.dispatcher import Dispatcher
from bot.kernel.delivery_errors import PermanentDeliveryError, RetryLater
from bot.kernel.registry import RenderContext
from bot.kernel.types import Reply
from storage.models import Notification
from tests.discord.conftest import BOT_TOKEN
from tests.discord.fake_discord import FakeDiscord

CHANNEL = "710000000000000005"
PATH = f"/channels/{CHANNEL}/messages"


def notifier(fake: FakeDiscord) -> DiscordNotifier:
    return DiscordNotifier(fake.url, BOT_TOKEN, backoff=0.001)


def test_resend_after_a_crash_posts_once(fake: FakeDiscord) -> None:
    reply = Reply(title="Reminder", text="<@1>: the deck is due tomorrow", mentions={"1": "Alice"})
    first = notifier(fake).post("g1", CHANNEL, reply, "plan.reminder:42:d-1")
    again = notifier(fake).post("g1", CHANNEL, reply, "plan.reminder:42:d-1")
    other = notifier(fake).post("g1", CHANNEL, reply, "plan.reminder:43:d-1")
    posts = fake.matching("POST", PATH)
    assert len(posts) == 3
    nonces = [r.body["nonce"] for r in posts]
    assert nonces[0] == nonces[1] != nonces[2]
    assert all(
        len(n) <= 25 and r.body["enforce_nonce"] is True for n, r in zip(nonces, posts, strict=True)
    )
    assert first == again != other
    assert len(fake.messages[CHANNEL]) == 2
    assert posts[0].body["content"] == "<@1>"  # the people concerned are pinged
    assert posts[0].headers["Authorization"] == f"Bot {BOT_TOKEN}"


def test_429_and_5xx_are_waited_out_and_retried(fake: FakeDiscord) -> None:
    fake.fail_next(
        PATH, 429, {"message": "You are being rate limited.", "retry_after": 0.01, "global": False}
    )
    fake.fail_next(PATH, 502, {"message": "Bad Gateway", "code": 0})
    fake.fail_next(
        PATH, 429, {"message": "You are being rate limited.", "retry_after": 0.01, "global": False}
    )
    ref = notifier(fake).post("g1", CHANNEL, Reply(text="Weekly digest"), "digest:2026-W10")
    assert len(fake.matching("POST", PATH)) == 4
    assert len(fake.messages[CHANNEL]) == 1
    assert ref == f"discord:{CHANNEL}:{fake.messages[CHANNEL][0]['id']}"


def test_missing_permissions_is_a_clear_error(
    fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next(PATH, 403, {"message": "Missing Access", "code": 50001})
    # Permanent: the dispatcher gives the notification up and tells the partnership.
    with caplog.at_level(logging.WARNING), pytest.raises(PermanentDeliveryError) as err:
        notifier(fake).post("g1", CHANNEL, Reply(text="x"), "k")
    assert err.value.reason == "missing_access" and "Missing Access" in str(err.value)
    assert "View Channel, Send Messages" in caplog.text
    assert BOT_TOKEN not in caplog.text and BOT_TOKEN not in str(err.value)


def test_dispatcher_survives_a_forbidden_channel(app: App, fake: FakeDiscord) -> None:
    def render(session: Session, rows: list[Notification], ctx: RenderContext) -> Reply:
        return Reply(text=f"ping {rows[0].payload['n']}")

    app.registry.add_renderer("test.ping", render)
    now = app.clock.now()
    with Session(app.engine) as session:
        for n, channel in enumerate(["710000000000000006", CHANNEL]):
            session.add(
                Notification(
                    platform="discord",
                    team_id="g1",
                    channel_id=channel,
                    kind="test.ping",
                    idempotency_key=f"k{n}",
                    payload={"n": n},
                    due_at=now - timedelta(minutes=1),
                    created_at=now,
                )
            )
        session.commit()
    fake.fail_next(
        "/channels/710000000000000006/messages",
        403,
        {"message": "Missing Permissions", "code": 50013},
    )
    dispatcher = Dispatcher(
        app.session_factory, app.registry, app.clock, {"discord": notifier(fake)}
    )
    result = dispatcher.run_once()
    assert (result.sent, result.failed) == (1, 1)
    assert [m["content"] for m in fake.messages[CHANNEL]] == ["ping 1"]
    with Session(app.engine) as session:
        failed = session.get(Notification, 1)
        assert failed is not None and "Missing Permissions" in (failed.last_error or "")


def test_a_dropped_connection_is_retried_when_the_nonce_makes_it_safe(fake: FakeDiscord) -> None:
    fake.drop_next(PATH)
    fake.drop_next(PATH)
    notifier(fake).post("g1", CHANNEL, Reply(text="Reminder"), "plan:m1:d-2@2026-03-16")
    posts = fake.matching("POST", PATH)
    assert len(posts) == 3
    assert posts[0].body["nonce"] == posts[2].body["nonce"] and posts[2].body["enforce_nonce"]
    assert len(fake.messages[CHANNEL]) == 1


def test_a_dropped_connection_is_not_repeated_when_unsafe(fake: FakeDiscord) -> None:
    # A webhook follow-up has no nonce: resending could post it twice.
    rest = DiscordRest(fake.url, BOT_TOKEN, backoff=0.001)
    fake.drop_next("/webhooks/app/token")

    async def follow_up() -> None:
        try:
            await rest.request(
                "POST", "/webhooks/app/token", json_body={"content": "x"}, auth=False
            )
        finally:
            await rest.close()

    with pytest.raises(aiohttp.ClientConnectionError):
        asyncio.run(follow_up())
    assert len(fake.matching("POST", "/webhooks/app/token")) == 1


def test_a_long_429_is_given_back_not_slept_through(fake: FakeDiscord) -> None:
    fake.fail_next(
        PATH, 429, {"message": "You are being rate limited.", "retry_after": 120, "global": False}
    )
    with pytest.raises(RetryLater) as err:
        notifier(fake).post("g1", CHANNEL, Reply(text="Weekly digest"), "digest:2026-W11")
    assert err.value.seconds == 120
    assert len(fake.matching("POST", PATH)) == 1 and not fake.messages.get(CHANNEL)


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (404, 10003, "channel_not_found"),
        (401, 0, "token_revoked"),
        (400, 50035, "message_rejected"),
    ],
)
def test_permanent_errors_are_told_apart(
    fake: FakeDiscord, status: int, code: int, reason: str
) -> None:
    fake.fail_next(PATH, status, {"message": "no", "code": code})
    with pytest.raises(PermanentDeliveryError) as err:
        notifier(fake).post("g1", CHANNEL, Reply(text="x"), "k")
    assert err.value.reason == reason
