"""Reading due dates: J-14 / D-14 / D-day / J+3, ISO dates, and plain French or English.

Everything is read in the channel's time zone. Nothing is guessed silently: a
date that could mean two things (03/04) or that dateparser cannot read is
refused with an example of what works.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.kernel.errors import UserError

# D-14, J-14, D+3, J + 3, d-day, D-Day, jour J, J, D.
_RELATIVE_RE = re.compile(r"^(?:[JjDd])\s*(?:([+-])\s*(\d{1,4}))?$")
_DDAY_WORDS = {"d-day", "dday", "jour j", "jour-j", "j-day", "day d", "jourj"}
_ISO_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2})[:h](\d{2}))?$")
# Two small numbers separated by / . or -: 03/04 is 3 April or March 4.
_NUMERIC_RE = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2,4}))?\b")
# A time of day in the text ("14h", "14:30", "2pm", "9 am", "à 9h").
_TIME_RE = re.compile(r"\b\d{1,2}\s*(?:[:h]\s*\d{0,2}|\s*(?:am|pm))\b", re.IGNORECASE)
# Words dateparser reads as "now" or a bare time: not a due date.
_NOT_A_DATE = re.compile(r"^\s*(?:now|maintenant|today at|\d{1,2}[:h]\d{2})\s*$", re.IGNORECASE)

LANGUAGES = ["fr", "en"]
_FR_WEEKDAYS = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
# dateparser misses "vendredi prochain" and reads "14h" as a year: say it its way.
_FR_NEXT_RE = re.compile(rf"\b({_FR_WEEKDAYS})\s+prochain\b", re.IGNORECASE)
_FR_HOUR_RE = re.compile(r"\b(\d{1,2})\s*h\s*(\d{2})?\b", re.IGNORECASE)
# Further than this is a typo, not a plan.
MAX_YEARS_AHEAD = 5
# The longest due date a person types ("le vendredi 14 mars 2027 à 14h30" is 33
# characters, 6 words). Longer text is refused before any parsing, and `/plan add`
# looks for the date only among the last `DATE_MAX_WORDS` words: reading a date
# costs at most `DATE_MAX_WORDS` parser calls on at most `DATE_MAX_CHARS`
# characters, whatever the length of the command (linear, not quadratic).
DATE_MAX_CHARS = 64
DATE_MAX_WORDS = 8
# At most this many dateparser calls per command (each ~1-15 ms on at most
# DATE_MAX_CHARS characters): the 50 ms bound of any command's date reading.
DATE_MAX_PARSER_CALLS = 3

_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre "
    "janv fevr avr juil"
)
_WEEKDAYS = (
    "monday tuesday wednesday thursday friday saturday sunday "
    "mon tue tues wed thu thur thurs fri sat sun "
    "lundi mardi mercredi jeudi vendredi samedi dimanche"
)
_UNITS = (
    "day days week weeks month months year years fortnight "
    "jour jours semaine semaines mois an ans annee annees quinzaine "
    "today tomorrow tonight aujourd'hui aujourd’hui demain apres-demain"
)
_NAMES = frozenset(f"{_MONTHS} {_WEEKDAYS}".split())
# A natural date names a month, a weekday, a unit or has a number in it.
_ANCHORS = frozenset(f"{_MONTHS} {_WEEKDAYS} {_UNITS}".split())
# Words a date typically starts with: tried first when looking for where it begins.
_LEADS = "next this the on in le la ce cette dans au prochain prochaine"
_STARTS = _ANCHORS | frozenset(_LEADS.split())


@dataclass(frozen=True, slots=True)
class Due:
    """A parsed due date: absolute, or relative to D-day (`offset` days)."""

    day: date
    at: time | None = None
    offset: int | None = None


def relative_offset(text: str) -> int | None:
    """'J-14' -> -14, 'D+3' -> 3, 'D-day' / 'J' -> 0; None if not relative."""
    raw = text.strip()
    if raw.lower() in _DDAY_WORDS:
        return 0
    match = _RELATIVE_RE.match(raw)
    if match is None:
        return None
    sign, digits = match.groups()
    if digits is None:
        return 0
    return -int(digits) if sign == "-" else int(digits)


def format_offset(offset: int, lang: str) -> str:
    letter = "J" if lang == "fr" else "D"
    if offset == 0:
        return "J" if lang == "fr" else "D-day"
    return f"{letter}{offset:+d}"


def parse_due(
    text: str, *, now: datetime, tz: ZoneInfo, launch: date | None, day_first: bool = False
) -> Due:
    """Read a due date typed by a user; raise `UserError` rather than guess.

    `day_first`: the channel speaks French, where 01/04 is always the 1st of
    April; elsewhere a numeric date that reads both ways is refused.
    """
    raw = " ".join(text.split())
    if not raw:
        raise UserError("plan.errors.date_missing")
    if len(raw) > DATE_MAX_CHARS:
        raise UserError("plan.errors.date_too_long", limit=DATE_MAX_CHARS)
    offset = relative_offset(raw)
    if offset is not None:
        if launch is None:
            raise UserError("plan.errors.no_launch", date=raw)
        return Due(day=launch + timedelta(days=offset), offset=offset)
    iso = _ISO_RE.match(raw)
    if iso is not None:
        y, m, d, hh, mm = iso.groups()
        try:
            day = date(int(y), int(m), int(d))
            at = time(int(hh), int(mm)) if hh is not None else None
        except ValueError as exc:
            raise UserError("plan.errors.bad_date", date=raw) from exc
        return Due(day=day, at=at)
    return _natural(raw, now=now, tz=tz, day_first=day_first)


def _fold_word(word: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", word.lower().strip(".,;:!?"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def plausible(raw: str) -> bool:
    """Cheap test before dateparser: could `raw` be one natural date?

    At most one time of day, three words with digits and two month or weekday
    names, no word twice, and a number, a month, a weekday or a unit somewhere:
    "13:00 13:00", "next friday next friday" or "lorem ipsum" are refused
    without calling the (slow) parser.
    """
    words = raw.split()
    if len(raw) > DATE_MAX_CHARS or len(words) > DATE_MAX_WORDS:
        return False
    if len(_TIME_RE.findall(raw)) > 1:
        return False
    digit_words = sum(1 for w in words if any(c.isdigit() for c in w))
    if digit_words > 3:
        return False
    folded = [_fold_word(w) for w in words if not any(c.isdigit() for c in w)]
    if len(set(folded)) < len(folded):  # a date never repeats a word
        return False
    names = sum(1 for w in folded if w in _NAMES)
    if names > 2:  # "friday 14 march" at most
        return False
    return digit_words > 0 or any(w in _ANCHORS for w in folded)


def needs_parser(raw: str) -> bool:
    """True when `parse_due(raw)` would call dateparser (the costly part)."""
    raw = " ".join(raw.split())
    if not raw or relative_offset(raw) is not None or _ISO_RE.match(raw) is not None:
        return False
    return plausible(raw) and not _NOT_A_DATE.match(raw)


def starts_like_a_date(raw: str) -> bool:
    head = raw.split(maxsplit=1)[0] if raw.strip() else ""
    return head[:1].isdigit() or _fold_word(head) in _STARTS


def _parse_natural(text: str, settings: dict[str, object]) -> datetime | None:
    """The one place that calls dateparser (tests count the calls here)."""
    import dateparser  # slow to import: only when someone types a natural date

    return dateparser.parse(text, languages=LANGUAGES, settings=settings)  # type: ignore[arg-type]


def _natural(raw: str, *, now: datetime, tz: ZoneInfo, day_first: bool = False) -> Due:
    numeric = _NUMERIC_RE.search(raw)
    if numeric is not None and not day_first:
        a, b = int(numeric.group(1)), int(numeric.group(2))
        if a <= 12 and b <= 12 and a != b:
            year = numeric.group(3)
            y = int(year) + (2000 if len(year) == 2 else 0) if year else now.astimezone(tz).year
            raise UserError(
                "plan.errors.ambiguous_date",
                date=raw,
                day_first=f"{y:04d}-{b:02d}-{a:02d}",
                month_first=f"{y:04d}-{a:02d}-{b:02d}",
            )
    if _NOT_A_DATE.match(raw) or not plausible(raw):
        raise UserError("plan.errors.bad_date", date=raw)
    local_now = now.astimezone(tz).replace(tzinfo=None)
    text = _FR_NEXT_RE.sub(lambda m: m.group(1), raw)
    text = _FR_HOUR_RE.sub(lambda m: f"{m.group(1)}:{m.group(2) or '00'}", text)
    parsed = _parse_natural(
        text,
        {
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now,
            "RETURN_AS_TIMEZONE_AWARE": False,
            "DATE_ORDER": "DMY",
            "STRICT_PARSING": False,
        },
    )
    if parsed is None or abs(parsed.year - local_now.year) > MAX_YEARS_AHEAD:
        raise UserError("plan.errors.bad_date", date=raw)
    at = time(parsed.hour, parsed.minute) if _TIME_RE.search(raw) else None
    return Due(day=parsed.date(), at=at)


def local_moment(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time, correct across DST.

    zoneinfo with `fold=0` maps a time that happens twice (fall back) to its
    first occurrence, and a time that does not exist (spring forward, 02:30)
    to the same distance past the gap (03:30): never skipped, never doubled.
    """
    return datetime.combine(day, at).replace(tzinfo=tz, fold=0).astimezone(UTC)


def local_today(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()
