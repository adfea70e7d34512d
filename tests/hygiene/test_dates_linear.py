"""Date reading is linear: a bounded number of dateparser calls on bounded text.

The timing figures are in `bench/dates.py`; here the parser calls are counted,
which is what makes the bound hold on any machine.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.kernel.limits import COMMAND_MAX_CHARS
from bot.planning import dates
from bot.planning.commands import _date_cuts
from bot.planning.dates import DATE_MAX_CHARS, DATE_MAX_PARSER_CALLS, DATE_MAX_WORDS
from tests.hygiene.helpers import one_text, run


@pytest.fixture
def parser_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    calls: list[str] = []
    real = dates._parse_natural

    def counting(text: str, settings: dict[str, object]) -> object:
        calls.append(text)
        return real(text, settings)

    monkeypatch.setattr(dates, "_parse_natural", counting)
    yield calls


def _fill(unit: str) -> str:
    """`unit` repeated up to the command's maximum (with the `add ` prefix)."""
    return (unit * (COMMAND_MAX_CHARS // len(unit)))[: COMMAND_MAX_CHARS - 4].rstrip()


ADVERSARIAL = [
    _fill("13:00 "),
    _fill("13:00"),
    _fill("next friday "),
    _fill("1 2 3 "),
    _fill("lorem ipsum "),
    _fill("14 mars 2027 "),
    _fill("vendredi "),
    "Title " + _fill("D-14 "),
    _fill("x"),
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: t[:12])
def test_adversarial_plan_add_makes_few_bounded_parser_calls(
    app: App, parser_calls: list[str], text: str
) -> None:
    run(app, "plan", "launch 2026-06-01")
    parser_calls.clear()
    out = run(app, "plan", "add " + text)
    assert len(out.replies) == 1
    assert len(parser_calls) <= DATE_MAX_PARSER_CALLS
    assert all(len(c) <= DATE_MAX_CHARS for c in parser_calls)


@pytest.mark.parametrize("command", ["move 1 {x} because late", "snooze 1 {x}", "launch {x}"])
def test_other_date_commands_make_at_most_one_call(
    app: App, parser_calls: list[str], command: str
) -> None:
    run(app, "plan", "launch 2026-06-01")
    run(app, "plan", 'add "Brief" D-14')
    parser_calls.clear()
    run(app, "plan", command.format(x=_fill("13:00 ")[:3000]))
    assert len(parser_calls) <= 1


def test_normal_dates_still_read(app: App, parser_calls: list[str]) -> None:
    run(app, "plan", "launch 2026-06-01")
    out = one_text(run(app, "plan", "add Press kit next friday <@bob>"))
    assert "Press kit" in out and "2026-03-06" in out
    out = one_text(run(app, "plan", "add Landing page for the new site in 10 days"))
    assert "Landing page for the new site" in out and "2026-03-12" in out
    out = one_text(run(app, "plan", "add Review 20 March 14:00"))
    assert "#3 added: Review," in out and "2026-03-20" in out
    out = one_text(run(app, "plan", "add Brief agency D-14"))
    assert "Brief agency" in out
    assert len(parser_calls) <= 3 * DATE_MAX_PARSER_CALLS


WORDS = st.sampled_from(
    [
        "13:00",
        "14h",
        "next",
        "friday",
        "in",
        "10",
        "days",
        "le",
        "14",
        "mars",
        "2027",
        "D-14",
        "lorem",
        "x" * 70,
        "à",
        "vendredi",
        "prochain",
        "J+3",
        "2026-03-20",
        "@bob",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, min_size=2, max_size=400))
def test_date_cuts_are_bounded_for_any_words(words: list[str]) -> None:
    cuts = _date_cuts(words)
    assert all(len(words) - c <= DATE_MAX_WORDS for c in cuts)
    costly = [c for c in cuts if dates.needs_parser(" ".join(words[c:]))]
    assert len(costly) <= DATE_MAX_PARSER_CALLS
    assert all(len(" ".join(words[c:])) <= DATE_MAX_CHARS for c in costly)
