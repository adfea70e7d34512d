"""One number reader and one formatting layer, in both languages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.kernel import formatting
from bot.kernel.number_reader import AmbiguousNumber, NotANumber, read_number

NB, NN = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("raw", "lang", "value", "currency", "percent"),
    [
        ("20,000", "en", "20000", None, False),
        ("20,000.5", "en", "20000.5", None, False),
        ("1,250.50", "en", "1250.50", None, False),
        ("1,500", "en", "1500", None, False),  # English groups with ','
        ("1.500", "en", "1.5", None, False),  # and writes decimals with '.'
        ("1,5", "en", "1.5", None, False),  # ',5' cannot be a group: only one reading
        ("20 000", "en", "20000", None, False),
        ("20,000€", "en", "20000", "EUR", False),
        ("€20,000", "en", "20000", "EUR", False),
        ("$1,250", "en", "1250", "USD", False),
        ("EUR 5", "en", "5", "EUR", False),
        ("15%", "en", "15", None, True),
        ("10k", "en", "10000", None, False),
        ("2M", "en", "2000000", None, False),
        ("2.5k", "en", "2500", None, False),
        ("-3", "en", "-3", None, False),
        ("−3", "en", "-3", None, False),  # the true minus sign
        ("20 000", "fr", "20000", None, False),
        (f"20{NB}000", "fr", "20000", None, False),
        (f"20{NN}000", "fr", "20000", None, False),
        ("20 000,5", "fr", "20000.5", None, False),
        ("1,5", "fr", "1.5", None, False),
        ("1,500", "fr", "1.5", None, False),  # French writes decimals with ','
        ("1 250,50", "fr", "1250.50", None, False),
        ("1.250,50", "fr", "1250.50", None, False),  # both marks: the last one is decimal
        ("1,250.50", "fr", "1250.50", None, False),
        ("20 000 €", "fr", "20000", "EUR", False),
        (f"20{NN}000{NB}€", "fr", "20000", "EUR", False),
        ("20000€", "fr", "20000", "EUR", False),
        ("15 %", "fr", "15", None, True),
        (f"12,5{NN}%", "fr", "12.5", None, True),
        ("2,1 k", "fr", "2100", None, False),
        ("0,500", "fr", "0.5", None, False),
        ("1500.000", "fr", "1500", None, False),  # four digits first: not a group
        ("12", None, "12", None, False),
        ("1 250,50", None, "1250.50", None, False),
        ("1,250.50", None, "1250.50", None, False),
        ("1,5", None, "1.5", None, False),
    ],
)
def test_reading_table(
    raw: str, lang: str | None, value: str, currency: str | None, percent: bool
) -> None:
    number = read_number(raw, lang)
    assert number.value == Decimal(value)
    assert number.currency == currency
    assert number.percent is percent


@pytest.mark.parametrize(
    ("raw", "lang", "first", "second"),
    [
        ("1.500", "fr", "1500", "1,5"),  # French uses neither '.' for groups nor decimals
        ("1,500", None, "1500", "1.5"),  # no language to settle it
        ("1.500", None, "1500", "1.5"),
        ("20,000€", None, "20000", "20"),
        ("-2.500", "fr", "-2500", "-2,5"),
    ],
)
def test_ambiguous_numbers_are_refused_with_both_readings(
    raw: str, lang: str | None, first: str, second: str
) -> None:
    with pytest.raises(AmbiguousNumber) as caught:
        read_number(raw, lang)
    assert caught.value.key == "numbers.ambiguous"
    assert caught.value.params["first"] == first
    assert caught.value.params["second"] == second


def test_counting_things_settles_the_reading() -> None:
    # An audience of 1.5 people is not plausible: a count reads 1.500 as 1500.
    assert read_number("1.500", "fr", whole=True).value == 1500
    assert read_number("1,5M", None, whole=True).value == 1_500_000


@pytest.mark.parametrize(
    "raw", ["abc", "", "-", "1,2,3", "1 2", "12abc", "1,,5", "1,", "20 00", "1.000,000.5", "€"]
)
@pytest.mark.parametrize("lang", ["en", "fr", None])
def test_not_numbers(raw: str, lang: str | None) -> None:
    with pytest.raises(NotANumber):
        read_number(raw, lang)


amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False
)


@given(value=amounts, lang=st.sampled_from(["en", "fr"]))
def test_format_then_read_round_trips(value: Decimal, lang: str) -> None:
    shown = formatting.number(value, lang)
    assert read_number(shown, lang).value == value


@given(value=amounts, lang=st.sampled_from(["en", "fr"]))
def test_currency_round_trips(value: Decimal, lang: str) -> None:
    number = read_number(formatting.currency(value, "EUR", lang), lang)
    assert (number.value, number.currency) == (value, "EUR")


@given(value=st.integers(min_value=0, max_value=10**6), lang=st.sampled_from(["en", "fr"]))
def test_percent_round_trips(value: int, lang: str) -> None:
    number = read_number(formatting.percent(Decimal(value) / 100, lang), lang)
    assert (number.value, number.percent) == (value, True)


@given(value=st.integers(min_value=-(10**12), max_value=10**12))
def test_whole_numbers_never_need_a_language(value: int) -> None:
    # Written by either language, an integer reads the same in the other.
    for lang in ("en", "fr"):
        assert read_number(formatting.number(value, "fr"), lang).value == value


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            ["20,000.5", "1.5", "24%", "100%", "2.1K", "€20,000", "€20.50", "A, B and C"],
        ),
        (
            "fr",
            [
                f"20{NN}000,5",
                "1,5",
                f"24{NB}%",
                f"100{NB}%",
                f"2,1{NB}k",
                f"20{NN}000{NB}€",
                f"20,50{NB}€",
                "A, B et C",
            ],
        ),
    ],
)
def test_formatting_table(lang: str, expected: list[str]) -> None:
    assert [
        formatting.number(20000.5, lang),
        formatting.number(1.5, lang),
        formatting.percent(0.24, lang),
        formatting.percent(1, lang),
        formatting.compact(2100, lang),
        formatting.currency(20000, "EUR", lang),
        formatting.currency(20.5, "EUR", lang),
        formatting.items(["A", "B", "C"], lang),
    ] == expected


def test_amounts_keep_their_unit() -> None:
    assert formatting.amount(20000, "€", "en") == "€20,000"
    assert formatting.amount(20000, "€", "fr") == f"20{NN}000{NB}€"
    assert formatting.amount(12.5, "%", "fr") == f"12,5{NB}%"
    assert formatting.amount(1500, "leads", "fr") == f"1{NN}500{NB}leads"
    assert formatting.signed(-3, "en") == "−3"


def test_dates() -> None:
    day = date(2026, 6, 30)
    assert formatting.day(day, "en") == "2026-06-30"
    assert formatting.day(day, "fr") == "30/06/2026"
    assert formatting.long_day(day, "fr") == "30 juin 2026"
