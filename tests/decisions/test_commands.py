"""The decision log through the core, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from sqlmodel import select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.kernel.types import Outcome, Visibility
from storage.models import Decision, ProcessedRequest
from tests.conftest import core_command, say


def run(app: App, text: str, *, name: str = "decide", **kwargs: Any) -> Outcome:
    return core_command(app, name, text, **kwargs)


def decisions_in(app: App, team: str = "acme-beta") -> list[Decision]:
    with app.session_factory() as s:
        return list(
            s.exec(select(Decision).where(Decision.team_id == team).order_by(Decision.number))
        )


def test_decide_records_and_posts_visibly(app: App) -> None:
    outcome = run(app, "we launch on 3 March with <@bob> #launch #Q1")
    [post] = outcome.replies
    assert post.visibility is Visibility.CHANNEL
    assert post.title == "Decision #1"
    assert post.text == "we launch on 3 March with <@bob> #launch #Q1"
    [row] = decisions_in(app)
    assert (row.number, row.author_id, row.participants, row.tags) == (
        1,
        "alice",
        ["bob"],
        ["launch", "q1"],
    )
    assert row.created_at == app.clock.now()


def test_numbers_are_per_team_and_stable(app: App) -> None:
    run(app, "one")
    run(app, "two")
    run(app, "other team's first", team="gamma")
    assert [d.number for d in decisions_in(app)] == [1, 2]
    assert [d.number for d in decisions_in(app, "gamma")] == [1]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "needs its text"),
        ("   ", "needs its text"),
        ("x" * 2001, "at most 2000 characters (this one has 2001)"),
        ("--supersedes 7 fix", "no decision #7"),
        ("--supersedes abc fix", "is not a number"),
        ("--supersedes", "needs a value"),
        ("--frobnicate yes launch", "Unknown option --frobnicate"),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(app: App, text: str, error: str) -> None:
    [reply] = run(app, text, key="k1").replies
    assert reply.is_error and reply.visibility is Visibility.EPHEMERAL
    assert error in reply.text
    assert decisions_in(app) == []
    with app.session_factory() as s:  # an error is not remembered as handled
        assert s.exec(select(ProcessedRequest)).all() == []


def test_text_at_the_limit_is_accepted(app: App) -> None:
    assert not run(app, "x" * 2000).replies[0].is_error


def test_supersede_links_both_ways_and_keeps_history(app: App) -> None:
    run(app, "launch on 3 March #launch")
    [post] = run(app, "—supersedes 1 launch on 10 March #launch", user="bob").replies
    assert ("Supersedes", "#1") in [(f.label, f.value) for f in post.fields]
    [shown] = run(app, "show 1", name="decisions").replies
    assert ("Superseded by", "#2") in [(f.label, f.value) for f in shown.fields]
    assert shown.items[0].startswith("#1 ·") and shown.items[1].endswith("← current")
    [listed] = run(app, "", name="decisions").replies
    assert listed.items[1].startswith("#1 (superseded)")
    [again] = run(app, "--supersedes 1 another try").replies
    assert again.is_error and "already superseded by #2" in again.text
    assert len(decisions_in(app)) == 2


def test_cannot_supersede_or_see_another_teams_decision(app: App) -> None:
    run(app, "secret of gamma", team="gamma")
    [reply] = run(app, "--supersedes 1 hijack").replies
    assert reply.is_error and "no decision #1" in reply.text
    [shown] = run(app, "show 1", name="decisions").replies
    assert shown.is_error
    [found] = run(app, "search secret", name="decisions").replies
    assert "No decision matches" in found.text


def test_search_ignores_case_and_accents(app: App) -> None:
    run(app, "Le lancement est décalé à l'été #Événement", locale="fr")
    run(app, "budget approved")
    for words in ("DECALE", "ete", "évènement", "lancement decale"):
        [reply] = run(app, f"search {words}", name="decisions").replies
        assert reply.items and reply.items[0].startswith("#1"), words
    [reply] = run(app, "search budget lancement", name="decisions").replies
    assert not reply.items


def test_search_treats_like_wildcards_literally(app: App) -> None:
    run(app, "50% discount for partners")
    run(app, "500 units")
    [reply] = run(app, "search 50%", name="decisions").replies
    assert len(reply.items) == 1


def test_same_idempotency_key_records_once(app: App) -> None:
    first = run(app, "we launch on 3 March", key="trigger-1")
    second = run(app, "we launch on 3 March", key="trigger-1")
    assert not first.duplicate and second.duplicate
    assert second.replies[0].title == first.replies[0].title
    assert len(decisions_in(app)) == 1


def test_linked_channel_posts_to_the_shared_channel(app: App) -> None:
    [given] = run(app, "link", name="accord", channel="shared").replies
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", given.text)
    assert code is not None and given.visibility is Visibility.EPHEMERAL
    run(app, f"link {code.group(0)}", name="accord", channel="acme-internal")
    outcome = run(app, "budget is 10k", channel="acme-internal")
    post, note = outcome.replies
    assert post.target_channel == "shared" and post.visibility is Visibility.CHANNEL
    assert note.visibility is Visibility.EPHEMERAL and "<#shared>" in note.text
    # The decision belongs to the shared channel's partnership: listed there too.
    [listed] = run(app, "", name="decisions", channel="shared").replies
    assert "budget is 10k" in listed.items[0]


def test_export_formats(app: App) -> None:
    run(app, "first, with a comma #a")
    run(app, '--supersedes 1 second "quoted"')
    [md] = run(app, "export md", name="decisions").replies
    [csv_reply] = run(app, "export csv", name="decisions").replies
    [js] = run(app, "export json", name="decisions").replies
    text = md.attachments[0].content.decode()
    assert "## #1" in text and "## #2" in text and "Superseded by: #2" in text
    rows = list(csv.DictReader(io.StringIO(csv_reply.attachments[0].content.decode())))
    assert [r["text"] for r in rows] == ["first, with a comma #a", 'second "quoted"']
    assert rows[1]["supersedes"] == "1" and rows[0]["superseded_by"] == "2"
    data = json.loads(js.attachments[0].content)
    assert data[0]["tags"] == ["a"] and data[1]["supersedes"] == 1
    [bad] = run(app, "export pdf", name="decisions").replies
    assert bad.is_error and "md, csv, json" in bad.text


def test_french_everywhere(app: App) -> None:
    [post] = run(app, "on lance le 3 mars", locale="fr-FR").replies
    assert post.title == "Décision n° 1"
    [err] = run(app, "", locale="fr").replies
    assert "Une décision a besoin d’un texte" in err.text
    [unknown] = run(app, "", name="nope", locale="fr").replies
    assert "Commande inconnue" in unknown.text


def test_channel_language_overrides_platform_locale(app: App) -> None:
    run(app, "lang fr", name="accord", locale="en")
    [post] = run(app, "go", locale="en-US").replies
    assert post.title == "Décision n° 1"


def test_console_conversation_between_two_companies(console: ConsoleAdapter) -> None:
    out = say(
        console,
        "@alice: /accord party add Acme @alice",
        "@bob: /accord party add Beta @bob",
        "@alice: /decide we co-launch on 3 March with @bob #launch",
    )
    assert "Decided by: @alice (Acme)" in out
    assert "Participants: @bob (Beta)" in out


def test_help_lists_every_command_and_help_per_command(app: App) -> None:
    [general] = run(app, "help", name="accord").replies
    assert [item.split(" — ")[0] for item in general.items] == [
        "/decide", "/decisions", "/plan", "/match", "/partner", "/kpi", "/digest", "/contract",
        "/accord",
    ]
    [one] = run(app, "aide", name="decide", locale="fr").replies
    assert one.title and one.title.startswith("/decide — ") and "--remplace" in one.text
    # The French option name works like the English one.
    run(app, "first", locale="fr")
    [replaced] = run(app, "--remplace 1 second", locale="fr").replies
    assert "Remplace\u00a0: #1" in replaced.plain_text()
