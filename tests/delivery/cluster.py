"""Three real `accord run` instances on PostgreSQL behind HAProxy, with fakes that misbehave.

- PostgreSQL is reached through `DbProxy`, a TCP relay the test can cut
  (every connection dropped, new ones refused) and restore.
- The fake Slack (and the fake Discord) are real HTTP servers that can stall,
  refuse connections, 429 with any Retry-After, or answer late.
- HAProxy (the Debian package) balances `POST /slack/events` and
  `/discord/interactions` over the instances and health-checks `GET /readyz`.

Everything listens on ephemeral ports (HAProxy's two are picked free just
before it starts). The fakes and the relay run on an event loop in a thread of
their own, so one cluster serves every test of a module.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import threading
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from nacl.signing import SigningKey
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.planning import reminders
from storage import db
from storage.models import Milestone, Notification, Partnership
from tests.delivery.processes import Proc, die_with_parent, start
from tests.discord.fake_discord import FakeDiscord
from tests.slack.fake_slack import TEAM_ID, FakeSlack
from tests.slack.harness import BOT_TOKEN, SECRET

T = TypeVar("T")
PG_HOST, PG_PORT = "127.0.0.1", 5432
DISCORD_TOKEN = "harness-discord-token"
DISCORD_APP_ID = "900000000000000001"


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if os.path.exists(p)), None
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DbProxy:
    """A TCP relay to PostgreSQL that can be cut and restored."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._relay, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(PG_HOST, PG_PORT)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}


class Cluster:
    def __init__(self, pg_url: str, workdir: Path, instances: int = 3) -> None:
        self.pg_url = pg_url
        self.workdir = workdir
        self.count = instances
        self.schema = f"accord_h_{uuid.uuid4().hex[:10]}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.slack = FakeSlack()
        self.discord = FakeDiscord()
        self.key = SigningKey.generate()
        self.proxy = DbProxy()
        self.procs: dict[str, Proc] = {}
        self.haproxy: subprocess.Popen[bytes] | None = None
        self.lb_port = 0
        self.stats_port = 0
        self.engine: Engine | None = None
        self.http: aiohttp.ClientSession | None = None
        self.batches = 0

    # -- plumbing ---------------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def url(self, via_proxy: bool = True) -> str:
        base = self.pg_url
        if via_proxy:
            base = base.replace(f"{PG_HOST}:{PG_PORT}", f"127.0.0.1:{self.proxy.port}")
        sep = "&" if "?" in base else "?"
        return f"{base}{sep}options=-csearch_path%3D{self.schema}"

    def env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.url(),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": self.slack.api_url,
            "DISCORD_TOKEN": DISCORD_TOKEN,
            "DISCORD_PUBLIC_KEY": self.key.verify_key.encode().hex(),
            "DISCORD_APPLICATION_ID": DISCORD_APP_ID,
            "DISCORD_API_URL": self.discord.url,
            "ACCORD_HTTP_PORT": "0",
            "ACCORD_DISPATCH_INTERVAL": "1",
            "ACCORD_DISPATCH_LEASE": "15",
            "ACCORD_RETRY_BASE": "1",
            "ACCORD_RETRY_MAX": "5",
        }

    # -- life -------------------------------------------------------------------------

    def start(self) -> Cluster:
        admin = db.make_engine(self.pg_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        admin.dispose()
        self.engine = db.make_engine(self.url(via_proxy=False))
        db.upgrade(self.engine)
        self.thread.start()
        self.discord.start()
        self.run(self._start_async())
        for i in range(1, self.count + 1):
            self.start_instance(f"a{i}")
        self.start_haproxy()
        self.wait_backends(up=set(self.procs))
        return self

    async def _start_async(self) -> None:
        await self.slack.start()
        await self.proxy.start()
        self.http = aiohttp.ClientSession()

    def start_instance(self, name: str, port: int = 0) -> Proc:
        """Start (or restart, on its old port, so HAProxy finds it again) one instance."""

        async def go() -> Proc:
            proc = await start(name, {**self.env(), "ACCORD_HTTP_PORT": str(port)})
            await proc.wait_line("Accord is running", timeout=90)
            return proc

        self.procs[name] = self.run(go())
        return self.procs[name]

    def start_haproxy(self) -> None:
        binary = haproxy_binary()
        assert binary is not None
        self.lb_port, self.stats_port = free_port(), free_port()
        servers = "\n".join(
            f"  server {name} 127.0.0.1:{proc.port} check" for name, proc in self.procs.items()
        )
        config = self.workdir / "haproxy.cfg"
        config.write_text(
            f"""global
  maxconn 4096
defaults
  mode http
  timeout connect 1s
  timeout check 4s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch
frontend accord
  bind 127.0.0.1:{self.lb_port}
  default_backend instances
frontend stats
  bind 127.0.0.1:{self.stats_port}
  stats enable
  stats uri /stats
backend instances
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 300ms fall 3 rise 2
{servers}
"""
        )
        self.haproxy = subprocess.Popen(
            [binary, "-db", "-f", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )

    def stop(self) -> None:
        if self.haproxy is not None:
            self.haproxy.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.haproxy.wait(10)

        async def down() -> None:
            for proc in self.procs.values():
                await proc.kill()
            if self.http is not None:
                await self.http.close()
            await self.slack.stop()
            await self.proxy.cut()

        with contextlib.suppress(Exception):
            self.run(down())
        self.discord.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if self.engine is not None:
            self.engine.dispose()
        admin = db.make_engine(self.pg_url)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        admin.dispose()

    # -- HAProxy's view ------------------------------------------------------------------

    async def backends(self) -> dict[str, str]:
        assert self.http is not None
        async with self.http.get(f"http://127.0.0.1:{self.stats_port}/stats;csv") as resp:
            body = await resp.text()
        states: dict[str, str] = {}
        for line in body.splitlines():
            cols = line.split(",")
            if len(cols) > 17 and cols[0] == "instances" and cols[1] in self.procs:
                states[cols[1]] = cols[17]
        return states

    def wait_backends(self, *, up: set[str], timeout: float = 60) -> dict[str, str]:
        async def until() -> dict[str, str]:
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    states = await self.backends()
                    ups = {n for n, s in states.items() if s.startswith("UP")}
                    if ups == up:
                        return states
                await asyncio.sleep(0.2)  # polling HAProxy's stats page

        return self.run(asyncio.wait_for(until(), timeout), timeout + 5)

    # -- data ---------------------------------------------------------------------------

    def seed_pings(self, channels: int, per_channel: int) -> set[str]:
        """Milestones due in 30 days, each with one ping due an hour ago: one message each.

        Returns the milestones' titles (unique across calls: `M<batch><channel>-<k>`).
        """
        assert self.engine is not None
        self.batches += 1
        batch = self.batches
        now = datetime.now(UTC)
        due: date = (now + timedelta(days=30)).date()
        with Session(self.engine) as session:
            parts = [
                Partnership(
                    platform="slack",
                    team_id=TEAM_ID,
                    channel_id=f"CP{batch:02d}{c:04d}",
                    created_at=now,
                )
                for c in range(channels)
            ]
            session.add_all(parts)
            session.flush()
            milestones = [
                Milestone(
                    platform="slack",
                    team_id=TEAM_ID,
                    partnership_id=p.id or 0,
                    number=k + 1,
                    title=f"M{batch:02d}{c:04d}-{k}",
                    owners=["U0ALICE"],
                    due_date=due,
                    created_by="U0ALICE",
                    created_at=now,
                    updated_at=now,
                )
                for k in range(per_channel)
                for c, p in enumerate(parts)
            ]
            session.add_all(milestones)
            session.flush()
            by_id = {p.id: p.channel_id for p in parts}
            for m in milestones:
                channel = by_id[m.partnership_id]
                row = reminders._row(m, channel, f"d-30@{due}", now - timedelta(hours=1), now)
                row["group_key"] = f"m{m.id}"
                session.add(Notification(**row))  # type: ignore[arg-type]
            titles = {m.title for m in milestones}
            session.commit()
        return titles

    def sql(self, statement: str, **params: Any) -> list[Any]:
        assert self.engine is not None
        with self.engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []


async def poll(
    predicate: Callable[[], Awaitable[bool]], timeout: float, every: float = 0.2
) -> None:
    """Until `predicate` holds (a state in another process: nothing to wait on but its answer)."""

    async def until() -> None:
        while not await predicate():
            await asyncio.sleep(every)

    await asyncio.wait_for(until(), timeout)
