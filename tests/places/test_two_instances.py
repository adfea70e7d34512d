"""Two dispatchers on one PostgreSQL database: each mirrored copy is posted once per place."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.app import App
from bot.delivery.dispatcher import Dispatcher
from bot.kernel.clock import FixedClock
from tests.conftest import say
from tests.places.test_console_places import Posts, code_in, console

PARTNERSHIPS = 12


def test_two_dispatchers_post_each_copy_once_per_place(
    app: App, engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("several dispatchers need PostgreSQL (SQLite is one process)")
    for i in range(PARTNERSHIPS):
        home = console(app, tmp_path, "acme", f"deal-{i}", "alice")
        place = console(app, tmp_path, f"partner-{i % 3}", f"acme-{i}", "zoe")
        say(place, f"/accord link {code_in(say(home, '/accord link'))}")
        say(home, f"/decide decision {i} at home")
        say(place, f"/decide decision {i} in the place")
    posts = [Posts(), Posts()]
    workers = [
        Dispatcher(
            app.session_factory, app.registry, clock, {"console": p}, name=f"w{n}", batch_size=5
        )
        for n, p in enumerate(posts)
    ]
    start = threading.Barrier(2)

    def work(n: int) -> None:
        start.wait()
        while workers[n].run_once().claimed:
            pass

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    seen = Counter(
        (team, channel, reply.plain_text()) for p in posts for team, channel, reply in p.posts
    )
    assert seen and max(seen.values()) == 1, [k for k, n in seen.items() if n > 1]
    for i in range(PARTNERSHIPS):
        # Each place got the other's decision (and the join announcement) exactly once.
        at_place = [t for (team, ch, t) in seen if ch == f"acme-{i}" and f"decision {i} at" in t]
        at_home = [t for (team, ch, t) in seen if ch == f"deal-{i}" and f"decision {i} in" in t]
        assert len(at_place) == 1 and len(at_home) == 1
