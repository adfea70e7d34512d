"""Discord HTTP interactions: signed `/decide` round trips through the real endpoint.

Measures the first response (what Discord's 3-second rule is about): Ed25519
verification, the core's transaction and the rendering, on SQLite and, when
reachable, PostgreSQL (a dedicated schema, dropped after). Also times the
rendering of a reply large enough to be split. Run with `make bench`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web
from nacl.signing import SigningKey

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.discord_adapter import INTERACTIONS_PATH, interactions_handler  # noqa: E402
from adapters.discord_interactions import InteractionService  # noqa: E402
from adapters.discord_render import render  # noqa: E402
from adapters.discord_rest import DiscordRest  # noqa: E402
from bench._common import pg_schema, postgres_reachable  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.kernel.config import Settings  # noqa: E402
from bot.kernel.types import Button, Reply, ReplyField  # noqa: E402

SEQUENTIAL = 300
CONCURRENT = 300
PARALLEL = 16


def payload(n: int, run: str) -> dict[str, object]:
    return {
        "id": f"{run}{n}",
        "application_id": "1",
        "type": 2,
        "token": f"t{n}",
        "version": 1,
        "guild_id": "g1",
        "channel_id": "c1",
        "locale": "en-US",
        "member": {"user": {"id": f"u{n % 7}", "username": f"user{n % 7}"}},
        "data": {
            "id": "9",
            "name": "decide",
            "type": 1,
            "options": [{"name": "text", "type": 3, "value": f"decision {n} #bench"}],
        },
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def measure(url: str) -> None:
    settings = Settings(DATABASE_URL=url, _env_file=None)  # type: ignore[call-arg]
    app = build_app(settings)
    key = SigningKey.generate()
    rest = DiscordRest("http://127.0.0.1:9", None)
    service = InteractionService(app.core, rest, app.session_factory)
    http_app = web.Application()
    http_app.router.add_post(
        INTERACTIONS_PATH, interactions_handler(service, key.verify_key.encode().hex())
    )
    runner = web.AppRunner(http_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    endpoint = f"http://{host}:{port}{INTERACTIONS_PATH}"
    run = uuid.uuid4().hex[:6]
    deferred: list[int] = []

    async with aiohttp.ClientSession() as client:

        async def one(n: int) -> float:
            body = json.dumps(payload(n, run)).encode()
            ts = str(int(time.time()))
            headers = {
                "X-Signature-Ed25519": key.sign(ts.encode() + body).signature.hex(),
                "X-Signature-Timestamp": ts,
                "Content-Type": "application/json",
            }
            start = time.perf_counter()
            async with client.post(endpoint, data=body, headers=headers) as resp:
                assert resp.status == 200, await resp.text()
                answer = await resp.json()
                assert answer["type"] in (4, 5), answer
                if answer["type"] == 5:  # past 2 s the core's answer is deferred
                    deferred.append(n)
            return time.perf_counter() - start

        seq = [await one(n) for n in range(SEQUENTIAL)]
        sem = asyncio.Semaphore(PARALLEL)

        async def limited(n: int) -> float:
            async with sem:
                return await one(n)

        start = time.perf_counter()
        conc = await asyncio.gather(*(limited(SEQUENTIAL + n) for n in range(CONCURRENT)))
        elapsed = time.perf_counter() - start
    await service.drain()
    await rest.close()
    await runner.cleanup()
    app.close()
    name = url.split(":", 1)[0]
    print(
        f"  {name}: sequential /decide first response p50 {pct(seq, 0.5):.1f} ms, "
        f"p99 {pct(seq, 0.99):.1f} ms (n={SEQUENTIAL})"
    )
    print(
        f"  {name}: {PARALLEL} in flight: p50 {pct(conc, 0.5):.1f} ms, "
        f"p99 {pct(conc, 0.99):.1f} ms, "
        f"{CONCURRENT / elapsed:.0f} interactions/s, {len(deferred)} deferred"
    )


def bench_render() -> None:
    reply = Reply(
        title="Weekly digest",
        text="para " * 3000,
        items=[f"item {i} " + "x" * 90 for i in range(80)],
        fields=[ReplyField(f"field {i}", "v " * 400) for i in range(60)],
        buttons=[Button(f"B{i}", "act", str(i)) for i in range(40)],
        footer="footer",
    )
    times = []
    for _ in range(300):
        start = time.perf_counter()
        messages = render(reply)
        times.append(time.perf_counter() - start)
    print(
        f"  render of a {len(reply.plain_text())}-char reply into {len(messages)} messages: "
        f"median {statistics.median(times) * 1000:.2f} ms"
    )


def main() -> None:
    # Deferred answers' follow-ups go nowhere here (no Discord): keep their errors quiet.
    logging.getLogger("adapters").setLevel(logging.CRITICAL)
    print("Discord interactions")
    bench_render()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(measure(f"sqlite:///{tmp}/bench.db"))
    if not postgres_reachable():
        print("  postgresql: not reachable, skipped")
        return
    with pg_schema() as url:
        asyncio.run(measure(url))


if __name__ == "__main__":
    main()
