"""Contract benchmark: command latency, exports, and the reminder hook at scale.

Prints medians and p99 for `/contract set`, `/contract confirm`, `/contract recap`,
Markdown and PDF exports, and one dispatcher pass over many contracts awaiting
confirmation. SQLite in a temporary folder; PostgreSQL too when reachable (a
dedicated schema, dropped afterwards).
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from adapters.console import ConsoleAdapter  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.delivery.dispatcher import Dispatcher  # noqa: E402
from bot.kernel.clock import FixedClock  # noqa: E402
from bot.kernel.config import Settings  # noqa: E402
from bot.kernel.types import Reply  # noqa: E402
from storage import db  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TERMS = (
    "parties Acme (Alice) and Beta (Bob)",
    "objectifs 500 inscriptions d’ici juin",
    "deliverables Acme: landing page; Beta: newsletter",
    "ressources 10 000 € each side",
    "droits logos only",
    "communication this channel is the record",
    "données none shared",
    "durée 12 months",
)
PARTNERSHIPS = 200


class Sink:
    platform = "console"

    def __init__(self) -> None:
        self.posts = 0

    def post(self, team_id: str, channel_id: str, reply: Reply, idempotency_key: str) -> str:
        self.posts += 1
        return str(self.posts)


def figures(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"  {name:<28} n={len(samples):<4} median {statistics.median(samples) * 1000:7.2f} ms"
        f"   p99 {p99 * 1000:7.2f} ms"
    )


def timed(fn: Callable[..., object], *args: object) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def run(label: str, engine: Engine, url: str) -> None:
    print(f"== {label}")
    clock = FixedClock(START)
    settings = Settings(DATABASE_URL=url, _env_file=None)  # type: ignore[call-arg]
    app = build_app(settings, clock=clock, migrate=False, engine=engine)
    out = io.StringIO()
    samples: dict[str, list[float]] = {k: [] for k in ("set", "recap", "confirm", "md", "pdf")}
    with tempfile.TemporaryDirectory() as files:
        for n in range(PARTNERSHIPS):
            console = ConsoleAdapter(
                app.core,
                team_id="bench",
                channel_id=f"p{n}",
                user="alice",
                out=out,
                files_dir=Path(files),
                run_id=f"r{n}",
            )

            def say(line: str, console: ConsoleAdapter = console) -> None:
                console.feed(line, echo=False)

            say("@alice: /accord party add Acme @alice")
            say("@bob: /accord party add Beta @bob")
            for term in TERMS:
                samples["set"].append(timed(say, f"@alice: /contract set {term}"))
            samples["recap"].append(timed(say, "/contract recap"))
            if n % 2:  # Acme confirms in half of them; every one still awaits Beta
                samples["confirm"].append(timed(say, "/contract confirm"))
            if n < 20:
                samples["md"].append(timed(say, "/contract export md"))
                samples["pdf"].append(timed(say, "/contract export pdf"))
    for name, values in samples.items():
        commands = ("set", "recap", "confirm")
        figures(f"/contract {name}" if name in commands else f"export {name}", values)
    sink = Sink()
    dispatcher = Dispatcher(app.session_factory, app.registry, clock, {"console": sink})
    clock.advance(timedelta(days=2))
    passes = [timed(dispatcher.run_once) for _ in range(1)]
    idle = [timed(dispatcher.run_once) for _ in range(5)]
    print(
        f"  dispatch pass, {PARTNERSHIPS} contracts: {passes[0] * 1000:.1f} ms,"
        f" {sink.posts} pings sent"
    )
    print(f"  idle dispatch pass (hook only): median {statistics.median(idle) * 1000:.1f} ms")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        engine = db.make_engine(url)
        db.upgrade(engine)
        run("SQLite", engine, url)
        engine.dispose()
    try:
        admin = db.make_engine(PG_URL)
        with admin.connect():
            pass
    except Exception as exc:  # no server here: the SQLite figures stand alone
        print(f"== PostgreSQL skipped ({type(exc).__name__})")
        return
    schema = f"bench_contract_{uuid.uuid4().hex[:8]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    engine = db.make_engine(url)
    try:
        db.upgrade(engine)
        run("PostgreSQL", engine, url)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
