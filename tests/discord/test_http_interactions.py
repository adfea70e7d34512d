"""The HTTP interactions endpoint, driven with requests signed by a test Ed25519 key."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from typing import Any

from nacl.signing import SigningKey
from sqlmodel import Session, col, select

from bot.app import App
from bot.kernel.context import Ctx
from bot.kernel.registry import CommandSpec
from bot.kernel.types import Button, Reply, Visibility
from storage.models import Decision
from tests.discord import payloads as p
from tests.discord.conftest import Endpoint, sign
from tests.discord.fake_discord import FakeDiscord


def decisions_of(app: App) -> list[Decision]:
    with Session(app.engine) as session:
        return list(session.exec(select(Decision).order_by(col(Decision.number))).all())


def test_signature_is_required(app: App, fake: FakeDiscord, signing_key: SigningKey) -> None:
    async def scenario() -> None:
        async with Endpoint(app, fake, signing_key) as ep:
            raw = json.dumps(p.slash("decide", "we launch")).encode()
            good = sign(signing_key, raw)
            assert (await ep.post({}, body=raw, headers={"Content-Type": "application/json"}))[
                0
            ] == 401
            other = sign(SigningKey.generate(), raw)
            assert (await ep.post({}, body=raw, headers=other))[0] == 401
            assert (await ep.post({}, body=raw + b" ", headers=good))[0] == 401
            stale = {**good, "X-Signature-Timestamp": "1772442001"}
            assert (await ep.post({}, body=raw, headers=stale))[0] == 401
            assert (await ep.post({}, body=raw, headers={**good, "X-Signature-Ed25519": "zz"}))[
                0
            ] == 401
            assert (await ep.post(p.ping()))[1] == {"type": 1}

    asyncio.run(scenario())
    assert decisions_of(app) == []


def test_decide_answers_with_an_embed_and_records_in_the_guild(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    async def scenario() -> Any:
        async with Endpoint(app, fake, signing_key) as ep:
            first = await ep.send(
                p.slash("decide", "we launch on 3 March #launch <@!800000000000000002>")
            )
            french = await ep.send(
                p.slash("decide", "budget validé", locale="fr", guild_locale="en-US")
            )
            plan = await ep.send(p.slash("plan", "move 99 demain parce que", locale="fr"))
            return [first, french, plan]

    first, french, plan = asyncio.run(scenario())
    assert first["type"] == 4
    embed = first["data"]["embeds"][0]
    assert embed["title"] == "Decision #1"
    assert embed["description"] == "we launch on 3 March #launch <@800000000000000002>"
    assert french["data"]["embeds"][0]["title"] == "Décision n° 2"
    assert plan["data"]["content"].startswith("⚠️")  # a private, localized error
    assert plan["data"]["flags"] == 64
    rows = decisions_of(app)
    assert [(d.platform, d.team_id, d.channel_id, d.author_id) for d in rows] == [
        ("discord", p.GUILD, p.CHANNEL, p.ALICE)
    ] * 2
    assert rows[0].participants == ["800000000000000002"]


def test_decide_without_text_opens_a_modal_whose_submission_records(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    async def scenario() -> Any:
        async with Endpoint(app, fake, signing_key) as ep:
            await ep.send(p.slash("decide", "first one"))
            modal = await ep.send(p.slash("decide", options={"supersedes": 1}))
            submitted = await ep.send(
                p.modal_submit("second one", custom_id=modal["data"]["custom_id"])
            )
            french = await ep.send(p.slash("decide", locale="fr"))
            return modal, submitted, french

    modal, submitted, french = asyncio.run(scenario())
    assert modal["type"] == 9
    assert modal["data"]["custom_id"] == "accord.modal:decide|--supersedes 1"
    text_input = modal["data"]["components"][0]["components"][0]
    assert text_input["custom_id"] == "text" and text_input["style"] == 2
    assert french["data"]["title"] == "Consigner une décision"
    assert submitted["data"]["embeds"][0]["title"] == "Decision #2"
    rows = decisions_of(app)
    assert [d.text for d in rows] == ["first one", "second one"]
    assert rows[1].supersedes_id == rows[0].id


def test_log_as_decision_links_back_to_the_message(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    async def scenario() -> Any:
        async with Endpoint(app, fake, signing_key) as ep:
            return await ep.send(
                p.message_command("Go for the March launch", message_id="1400000000000000042")
            )

    body = asyncio.run(scenario())
    (decision,) = decisions_of(app)
    assert decision.text == "Go for the March launch"
    assert (
        decision.link == f"https://discord.com/channels/{p.GUILD}/{p.CHANNEL}/1400000000000000042"
    )
    assert decision.link in json.dumps(body)


def test_autocomplete_offers_stored_decisions_of_this_guild_only(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    async def scenario() -> Any:
        async with Endpoint(app, fake, signing_key) as ep:
            await ep.send(p.slash("decide", "launch in March"))
            await ep.send(p.slash("decide", "budget of 10k"))
            await ep.send(p.slash("decide", "other guild secret", guild="700000000000000099"))
            numbers = await ep.send(p.autocomplete("decide", "supersedes", ""))
            words = await ep.send(p.autocomplete("decide", "supersedes", "budg"))
            show = await ep.send(p.autocomplete("decisions", "text", "show "))
            return numbers, words, show

    numbers, words, show = asyncio.run(scenario())
    assert numbers["type"] == 8
    assert [c["value"] for c in numbers["data"]["choices"]] == [2, 1]
    assert numbers["data"]["choices"][0]["name"] == "#2 · budget of 10k"
    assert [c["value"] for c in words["data"]["choices"]] == [2]
    assert [c["value"] for c in show["data"]["choices"]] == ["show 2", "show 1"]


def test_slow_work_defers_then_follows_up(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    release = threading.Event()

    def slow(ctx: Ctx) -> list[Reply]:
        assert release.wait(10)
        return [Reply(text=f"slow done: {ctx.text}")]

    def slow_private(ctx: Ctx) -> list[Reply]:
        assert release.wait(10)
        return [Reply(text="only you", visibility=Visibility.EPHEMERAL)]

    app.registry.add_command(CommandSpec("slow", slow, "plan.summary", "plan.usage"))
    app.registry.add_command(
        CommandSpec("slowp", slow_private, "plan.summary", "plan.usage")
    )

    async def scenario() -> Any:
        async with Endpoint(app, fake, signing_key, defer_after=0.05) as ep:
            a = p.slash("slow", "x")
            b = p.slash("slowp", "")
            first = await ep.send(a)
            second = await ep.send(b)
            release.set()
            await asyncio.to_thread(
                fake.wait_count, "POST", f"/webhooks/{a['application_id']}/{b['token']}"
            )
            await asyncio.to_thread(
                fake.wait_count, "PATCH", f"/webhooks/{a['application_id']}/{a['token']}"
            )
            return first, second

    first, second = asyncio.run(scenario())
    assert first == {"type": 5} and second == {"type": 5}
    (edit,) = fake.matching("PATCH", "/messages/@original")
    assert edit.body["content"] == "slow done: x"
    (delete,) = fake.matching("DELETE", "/messages/@original")
    (followup,) = fake.matching("POST", "/webhooks/")
    assert followup.body["flags"] == 64 and followup.body["content"] == "only you"
    assert delete.path != edit.path


def test_buttons_become_actions_and_update_the_message(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    def show(ctx: Ctx) -> list[Reply]:
        return [
            Reply(title="Vote", text="Ship it?", buttons=[Button("Yes", "test.vote", "yes:42")])
        ]

    def vote(ctx: Ctx, value: str) -> list[Reply]:
        return [Reply(text=f"{ctx.user.name} voted {value}", replace_original=True)]

    app.registry.add_command(CommandSpec("vote", show, "plan.summary", "plan.usage"))
    app.registry.add_action("test.vote", vote)

    async def scenario() -> Any:
        async with Endpoint(app, fake, signing_key) as ep:
            shown = await ep.send(p.slash("vote", ""))
            custom_id = shown["data"]["components"][0]["components"][0]["custom_id"]
            pressed = p.button(custom_id)
            updated = await ep.send(pressed)
            again = await ep.send(pressed)  # Discord redelivered the same click
            return shown, updated, again

    shown, updated, again = asyncio.run(scenario())
    assert shown["data"]["components"][0]["components"][0]["custom_id"] == "test.vote|yes:42"
    assert updated == {
        "type": 7,
        # The whole message is replaced: the old embeds and buttons go.
        "data": {
            "content": "Alice voted yes:42",
            "embeds": [],
            "components": [],
            "attachments": [],
            "allowed_mentions": {"parse": []},
        },
    }
    assert again == updated


CODE_RE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")


async def link_to_shared(ep: Endpoint, fake: FakeDiscord) -> str:
    """The handshake: a code given privately in the shared channel, used in CHANNEL."""
    given = await ep.send(p.slash("accord", "link", channel=p.SHARED))
    assert given["data"]["flags"] == 64  # only the one who asked sees the code
    match = CODE_RE.search(json.dumps(given))
    assert match is not None, given
    linked = await ep.send(p.slash("accord", f"link {match.group(0)}"))
    await ep.service.drain()
    return json.dumps(linked)


def test_shared_channel_posts_once_with_a_nonce_and_reports_missing_permissions(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    async def scenario() -> Any:
        async with Endpoint(app, fake, signing_key) as ep:
            await link_to_shared(ep, fake)
            decide = p.slash("decide", "we launch in March")
            body = await ep.send(decide)
            again = await ep.send(decide)  # a replay of the same interaction
            await ep.service.drain()
            fake.fail_next(
                f"/channels/{p.SHARED}/messages",
                403,
                {"message": "Missing Permissions", "code": 50013},
            )
            refused = p.slash("decide", "budget 10k", locale="fr")
            await ep.send(refused)
            await asyncio.to_thread(
                fake.wait_count, "POST", f"/webhooks/{refused['application_id']}/{refused['token']}"
            )
            return body, again, decide

    body, again, decide = asyncio.run(scenario())
    assert body["data"]["flags"] == 64 and f"<#{p.SHARED}>" in body["data"]["content"]
    assert again == body
    posts = fake.matching("POST", f"/channels/{p.SHARED}/messages")
    # The link's decision, the first decision once, then the refused one.
    assert len(posts) == 3
    first = posts[1]
    assert first.headers["Authorization"] == "Bot test-bot-token"
    assert first.body["enforce_nonce"] is True and 0 < len(first.body["nonce"]) <= 25
    assert first.body["embeds"][0]["title"] == "Decision #2"
    assert len(fake.messages[p.SHARED]) == 2
    (note,) = [n for n in fake.matching("POST", "/webhooks/") if n.body.get("flags") == 64
               and "permissions" in n.body.get("content", "")]
    assert note.body["flags"] == 64 and "permissions" in note.body["content"]
    assert "Enregistré" in note.body["content"]
    assert len(decisions_of(app)) == 3


def test_files_are_sent_as_attachments_by_webhook(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    async def scenario() -> Any:
        async with Endpoint(app, fake, signing_key) as ep:
            await ep.send(p.slash("decide", "launch in March"))
            body = await ep.send(p.slash("decisions", "export csv"))
            await ep.service.drain()
            return body

    body = asyncio.run(scenario())
    # A private reply with a file is deferred privately from the start (issue 13):
    # nothing shows in the channel, and the deferral itself becomes the answer.
    assert body == {"type": 5, "data": {"flags": 64}}
    (edited,) = fake.matching("PATCH", "/messages/@original")
    assert "decisions.csv" in edited.files and b"launch in March" in edited.files["decisions.csv"]
    assert edited.body["attachments"] == [{"id": 0, "filename": "decisions.csv"}]
    assert not fake.matching("DELETE", "/messages/@original")
    assert not fake.matching("POST", "/webhooks/")


def test_a_payload_without_user_gets_a_clean_error(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    payload = p.slash("decide", "launch in March")
    payload.pop("member")

    async def scenario() -> Any:
        async with Endpoint(app, fake, signing_key) as ep:
            return await ep.send(payload)

    body = asyncio.run(scenario())
    assert body["type"] == 4 and body["data"]["flags"] == 64
    assert body["data"]["content"].startswith("⚠️") and "who" in body["data"]["content"]
    assert decisions_of(app) == []


def test_without_a_bot_token_shared_channel_posts_show_here(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    async def scenario() -> Any:
        async with Endpoint(app, fake, signing_key, bot_token=None) as ep:
            await link_to_shared(ep, fake)
            decide = p.slash("decide", "we launch in March")
            await ep.send(decide)
            await ep.service.drain()
            return decide

    decide = asyncio.run(scenario())
    assert fake.matching("POST", "/channels/") == []
    (followup,) = fake.matching("POST", f"/webhooks/{decide['application_id']}/{decide['token']}")
    assert followup.body["embeds"][0]["title"] == "Decision #2"  # the link was decision #1
    assert "Authorization" not in followup.headers


def test_slow_button_defers_the_update_then_edits_the_message(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    release = threading.Event()

    def approve(ctx: Ctx, value: str) -> list[Reply]:
        assert release.wait(10)
        return [Reply(title="Approved", text=value, replace_original=True)]

    app.registry.add_action("test.approve", approve)
    press = p.button("test.approve|deck v2")

    async def scenario() -> Any:
        async with Endpoint(app, fake, signing_key, defer_after=0.05) as ep:
            first = await ep.send(press)
            release.set()
            await asyncio.to_thread(fake.wait_count, "PATCH", "/messages/@original")
            return first

    assert asyncio.run(scenario()) == {"type": 6}
    (edit,) = fake.matching("PATCH", f"/webhooks/{press['application_id']}/{press['token']}")
    assert edit.body["embeds"][0]["title"] == "Approved"
    assert edit.body["components"] == [] and edit.body["content"] == ""


def test_the_channel_language_wins_over_the_client_language(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    async def scenario() -> Any:
        async with Endpoint(app, fake, signing_key) as ep:
            await ep.send(p.slash("accord", "lang fr", locale="en-GB"))
            modal = await ep.send(p.slash("decide", locale="en-GB"))
            elsewhere = await ep.send(p.slash("decide", "x", channel=p.SHARED, locale="en-GB"))
            return modal, elsewhere

    modal, elsewhere = asyncio.run(scenario())
    assert modal["data"]["title"] == "Consigner une décision"
    assert elsewhere["data"]["embeds"][0]["title"] == "Decision #1"
