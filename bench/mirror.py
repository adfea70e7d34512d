"""Mirroring to a partnership's places: throughput, exactness and the cost to `/decide`.

1,000 partnerships of three places each (a Slack channel of workspace A, a Slack
channel of another workspace, a Discord channel), one `/decide` each from the
first place; then dispatcher passes deliver the copies to the two other places,
with the platform calls faked (in memory, no network). Prints copies delivered per
second, duplicates and lost copies (both must be 0), and the median
acknowledgement time of `/decide` with three places against one place (the same
number of partnerships without places, in the same run). Target: ratio ≤ 1.2.

Runs on SQLite (the embedded default) and, when reachable, on PostgreSQL.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import pg_schema, postgres_reachable, summary_ms  # noqa: E402
from bot.app import App, build_app  # noqa: E402
from bot.kernel.clock import SystemClock  # noqa: E402
from bot.kernel.config import Settings  # noqa: E402
from bot.kernel.types import Command, Reply, User  # noqa: E402
from bot.runner import make_dispatcher  # noqa: E402
from storage.models import Partnership, Place  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000


class FakePlatform:
    """Answers every post at once and counts what it got, by place and message."""

    def __init__(self) -> None:
        self.posts: Counter[tuple[str, str, str]] = Counter()

    def post(self, team_id: str, channel_id: str, reply: Reply, idempotency_key: str) -> str:
        self.posts[(team_id, channel_id, idempotency_key)] += 1
        return f"m{len(self.posts)}"


def seed(app: App, prefix: str, places: bool) -> None:
    """`N` partnerships at home in Slack workspace A, each with two other places."""
    now = datetime.now(UTC)
    with app.session_factory() as session:
        homes = [
            Partnership(
                platform="slack",
                team_id="TA",
                channel_id=f"{prefix}{i}",
                created_at=now,
                place_count=2 if places else 0,  # as two handshakes would leave it
            )
            for i in range(N)
        ]
        session.add_all(homes)
        session.flush()
        if places:
            for i, p in enumerate(homes):
                assert p.id is not None
                session.add(
                    Place(
                        partnership_id=p.id,
                        platform="slack",
                        team_id=f"TB{i % 50}",
                        channel_id=f"CB{i}",
                        joined_by="U9",
                        joined_at=now,
                    )
                )
                session.add(
                    Place(
                        partnership_id=p.id,
                        platform="discord",
                        team_id="G1",
                        channel_id=f"D{i}",
                        joined_by="42",
                        joined_at=now,
                    )
                )
        session.commit()


def decide_all(app: App, prefix: str) -> list[float]:
    samples = []
    for i in range(N):
        command = Command(
            platform="slack",
            team_id="TA",
            channel_id=f"{prefix}{i}",
            user=User("U1", "Ann"),
            name="decide",
            text=f"we launch on 3 March, deal {i}",
            idempotency_key=f"{prefix}-{i}",
        )
        start = time.perf_counter()
        outcome = app.core.handle(command)
        samples.append(time.perf_counter() - start)
        assert not outcome.replies[0].is_error, outcome.replies[0].text
    return samples


def run(url: str, label: str) -> None:
    app = build_app(Settings(DATABASE_URL=url, _env_file=None), clock=SystemClock())  # type: ignore[call-arg]
    try:
        seed(app, "ONE", places=False)
        seed(app, "THREE", places=True)
        # Interleaved halves, so that a slower database file later on hits both alike.
        one = decide_all(app, "ONE")
        three = decide_all(app, "THREE")
        slack, discord = FakePlatform(), FakePlatform()
        dispatcher = make_dispatcher(app, {"slack": slack, "discord": discord})
        start = time.perf_counter()
        while dispatcher.run_once().claimed:
            pass
        elapsed = time.perf_counter() - start
    finally:
        app.close()
    copies = [k for k in (slack.posts + discord.posts) if not k[1].startswith(("ONE", "THREE"))]
    duplicates = sum(n - 1 for n in (slack.posts + discord.posts).values() if n > 1)
    expected = 2 * N
    lost = expected - len(copies)
    ratio = (sorted(three)[len(three) // 2]) / (sorted(one)[len(one) // 2])
    print(f"[{label}] /decide, one place:    {summary_ms(one)}")
    print(f"[{label}] /decide, three places: {summary_ms(three)}")
    print(f"[{label}] median ack ratio three/one: {ratio:.2f} (target ≤ 1.2)")
    print(
        f"[{label}] copies delivered: {len(copies)} of {expected} in {elapsed:.2f} s "
        f"= {len(copies) / elapsed:,.0f} posts/s; duplicates {duplicates}; lost {lost}"
    )
    assert duplicates == 0 and lost == 0


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite")
    if postgres_reachable():
        with pg_schema() as url:
            run(url, "postgresql")
    else:
        print("[postgresql] skipped: no server at TEST_DATABASE_URL / 127.0.0.1:5432")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
