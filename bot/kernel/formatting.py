"""Writing numbers, amounts, percents, dates and lists the way each language does.

One layer on Babel (CLDR) for every reply, export, PDF and chart: English
`20,000.5`, `24%`, `2.1K`, `€20,000`, `A, B and C`; French `20 000,5`,
`24 %`, `2,1 k`, `20 000 €`, `A, B et C` (with the narrow no-break spaces
French typography wants).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import TypeAlias

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.lists import format_list
from babel.numbers import (
    NumberPattern,
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
    parse_pattern,
)

from bot.kernel.number_reader import currency_code

Numeric: TypeAlias = int | float | Decimal

# Dates stay short and unambiguous in chat: ISO in English, day first in French.
DATE_PATTERNS = {"en": "yyyy-MM-dd", "fr": "dd/MM/yyyy"}
DATETIME_PATTERNS = {"en": "yyyy-MM-dd HH:mm", "fr": "dd/MM/yyyy HH:mm"}


def _lang(lang: str | None) -> str:
    return lang if lang in DATE_PATTERNS else "en"


@cache
def _locale(lang: str | None) -> Locale:
    return Locale.parse(_lang(lang))


@cache
def _pattern(lang: str | None, kind: str, digits: int, whole: bool = False) -> NumberPattern:
    """Parsed once: Babel's pattern of `kind` for the language, with up to `digits` decimals."""
    loc = _locale(lang)
    if kind == "decimal":
        text = "#,##0" + ("." + "#" * digits if digits > 0 else "")
    elif kind == "percent":
        text = loc.percent_formats[None].pattern.split(";")[0]
        if digits > 0:
            text = text.replace("#,##0", "#,##0." + "#" * digits)
    else:  # currency
        text = loc.currency_formats["standard"].pattern.split(";")[0]
        if whole:
            text = text.replace("0.00", "0")
    return parse_pattern(text)


def number(value: Numeric, lang: str | None, *, digits: int = 2) -> str:
    """12 · 1,250 / 1 250 · 12.5 / 12,5: at most `digits` decimals, none when whole."""
    pattern = _pattern(lang, "decimal", digits)
    return format_decimal(_rounded(value, digits), format=pattern, locale=_locale(lang))


def integer(value: Numeric, lang: str | None) -> str:
    return number(value, lang, digits=0)


def percent(ratio: Numeric, lang: str | None, *, digits: int = 0) -> str:
    """0.24 -> '24%' / '24 %' (French puts a narrow no-break space before %)."""
    pattern = _pattern(lang, "percent", digits)
    return format_percent(_rounded(ratio, digits + 2), format=pattern, locale=_locale(lang))


def compact(value: Numeric, lang: str | None, *, digits: int = 1) -> str:
    """2100 -> '2.1K' / '2,1 k'; below a thousand, the plain number."""
    if Decimal(str(value)).copy_abs() < 1000:
        return number(value, lang, digits=digits)
    return format_compact_decimal(value, locale=_locale(lang), fraction_digits=digits)


def currency(value: Numeric, code: str, lang: str | None) -> str:
    """20000 EUR -> '€20,000' / '20 000 €'; cents only when there are some."""
    whole = _rounded(value, 2) == int(_rounded(value, 2))
    pattern = _pattern(lang, "currency", 2, whole)
    return format_currency(value, code, format=pattern, locale=_locale(lang), currency_digits=False)


def amount(value: Numeric, unit: str, lang: str | None) -> str:
    """A figure with the unit it was defined with: '20,000 €'... '15 %', '12 leads'."""
    unit = (unit or "").strip()
    if unit == "%":
        return percent(Decimal(str(value)) / 100, lang, digits=2)
    code = currency_code(unit) if unit else None
    if code is not None:
        return currency(value, code, lang)
    shown = number(value, lang)
    return f"{shown}\u00a0{unit}" if unit else shown


def signed(value: Numeric, lang: str | None, unit: str = "") -> str:
    """+12 / −3 (a true minus sign), with the unit."""
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return sign + amount(Decimal(str(value)).copy_abs(), unit, lang)


def day(value: date | None, lang: str | None) -> str:
    if value is None:
        return ""
    return _babel_date(value, format=DATE_PATTERNS[_lang(lang)], locale=_lang(lang))


def moment(value: datetime, lang: str | None) -> str:
    """A local date and time (convert to the channel's zone first)."""
    return _babel_datetime(value, format=DATETIME_PATTERNS[_lang(lang)], locale=_lang(lang))


def long_day(value: date, lang: str | None) -> str:
    """'30 June 2026' / '30 juin 2026': for examples people retype."""
    return _babel_date(value, format="long", locale=_lang(lang))


def day_month(value: date, lang: str | None) -> str:
    """'30 June' / '30 juin': the short way people type a date to come."""
    return _babel_date(value, format="d MMMM", locale=_lang(lang))


def items(values: Iterable[str], lang: str | None, *, style: str = "standard") -> str:
    """'A, B and C' / 'A, B et C'; style 'or' gives 'A, B or C' / 'A, B ou C'."""
    shown = [v for v in values if v]
    if not shown:
        return ""
    # British English lists read "A, B and C" (CLDR's American English adds a serial comma).
    locale = "en_GB" if _lang(lang) == "en" else _lang(lang)
    return format_list(shown, style=style, locale=locale)  # type: ignore[arg-type]


def _rounded(value: Numeric, digits: int) -> Decimal:
    return round(Decimal(str(value)), digits)


_TOKEN_RE = re.compile(r"<[@#][^<>\s]*>")


def excerpt(text: str, limit: int) -> str:
    """The text cut to `limit` characters with "…", never inside a `<@person>` or
    `<#channel>` (a half token would show raw instead of a name)."""
    if len(text) <= limit:
        return text
    cut = limit - 1
    for token in _TOKEN_RE.finditer(text):
        if token.start() < cut < token.end():
            cut = token.start()
            break
    return text[:cut].rstrip() + "…"
