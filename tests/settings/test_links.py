"""The link handshake: a channel joins a partnership only with a code given inside it."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.kernel.clock import FixedClock
from bot.settings.links import CODE_TTL, code_hash, forget_old_codes, normalize
from storage.models import Channel, Decision, LinkCode, ProcessedRequest
from tests.conftest import say
from tests.contract.helpers import console_in

CODE_RE = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b")


def code_from(out: str) -> str:
    match = CODE_RE.search(out)
    assert match is not None, out
    return match.group(1)


def shared_of(app: App, channel_id: str) -> str | None:
    with Session(app.engine) as session:
        row = session.exec(select(Channel).where(Channel.channel_id == channel_id)).first()
        return row.shared_channel_id if row is not None else None


def test_link_needs_a_code_given_in_the_target_channel(
    console: ConsoleAdapter, app: App, tmp_path: Path
) -> None:
    say(console, "/decide ALPHA launch budget is 40k #secret")
    internal = console_in(app, tmp_path, "acme-beta", "internal")

    # Before the link nothing of the partnership is readable from the other channel.
    assert "40k" not in say(internal, "/decisions", "/decisions search budget", "/decisions show 1")
    # Naming the channel no longer links it: the two steps are explained instead.
    out = say(internal, "/accord channel #launch")
    assert "Linking a channel takes two steps" in out and "/accord link" in out
    assert shared_of(app, "internal") is None
    assert "ALPHA" not in say(internal, "/decisions")

    out = say(console, "/accord link")
    assert "Accord (only you):" in out and "One-time link code" in out
    code = code_from(out)

    out = say(internal, f"/accord link {code.lower().replace('-', ' ')}")
    assert "Channel linked" in out
    assert "Accord → #launch:" in out  # the visible notice and decision in the shared channel
    assert "#internal is linked to this partnership" in out
    assert shared_of(app, "internal") == "launch"
    assert "ALPHA" in say(internal, "/decisions")

    with Session(app.engine) as session:
        decision = session.exec(select(Decision).where(Decision.source == "accord.link")).one()
        assert decision.posted_channel_id == "launch"
        row = session.exec(select(LinkCode)).one()
        # Only the hash is kept, and the code shown once is masked in the stored replies.
        assert row.code_hash == code_hash(code.replace("-", "")) and code not in row.code_hash
        assert row.used_channel_id == "internal" and row.used_by == "alice"
        stored = " ".join(r.replies_json or "" for r in session.exec(select(ProcessedRequest)))
        assert code not in stored and code.replace("-", "") not in stored

    # The code works once.
    third = console_in(app, tmp_path, "acme-beta", "third")
    out = say(third, f"/accord link {code}")
    assert "already used" in out
    assert shared_of(app, "third") is None
    assert "ALPHA" not in say(third, "/decisions")


def test_wrong_malformed_and_expired_codes_are_refused(
    console: ConsoleAdapter, app: App, clock: FixedClock, tmp_path: Path
) -> None:
    internal = console_in(app, tmp_path, "acme-beta", "internal")
    assert "is not a link code" in say(internal, "/accord link hello")
    assert "This link code is wrong" in say(internal, "/accord link ABCD-EFGH-JKMN")

    code = code_from(say(console, "/accord link"))
    clock.advance(CODE_TTL + timedelta(seconds=1))
    out = say(internal, f"/accord link {code}")
    assert "has expired" in out and "15 minutes" in out
    assert shared_of(app, "internal") is None

    # Just within the 15 minutes, a fresh code works.
    code = code_from(say(console, "/accord link"))
    clock.advance(CODE_TTL - timedelta(seconds=1))
    assert "Channel linked" in say(internal, f"/accord link {code}")


def test_self_links_are_refused_and_a_code_used_in_another_workspace_makes_a_place(
    console: ConsoleAdapter, app: App, tmp_path: Path
) -> None:
    code = code_from(say(console, "/accord link"))
    assert "already belongs to that partnership" in say(console, f"/accord link {code}")
    with Session(app.engine) as session:
        assert session.exec(select(LinkCode)).one().used_at is None
    other_team = console_in(app, tmp_path, "gamma-delta", "launch")
    assert "now a place of the partnership" in say(other_team, f"/accord link {code}")
    with Session(app.engine) as session:
        used = session.exec(select(LinkCode)).one()
        assert (used.used_team_id, used.used_channel_id) == ("gamma-delta", "launch")
    # Once: the same code brings no second channel in.
    third = console_in(app, tmp_path, "gamma-delta", "other")
    assert "already used" in say(third, f"/accord link {code}")


def test_unlink_undoes_it_with_notices_and_a_decision(
    console: ConsoleAdapter, app: App, tmp_path: Path
) -> None:
    say(console, "/decide ALPHA we share the launch plan")
    internal = console_in(app, tmp_path, "acme-beta", "internal")
    say(internal, f"/accord link {code_from(say(console, '/accord link'))}")
    assert "#internal" in say(console, "/accord")  # listed as linked

    out = say(internal, "/accord unlink")
    assert "Channel unlinked" in out
    assert "Accord → #launch:" in out and "no longer linked to this partnership" in out
    assert shared_of(app, "internal") is None
    assert "ALPHA" not in say(internal, "/decisions")

    assert "there is nothing to unlink" in say(internal, "/accord unlink")
    # From the partnership's side: unlink a named channel; the shared channel itself cannot be.
    say(internal, f"/accord link {code_from(say(console, '/accord link'))}")
    assert "cannot be unlinked" in say(console, "/accord unlink")
    out = say(console, "/accord unlink #internal")
    assert "Accord → #internal:" in out and "was unlinked from the partnership" in out
    assert "is not linked to this partnership" in say(console, "/accord unlink #internal")
    with Session(app.engine) as session:
        sources = [
            d.source
            for d in session.exec(select(Decision).order_by(col(Decision.number)))
            if d.source.startswith("accord.")
        ]
    assert sources == ["accord.link", "accord.unlink", "accord.link", "accord.unlink"]


def test_a_linked_or_shared_channel_cannot_hop(
    console: ConsoleAdapter, app: App, tmp_path: Path
) -> None:
    internal = console_in(app, tmp_path, "acme-beta", "internal")
    say(internal, f"/accord link {code_from(say(console, '/accord link'))}")
    other = console_in(app, tmp_path, "acme-beta", "other-partnership")
    code = code_from(say(other, "/accord link"))
    assert "Run `/accord unlink` here first" in say(internal, f"/accord link {code}")
    # The shared channel of a partnership with linked channels cannot join another.
    assert "Other channels are linked to this one" in say(console, f"/accord link {code}")
    # A code given in a linked channel joins the partnership it belongs to.
    code = code_from(say(internal, "/accord link"))
    out = say(other, f"/accord link {code}")
    assert "works on the partnership of #launch" in out
    assert "Accord → #internal:" in out  # the channel that gave the code is told
    assert shared_of(app, "other-partnership") == "launch"


def test_errors_and_notices_are_localized(
    console: ConsoleAdapter, app: App, clock: FixedClock, tmp_path: Path
) -> None:
    internal = console_in(app, tmp_path, "acme-beta", "internal")
    say(internal, "/accord lang fr")
    assert "Ce code de liaison est erroné" in say(internal, "/accord link ABCD-EFGH-JKMN")
    assert "deux étapes" in say(internal, "/accord channel #launch")
    code = code_from(say(console, "/accord link"))
    clock.advance(timedelta(minutes=16))
    assert "a expiré" in say(internal, f"/accord link {code}")
    code = code_from(say(console, "/accord link"))
    assert "Canal lié" in say(internal, f"/accord link {code}")
    other = console_in(app, tmp_path, "acme-beta", "x")
    assert "a déjà servi" in say(other, "/accord lang fr", f"/accord link {code}")


def test_old_codes_are_forgotten_by_the_dispatcher(
    console: ConsoleAdapter, app: App, clock: FixedClock
) -> None:
    say(console, "/accord link")
    with Session(app.engine) as session:
        forget_old_codes(session, clock.now() + timedelta(hours=2))
        session.commit()
        assert len(session.exec(select(LinkCode)).all()) == 1
        forget_old_codes(session, clock.now() + timedelta(days=2))
        session.commit()
        assert session.exec(select(LinkCode)).all() == []


def test_normalize_accepts_what_people_type() -> None:
    assert normalize("abcd-efgh-jkmn") == "ABCDEFGHJKMN"
    assert normalize(" ABCD EFGH JKMN ") == "ABCDEFGHJKMN"
    assert normalize("`ABCD-EFGH-JKMN`") == "ABCDEFGHJKMN"
    assert normalize("ABCD-EFGH-JKM0") is None  # 0 is not in the alphabet
    assert normalize("ABCD-EFGH") is None


def test_a_code_used_at_the_same_moment_in_two_channels_links_one(app: App) -> None:
    from bot.kernel.types import Command, User

    def command(channel: str, text: str, key: str) -> Command:
        return Command(
            platform="console",
            team_id="race",
            channel_id=channel,
            user=User("alice", "alice"),
            name="accord",
            text=text,
            idempotency_key=key,
        )

    for n in range(4):
        [given] = app.core.handle(command(f"shared-{n}", "link", f"give-{n}")).replies
        code = code_from(given.text)
        barrier = threading.Barrier(2)
        results: list[bool] = []
        errors: list[BaseException] = []

        def use(
            channel: str,
            barrier: threading.Barrier = barrier,
            code: str = code,
            results: list[bool] = results,
            errors: list[BaseException] = errors,
        ) -> None:
            try:
                barrier.wait(timeout=10)
                outcome = app.core.handle(command(channel, f"link {code}", f"use-{channel}"))
                results.append(not any(r.is_error for r in outcome.replies))
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=use, args=(f"side-{n}-{side}",)) for side in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not errors and sorted(results) == [False, True]
    with Session(app.engine) as session:
        linked = session.exec(
            select(Channel).where(col(Channel.shared_channel_id).is_not(None))
        ).all()
        assert len(linked) == 4
