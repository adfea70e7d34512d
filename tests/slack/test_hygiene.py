"""Slack: text typed by users never becomes a mention unless Slack delivered one."""

from __future__ import annotations

import asyncio
import json

from sqlmodel import Session, select

from adapters.slack_payloads import normalize
from bot.app import App
from bot.kernel.parsing import mentions
from storage.models import Milestone
from tests.slack.harness import Finished, decisions, fixture, running


def test_typed_mention_syntax_stays_text() -> None:
    text, mentioned = normalize(
        "ask &lt;@U0BOSS&gt; and &lt;#C0X&gt; &lt;!here&gt; a &lt; b <@U0BOB|bob>"
    )
    assert mentions(text) == ["U0BOB"]
    assert [u.id for u in mentioned] == ["U0BOB"]
    assert text.replace("\u2060", "") == "ask <@U0BOSS> and <#C0X> <!here> a < b <@U0BOB>"
    # A literal "&lt;" typed as text arrives as "&amp;lt;": still text.
    assert mentions(normalize("&amp;lt;@U0BOSS&amp;gt;")[0]) == []


def test_a_typed_mention_makes_no_owner_and_pings_nobody(app: App) -> None:
    async def scenario() -> list[str]:
        async with running(app) as r:
            finished = Finished(r.adapter)
            plan = fixture("slash_command", r.fake)
            texts = [
                ("/plan", "launch 2026-06-01"),
                ("/plan", "add Pay &lt;@U0BOSS&gt; invoice D-14"),
                ("/decide", "wire money to &lt;@U0BOSS&gt; now"),
            ]
            for n, (command, text) in enumerate(texts):
                await r.command({**plan, "command": command, "text": text, "trigger_id": f"t{n}"})
                await finished.wait(n + 1)
            sent = [c.body for c in r.fake.calls("chat.postMessage")]
            return [json.dumps(body) for body in sent]

    sent = asyncio.run(scenario())
    with Session(app.engine) as session:
        [milestone] = session.exec(select(Milestone)).all()
    assert milestone.owners == ["U0ALICE"]  # the author, not the typed "mention"
    [decision] = decisions(app)
    assert decision.participants == []
    # Shown as the characters typed, escaped for Slack: no real mention.
    assert sent and not any("<@U0BOSS>" in body for body in sent)
    assert any("&lt;\\u2060@U0BOSS&gt;" in body for body in sent)


def test_typed_mention_in_the_decide_form_stays_text() -> None:
    from adapters.slack_payloads import decide_modal_text

    values = {
        "decision": {"text": {"value": "pay <@U0BOSS> and &lt;@U0CEO&gt; now"}},
        "participants": {"users": {"selected_users": ["U0BOB"]}},
    }
    text, mentioned = decide_modal_text(values)
    assert mentions(text) == []
    assert [u.id for u in mentioned] == ["U0BOB"]  # only the picker's people
