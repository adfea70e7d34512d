"""A partnership played across two platforms, as a transcript (zulip_bots style).

Each `transcripts/NAME.txt` is fed to one console per place: `[slack acme #deal]`
switches to the place of that platform, team and channel; `[dispatch]` runs a
dispatcher pass whose posts each place's console prints; `[clock +6d]` moves the
clock; `{code}` is the last link code Accord gave. The output must equal
`NAME.expected` (link codes masked); regenerate with `ACCORD_UPDATE_TRANSCRIPTS=1`.
"""

from __future__ import annotations

import io
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.delivery.dispatcher import Dispatcher
from bot.kernel.clock import FixedClock

HERE = Path(__file__).parent / "transcripts"
SCRIPTS = sorted(HERE.glob("*.txt"))
CODE_RE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b")
PLACE_RE = re.compile(r"^\[(\w+) ([\w.-]+) #([\w.-]+)\]$")
CLOCK_RE = re.compile(r"^\[clock \+(\d+)d\]$")


class Places:
    """One console per place, all printing to one transcript."""

    def __init__(self, app: App, clock: FixedClock, tmp_path: Path) -> None:
        self.app, self.clock, self.tmp_path = app, clock, tmp_path
        self.out = io.StringIO()
        self.consoles: dict[tuple[str, str, str], ConsoleAdapter] = {}
        self.current: ConsoleAdapter | None = None

    def switch(self, platform: str, team: str, channel: str) -> None:
        key = (platform, team, channel)
        if key not in self.consoles:
            self.consoles[key] = ConsoleAdapter(
                self.app.core,
                team_id=team,
                channel_id=channel,
                user="someone",
                platform=platform,
                out=self.out,
                files_dir=self.tmp_path / f"{platform}-{team}",
                run_id=f"{platform}-{team}-{channel}",
            )
        self.current = self.consoles[key]

    def dispatch(self) -> None:
        by_platform: dict[str, ConsoleAdapter] = {}
        for (platform, _, _), console in self.consoles.items():
            by_platform.setdefault(platform, console)
        Dispatcher(
            self.app.session_factory,
            self.app.registry,
            self.clock,
            by_platform,
            default_locale=self.app.settings.default_locale,
            default_timezone=self.app.settings.default_timezone,
        ).run_once()

    def run(self, lines: list[str]) -> str:
        for line in lines:
            if line.startswith("# ") or not line.strip():
                self.out.write(line + "\n")
            elif (place := PLACE_RE.match(line)) is not None:
                self.out.write(f"\n== {place.group(1)} · {place.group(2)} · #{place.group(3)}\n")
                self.switch(*place.groups())
            elif line == "[dispatch]":
                self.out.write("\n== dispatcher pass\n")
                self.dispatch()
            elif (moved := CLOCK_RE.match(line)) is not None:
                self.clock.advance(timedelta(days=int(moved.group(1))))
                self.out.write(f"\n== {moved.group(1)} days later\n")
            else:
                assert self.current is not None, "a place first: [platform team #channel]"
                codes = CODE_RE.findall(self.out.getvalue())
                self.current.feed(line.replace("{code}", codes[-1] if codes else ""), echo=True)
        return CODE_RE.sub("XXXX-XXXX-XXXX", self.out.getvalue())


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_transcript_across_places(
    script: Path, app: App, clock: FixedClock, tmp_path: Path
) -> None:
    actual = Places(app, clock, tmp_path).run(script.read_text(encoding="utf-8").splitlines())
    expected_path = script.with_suffix(".expected")
    if os.environ.get("ACCORD_UPDATE_TRANSCRIPTS"):
        expected_path.write_text(actual, encoding="utf-8")
    assert actual == expected_path.read_text(encoding="utf-8")
