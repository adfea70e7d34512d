"""Date reading under adversarial input: `/plan add` parse time, normal vs hostile.

Before, `/plan add` tried every suffix of the words with dateparser (quadratic:
`13:00` repeated 200 times held a transaction 19 s). Now only the last few
words are candidates and at most `DATE_MAX_PARSER_CALLS` reach dateparser.
Prints, per input, the parse time (title, date and owners read; no storage)
and the whole command through the core on SQLite. Target: parse ≤ 50 ms for
any input under the command's maximum.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_app  # noqa: E402
from bot.kernel.clock import FixedClock  # noqa: E402
from bot.kernel.config import Settings  # noqa: E402
from bot.kernel.errors import UserError  # noqa: E402
from bot.kernel.limits import COMMAND_MAX_CHARS  # noqa: E402
from bot.kernel.types import Command, User  # noqa: E402
from bot.planning import commands as planning
from bot.planning import (
    dates,
    reminders,  # noqa: E402
)

ROUNDS = 20
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fill(unit: str) -> str:
    return (unit * (COMMAND_MAX_CHARS // len(unit)))[: COMMAND_MAX_CHARS - 4].rstrip()


INPUTS = {
    "normal: Press kit next friday @bob": "Press kit next friday <@bob>",
    "normal: Review 20 March 14:00": "Review 20 March 14:00",
    "normal: Brief the agency D-14": "Brief the agency D-14",
    "13:00 x 200 (the issue's input)": " ".join(["13:00"] * 200),
    "13:00 repeated to the max (4,000 chars)": fill("13:00 "),
    "next friday repeated to the max": fill("next friday "),
    "14 mars 2027 repeated to the max": fill("14 mars 2027 "),
    "lorem ipsum repeated to the max": fill("lorem ipsum "),
}


def parse_once(ctx: SimpleNamespace, text: str) -> tuple[float, int]:
    calls = 0
    real = dates._parse_natural

    def counting(t: str, s: dict[str, object]) -> object:
        nonlocal calls
        calls += 1
        return real(t, s)

    dates._parse_natural = counting  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        with contextlib.suppress(UserError):
            planning._title_and_due(ctx, text)  # type: ignore[arg-type]
        return time.perf_counter() - start, calls
    finally:
        dates._parse_natural = real  # type: ignore[assignment]


def main() -> None:
    zone = ZoneInfo("Europe/Paris")
    reminders.ctx_zone = lambda ctx: zone  # type: ignore[assignment]  # no storage here
    ctx = SimpleNamespace(
        user=User("alice"),
        now=NOW,
        partnership=SimpleNamespace(launch_date=datetime(2026, 6, 1).date()),
        lang="en",
    )
    parse_once(ctx, "warm up next friday")  # imports dateparser, compiles its tables
    print(f"parse only ({ROUNDS} rounds each; dateparser calls per command in brackets)")
    for label, text in INPUTS.items():
        samples, calls = zip(*(parse_once(ctx, text) for _ in range(ROUNDS)), strict=True)
        ms = sorted(s * 1000 for s in samples)
        print(
            f"  {label:42} median {statistics.median(ms):6.2f} ms  max {ms[-1]:6.2f} ms  "
            f"[{max(calls)} calls]"
        )
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            DATABASE_URL=f"sqlite:///{tmp}/accord.db",
            ACCORD_DEFAULT_TIMEZONE="Europe/Paris",
            _env_file=None,  # type: ignore[call-arg]
        )
        app = build_app(settings, clock=FixedClock(NOW))
        print("whole /plan add through the core on SQLite (one command each)")
        for i, (label, text) in enumerate(INPUTS.items()):
            start = time.perf_counter()
            app.core.handle(
                Command(
                    "console",
                    "bench",
                    "c1",
                    User("alice"),
                    "plan",
                    "add " + text,
                    idempotency_key=f"k{i}",
                )
            )
            print(f"  {label:42} {1000 * (time.perf_counter() - start):7.2f} ms")


if __name__ == "__main__":
    main()
