"""The retroplanning as a picture: `/plan timeline`, the button, the digest's PNG."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from itertools import combinations

from PIL import Image
from sqlmodel import select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.kernel.clock import FixedClock
from bot.kernel.i18n import Translator
from bot.kernel.registry import RenderContext
from bot.kernel.types import Command, Reply, User
from bot.kpi.digest import preview
from bot.planning import timeline
from storage.models import Milestone, Partnership
from tests.conftest import START, say
from tests.contract.helpers import PARTIES

TODAY = date(2026, 3, 2)  # START in Paris


_asked = iter(range(1_000_000))


def ask(app: App, text: str, user: str = "alice") -> list[Reply]:
    command = Command(
        "console",
        "acme-beta",
        "launch",
        User(user, user),
        "plan",
        text,
        received_at=START,
        idempotency_key=f"timeline-{next(_asked)}",
    )
    return app.core.handle(command).replies


def png_size(content: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(content)) as image:
        image.load()  # decodes the whole file: a broken PNG raises here
        assert image.format == "PNG"
        return image.size


def test_empty_plan_says_how_to_start(app: App, console: ConsoleAdapter) -> None:
    say(console, "/accord health")
    [reply] = ask(app, "timeline")
    assert reply.image is None and "No plan yet" in reply.text
    # D-day alone is already a picture: the line, today, no milestone.
    say(console, "/plan launch 2026-04-01")
    [reply] = ask(app, "timeline")
    assert reply.image is not None
    assert png_size(reply.image.content) == (800, timeline.HEADER_PX + timeline.FOOTER_PX + 66)
    assert "No milestone yet." in reply.image.alt and "D-day: 2026-04-01, in 30 days." in (
        reply.image.alt
    )


def test_overdue_done_and_moved_milestones(
    app: App, console: ConsoleAdapter, clock: FixedClock
) -> None:
    say(
        console,
        *PARTIES,
        "/plan launch 2026-04-01",
        '/plan add "Brief agency" 2026-02-20 @alice',
        '/plan add "Landing page" 2026-02-25 @bob',
        '/plan add "Press kit" D-14 @bob',
        '/plan add "Mailing" 2026-03-25 @alice',
        "/plan done 1",
        "/plan move 4 2026-03-27 because the list is not ready",
        "/plan move D-day 2026-04-08 because the factory slipped",
    )
    [reply] = ask(app, "timeline")
    assert reply.title == "Retroplanning as a timeline · milestones: 4"
    text = reply.plain_text()
    # The text stands alone: every overdue item with its company, how late, the moves.
    assert "Overdue (1):" in text
    assert "#2 Landing page (Beta), due 2026-02-25, 5 days late" in text
    assert "Done: 1. Upcoming: 2; next: #3 Press kit (Beta) on 2026-03-25." in text
    assert "Moved (2): #3 Press kit from 2026-03-18 to 2026-03-25; " in text
    assert "#4 Mailing from 2026-03-25 to 2026-03-27" in text
    assert "Earlier D-days: 2026-04-01" in text
    assert reply.image is not None and reply.image.mime == "image/png"
    assert png_size(reply.image.content) == (800, timeline.HEADER_PX + timeline.FOOTER_PX + 88)
    assert "#2 Landing page (Beta)" in reply.image.alt
    with app.session_factory() as session:
        p = session.exec(select(Partnership)).one()
        tl = timeline.load(session, p, TODAY)
    states = {i.number: (i.state, i.company, i.previous) for i in tl.items}
    assert states == {
        1: ("done", "Acme", ()),
        2: ("overdue", "Beta", ()),
        3: ("upcoming", "Beta", (date(2026, 3, 18),)),
        4: ("upcoming", "Acme", (date(2026, 3, 25),)),
    }
    assert tl.launch_previous == (date(2026, 4, 1),)
    # Tomorrow in Paris, one more day late: "today" is the channel's.
    clock.set(datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    [reply] = ask(app, "frise")
    assert "6 days late" in reply.plain_text()


def test_french(app: App, console: ConsoleAdapter) -> None:
    say(
        console,
        "/accord lang fr",
        *PARTIES,
        "/plan lancement 2026-04-01",
        '/plan ajouter "Page d’accueil" 2026-02-25 @bob',
    )
    [reply] = ask(app, "frise")
    assert reply.title == "Le rétroplanning en frise · jalons\u00a0: 1"
    text = reply.plain_text()
    assert "En retard (1)\u00a0:" in text
    assert "n° 1 Page d’accueil (Beta), prévu le 25/02/2026, 5 jours de retard" in text
    assert "Jour J\u00a0: 01/04/2026, dans 30 jours." in text
    assert reply.image is not None
    png_size(reply.image.content)
    item = timeline.Item(1, "Page d’accueil", date(2026, 2, 25), timeline.OVERDUE, "Beta")
    assert timeline.row_label(item, "fr") == "#1 Page d’accueil · Beta · 25 févr."
    assert timeline.row_label(item, "en") == "#1 Page d’accueil · Beta · 25 Feb"


def test_the_plan_has_a_timeline_button(app: App, console: ConsoleAdapter) -> None:
    say(console, "/plan launch 2026-04-01", '/plan add "Press kit" D-14 @bob')
    out = say(console, "/plan")
    assert "[1] Timeline" in out
    out = say(console, "!1")
    assert "Retroplanning as a timeline · milestones: 1" in out and "timeline.png" in out


def test_the_weekly_digest_attaches_the_timeline(app: App, console: ConsoleAdapter) -> None:
    say(console, "/plan launch 2026-04-01", '/plan add "Press kit" D-14 @bob')
    with app.session_factory() as session:
        p = session.exec(select(Partnership)).one()
        now = app.clock.now()
        reply = preview(session, p, now, RenderContext("en", "Europe/Paris", now), app.registry)
    [picture] = reply.attachments
    assert picture.filename == "timeline-2026-W09.png" and picture.is_image
    png_size(picture.content)
    assert "#1 Press kit" in picture.alt


def _many(app: App, count: int) -> None:
    """`count` milestones straight into storage: a third overdue, a third done."""
    with app.session_factory() as session:
        p = session.exec(select(Partnership)).one()
        for n in range(1, count + 1):
            due = TODAY + timedelta(days=(n * 7) % 120 - 60)
            status = "done" if n % 3 == 0 and due < TODAY else "todo"
            session.add(
                Milestone(
                    platform="console",
                    team_id="acme-beta",
                    partnership_id=p.id,  # type: ignore[arg-type]
                    number=n,
                    title=f"Deliverable {n} for the spring co-launch campaign",
                    owners=["alice" if n % 2 else "bob"],
                    due_date=due,
                    status=status,
                    created_by="alice",
                    created_at=START,
                    updated_at=START,
                )
            )
        session.commit()


def test_200_milestones_stay_readable_and_every_overdue_one_is_named(
    app: App, console: ConsoleAdapter
) -> None:
    say(console, *PARTIES, "/plan launch 2026-04-01")
    _many(app, 200)
    [reply] = ask(app, "timeline")
    assert reply.image is not None
    width, height = png_size(reply.image.content)
    assert (width, height) == (800, timeline.HEADER_PX + timeline.FOOTER_PX + 30 * 22)
    with app.session_factory() as session:
        p = session.exec(select(Partnership)).one()
        tl = timeline.load(session, p, TODAY)
    overdue = [i for i in tl.items if i.state == timeline.OVERDUE]
    assert len(overdue) > 50 and len(tl.shown) == timeline.MAX_ROWS - 1
    for item in overdue:
        assert f"#{item.number} {item.title} (" in reply.image.alt
        assert f"#{item.number} {item.title} (" in reply.plain_text()
    assert "The picture labels 29 milestones; 171 more are grouped on its last row." in (
        reply.plain_text()
    )


def test_labels_never_overlap_at_60_milestones() -> None:
    """Drawn at chat width, the row labels and the two line labels keep apart."""
    items = [
        timeline.Item(
            n,
            f"A long milestone title number {n} that will not fit",
            TODAY + timedelta(days=n - 30),
            timeline.OVERDUE if n < 30 else timeline.UPCOMING,
            "Société Générale des Eaux",
            (TODAY + timedelta(days=n - 35),) if n % 7 == 0 else (),
        )
        for n in range(1, 61)
    ]
    tl = timeline.build(items, TODAY + timedelta(days=31), TODAY)
    figure = timeline.draw(tl, Translator("en"))
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    figure.draw(renderer)
    [ax] = figure.axes
    boxes = [label.get_window_extent(renderer) for label in ax.get_yticklabels()]
    assert len(boxes) == timeline.MAX_ROWS
    for a, b in combinations(boxes, 2):
        assert not a.overlaps(b)
    width, _ = timeline.size_for(tl)
    assert all(box.x0 >= 0 and box.x1 <= width for box in boxes)
    lines = [text.get_window_extent(renderer) for text in ax.texts]
    for a, b in combinations(lines, 2):
        assert not a.overlaps(b)


def test_dates_keep_apart_across_a_new_year() -> None:
    """Across two years every date carries its year, and the axis dates still do not touch."""
    today = date(2026, 12, 2)
    items = [
        timeline.Item(n, f"Step {n}", today + timedelta(days=4 * n - 20), timeline.UPCOMING, "Acme")
        for n in range(1, 16)
    ]
    for lang in ("en", "fr"):
        tl = timeline.build(items, date(2027, 1, 27), today)
        figure = timeline.draw(tl, Translator(lang))
        renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
        figure.draw(renderer)
        [ax] = figure.axes
        ticks = [label for label in ax.get_xticklabels() if label.get_text()]
        assert any("2027" in label.get_text() for label in ticks)
        boxes = [label.get_window_extent(renderer) for label in ticks]
        for a, b in combinations(boxes, 2):
            assert not a.overlaps(b)
        assert all("2026" in x.get_text() or "2027" in x.get_text() for x in ax.get_yticklabels())


def test_grouping_keeps_overdue_then_next_then_latest_done() -> None:
    def item(n: int, state: str, day: int) -> timeline.Item:
        return timeline.Item(n, f"m{n}", TODAY + timedelta(days=day), state, "")

    items = [
        item(1, timeline.DONE_STATE, -30),
        item(2, timeline.DONE_STATE, -10),
        item(3, timeline.OVERDUE, -5),
        item(4, timeline.UPCOMING, 5),
        item(5, timeline.UPCOMING, 50),
        item(6, timeline.OVERDUE, -1),
    ]
    tl = timeline.build(items, None, TODAY)
    shown, hidden = timeline.layout(tl.items, max_rows=5)
    # Four rows and the group: both overdue, then the next upcoming; in date order.
    assert [i.number for i in shown] == [3, 6, 4, 5]
    assert [i.number for i in hidden] == [1, 2]
    assert timeline.layout(tl.items, max_rows=6) == (tl.items, [])  # all fit: no group
