"""Two representatives confirming at the same moment: the status still moves."""

from __future__ import annotations

import threading

from sqlmodel import Session, select

from bot.app import App
from bot.kernel.types import Command, User
from storage.models import Contract
from tests.contract.helpers import PARTIES, TERMS

ROUNDS = 8


def command(channel: str, user: str, text: str, key: str) -> Command:
    return Command(
        platform="console",
        team_id="race",
        channel_id=channel,
        user=User(user, user),
        name=text.split()[0].lstrip("/"),
        text=text.partition(" ")[2],
        idempotency_key=key,
        mentioned=tuple(User(n, n) for n in ("alice", "bob") if f"@{n}" in text),
    )


def test_simultaneous_confirmations_confirm_the_contract(app: App) -> None:
    for n in range(ROUNDS):
        channel = f"race-{n}"
        lines = [line.split(": ", 1) for line in PARTIES]
        script = [
            (u.lstrip("@"), t.replace("@alice", "<@alice>").replace("@bob", "<@bob>"))
            for u, t in lines
        ]
        script += [("alice", t) for t in (*TERMS, "/contract recap")]
        for i, (user, text) in enumerate(script):
            outcome = app.core.handle(command(channel, user, text, f"{channel}:{i}"))
            assert not any(r.is_error for r in outcome.replies), outcome.replies
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def confirm(
            user: str,
            channel: str = channel,
            barrier: threading.Barrier = barrier,
            errors: list[BaseException] = errors,
        ) -> None:
            try:
                barrier.wait(timeout=10)
                key = f"{channel}:confirm:{user}"
                outcome = app.core.handle(command(channel, user, "/contract confirm", key))
                assert not any(r.is_error for r in outcome.replies), outcome.replies
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=confirm, args=(u,)) for u in ("alice", "bob")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert not errors, errors
    with Session(app.engine) as session:
        statuses = [c.status for c in session.exec(select(Contract))]
    assert statuses == ["confirmed"] * ROUNDS
