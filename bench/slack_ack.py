"""Slack HTTP mode under load: N concurrent signed `/decide` requests.

Runs the real adapter on the shared aiohttp server against the fake Slack Web
API (tests/slack/fake_slack.py) and prints the ack latency (p50/p99), the ack
throughput, and the time until every decision is posted. Target: p99 ack <=
300 ms with 50 concurrent requests. SQLite always; PostgreSQL too when
reachable at postgresql+psycopg://postgres@127.0.0.1:5432/test (own schema,
dropped afterwards).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from bench._common import pg_schema, postgres_reachable  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.kernel.config import Settings  # noqa: E402
from storage import db  # noqa: E402
from tests.slack.fake_slack import FakeSlack  # noqa: E402
from tests.slack.harness import fixture, form_body, running, signed_headers  # noqa: E402

CONCURRENCY = 50
ROUNDS = 3


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def load(url: str) -> None:
    engine = db.make_engine(url)
    db.upgrade(engine)
    app = build_app(Settings(DATABASE_URL=url, _env_file=None), migrate=False, engine=engine)  # type: ignore[call-arg]
    fake = FakeSlack()
    await fake.start()
    acks: list[float] = []
    spans: list[float] = []
    completions: list[float] = []
    try:
        # Realistic pacing (1 post/s per channel); each request in its own channel.
        async with running(app, fake=fake, pace_seconds=1.0) as r:
            await asyncio.to_thread(r.adapter.warm_up)  # as `accord run` does (setup)
            base = fixture("slash_command", fake)
            warm = {**base, "trigger_id": "warm-up", "channel_id": "CWARM"}
            await r.command(warm)
            await fake.wait_calls("chat.postMessage", 1)
            cold: list[float] = []
            for round_no in range(-1, ROUNDS):
                posted_before = len(fake.calls("chat.postMessage"))
                bodies = [
                    form_body(
                        {
                            **base,
                            "trigger_id": f"{round_no}-{i}-{uuid.uuid4().hex}",
                            "channel_id": f"C{round_no}X{i}",
                            "text": f"bench decision {i} #bench",
                        }
                    )
                    for i in range(CONCURRENCY)
                ]

                async def one(body: str) -> float:
                    start = time.perf_counter()
                    resp = await r.post(body, signed_headers(body))
                    assert resp.status == 200, resp.status
                    return time.perf_counter() - start

                start = time.perf_counter()
                round_acks = await asyncio.gather(*(one(b) for b in bodies))
                if round_no < 0:  # the first burst after start: users.info cache and DB cold
                    cold = round_acks
                    await fake.wait_calls(
                        "chat.postMessage", posted_before + CONCURRENCY, timeout=60
                    )
                    continue
                acks += round_acks
                spans.append(time.perf_counter() - start)
                await fake.wait_calls("chat.postMessage", posted_before + CONCURRENCY, timeout=60)
                completions.append(time.perf_counter() - start)
    finally:
        await fake.stop()
        app.close()
    ms = [a * 1000 for a in acks]
    print(
        f"  ack latency (warm): p50 {percentile(ms, 0.5):.0f} ms, "
        f"p99 {percentile(ms, 0.99):.0f} ms, "
        f"max {max(ms):.0f} ms over {len(ms)} requests ({CONCURRENCY} concurrent x {ROUNDS})"
    )
    cold_ms = [a * 1000 for a in cold]
    print(
        "  first burst after start (warm-up done, caches cold): "
        f"p50 {percentile(cold_ms, 0.5):.0f} ms, "
        f"p99 {percentile(cold_ms, 0.99):.0f} ms"
    )
    print(
        f"  ack throughput: {CONCURRENCY / statistics.median(spans):.0f} requests/s (median round)"
    )
    print(
        f"  all {CONCURRENCY} decisions stored and posted in "
        f"{statistics.median(completions):.2f} s "
        f"(median round): {CONCURRENCY / statistics.median(completions):.0f} commands/s end to end"
    )
    target = "met" if percentile(ms, 0.99) <= 300 else "MISSED"
    print(f"  target p99 <= 300 ms: {target}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print("Slack HTTP mode, SQLite:")
        asyncio.run(load(f"sqlite:///{tmp}/bench.db"))
    if not postgres_reachable():
        print("PostgreSQL not reachable: skipped")
        return
    with pg_schema() as url:
        print("Slack HTTP mode, PostgreSQL:")
        asyncio.run(load(url))


if __name__ == "__main__":
    main()
