"""Block Kit within Slack's limits, and Slack markup in and out."""

from __future__ import annotations

import json

from adapters.slack_payloads import normalize
from adapters.slack_render import (
    MAX_BLOCKS,
    MAX_HEADER,
    MAX_SECTION,
    MAX_TEXT,
    escape,
    render,
)
from bot.kernel.types import Button, Reply, ReplyField


def _all_text(block: dict) -> list[str]:
    texts = []
    if isinstance(block.get("text"), dict):
        texts.append(block["text"]["text"])
    texts += [f["text"] for f in block.get("fields", [])]
    return texts


def test_a_small_reply_is_one_message_with_every_part() -> None:
    reply = Reply(
        title="Decision #3",
        text="Ship it",
        fields=[ReplyField("Author", "<@U1>")],
        items=["a", "b"],
        footer="3 March",
        buttons=[Button("Done", "plan.done", "7")],
    )
    [message] = render(reply)
    assert [b["type"] for b in message.blocks] == [
        "header",
        "section",
        "section",
        "section",
        "context",
        "actions",
    ]
    assert message.text.startswith("*Decision #3*\nShip it")
    assert message.blocks[2]["fields"][0]["text"] == "*Author*\n<@U1>"


def test_long_and_large_replies_are_split_within_limits() -> None:
    reply = Reply(
        title="T" * 400,
        text=("word " * 1000 + "\n") * 3,
        fields=[ReplyField(f"F{i}", "v" * 2500) for i in range(25)],
        items=[f"item {i} " + "x" * 200 for i in range(2000)],
        buttons=[Button(f"B{i}" * 40, "a", "v" * 3000) for i in range(30)],
    )
    messages = render(reply)
    assert len(messages) > 1
    for message in messages:
        assert 1 <= len(message.blocks) <= MAX_BLOCKS
        assert len(message.text) <= MAX_TEXT
        assert sum(len(t) for b in message.blocks for t in _all_text(b)) <= MAX_TEXT
        for block in message.blocks:
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= MAX_HEADER
            if block["type"] == "section":
                assert len(block.get("text", {}).get("text", "")) <= MAX_SECTION
                assert len(block.get("fields", [])) <= 10
                assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
            if block["type"] == "actions":
                assert len(block["elements"]) <= 25
                assert all(
                    len(e["text"]["text"]) <= 75 and 0 < len(e["value"]) <= 2000
                    for e in block["elements"]
                )
    # Nothing lost: every item is somewhere, in order, and the buttons come last.
    joined = "\n".join(t for m in messages for b in m.blocks for t in _all_text(b))
    assert "item 0 " in joined and "item 1999 " in joined
    assert messages[-1].blocks[-1]["type"] == "actions"
    json.dumps([m.payload() for m in messages])  # serialisable as sent


def test_escaping_keeps_mentions_and_channels() -> None:
    assert escape("a < b & <@U1> in <#C2> > c") == "a &lt; b &amp; <@U1> in <#C2> &gt; c"


def test_normalize_turns_slack_markup_into_neutral_text() -> None:
    text, mentioned = normalize(
        "ask <@U1|alice> and <@U2> in <#C9|launch> about <https://x.io/a?b=1&amp;c=2|the doc> "
        "<!here> <!subteam^S1|@sales> 1 &lt; 2 <mailto:a@b.co|a@b.co>"
    )
    assert (
        text
        == "ask <@U1> and <@U2> in <#C9> about https://x.io/a?b=1&c=2 @here @sales 1 < 2 a@b.co"
    )
    assert [(u.id, u.name) for u in mentioned] == [("U1", "alice"), ("U2", "")]


def test_a_button_without_value_sends_none() -> None:
    [message] = render(Reply(text="?", buttons=[Button("Help", "accord.help")]))
    assert "value" not in message.blocks[-1]["elements"][0]
