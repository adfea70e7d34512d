"""One partnership, two console teams: the places handshake, mirroring and tenancy.

The console plays two companies that share no workspace (`acme` and `nido` are
two tenants in one database), as `accord console --team acme` and
`accord console --team nido` would.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.delivery.dispatcher import Dispatcher
from bot.kernel.clock import FixedClock
from bot.kernel.types import Reply
from storage.models import Decision, Notification, Place
from tests.conftest import say

CODE_RE = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b")


@dataclass
class Posts:
    """A notifier recording (team, channel, reply) of every post."""

    platform: str = "console"
    posts: list[tuple[str, str, Reply]] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, team_id: str, channel_id: str, reply: Reply, idempotency_key: str) -> str:
        if team_id in self.broken:
            raise RuntimeError(f"{team_id} is down")
        with self._lock:
            self.posts.append((team_id, channel_id, reply))
            return f"msg-{len(self.posts)}"

    def texts(self, team_id: str) -> list[str]:
        return [r.plain_text() for t, _, r in self.posts if t == team_id]


def console(app: App, tmp_path: Path, team: str, channel: str, user: str) -> ConsoleAdapter:
    return ConsoleAdapter(
        app.core,
        team_id=team,
        channel_id=channel,
        user=user,
        out=io.StringIO(),
        files_dir=tmp_path / f"{team}-{channel}",
        run_id=f"{team}-{channel}",
    )


def code_in(out: str) -> str:
    found = CODE_RE.search(out)
    assert found is not None, out
    return found.group(1)


def linked(app: App, tmp_path: Path, *, bound: bool) -> tuple[ConsoleAdapter, ConsoleAdapter]:
    """Acme's channel in team `acme`; Nido's in team `nido`, French, joined with a code.

    With `bound`, Camille then creates Nido from her place: the company is bound to
    her workspace, so its people act as Nido's members.
    """
    acme = console(app, tmp_path, "acme", "launch", "alice")
    nido = console(app, tmp_path, "nido", "general", "camille")
    say(acme, "/accord party add Acme @alice")
    say(nido, "/accord language fr")
    code = code_in(say(acme, "/accord link"))
    out = say(nido, f"/accord link {code}")
    assert "lieu du partenariat" in out, out
    if bound:
        assert "⚠️" not in say(nido, "/accord party add Nido @camille")
    return acme, nido


def dispatch(app: App, clock: FixedClock, posts: Posts) -> Dispatcher:
    run = Dispatcher(app.session_factory, app.registry, clock, {"console": posts})
    run.run_once()
    return run


def test_a_channel_of_another_team_joins_with_a_code_and_both_see_every_decision(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    acme, nido = linked(app, tmp_path, bound=False)
    # Nido's people are guests until one of them creates their company here.
    assert "invité" in say(nido, "/decide on lance le 3 mars")
    say(nido, "/accord party add Nido @camille")
    assert "⚠️" not in say(nido, "/decide on lance le 3 mars")
    say(acme, "/decide budget is 40k")
    posts = Posts()
    dispatch(app, clock, posts)

    nido_texts = "\n".join(posts.texts("nido"))
    acme_texts = "\n".join(posts.texts("acme"))
    # Each place gets the other's decision once, in its own language.
    assert acme_texts.count("on lance le 3 mars") == 1
    assert nido_texts.count("budget is 40k") == 1
    assert "Décision" in nido_texts and "Decision" in acme_texts
    # Nobody's own decision comes back to them.
    assert "budget is 40k" not in acme_texts and "on lance le 3 mars" not in nido_texts
    # A person of another place is named, not mentioned.
    assert "Camille" in acme_texts or "camille" in acme_texts
    assert "<@nido~" not in acme_texts and "@console~nido" not in acme_texts
    # Exactly once per place, even when the dispatcher runs again.
    before = len(posts.posts)
    dispatch(app, clock, posts)
    assert len(posts.posts) == before


def test_a_place_bound_to_a_company_speaks_for_it_and_numbers_are_per_partnership(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    acme, nido = linked(app, tmp_path, bound=True)
    # Another partnership of the same team does not move this one's numbers.
    other = console(app, tmp_path, "acme", "other-deal", "alice")
    say(other, "/decide an unrelated thing", "/decide another unrelated thing")

    out = say(nido, "/decide on lance le 3 mars")
    assert "⚠️" not in out, out
    with Session(app.engine) as session:
        rows = session.exec(select(Decision).order_by(col(Decision.id))).all()
        mine = [d for d in rows if "3 mars" in d.text]
        assert len(mine) == 1
        numbers = sorted(d.number for d in rows if d.partnership_id == mine[0].partnership_id)
        assert numbers == list(range(1, len(numbers) + 1))
        assert mine[0].author_id == "console~nido~camille"
    # Camille acts as a member of Nido: the roster says so from Acme's place too.
    assert "camille" in say(acme, "/accord").lower()
    # Only Nido's representative gives a code for a place speaking for Nido.
    assert "⚠️" in say(acme, "/accord link Nido")
    assert CODE_RE.search(say(nido, "/accord link Nido"))


def test_places_are_listed_and_unlink_stops_the_mirror(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    acme, nido = linked(app, tmp_path, bound=True)
    out = say(acme, "/accord places")
    assert "acme" in out and "nido" in out and "Nido" in out
    out = say(nido, "/accord lieux")
    assert "Lieux de ce partenariat" in out and "lieu 2" in out

    posts = Posts()
    dispatch(app, clock, posts)  # the join was announced in Acme's channel
    assert any("general (nido, Console)" in t for t in posts.texts("acme"))

    say(nido, "/accord unlink")
    with Session(app.engine) as session:
        assert session.exec(select(Place)).all() == []
    say(acme, "/decide after the unlink")
    posts.posts.clear()
    dispatch(app, clock, posts)
    assert not any("after the unlink" in t for t in posts.texts("nido"))
    # Back on its own, Nido's channel reads nothing of the partnership.
    assert "after the unlink" not in say(nido, "/decisions")
    assert "40k" not in say(nido, "/decisions search unlink")


def test_a_channel_that_is_not_a_place_reads_nothing_of_the_partnership(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    acme, nido = linked(app, tmp_path, bound=True)
    say(acme, "/decide secret budget is 40k #budget")
    stranger = console(app, tmp_path, "nido", "random", "camille")
    for line in ("/decisions", "/decisions search budget", "/decisions show 1", "/plan", "/kpi"):
        assert "40k" not in say(stranger, line)
    # A used code cannot bring a second channel in.
    assert "⚠️" in say(stranger, "/accord link AAAA-BBBB-CCCC")


def test_a_place_that_fails_holds_up_no_other_and_is_retried(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    acme, nido = linked(app, tmp_path, bound=True)
    third = console(app, tmp_path, "third", "deals", "zoe")
    code = code_in(say(acme, "/accord link"))
    say(third, f"/accord link {code}")
    posts = Posts(broken={"nido"})
    dispatch(app, clock, posts)
    say(acme, "/decide we go")
    dispatch(app, clock, posts)
    assert any("we go" in t for t in posts.texts("third"))
    with Session(app.engine) as session:
        waiting = session.exec(
            select(Notification).where(
                Notification.team_id == "nido", Notification.kind == "mirror"
            )
        ).all()
        assert waiting and all(n.status == "pending" for n in waiting)
    posts.broken.clear()
    from datetime import timedelta

    clock.advance(timedelta(minutes=20))
    dispatch(app, clock, posts)
    assert sum("we go" in t for t in posts.texts("nido")) == 1


def test_a_ping_mentions_its_owner_only_in_the_owners_place(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    from datetime import timedelta

    acme, nido = linked(app, tmp_path, bound=True)
    launch = (clock.now() + timedelta(days=30)).date().isoformat()
    say(acme, f"/plan launch {launch}")
    out = say(nido, "/plan ajouter Dossier de presse J-20 @camille")
    assert "⚠️" not in out, out
    posts = Posts()
    clock.advance(timedelta(days=12))
    dispatch(app, clock, posts)
    at_acme = [
        r for t, _, r in posts.posts if t == "acme" and "Dossier de presse" in r.plain_text()
    ]
    at_nido = [
        r for t, _, r in posts.posts if t == "nido" and "Dossier de presse" in r.plain_text()
    ]
    pings_acme = [r for r in at_acme if "<@" not in r.text and r.items]
    assert at_acme and at_nido, posts.posts
    # Acme reads who owns it; only Nido's place mentions her for real.
    assert all("<@camille>" not in "\n".join(r.items) for r in at_acme)
    assert any("camille (Nido)" in "\n".join(r.items) for r in pings_acme)
    assert any("<@camille>" in "\n".join(r.items) for r in at_nido)
    # Each place reads the new milestone and its ping in its own language.
    assert all(r.lang == "en" for r in at_acme)
    assert any("added" in r.text.lower() for r in at_acme), [r.text for r in at_acme]
    assert any(r.lang == "fr" and "<@camille>" in "\n".join(r.items) for r in at_nido)


def test_each_company_confirms_the_agreement_from_its_own_place(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    from tests.contract.helpers import TERMS

    acme, nido = linked(app, tmp_path, bound=True)
    say(acme, "/contract", *TERMS)
    out = say(acme, "/contract recap")
    assert "⚠️" not in out, out
    posts = Posts()
    dispatch(app, clock, posts)
    # Nido's place gets the recap drawn in French, with its confirm buttons.
    recaps = [r for t, _, r in posts.posts if t == "nido" and r.buttons]
    assert recaps and recaps[0].lang == "fr", [r.plain_text() for _, _, r in posts.posts]
    # Nido's button works only for Nido, wherever it is pressed: not for Alice (Acme).
    say(acme, "/contract recap")
    assert "⚠️" in say(acme, "!2")  # the buttons: Acme's, then Nido's
    assert "⚠️" not in say(acme, "!1")
    assert "⚠️" not in say(nido, "/contract confirmer")
    assert "confirmed by all" in say(acme, "/contract").lower() or "confirmé" in say(
        nido, "/contract"
    )


def test_a_kpi_entry_reaches_every_place_in_its_number_format(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    acme, nido = linked(app, tmp_path, bound=True)
    say(acme, "/kpi objective Signups", "/kpi metric Signups leads target 20,000")
    out = say(acme, "/kpi log leads 2,500")
    assert "2,500" in out, out
    posts = Posts()
    dispatch(app, clock, posts)
    entries = [r for t, _, r in posts.posts if t == "nido" and "2" in r.text and r.footer]
    assert entries, [r.plain_text() for _, _, r in posts.posts]
    # French grouping in Nido's place (a narrow no-break space), English in Acme's.
    assert any("2\u202f500" in r.text or "2\u00a0500" in r.text for r in entries), entries
    # The objective and the metric reach Nido's place drawn in French too.
    setup = [r for t, _, r in posts.posts if t == "nido" and "Signups" in r.text]
    assert len(setup) >= 2 and all(r.lang == "fr" for r in setup), setup
    assert any("20\u202f000" in r.text or "20\u00a0000" in r.text for r in setup), setup


def test_autocomplete_in_a_place_offers_the_partnerships_things(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    from bot.kernel.types import Tenant

    acme, nido = linked(app, tmp_path, bound=True)
    say(acme, "/decide launch in March", "/decide budget of 10k")
    numbers = [
        v
        for _, v in app.core.suggest(
            Tenant("console", "nido"), "general", "decide", "supersedes", "budg"
        )
    ]
    assert numbers and all(isinstance(n, int) for n in numbers)
    # A channel of the same team that is no place gets nothing of it.
    assert app.core.suggest(Tenant("console", "nido"), "random", "decide", "supersedes", "") == []


def test_the_home_of_a_places_workspace_shows_the_partnership(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    from datetime import timedelta

    from bot.home.view import overview
    from bot.kernel.types import Tenant

    acme, nido = linked(app, tmp_path, bound=True)
    launch = (clock.now() + timedelta(days=30)).date().isoformat()
    say(acme, f"/plan launch {launch}", "/decide budget is 40k")
    say(nido, "/plan ajouter Dossier de presse J-20 @camille")
    home = overview(app.session_factory, Tenant("console", "nido"), "camille", "fr", clock.now())
    text = "\n".join(r.plain_text() for r in home)
    assert "budget is 40k" in text and "Dossier de presse" in text, text
    # Her own mention is real here; nothing of the record's ids leaks.
    deadlines = next(s for r in home for s in r.sections if "Dossier de presse" in s)
    assert "<@camille>" in deadlines and "console~" not in text
    # Someone of the same workspace in no company of it sees nothing of it.
    assert "40k" not in "\n".join(
        r.plain_text()
        for r in overview(app.session_factory, Tenant("console", "nido"), "zoe", "fr", clock.now())
    )
