"""Both languages, complete and consistent."""

from __future__ import annotations

import pytest

from bot.app import build_registry
from bot.kernel.i18n import catalog, normalize_locale, placeholders, translator


def test_french_and_english_have_the_same_keys() -> None:
    en, fr = catalog("en"), catalog("fr")
    assert sorted(set(en) - set(fr)) == []
    assert sorted(set(fr) - set(en)) == []


def test_placeholders_match_between_languages() -> None:
    en, fr = catalog("en"), catalog("fr")
    mismatched = {k for k in en if placeholders(en[k]) != placeholders(fr[k])}
    assert mismatched == set()


def test_every_command_has_help_in_both_languages() -> None:
    registry = build_registry()
    for lang in ("en", "fr"):
        t = translator(lang)
        for spec in registry.commands.values():
            assert t.has(spec.summary_key), (lang, spec.summary_key)
            assert t.has(spec.usage_key), (lang, spec.usage_key)


@pytest.mark.parametrize(
    ("raw", "lang"),
    [
        ("fr-FR", "fr"),
        ("fr_CA", "fr"),
        ("FR", "fr"),
        ("en-GB", "en"),
        ("de", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_locale(raw: str | None, lang: str | None) -> None:
    assert normalize_locale(raw) == lang


def test_missing_key_falls_back_to_the_key_itself() -> None:
    assert translator("fr")("no.such.key") == "no.such.key"
