"""One partnership in three places, through the real adapters and signed requests.

Slack workspace A (Acme, English) keeps the record; Slack workspace B (Nido, a
French channel) and a Discord guild (Acme's people there) join it with link
codes given in A. Commands reach the adapters' HTTP endpoints signed as the
platforms sign them; posts for the other places go through the outbox and a
dispatcher pass with the adapters' own notifiers, pointed at the fakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from nacl.signing import SigningKey
from sqlmodel import Session, col, select

from adapters.discord_adapter import DiscordNotifier
from bot.app import App
from bot.delivery.dispatcher import PassResult
from bot.kernel.clock import FixedClock
from bot.runner import make_dispatcher
from storage.models import (
    Contract,
    ContractConfirmation,
    Decision,
    Notification,
    Party,
    Place,
)
from storage.models.notifications import FAILED, PENDING, SENT
from tests.contract.helpers import TERMS
from tests.discord import payloads as p
from tests.discord.conftest import BOT_TOKEN as DISCORD_TOKEN
from tests.discord.conftest import Endpoint, sign
from tests.discord.fake_discord import FakeDiscord
from tests.slack.fake_slack import TEAM_ID as TEAM_A
from tests.slack.harness import Finished, Running, fixture, running

CODE_RE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")

# Slack workspace A: Acme's, where the partnership is kept.
CHANNEL_A = "C0LAUNCH"
ALICE = "U0ALICE"
# Slack workspace B: Nido's, its channel in French; and a channel of B that is no place.
TEAM_B = "T0NIDO"
CHANNEL_B = "C0NIDO"
OTHER_B = "C0GOSSIP"
NINA = "U0NINA"
# Discord: Acme's engineering guild (payloads' guild), its channel for the partnership.
CHANNEL_D = p.CHANNEL
DORA = "800000000000000007"


@dataclass
class World:
    app: App
    slack: Running
    finished: Finished
    discord: Endpoint
    fake_discord: FakeDiscord
    count: int = 0

    async def say(self, team: str, channel: str, user: str, command: str, text: str) -> str:
        """A signed slash command in Slack; what it answered privately (response_url)."""
        self.count += 1
        key = f"k{self.count}"
        base = fixture("slash_command", self.slack.fake)
        await self.slack.command(
            {
                **base,
                "team_id": team,
                "team_domain": team.lower(),
                "channel_id": channel,
                "user_id": user,
                "user_name": user.lower(),
                "command": f"/{command}",
                "text": text,
                "trigger_id": key,
                "response_url": self.slack.fake.response_url(key),
            }
        )
        await self.finished.wait(self.count)
        return " ".join(json.dumps(c.body) for c in self.slack.fake.calls(f"/response/{key}"))

    async def press(self, team: str, channel: str, user: str, button: dict[str, Any]) -> str:
        """A signed press of a Slack button the bot posted."""
        self.count += 1
        key = f"k{self.count}"
        payload = fixture("block_action", self.slack.fake)
        payload["user"] = {"id": user, "username": user.lower(), "name": user.lower()}
        payload["user"]["team_id"] = team
        payload["team"] = {"id": team, "domain": team.lower()}
        payload["channel"] = {"id": channel, "name": channel.lower()}
        payload["container"] = {**payload["container"], "channel_id": channel}
        payload["response_url"] = self.slack.fake.response_url(key)
        payload["actions"] = [{**payload["actions"][0], **button}]
        await self.slack.interactive(payload)
        await self.finished.wait(self.count)
        return " ".join(json.dumps(c.body) for c in self.slack.fake.calls(f"/response/{key}"))

    async def play(
        self, command: str, text: str, *, user: str = DORA, name: str = "dora", **kw: Any
    ) -> Any:
        """A signed Discord slash command in Acme's guild; the interaction's answer."""
        channel = kw.pop("channel", CHANNEL_D)
        payload = p.slash(command, text, channel=channel, user=user, **kw)
        # `slash` names its own first argument `name`: the person's name is set here.
        payload["member"]["user"].update(username=name, global_name=name.title())
        # Signed at the bot's clock: tests move it, and Discord's timestamps move with time.
        raw = json.dumps(payload).encode()
        stamp = str(int(self.app.clock.now().timestamp()))
        status, answer = await self.discord.post(
            payload, headers=sign(self.discord.key, raw, stamp), body=raw
        )
        assert status == 200, answer
        await self.discord.service.drain()
        return answer

    async def dispatch(self) -> PassResult:
        """One dispatcher pass, off the event loop that serves the fakes and the adapters."""
        notifiers = {
            "slack": self.slack.adapter.notifier(),
            "discord": DiscordNotifier(self.fake_discord.url, DISCORD_TOKEN, backoff=0.001),
        }
        return await asyncio.to_thread(make_dispatcher(self.app, notifiers).run_once)

    def slack_posts(self, channel: str) -> list[str]:
        return [
            json.dumps(c.body, ensure_ascii=False)
            for c in self.slack.fake.calls("chat.postMessage")
            if c.body.get("channel") == channel
        ]

    def discord_posts(self, channel: str = CHANNEL_D) -> list[str]:
        return [
            json.dumps(r.body, ensure_ascii=False)
            for r in self.fake_discord.matching("POST", f"/channels/{channel}/messages")
        ]


@contextlib.asynccontextmanager
async def world(app: App, fake: FakeDiscord, key: SigningKey) -> AsyncIterator[World]:
    async with running(app) as slack, Endpoint(app, fake, key) as discord:
        # Nina is of workspace B: Slack says so (users.info), not the payload.
        slack.fake.users[NINA] = {
            "id": NINA,
            "name": "nina",
            "team_id": TEAM_B,
            "locale": "fr-FR",
            "profile": {"display_name": "Nina"},
        }
        yield World(app, slack, Finished(slack.adapter), discord, fake)


def code_in(text: str) -> str:
    found = CODE_RE.search(text)
    assert found is not None, text
    return found.group(0)


async def three_places(w: World) -> None:
    """Acme in A; B joins unbound and Nina creates Nido there; Discord joins for Acme."""
    created = await w.say(TEAM_A, CHANNEL_A, ALICE, "accord", "party add Acme")
    assert "⚠️" not in created, created
    # B's channel speaks French before it joins (its own settings stay its own).
    await w.say(TEAM_B, CHANNEL_B, NINA, "accord", "lang fr")
    code_b = code_in(await w.say(TEAM_A, CHANNEL_A, ALICE, "accord", "link"))
    joined_b = await w.say(TEAM_B, CHANNEL_B, NINA, "accord", f"link {code_b}")
    assert "⚠️" not in joined_b, joined_b
    nido = await w.say(TEAM_B, CHANNEL_B, NINA, "accord", "party add Nido")
    assert "⚠️" not in nido, nido
    code_d = code_in(await w.say(TEAM_A, CHANNEL_A, ALICE, "accord", "link Acme"))
    joined_d = await w.play("accord", f"link {code_d}")
    assert "⚠️" not in json.dumps(joined_d), joined_d
    await w.dispatch()  # the joins and Nido's creation, announced everywhere


def rows(app: App) -> list[Notification]:
    with Session(app.engine) as session:
        return list(session.exec(select(Notification).order_by(col(Notification.id))).all())


# -- 1, 2, 3: decisions from every place, in every other place, once, in its language ----


def test_each_decision_reaches_every_other_place_once_in_its_language(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    async def scenario() -> dict[str, Any]:
        async with world(app, fake, signing_key) as w:
            await three_places(w)
            before = {
                "a": len(w.slack_posts(CHANNEL_A)),
                "b": len(w.slack_posts(CHANNEL_B)),
                "d": len(w.discord_posts()),
            }
            await w.say(TEAM_A, CHANNEL_A, ALICE, "decide", f"budget 40k with <@{ALICE}>")
            await w.say(TEAM_B, CHANNEL_B, NINA, "decide", f"logo by Friday, <@{NINA}> owns it")
            answer_d = await w.play("decide", f"API freeze on 9 March <@{DORA}>")
            passed = await w.dispatch()
            again = await w.dispatch()
            return {
                "before": before,
                "a": w.slack_posts(CHANNEL_A),
                "b": w.slack_posts(CHANNEL_B),
                "d": w.discord_posts(),
                "answer_d": json.dumps(answer_d, ensure_ascii=False),
                "passed": passed,
                "again": again,
            }

    got = asyncio.run(scenario())
    before = got["before"]
    new_a, new_b, new_d = (
        got["a"][before["a"] :],
        got["b"][before["b"] :],
        got["d"][before["d"] :],
    )

    def titled(posts: list[str], title: str) -> list[str]:
        return [x for x in posts if title in x]

    # The partnership's numbering: the joins and Nido's creation were its first decisions.
    with Session(app.engine) as session:
        numbers = {
            d.text.split()[0]: d.number
            for d in session.exec(select(Decision).where(Decision.source == "decide"))
        }
    assert set(numbers) == {"budget", "logo", "API"}
    n_a, n_b, n_d = numbers["budget"], numbers["logo"], numbers["API"]
    assert [n_a, n_b, n_d] == [n_a, n_a + 1, n_a + 2]
    # A's decision: posted in A by the adapter, once in B (French) and once on Discord.
    assert len(titled(new_a, f"Decision #{n_a}")) == 1
    assert len(titled(new_b, f"Décision n° {n_a}")) == 1
    assert len(titled(new_d, f"Decision #{n_a}")) == 1
    # B's decision: once in A, once on Discord; in B it is the adapter's own post.
    assert len(titled(new_a, f"Decision #{n_b}")) == 1
    assert len(titled(new_d, f"Decision #{n_b}")) == 1
    assert len(titled(new_b, f"Décision n° {n_b}")) == 1
    # Discord's: the interaction's answer there, once in A and once in B (French).
    assert f"Decision #{n_d}" in got["answer_d"]
    assert len(titled(new_a, f"Decision #{n_d}")) == 1
    assert len(titled(new_b, f"Décision n° {n_d}")) == 1
    assert not titled(new_d, f"Decision #{n_d}")
    assert not [x for x in new_b if "Decision #" in x]  # nothing English in B
    assert got["passed"].sent == 6 and got["passed"].failed == 0
    assert got["again"].sent == 0  # a second pass posts nothing again

    # People: a real mention only in their own place, "Name (Company)" elsewhere.
    [nina_in_a] = titled(new_a, f"Decision #{n_b}")
    [nina_in_d] = titled(new_d, f"Decision #{n_b}")
    [nina_in_b] = titled(new_b, f"Décision n° {n_b}")
    for post in (nina_in_a, nina_in_d):
        assert "Nina (Nido)" in post and NINA not in post
    assert f"<@{NINA}>" in nina_in_b and "slack~" not in nina_in_b
    [dora_in_a] = titled(new_a, f"Decision #{n_d}")
    [dora_in_b] = titled(new_b, f"Décision n° {n_d}")
    for post in (dora_in_a, dora_in_b):
        assert "Dora (Acme)" in post and DORA not in post
    assert f"<@{DORA}>" in got["answer_d"] and "discord~" not in got["answer_d"]
    [alice_in_b] = titled(new_b, f"Décision n° {n_a}")
    [alice_in_d] = titled(new_d, f"Decision #{n_a}")
    for post in (alice_in_b, alice_in_d):
        assert "Alice (Acme)" in post and ALICE not in post
    [alice_in_a] = titled(new_a, f"Decision #{n_a}")
    assert f"<@{ALICE}>" in alice_in_a
    assert all(r.status == SENT for r in rows(app) if r.kind == "mirror")


# -- 4: one place failing holds up no other, and is retried or reported ---------------------

FAILURES = {
    # Gone for good: given up at once, and the partnership is told in its other places.
    "channel_not_found": {"error": "channel_not_found"},
    # A long Retry-After is given back to the outbox, not slept through.
    "rate_limited": {"status": 429, "error": "ratelimited", "retry_after": 120},
    # Slack's own retries (2) exhausted: retried later with a backoff.
    "server_error": {"status": 503, "times": 3},
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_failing_place_delays_no_other_and_is_retried_or_reported(
    app: App, clock: FixedClock, fake: FakeDiscord, signing_key: SigningKey, failure: str
) -> None:
    async def scenario() -> dict[str, Any]:
        async with world(app, fake, signing_key) as w:
            await three_places(w)
            d_before, a_before = len(w.discord_posts()), len(w.slack_posts(CHANNEL_A))
            await w.say(TEAM_A, CHANNEL_A, ALICE, "decide", "budget 40k")
            w.slack.fake.fail("chat.postMessage", channel=CHANNEL_B, **FAILURES[failure])
            failed = await w.dispatch()
            in_d = w.discord_posts()[d_before:]
            b_rows = [r for r in rows(app) if r.channel_id == CHANNEL_B and r.status != SENT]
            # Later, B answers again; meanwhile Dora decides on Discord.
            clock.advance(timedelta(minutes=20))
            await w.play("decide", "API freeze on 9 March")
            later = await w.dispatch()
            return {
                "failed": failed,
                "in_d": in_d,
                "b_rows": b_rows,
                "later": later,
                "in_a": w.slack_posts(CHANNEL_A)[a_before:],
                "in_b": w.slack_posts(CHANNEL_B),
            }

    got = asyncio.run(scenario())
    # The Discord copy went in the same pass as B's failed one.
    assert (got["failed"].sent, got["failed"].failed) == (1, 1)
    assert len([x for x in got["in_d"] if "budget 40k" in x]) == 1
    [b_row] = got["b_rows"]
    assert b_row.kind == "mirror"
    budget_in_b = [x for x in got["in_b"] if "budget 40k" in x]
    if failure == "channel_not_found":
        assert b_row.status == FAILED and b_row.failure_reason == "channel_not_found"
        # B is gone: never tried again; the partnership reads why in its own channel.
        assert len(budget_in_b) == 1
        [told] = [x for x in got["in_a"] if "API freeze" in x]
        # Named so that A can read it: B's channel id alone would be a dead link there.
        assert "could not be posted in C0NIDO (T0NIDO, Slack) (channel_not_found)" in told
    else:
        assert b_row.status == PENDING and b_row.last_error
        # Retried when B answers again: exactly one copy reached B in the end.
        assert got["later"].failed == 0
        with Session(app.engine) as session:
            again = session.get(Notification, b_row.id)
            assert again is not None and again.status == SENT
        # The refused attempts, then the one that went: one copy in B.
        assert len(budget_in_b) == FAILURES[failure].get("times", 1) + 1


# -- 5: leaving stops the copies; a channel that is no place reads nothing ---------------


def test_unlink_stops_the_copies_and_other_channels_read_nothing(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    async def scenario() -> dict[str, Any]:
        async with world(app, fake, signing_key) as w:
            await three_places(w)
            await w.say(TEAM_A, CHANNEL_A, ALICE, "decide", "SECRET budget 40k")
            await w.dispatch()
            with Session(app.engine) as session:
                [secret] = session.exec(select(Decision).where(Decision.source == "decide"))
            # What is read back is "40k": a search repeats its own words.
            reads = ("", "search budget", f"show {secret.number}", "show 1")
            got: dict[str, Any] = {"number": secret.number}
            got["in_b"] = [await w.say(TEAM_B, CHANNEL_B, NINA, "decisions", r) for r in reads]
            got["elsewhere"] = [
                await w.say(TEAM_B, OTHER_B, NINA, "decisions", r) for r in reads
            ] + w.slack_posts(OTHER_B)
            got["unlinked"] = await w.say(TEAM_B, CHANNEL_B, NINA, "accord", "unlink")
            b_before, d_before = len(w.slack_posts(CHANNEL_B)), len(w.discord_posts())
            a_before = len(w.slack_posts(CHANNEL_A))
            await w.say(TEAM_A, CHANNEL_A, ALICE, "decide", "AFTER the unlink")
            got["pass"] = await w.dispatch()
            got["b_after"] = w.slack_posts(CHANNEL_B)[b_before:]
            got["d_after"] = w.discord_posts()[d_before:]
            got["a_after"] = w.slack_posts(CHANNEL_A)[a_before:]
            got["b_reads"] = [await w.say(TEAM_B, CHANNEL_B, NINA, "decisions", r) for r in reads]
            return got

    got = asyncio.run(scenario())
    # In the place itself, the record reads (in French).
    assert all("40k" in answer for answer in got["in_b"][:3])
    # Another channel of workspace B: nothing of the partnership, whatever is asked.
    assert not any("40k" in x for x in got["elsewhere"])
    assert "⚠️" not in got["unlinked"]
    # The leaving is announced in the other places; after it, B gets no copy.
    left = [x for x in got["a_after"] if "C0NIDO (T0NIDO, Slack)" in x]
    assert left, got["a_after"]
    assert not any("AFTER the unlink" in x for x in got["b_after"])
    assert len([x for x in got["d_after"] if "AFTER the unlink" in x]) == 1
    assert got["pass"].failed == 0
    with Session(app.engine) as session:
        assert not session.exec(select(Place).where(Place.channel_id == CHANNEL_B)).all()
        assert not session.exec(
            select(Notification).where(
                Notification.channel_id == CHANNEL_B, Notification.status != SENT
            )
        ).all()
    # And the channel, no longer a place, reads the record no more.
    assert not any("40k" in answer or "AFTER" in answer for answer in got["b_reads"])


# -- 6: the agreement: each company confirms from its own place, and only for itself --------


def recap_buttons(posts: list[str]) -> dict[str, dict[str, Any]]:
    """The confirm buttons of the last recap posted, by their text."""
    for post in reversed(posts):
        body = json.loads(post)
        for block in body.get("blocks", []):
            if block["type"] == "actions":
                return {
                    e["text"]["text"]: {"action_id": e["action_id"], "value": e["value"]}
                    for e in block["elements"]
                }
    raise AssertionError("no recap with buttons")


def test_each_company_confirms_from_its_own_place_and_only_for_itself(
    app: App, fake: FakeDiscord, signing_key: SigningKey
) -> None:
    async def scenario() -> dict[str, Any]:
        async with world(app, fake, signing_key) as w:
            await three_places(w)
            for line in TERMS:
                written = await w.say(
                    TEAM_A, CHANNEL_A, ALICE, "contract", line[1:].partition(" ")[2]
                )
                assert "⚠️" not in written, written
            got: dict[str, Any] = {}
            got["recap_a"] = await w.say(TEAM_A, CHANNEL_A, ALICE, "contract", "recap")
            # The recap reaches B drawn in French, with its buttons: Nido's representative
            # presses Acme's first.
            await w.dispatch()
            buttons = recap_buttons(w.slack_posts(CHANNEL_B))
            got["buttons"] = list(buttons)
            acme = next(b for text, b in buttons.items() if "(Acme)" in text)
            nido = next(b for text, b in buttons.items() if "(Nido)" in text)
            got["nina_for_acme"] = await w.press(TEAM_B, CHANNEL_B, NINA, acme)
            # Dora is of Acme, but no representative: she cannot confirm, typed or pressed.
            got["dora_typed"] = json.dumps(await w.play("contract", "confirm"), ensure_ascii=False)
            got["nina_for_nido"] = await w.press(TEAM_B, CHANNEL_B, NINA, nido)
            got["alice_typed"] = await w.say(TEAM_A, CHANNEL_A, ALICE, "contract", "confirm")
            got["again"] = await w.say(TEAM_B, CHANNEL_B, NINA, "contract", "confirm")
            got["pass"] = await w.dispatch()
            got["a"] = w.slack_posts(CHANNEL_A)
            got["b"] = w.slack_posts(CHANNEL_B)
            got["d"] = w.discord_posts()
            return got

    got = asyncio.run(scenario())
    assert "⚠️" not in got["recap_a"]
    assert sorted(got["buttons"]) == [
        "Nous avons compris la même chose (Acme)",
        "Nous avons compris la même chose (Nido)",
    ]
    assert "ne pouvez confirmer que pour Nido, pas pour Acme" in got["nina_for_acme"]
    assert "⚠️" in got["dora_typed"]
    assert "⚠️" not in got["nina_for_nido"], got["nina_for_nido"]
    assert "⚠️" not in got["alice_typed"], got["alice_typed"]
    assert "Nido" in got["again"] and "⚠️" not in got["again"]  # already confirmed, said so
    # Each confirmation is posted in its place and copied to the others, once.
    assert got["pass"].failed == 0
    # Each in its place's language: French in B, English in A and on Discord.
    assert len([x for x in got["b"] if "Nido a confirmé l’accord" in x]) == 1
    assert len([x for x in got["b"] if "Acme a confirmé l’accord" in x]) == 1
    for posts in (got["a"], got["d"]):
        assert len([x for x in posts if "Nido confirmed the agreement" in x]) == 1
        assert len([x for x in posts if "Acme confirmed the agreement" in x]) == 1
        assert len([x for x in posts if "Agreement confirmed by all parties" in x]) == 1
    with Session(app.engine) as session:
        contract = session.exec(select(Contract)).one()
        confirmed = session.exec(select(ContractConfirmation)).all()
        by = {(c.party_id, c.user_id) for c in confirmed}
        parties = {p.name: p.id for p in session.exec(select(Party))}
    assert by == {(parties["Acme"], ALICE), (parties["Nido"], f"slack~{TEAM_B}~{NINA}")}
    assert contract.status == "confirmed"
