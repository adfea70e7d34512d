"""Reading the numbers people type, in chat and in files: one reader for both.

Built on Babel's CLDR data: each language's decimal and grouping symbols, its
percent sign and currency symbols. English writes `20,000.5`, French
`20 000,5` (with a plain, no-break or narrow no-break space) and `1,5`.

A number that two readings make plausible is refused with both, never
guessed: `1.500` in a French channel (French groups with spaces, but a `.`
separator is common enough in files from elsewhere) could be 1500 or 1.5.
`1,500` in an English channel is 1500 and in a French one 1.5: the language
settles it. Without a language (`lang=None`) both `1.500` and `1,500` are
refused.

Currencies and percents may be typed with their symbol (`20,000€`,
`20 000 €`, `EUR 20000`, `15%`), and `10k` / `2M` as shorthand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.numbers import (
    format_decimal,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
)

from bot.kernel.errors import UserError

# Currencies whose symbol a partnership is likely to type; their ISO codes also work.
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "CAD", "JPY")
LANGS = ("en", "fr")
MULTIPLIERS = {"k": Decimal(1_000), "m": Decimal(1_000_000)}
# Typed between groups of digits, in any language: spaces (plain, no-break, narrow
# no-break, thin), apostrophes (Swiss style) and underscores (programmers).
_GROUP_ONLY = " \u00a0\u202f\u2009'’_"
_MINUS = "-\u2212\u2013"


class NotANumber(UserError):
    """`raw` is not a number in any language."""

    def __init__(self, raw: str) -> None:
        super().__init__("numbers.not_a_number", value=raw)
        self.raw = raw


class AmbiguousNumber(UserError):
    """`raw` reads as two different numbers: the user must say which."""

    def __init__(self, raw: str, first: str, second: str, readings: tuple[Decimal, Decimal]):
        super().__init__("numbers.ambiguous", value=raw, first=first, second=second)
        self.raw = raw
        self.readings = readings


@dataclass(frozen=True, slots=True)
class Number:
    value: Decimal
    currency: str | None = None  # ISO 4217 code when a currency symbol was typed
    percent: bool = False

    @property
    def unit(self) -> str:
        """The symbol to store as a unit: '€', '%' or ''."""
        if self.percent:
            return "%"
        if self.currency:
            return get_currency_symbol(self.currency, "en")
        return ""


@cache
def _currency_words() -> dict[str, str]:
    """Every way to write a known currency (symbol or code) -> its code, longest first."""
    words: dict[str, str] = {}
    for code in CURRENCIES:
        words[code.lower()] = code
        for lang in LANGS:
            words[get_currency_symbol(code, lang).lower()] = code
    # '$' is the dollar everyone means in chat.
    words["$"] = "USD"
    return dict(sorted(words.items(), key=lambda kv: -len(kv[0])))


@cache
def _symbols(lang: str) -> tuple[str, str]:
    """(decimal mark, group mark) of a language."""
    return get_decimal_symbol(lang), get_group_symbol(lang)


@cache
def _percents() -> tuple[str, ...]:
    signs = {Locale.parse(lang).number_symbols["latn"]["percentSign"] for lang in LANGS}
    return tuple({"%", *signs})


def currency_code(word: str) -> str | None:
    """'€', 'eur', 'US$' -> the ISO code; None for anything else (a unit like 'leads')."""
    return _currency_words().get(word.strip().lower())


@cache
def _signs() -> tuple[str, str]:
    plus = {"+", *(get_plus_sign_symbol(lang) for lang in LANGS)}
    minus = {*_MINUS, *(get_minus_sign_symbol(lang) for lang in LANGS)}
    return "".join(plus), "".join(minus)


def _strip_symbols(text: str) -> tuple[str, str | None, bool]:
    """Takes a currency symbol or a percent sign off either end."""
    if text[:1].isdigit() and text[-1:].isdigit():
        return text, None, False  # the usual case: nothing to take off
    percent = False
    currency: str | None = None
    for sign in _percents():
        if text.endswith(sign):
            text, percent = text[: -len(sign)].rstrip(_GROUP_ONLY), True
            break
    if not percent:
        lowered = text.lower()
        for word, code in _currency_words().items():
            if lowered.endswith(word):
                text, currency = text[: -len(word)].rstrip(_GROUP_ONLY), code
                break
            if lowered.startswith(word):
                text, currency = text[len(word) :].lstrip(_GROUP_ONLY), code
                break
    return text, currency, percent


def _grouped(digits: str, separator: str) -> bool:
    """'20000' / '20,000' / '1,250,000': plain digits, or groups of three after `separator`."""
    if digits.isdigit():
        return True
    groups = digits.split(separator)
    return (
        1 <= len(groups[0]) <= 3
        and groups[0].isdigit()
        and all(len(g) == 3 and g.isdigit() for g in groups[1:])
    )


def _readings(body: str, lang: str | None) -> list[Decimal]:
    """The plausible values of unsigned digits and separators, best first; [] if none."""
    if not body or not any(c.isdigit() for c in body):
        return []
    spaced = re.sub(f"[{re.escape(_GROUP_ONLY)}]", " ", body)
    if re.search(r"[^\d ,.]", spaced) or "  " in spaced or spaced.strip() != spaced:
        return []
    marks = [c for c in spaced if c in ",."]
    if not marks:
        return [Decimal(spaced.replace(" ", ""))] if _grouped(spaced, " ") else []
    if len(set(marks)) == 2:
        # Both: the last one is the decimal mark, the other groups (1,250.50 / 1.250,50).
        decimal_mark = marks[-1]
        group_mark = "." if decimal_mark == "," else ","
        head, _, tail = spaced.rpartition(decimal_mark)
        if decimal_mark in head or " " in spaced or not tail.isdigit():
            return []
        if not _grouped(head, group_mark):
            return []
        return [Decimal(f"{head.replace(group_mark, '')}.{tail}")]
    mark = marks[0]
    if len(marks) > 1:  # 1,000,000 or 1.000.000: grouping only
        return [Decimal(spaced.replace(mark, ""))] if _grouped(spaced, mark) else []
    head, _, tail = spaced.partition(mark)
    if not tail.isdigit() or " " in tail:
        return []
    if head and not _grouped(head, " "):
        return []
    as_decimal = Decimal(f"{head.replace(' ', '') or '0'}.{tail}")
    if " " in head or len(tail) != 3 or not 1 <= len(head) <= 3 or head == "0":
        return [as_decimal]  # 20 000,5 · 1,5 · 0.500 · 1.25: only a decimal mark
    as_grouped = Decimal(head + tail)
    if lang is not None:
        decimal_symbol, group_symbol = _symbols(lang)
        if decimal_symbol == mark:
            return [as_decimal]
        if group_symbol == mark:
            return [as_grouped]
    return [as_grouped, as_decimal]


def read_number(raw: str, lang: str | None, *, whole: bool = False) -> Number:
    """What the user meant by `raw` in a channel speaking `lang`.

    `whole`: the value counts things (an audience), so a decimal reading of
    `1.500` or `120,000` is not plausible: they are 1500 and 120000.
    Raises `NotANumber`, or `AmbiguousNumber` carrying both readings written
    so that neither can be misread (`1500` or `1,5`), for the user to retype.
    """
    text = raw.strip()
    text, currency, percent = _strip_symbols(text)
    plus, minus = _signs()
    negative = False
    if text[:1] and text[0] in plus + minus:
        negative, text = text[0] in minus, text[1:].lstrip(_GROUP_ONLY)
    if currency is None and not percent:
        text, currency, percent = _strip_symbols(text)  # -€5, +5 %
    multiplier = Decimal(1)
    if text[-1:].lower() in MULTIPLIERS and not percent:
        multiplier, text = MULTIPLIERS[text[-1].lower()], text[:-1].rstrip(_GROUP_ONLY)
    readings = _readings(text, lang)
    if not readings:
        raise NotANumber(raw.strip())
    values = [(-v if negative else v) * multiplier for v in readings]
    if whole and len(values) > 1:
        values = values[:1]  # a count has no decimals: the grouping reading
    if len(values) > 1:
        raise AmbiguousNumber(
            raw.strip(), _plain(values[0], lang), _plain(values[1], lang), (values[0], values[1])
        )
    value = values[0]
    if value == value.to_integral():
        value = value.quantize(Decimal(1))
    return Number(value=value, currency=currency, percent=percent)


def _plain(value: Decimal, lang: str | None) -> str:
    """Without grouping, so it reads one way only: '1500', '1,5' (fr), '1.5' (en)."""
    return format_decimal(value, format="0.##########", locale=lang or "en")
