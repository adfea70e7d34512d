"""Long lists in replies, pings and digests end with "… and N more (`/plan export`)"."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.app import App
from bot.kernel.clock import FixedClock
from bot.kernel.i18n import Translator
from bot.kernel.lists import LIST_MAX, capped, more_line
from tests.hygiene.helpers import run
from tests.planning.helpers import Recorder, dispatcher


def test_plural_and_cap() -> None:
    en, fr = Translator("en"), Translator("fr")
    assert more_line(en, 1, "`/plan`") == "… and 1 more (`/plan`)"
    assert more_line(en, 2, "`/plan`") == "… and 2 more (`/plan`)"
    assert more_line(fr, 1, "`/plan`") == "… et 1 autre (`/plan`)"
    assert more_line(fr, 7, "`/plan`") == "… et 7 autres (`/plan`)"
    items = [str(i) for i in range(LIST_MAX)]
    assert capped(items, en, "x") == items
    longer = capped([*items, "one more", "and another"], en, "`/plan export`")
    assert len(longer) == LIST_MAX
    assert longer[-1] == "… and 3 more (`/plan export`)"


def test_a_ping_with_many_milestones_is_capped(app: App, clock: FixedClock) -> None:
    run(app, "plan", "launch 2026-04-01")
    owners = [f"<@u{n}>" for n in range(40)]
    for n in range(40):
        run(app, "plan", f'add "Task {n}" 2026-03-20 {owners[n]}')
    rec = Recorder()
    clock.set(datetime(2026, 3, 20, 8, 0, tzinfo=UTC))  # the day, 09:00 Paris
    dispatcher(app, rec).run_once()
    [(_, reply, _)] = rec.posts
    assert len(reply.items) == LIST_MAX
    assert reply.items[-1] == f"… and {40 - LIST_MAX + 1} more (`/plan`)"
    text = reply.plain_text()
    assert "Task 0" in text and "Task 39" not in text
    assert len(reply.mentions) == LIST_MAX - 1  # only the people of the lines shown


def test_the_digest_plan_section_is_capped(app: App) -> None:
    run(app, "plan", "launch 2026-04-01", locale="fr")
    run(app, "accord", "lang fr")
    run(app, "kpi", 'objective "Lancement"')
    for n in range(30):
        run(app, "plan", f'add "Tâche {n}" 2026-03-12', locale="fr")
    [preview] = run(app, "digest", "", locale="fr").replies
    text = preview.plain_text()
    assert "Tâche 0" in text and "Tâche 29" not in text
    assert f"… et {30 - LIST_MAX + 1} autres (`/plan export`)" in text


def test_a_long_search_says_how_many_more(app: App) -> None:
    for n in range(25):
        run(app, "decide", f"budget line {n}")
    [reply] = run(app, "decisions", "search budget").replies
    assert len(reply.items) == 21  # the 20 shown, then the line that counts the rest
    assert reply.items[-1] == "… and 5 more (`/decisions export`)"
    [few] = run(app, "decisions", "search line 2").replies
    assert not any("more" in item for item in few.items)
