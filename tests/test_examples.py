"""Help texts and error examples compute their dates from today: never a past date."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.kernel.i18n import Translator, catalog, examples, forms

LITERAL_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{2}/\d{4}|\b\d{1,2} (?:January|February|March|April|May|June|"
    r"July|August|September|October|November|December|janvier|février|mars|avril|mai|juin|"
    r"juillet|août|septembre|octobre|novembre|décembre)\b"
)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_catalog_holds_a_literal_date(lang: str) -> None:
    found = {
        key: LITERAL_DATE.findall(text)
        for key, message in catalog(lang).items()
        for text in forms(message)
        if LITERAL_DATE.search(text)
    }
    assert found == {}


@pytest.mark.parametrize("today", [date(2026, 3, 2), date(2026, 12, 30), date(2031, 10, 31)])
def test_example_dates_are_to_come(today: date) -> None:
    values = examples(today, "en")
    for name in ("example_soon", "example_launch", "example_later"):
        assert date.fromisoformat(values[name]) > today
    assert date.fromisoformat(values["example_past"]) < today  # figures are logged after the fact
    # Renewal: a date a year ahead in the channel's format.
    assert values["example_renewal"] == f"{today.year + 1}-{today.month:02d}-01"


def test_help_shows_dates_from_the_channels_today() -> None:
    usage = Translator("en", today=date(2031, 5, 4))("plan.usage")
    assert "`/plan launch 2031-06-03`" in usage
    assert "2026" not in usage
    fr = Translator("fr", today=date(2031, 5, 4))("contract.usage")
    assert "`/contract échéance 01/05/2032`" in fr
    kpi = Translator("en", today=date(2031, 5, 4))("kpi.errors.target_date_past", date="x")
    assert "`by 31 July`" in kpi
