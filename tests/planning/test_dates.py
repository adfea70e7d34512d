from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from adapters.console import ConsoleAdapter
from bot.kernel.errors import UserError
from bot.planning.dates import local_moment, parse_due

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday
PARIS = ZoneInfo("Europe/Paris")
LAUNCH = date(2026, 4, 1)


@pytest.mark.parametrize(
    ("text", "day", "offset"),
    [
        ("J-14", date(2026, 3, 18), -14),
        ("D-14", date(2026, 3, 18), -14),
        ("D-day", LAUNCH, 0),
        ("jour J", LAUNCH, 0),
        ("J+3", date(2026, 4, 4), 3),
        ("2026-03-20", date(2026, 3, 20), None),
        ("vendredi prochain", date(2026, 3, 6), None),
        ("next Friday", date(2026, 3, 6), None),
        ("in 10 days", date(2026, 3, 12), None),
        ("dans 10 jours", date(2026, 3, 12), None),
        ("3 mars", date(2026, 3, 3), None),
        ("15/03", date(2026, 3, 15), None),
    ],
)
def test_dates_read(text: str, day: date, offset: int | None) -> None:
    due = parse_due(text, now=NOW, tz=PARIS, launch=LAUNCH)
    assert (due.day, due.offset) == (day, offset)


def test_times_read_only_when_given() -> None:
    assert parse_due("20 mars 14h", now=NOW, tz=PARIS, launch=None).at == time(14, 0)
    assert parse_due("March 20 at 2pm", now=NOW, tz=PARIS, launch=None).at == time(14, 0)
    assert parse_due("in 10 days", now=NOW, tz=PARIS, launch=None).at is None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("03/04", "plan.errors.ambiguous_date"),
        ("blah", "plan.errors.bad_date"),
        ("2026-02-30", "plan.errors.bad_date"),
        ("now", "plan.errors.bad_date"),
        ("", "plan.errors.date_missing"),
    ],
)
def test_bad_dates_refused(text: str, key: str) -> None:
    with pytest.raises(UserError) as err:
        parse_due(text, now=NOW, tz=PARIS, launch=LAUNCH)
    assert err.value.key == key


def test_relative_needs_launch() -> None:
    with pytest.raises(UserError) as err:
        parse_due("J-14", now=NOW, tz=PARIS, launch=None)
    assert err.value.key == "plan.errors.no_launch"


def test_local_moment_dst() -> None:
    # Paris springs forward on 2026-03-29: 09:00 is 08:00 UTC before, 07:00 UTC after.
    assert local_moment(date(2026, 3, 28), time(9), PARIS) == datetime(2026, 3, 28, 8, tzinfo=UTC)
    assert local_moment(date(2026, 3, 29), time(9), PARIS) == datetime(2026, 3, 29, 7, tzinfo=UTC)
    # 02:30 does not exist that day: it moves past the gap, never skipped.
    assert local_moment(date(2026, 3, 29), time(2, 30), PARIS).astimezone(PARIS).hour == 3


def test_french_reads_numeric_dates_day_first() -> None:
    due = parse_due("01/04/2026", now=NOW, tz=PARIS, launch=None, day_first=True)
    assert due.day == date(2026, 4, 1)
    with pytest.raises(UserError) as err:
        parse_due("01/04/2026", now=NOW, tz=PARIS, launch=None)
    assert err.value.params == {
        "date": "01/04/2026",
        "day_first": "2026-04-01",
        "month_first": "2026-01-04",
    }


def test_a_launch_in_the_past_is_set_with_a_warning(console: ConsoleAdapter) -> None:
    from tests.conftest import say

    out = say(console, "/plan launch 2026-02-01")
    assert "D-day is set: 2026-02-01" in out and "already past" in out
    out = say(console, "/plan move D 2026-05-01 because typo")
    assert "already past" not in out
