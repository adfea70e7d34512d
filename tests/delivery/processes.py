"""Real `accord run` processes for the stop, lock and multi-instance tests.

Each process's stderr is read line by line on the test's event loop; tests
wait for a line (the HTTP port, "Accord is running", "stopped cleanly")
instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import io
import os
import re
import signal
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.planning import reminders
from storage.models import Milestone, Notification, Partnership

ROOT = Path(__file__).resolve().parents[2]
PORT_LINE = re.compile(r"HTTP server listening on http://[^:]+:(\d+)")


@dataclass
class Proc:
    name: str
    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    port: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _reader: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode(errors="replace").rstrip()
            if os.environ.get("ACCORD_TEST_ECHO"):
                print(f"[{self.name}] {line}", file=sys.stderr)
            async with self._changed:
                self.lines.append(line)
                if (found := PORT_LINE.search(line)) is not None:
                    self.port = int(found.group(1))
                self._changed.notify_all()
        async with self._changed:
            self._changed.notify_all()

    async def wait_line(self, text: str, timeout: float = 30.0) -> str:
        def found() -> str | None:
            return next((line for line in self.lines if text in line), None)

        async def wait() -> str:
            async with self._changed:
                await self._changed.wait_for(
                    lambda: (
                        found() is not None
                        or self.process.returncode is not None
                        or (self._reader is not None and self._reader.done())
                    )
                )
            line = found()
            if line is None:
                raise AssertionError(f"{self.name} ended before {text!r}:\n" + self.output())
            return line

        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"{self.name}: no {text!r} in {timeout}s:\n" + self.output()
            ) from None

    def output(self) -> str:
        return "\n".join(self.lines[-60:])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(sig)

    async def wait(self, timeout: float = 15.0) -> int:
        code = await asyncio.wait_for(self.process.wait(), timeout)
        if self._reader is not None:
            await asyncio.wait_for(self._reader, 5)
        return code

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.signal(signal.SIGKILL)
            await self.wait()


def die_with_parent() -> None:
    """In the child: SIGKILL when the test process dies, however it dies (Linux)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


async def start(name: str, env: dict[str, str], *args: str) -> Proc:
    full = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONUNBUFFERED": "1",
        "ACCORD_LOG_LEVEL": "INFO",
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *(args or ("run",)),
        cwd=str(ROOT),
        env=full,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=die_with_parent,
    )
    proc = Proc(name, process)
    proc._reader = asyncio.create_task(proc._read())
    return proc


def seed_overdue_plan(
    app: App, channels: list[str], team: str = "T0ACME", per_channel: int = 1
) -> None:
    """Overdue milestones in Slack channels, each with one ping due an hour ago (real time)."""
    now = datetime.now(UTC)
    yesterday = (now - timedelta(days=1)).date().isoformat()
    for channel in channels:
        console = ConsoleAdapter(
            app.core,
            team_id=team,
            channel_id=channel,
            user="UALICE",
            out=io.StringIO(),
            run_id=f"seed-{channel}",
            platform="slack",
        )
        for i in range(per_channel):
            console.feed(f"/plan add Deck{i} {yesterday}", echo=False)
    rows = []
    with Session(app.engine) as session:
        found = session.exec(
            select(Milestone, Partnership.channel_id)
            .join(Partnership, Partnership.id == Milestone.partnership_id)  # type: ignore[arg-type]
            .where(Milestone.team_id == team)
        ).all()
        for m, channel in found:
            due = now - timedelta(hours=1)
            row = reminders._row(m, channel, f"late@{yesterday}", due, now)
            row["group_key"] = f"plan:{channel}:{m.id}"  # one message per milestone
            rows.append(Notification(**row))  # type: ignore[arg-type]
        session.add_all(rows)
        session.commit()
