"""Benchmark of the timeline picture (`/plan timeline`, the digest's PNG).

Prints the median, min and max time to render the PNG of a plan of 10 and of
200 milestones (a mix of done, overdue, upcoming and moved ones, D-day set),
over several runs after a warm-up (matplotlib's import and font cache are paid
once per process, not per picture), and the PNG's size in pixels and bytes.
No target is set by the issue; the digest's KPI chart is the reference
(median 69-72 ms on this machine, target <= 200 ms).
Run: `.venv/bin/python bench/timeline.py`.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.kernel.i18n import Translator  # noqa: E402
from bot.planning import timeline  # noqa: E402

RUNS = 15
TODAY = date(2026, 3, 10)
COMPANIES = ("Acme", "Beta Corp", "Société Générale des Eaux")


def plan(count: int, seed: int = 7) -> timeline.Timeline:
    rng = random.Random(seed)
    items = []
    for n in range(1, count + 1):
        due = TODAY + timedelta(days=rng.randint(-60, 90))
        if due < TODAY:
            state = timeline.DONE_STATE if rng.random() < 0.6 else timeline.OVERDUE
        else:
            state = timeline.UPCOMING
        moved = (due - timedelta(days=rng.randint(2, 20)),) if rng.random() < 0.2 else ()
        items.append(
            timeline.Item(
                n,
                f"Deliverable {n} of the spring co-launch campaign",
                due,
                state,
                rng.choice(COMPANIES),
                moved,
            )
        )
    return timeline.build(items, TODAY + timedelta(days=45), TODAY, 0, [TODAY + timedelta(days=38)])


def main() -> None:
    for lang in ("en", "fr"):
        t = Translator(lang)
        timeline.render(plan(10), t)  # warm-up: imports, fonts, Babel's locale data
        for count in (10, 200):
            tl = plan(count)
            samples, cpu = [], []
            png = b""
            for _ in range(RUNS):
                start, start_cpu = time.perf_counter(), time.process_time()
                png = timeline.render(tl, t)
                samples.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
            width, height = timeline.size_for(tl)
            print(
                f"{lang} {count:>3} milestones ({len(tl.shown)} rows + "
                f"{'a group of ' + str(len(tl.hidden)) if tl.hidden else 'no group'}): "
                f"median {statistics.median(samples):.1f} ms, min {min(samples):.1f} ms, "
                f"max {max(samples):.1f} ms over {RUNS} runs (CPU median "
                f"{statistics.median(cpu):.1f} ms); {width}x{height} px, "
                f"{len(png) / 1024:.0f} KiB"
            )


if __name__ == "__main__":
    main()
