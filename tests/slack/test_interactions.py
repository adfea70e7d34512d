"""Buttons, the /decide modal, the message shortcut, App Home and other commands."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from sqlmodel import Session, select

from adapters.slack_adapter import BOT_SCOPES
from bot.app import App
from bot.kernel.context import Ctx
from bot.kernel.types import Button, Reply, Visibility
from storage.models import Member
from tests.slack.harness import Finished, decisions, fixture, running

MANIFEST = Path(__file__).parents[2] / "adapters" / "slack_manifest.yml"


def test_every_core_command_has_a_listener_and_a_manifest_entry(app: App) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            finished = Finished(r.adapter)
            base = fixture("slash_command", r.fake)
            names = sorted(app.registry.commands)
            for name in names:
                payload = {
                    **base,
                    "command": f"/{name}",
                    "text": "help",
                    "trigger_id": f"t-{name}",
                    "response_url": r.fake.response_url(name),
                }
                assert (await r.command(payload)).status == 200, name
            await finished.wait(len(names))
            for name in names:
                [answer] = r.fake.calls(f"/response/{name}")
                assert f"/{name}" in answer.body["text"], name

    asyncio.run(scenario())
    manifest = MANIFEST.read_text(encoding="utf-8")
    in_manifest = set(re.findall(r"- command: /(\w+)", manifest))
    assert (
        in_manifest
        == set(app.registry.commands)
        == {
            "decide", "decisions", "match", "partner", "plan", "kpi", "digest", "contract", "accord"
        }
    )
    assert "callback_id: accord_log_decision" in manifest and "app_home_opened" in manifest
    bot_scopes = manifest.split("    bot:\n", 1)[1].split("settings:", 1)[0]
    assert re.findall(r"- ([\w:.]+)", bot_scopes) == list(BOT_SCOPES)


def test_bad_input_answers_a_private_error_and_posts_nothing(app: App) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            payload = {
                **fixture("slash_command", r.fake),
                "command": "/decide",
                "text": "--frobnicate kickoff",
            }
            await r.command(payload)
            [answer] = await r.fake.wait_calls("/response/slash1")
            assert answer.body["response_type"] == "ephemeral"
            assert "Unknown option --frobnicate" in answer.body["text"]
            assert r.fake.calls("chat.postMessage") == []

    asyncio.run(scenario())


def test_user_locale_and_slack_connect_home_team_come_from_users_info(app: App) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            r.fake.users["U0ALICE"] = {
                "id": "U0ALICE",
                "name": "alice",
                "team_id": "T0BETA",
                "locale": "fr-FR",
                "profile": {"display_name": "Alice Martin"},
            }
            await r.command(fixture("slash_command", r.fake))
            [post] = await r.fake.wait_calls("chat.postMessage")
            assert "Décision" in post.body["blocks"][0]["text"]["text"]

    asyncio.run(scenario())
    with Session(app.engine) as session:
        alice = session.exec(select(Member).where(Member.user_id == "U0ALICE")).one()
    assert (alice.display_name, alice.home_team_id, alice.team_id) == (
        "Alice Martin",
        "T0BETA",
        "T0ACME",
    )


def test_decide_without_text_opens_the_modal_and_its_submission_logs_the_decision(app: App) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            payload = {**fixture("slash_command", r.fake), "text": ""}
            await r.command(payload)
            [opened] = await r.fake.wait_calls("views.open")
            assert opened.body["trigger_id"] == payload["trigger_id"]
            view = opened.body["view"]
            assert view["callback_id"] == "accord_decide"
            assert [b["block_id"] for b in view["blocks"]] == [
                "decision",
                "participants",
                "tags",
                "supersedes",
            ]
            assert decisions(app) == []

            finished = Finished(r.adapter)
            resp = await r.interactive(fixture("view_submission", r.fake))
            assert resp.status == 200  # an empty 200 closes the modal
            await finished.wait(1)
            [post] = r.fake.calls("chat.postMessage")
            assert post.body["channel"] == "C0LAUNCH"
            assert "Décision" in post.body["text"]  # the modal was opened in French

    asyncio.run(scenario())
    [decision] = decisions(app)
    assert decision.text == "Prix de lancement : 49 € #pricing #launch"
    assert decision.participants == ["U0BOB", "U0CARA"]
    assert decision.tags == ["pricing", "launch"]


def test_message_shortcut_logs_the_message_with_a_link_back(app: App) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            await r.interactive(fixture("message_shortcut", r.fake))
            [post] = await r.fake.wait_calls("chat.postMessage")
            [link] = r.fake.calls("chat.getPermalink")
            assert (link.body["channel"], link.body["message_ts"]) == (
                "C0LAUNCH",
                "1700000200.000300",
            )
            assert "archives/C0LAUNCH/p1700000200000300" in str(post.body["blocks"])

    asyncio.run(scenario())
    [decision] = decisions(app)
    assert decision.text == "OK for us: <@U0BOB> signs the NDA by Friday"
    assert decision.link == "https://acme.slack.com/archives/C0LAUNCH/p1700000200000300"
    assert decision.author_id == "U0CARA"


def test_button_updates_the_message_in_place_once(app: App) -> None:
    pressed: list[str] = []

    def confirm(ctx: Ctx, value: str) -> list[Reply]:
        pressed.append(value)
        return [Reply(text=f"Confirmed by <@{ctx.user.id}>", replace_original=True)]

    app.registry.add_action("test.confirm", confirm)

    async def scenario() -> None:
        async with running(app) as r:
            finished = Finished(r.adapter)
            payload = fixture("block_action", r.fake)
            await r.interactive(payload)
            await r.interactive(payload, extra={"X-Slack-Retry-Num": "1"})
            [update] = await r.fake.wait_calls("/response/action1")
            await finished.wait(2)
            assert update.body["replace_original"] is True
            assert "Confirmed by <@U0BOB>" in update.body["text"]
            assert len(r.fake.calls("/response/action1")) == 1

    asyncio.run(scenario())
    assert pressed == ["contract-7"]
    with Session(app.engine) as session:
        bob = session.exec(select(Member).where(Member.user_id == "U0BOB")).one()
    assert bob.home_team_id == "T0BETA"  # Slack Connect: Bob's own workspace


def test_button_without_response_url_uses_chat_update(app: App) -> None:
    app.registry.add_action(
        "test.confirm", lambda ctx, value: [Reply(text="Done", replace_original=True)]
    )

    async def scenario() -> None:
        async with running(app) as r:
            payload = fixture("block_action", r.fake)
            del payload["response_url"]
            await r.interactive(payload)
            [update] = await r.fake.wait_calls("chat.update")
            assert update.body["channel"] == "C0LAUNCH" and update.body["ts"] == "1700000000.000001"

    asyncio.run(scenario())


def test_ephemeral_export_goes_to_the_user_and_files_to_their_dm(app: App) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            finished = Finished(r.adapter)
            base = fixture("slash_command", r.fake)
            await r.command(base)
            await finished.wait(1)  # the decision is stored before the export
            await r.command(
                {**base, "command": "/decisions", "text": "export csv", "trigger_id": "t2"}
            )
            await finished.wait(2)
            ephemeral = [
                c
                for c in r.fake.calls("/response/slash1")
                if c.body.get("response_type") == "ephemeral"
            ]
            assert ephemeral and "1" in ephemeral[-1].body["text"]
            [opened] = r.fake.calls("conversations.open")
            assert opened.body["users"] == "U0ALICE"
            [complete] = r.fake.calls("files.completeUploadExternal")
            assert complete.body["channel_id"] == "DU0ALICE"
            assert r.fake.calls("/upload/")  # the bytes went to the upload URL
            assert not r.fake.calls("files.upload")  # retired

    asyncio.run(scenario())


def test_app_home_shows_the_users_partnerships(app: App) -> None:
    async def scenario() -> None:
        async with running(app) as r:
            await r.command(fixture("slash_command", r.fake))
            await r.fake.wait_calls("chat.postMessage")
            resp = await r.event(fixture("app_home_opened", r.fake))
            assert resp.status == 200
            [published] = await r.fake.wait_calls("views.publish")
            assert published.body["user_id"] == "U0ALICE"
            view = published.body["view"]
            assert view["type"] == "home" and len(view["blocks"]) <= 100
            text = str(view["blocks"])
            assert (
                "Your partnerships" in text and "<#C0LAUNCH>" in text and "#1 · we launch" in text
            )
            # Each partnership opens with its health (the five sins, one row each).
            assert "Health:" in text and "Partner choice" in text and "Tracking" in text

    asyncio.run(scenario())


def test_reply_with_buttons_renders_unique_action_ids() -> None:
    from adapters.slack_render import neutral_action_id, render

    reply = Reply(
        text="Snooze?",
        buttons=[Button("1 day", "plan.snooze", "1d"), Button("1 week", "plan.snooze", "1w")],
        visibility=Visibility.CHANNEL,
    )
    [message] = render(reply)
    ids = [e["action_id"] for e in message.blocks[-1]["elements"]]
    assert len(set(ids)) == 2 and {neutral_action_id(i) for i in ids} == {"plan.snooze"}


def test_a_refused_private_answer_reaches_the_user_by_direct_message(app: App) -> None:
    """A form submitted where the bot cannot post privately: the answer goes to the DM."""

    async def scenario() -> None:
        async with running(app) as r:
            r.fake.fail("chat.postEphemeral", error="not_in_channel")
            submission = fixture("view_submission", r.fake)
            submission["view"]["state"]["values"]["supersedes"]["number"]["value"] = "99"
            finished = Finished(r.adapter)
            await r.interactive(submission)
            await finished.wait(1)
            posts = await r.fake.wait_calls("chat.postMessage", count=2)
            assert {p.body["channel"] for p in posts} == {"DU0ALICE"}
            assert "99" in posts[0].body["text"]  # the answer Slack refused to show privately
            assert "/invite @Accord" in posts[1].body["text"]  # and why it came here

    asyncio.run(scenario())
    assert decisions(app) == []
