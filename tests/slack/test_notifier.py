"""Reminders and digests through the dispatcher and the Slack notifier."""

from __future__ import annotations

import asyncio

from sqlmodel import Session, select

from adapters.slack_delivery import ChannelPacer, SlackNotifier
from bot.app import App
from bot.kernel.types import Attachment, Reply
from bot.runner import make_dispatcher
from storage.models import Notification
from storage.models.notifications import FAILED, SENT
from tests.conftest import START
from tests.slack.harness import BOT_TOKEN, fake_slack

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


def _queue(app: App, key: str, channel: str = "C0LAUNCH") -> None:
    with Session(app.engine) as session:
        session.add(
            Notification(
                platform="slack",
                team_id="T0ACME",
                channel_id=channel,
                kind="test.ping",
                idempotency_key=key,
                payload={"text": "Kick-off in 2 days"},
                due_at=START,
                created_at=START,
            )
        )
        session.commit()


def _rows(app: App) -> list[Notification]:
    with Session(app.engine) as session:
        return list(session.exec(select(Notification)).all())


def _register(app: App) -> None:
    def render(session: Session, rows: list[Notification], ctx: object) -> Reply:
        return Reply(
            title="Reminder",
            text=" / ".join(str(r.payload["text"]) for r in rows),
            image=Attachment("chart.png", PNG, mime="image/png", alt="KPI chart"),
        )

    app.registry.add_renderer("test.ping", render)


def test_dispatcher_posts_through_slack_with_files_upload_v2(app: App) -> None:
    _register(app)
    _queue(app, "ping-1")

    async def scenario() -> None:
        async with fake_slack() as fake:
            notifier = SlackNotifier(
                lambda team: BOT_TOKEN if team == "T0ACME" else None, fake.api_url, ChannelPacer(0)
            )
            result = await asyncio.to_thread(make_dispatcher(app, {"slack": notifier}).run_once)
            assert result.sent == 1
            [post] = fake.calls("chat.postMessage")
            assert post.body["channel"] == "C0LAUNCH" and "Kick-off in 2 days" in post.body["text"]
            assert post.body["blocks"][0]["type"] == "header"
            [get_url] = fake.calls("files.getUploadURLExternal")
            assert (
                get_url.body["filename"] == "chart.png" and get_url.body["alt_txt"] == "KPI chart"
            )
            [complete] = fake.calls("files.completeUploadExternal")
            assert complete.body["channel_id"] == "C0LAUNCH"
            [upload] = fake.calls("/upload/")
            assert upload.body["_bytes"] >= len(PNG)
            assert not fake.calls("files.upload")

    asyncio.run(scenario())
    [row] = _rows(app)
    assert row.status == SENT and row.message_ref and row.message_ref.startswith("slack:C0LAUNCH:")


def test_rate_limited_notification_waits_and_is_not_dropped(app: App) -> None:
    _register(app)
    _queue(app, "ping-1")

    async def scenario() -> None:
        async with fake_slack() as fake:
            fake.fail("chat.postMessage", status=429, retry_after=1)
            notifier = SlackNotifier(lambda team: BOT_TOKEN, fake.api_url, ChannelPacer(0))
            result = await asyncio.to_thread(make_dispatcher(app, {"slack": notifier}).run_once)
            assert result.sent == 1
            first, second = fake.calls("chat.postMessage")
            assert second.at - first.at >= 1.0

    asyncio.run(scenario())
    assert [r.status for r in _rows(app)] == [SENT]


def test_not_in_channel_gives_the_notification_up_with_a_clear_reason(app: App) -> None:
    _register(app)
    _queue(app, "ping-1")

    async def scenario() -> None:
        async with fake_slack() as fake:
            fake.fail("chat.postMessage", error="not_in_channel")
            notifier = SlackNotifier(lambda team: BOT_TOKEN, fake.api_url, ChannelPacer(0))
            result = await asyncio.to_thread(make_dispatcher(app, {"slack": notifier}).run_once)
            assert result.failed == result.gave_up == 1

    asyncio.run(scenario())
    [row] = _rows(app)
    # The bot was removed: no retry can help; `accord status` and the partnership are told.
    assert row.status == FAILED and row.failure_reason == "not_in_channel"
    assert (
        row.last_error and "not_in_channel" in row.last_error and "invite the bot" in row.last_error
    )
    assert "xoxb" not in row.last_error


def test_notifier_paces_posts_to_one_channel() -> None:
    waits: list[float] = []
    now = [100.0]
    pacer = ChannelPacer(1.0, clock=lambda: now[0])
    waits = [pacer.reserve("C1"), pacer.reserve("C1"), pacer.reserve("C2"), pacer.reserve("C1")]
    assert waits == [0.0, 1.0, 0.0, 2.0]
    now[0] = 105.0
    assert pacer.reserve("C1") == 0.0


def test_a_long_recap_keeps_its_buttons_within_slacks_text_budget(app: App) -> None:
    """8 × 1,500 characters and Confirm buttons: Slack refuses one message
    (`msg_blocks_too_long`); split by text budget, every part goes and the buttons arrive."""
    from bot.kernel.types import Button

    def render(session: Session, rows: list[Notification], ctx: object) -> Reply:
        return Reply(
            title="Contract recap",
            sections=[f"Term {i}: " + "x" * 1500 for i in range(8)],
            items=[f"ping item {i} " + "y" * 280 for i in range(40)],
            buttons=[Button("Confirm", "contract.confirm", "1:1:1"), Button("Edit", "e", "1")],
        )

    app.registry.add_renderer("test.ping", render)
    _queue(app, "recap-1")

    async def scenario() -> None:
        async with fake_slack() as fake:
            notifier = SlackNotifier(
                lambda team: BOT_TOKEN if team == "T0ACME" else None, fake.api_url, ChannelPacer(0)
            )
            result = await asyncio.to_thread(make_dispatcher(app, {"slack": notifier}).run_once)
            assert (result.sent, result.failed) == (1, 0)
            posts = fake.calls("chat.postMessage")
            assert len(posts) >= 2
            last = posts[-1].body["blocks"]
            assert last[-1]["type"] == "actions"
            assert [e["value"] for e in last[-1]["elements"]][0] == "1:1:1"

    asyncio.run(scenario())
    [row] = _rows(app)
    assert row.status == SENT
