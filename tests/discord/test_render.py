"""Neutral replies rendered within Discord's limits, split cleanly when too long."""

from __future__ import annotations

from typing import Any

from adapters.discord_render import (
    CONTENT_MAX,
    chunks,
    custom_id,
    parse_custom_id,
    render,
)
from bot.kernel.types import Attachment, Button, ButtonStyle, Reply, ReplyField, Visibility


def assert_within_limits(payload: dict[str, Any]) -> None:
    assert len(payload.get("content", "")) <= 2000
    embeds = payload.get("embeds", [])
    assert len(embeds) <= 10
    total = 0
    for e in embeds:
        assert len(e.get("title", "")) <= 256
        assert len(e.get("description", "")) <= 4096
        assert len(e.get("fields", [])) <= 25
        for f in e.get("fields", []):
            assert len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024
        assert len(e.get("footer", {}).get("text", "")) <= 2048
        total += (
            len(e.get("title", ""))
            + len(e.get("description", ""))
            + len(e.get("footer", {}).get("text", ""))
            + sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", []))
        )
    assert total <= 6000
    rows = payload.get("components", [])
    assert len(rows) <= 5
    for row in rows:
        assert row["type"] == 1 and 1 <= len(row["components"]) <= 5
        for b in row["components"]:
            assert len(b["custom_id"]) <= 100 and len(b["label"]) <= 80
    assert payload.get("content") or embeds or payload.get("attachments")


def words(text: str) -> list[str]:
    return text.split()


def test_short_plain_reply_is_content() -> None:
    (message,) = render(Reply(text="Done <@123> in <#456>."))
    assert message.payload == {
        "content": "Done <@123> in <#456>.",
        "allowed_mentions": {"parse": []},
    }
    assert message.files == [] and not message.ephemeral


def test_long_content_splits_at_line_boundaries_without_losing_words() -> None:
    lines = [f"line {i} " + "word " * 30 for i in range(120)]
    text = "\n".join(lines)
    messages = render(Reply(text=text, visibility=Visibility.EPHEMERAL))
    assert len(messages) > 1
    for m in messages:
        assert_within_limits(m.payload)
        assert m.payload["flags"] == 64
        assert m.payload["content"].startswith("line ")  # cut between lines, not mid-line
    assert words("\n".join(m.payload["content"] for m in messages)) == words(text)


def test_huge_rich_reply_respects_every_embed_limit() -> None:
    reply = Reply(
        title="T" * 400,
        text="para " * 3000,
        sections=["section " * 200],
        items=[f"item {i} " + "x" * 90 for i in range(80)],
        fields=[ReplyField(f"field {i}", ("v" * 50 + " ") * 30) for i in range(60)],
        buttons=[Button(f"Button {i}", "act", str(i)) for i in range(40)],
        footer="footer",
    )
    messages = render(reply)
    for m in messages:
        assert_within_limits(m.payload)
    embeds = [e for m in messages for e in m.payload.get("embeds", [])]
    assert embeds[0]["title"] == "T" * 256
    description = " ".join(e.get("description", "") for e in embeds)
    assert words(description) == words("para " * 3000 + "section " * 200) + [
        w for i in range(80) for w in ("•", "item", str(i), "x" * 90)
    ]
    values = "".join(f["value"] for e in embeds for f in e.get("fields", []))
    assert values.replace(" ", "") == "".join(("v" * 50) * 30 for _ in range(60))
    assert embeds[-1]["footer"] == {"text": "footer"}
    buttons = [
        b for m in messages for row in m.payload.get("components", []) for b in row["components"]
    ]
    assert [b["custom_id"] for b in buttons] == [f"act|{i}" for i in range(40)]


def test_buttons_custom_ids_and_styles() -> None:
    b = Button("Confirm", "contract.confirm", "12:acme", ButtonStyle.PRIMARY)
    assert custom_id(b) == "contract.confirm|12:acme"
    assert parse_custom_id("contract.confirm|12:acme") == ("contract.confirm", "12:acme")
    assert parse_custom_id("plain") == ("plain", "")
    assert custom_id(Button("x", "a", "v" * 200)) is None
    (message,) = render(Reply(text="?", buttons=[b, Button("No", "x", style=ButtonStyle.DANGER)]))
    row = message.payload["components"][0]["components"]
    assert [(c["style"], c["custom_id"]) for c in row] == [
        (1, "contract.confirm|12:acme"),
        (4, "x"),
    ]


def test_images_and_files_are_attachments() -> None:
    png = Attachment("chart.png", b"\x89PNG...", "image/png", alt="Signups per week")
    files = [Attachment(f"f{i}.csv", b"a,b", "text/csv") for i in range(12)]
    messages = render(Reply(title="KPI", text="Signups", image=png, attachments=files))
    assert messages[0].payload["embeds"][0]["image"] == {"url": "attachment://chart.png"}
    assert [a.filename for a in messages[0].files] == ["chart.png"] + [
        f"f{i}.csv" for i in range(9)
    ]
    assert messages[0].payload["attachments"][0] == {
        "id": 0,
        "filename": "chart.png",
        "description": "Signups per week",
    }
    assert [a.filename for a in messages[1].files] == ["f9.csv", "f10.csv", "f11.csv"]
    for m in messages:
        assert_within_limits(m.payload)


def test_ping_puts_mentions_in_content() -> None:
    reply = Reply(
        title="Reminder", text="<@1> and <@2>: due tomorrow", mentions={"1": "Alice", "2": "Bob"}
    )
    (message,) = render(reply, ping=True)
    assert message.payload["content"] == "<@1> <@2>"
    assert message.payload["allowed_mentions"] == {"parse": ["users"]}


def test_chunks_cut_hard_only_when_there_is_no_space() -> None:
    assert chunks("a" * 2500, CONTENT_MAX) == ["a" * 2000, "a" * 500]
    assert chunks("", 10) == []
    assert chunks("one two three", 8) == ["one two", "three"]


def test_repeated_buttons_are_dropped_and_edits_replace_everything() -> None:
    from adapters.discord_render import replacing

    (message,) = render(Reply(text="?", buttons=[Button("A", "x", "1"), Button("B", "x", "1")]))
    assert [b["label"] for b in message.payload["components"][0]["components"]] == ["A"]
    edit = replacing({"content": "new", "flags": 64})
    assert edit == {"content": "new", "embeds": [], "components": [], "attachments": []}


def test_every_typed_option_has_a_description_in_both_languages() -> None:
    from bot.app import build_registry
    from bot.kernel.i18n import translator

    for spec in build_registry().commands.values():
        for option in spec.options:
            for lang in ("en", "fr"):
                t = translator(lang)
                assert t.has(f"discord.option.{spec.name}.{option}") or t.has(
                    f"discord.option.{option}"
                ), (lang, spec.name, option)
