"""Numbers and messages benchmark: the reader, the formatting layer and the translator.

Prints operations per second for reading typed figures (both languages), formatting
amounts and percents, and rendering catalog messages (a plain one, a plural one,
one with French typography and elision), so a slow Babel call shows here.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.kernel import formatting  # noqa: E402
from bot.kernel.i18n import Translator  # noqa: E402
from bot.kernel.number_reader import read_number  # noqa: E402

N = 20_000


def rate(name: str, fn: Callable[[int], object]) -> None:
    fn(0)  # warm caches
    start = time.perf_counter()
    for i in range(N):
        fn(i)
    elapsed = time.perf_counter() - start
    print(f"{name:<44} {N / elapsed:>12,.0f} /s   ({elapsed / N * 1e6:.1f} µs each)")


def main() -> None:
    en, fr = Translator("en"), Translator("fr")
    rate("read '20,000.5' (en)", lambda i: read_number("20,000.5", "en"))
    rate("read '20 000,5 €' (fr)", lambda i: read_number("20\u202f000,5 €", "fr"))
    rate("format amount 1250.5 € (fr)", lambda i: formatting.amount(1250.5 + i, "€", "fr"))
    rate("format percent (en)", lambda i: formatting.percent(i / N, "en"))
    rate(
        "t(kpi.chart.legend) plain (en)",
        lambda i: en("kpi.chart.legend", metric="a", total="1", target="2"),
    )
    rate("t(matching.import.refused) plural (fr)", lambda i: fr("matching.import.refused", count=i))
    rate(
        "t(contract.item_awaiting) elision (fr)",
        lambda i: fr("contract.item_awaiting", parties="Acme"),
    )


if __name__ == "__main__":
    main()
