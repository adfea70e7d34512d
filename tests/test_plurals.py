"""Plurals follow each language's rules (Babel's CLDR data), never "(s)"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.kernel.i18n import catalog, is_plural, placeholders, translator

ROOT = Path(__file__).resolve().parent.parent
COUNTS = (0, 1, 2)
NOT_PLURAL = {"is", "was", "as", "this", "plus", "sous", "sans", "dans", "vs"}


def _counted(lang: str) -> list[str]:
    return sorted(k for k, v in catalog(lang).items() if is_plural(v) or "count" in placeholders(v))


def _render(lang: str, key: str, count: int) -> str:
    params: dict[str, object] = {name: f"<{name}>" for name in placeholders(catalog(lang)[key])}
    params["count"] = count
    return translator(lang)(key, **params)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_counted_message_agrees_with_0_1_and_2(lang: str) -> None:
    keys = _counted(lang)
    assert len(keys) > 20  # the test sees the catalogs
    for key in keys:
        for count in COUNTS:
            text = _render(lang, key, count)
            assert "(s)" not in text, (key, text)
            # "1 invalid rows", "1 lignes invalides", "1 terms": a plural noun after 1.
            if count == 1:
                after_one = re.findall(r"(?<![\d.,\u202f])\b1\s+([a-zéèê]+)", text)
                plural_nouns = [w for w in after_one if w.endswith("s") and w not in NOT_PLURAL]
                assert plural_nouns == [], (key, text)


@pytest.mark.parametrize(
    ("lang", "key", "expected"),
    [
        ("en", "matching.import.refused", ["0 invalid rows", "1 invalid row:", "2 invalid rows"]),
        ("fr", "matching.import.refused", ["0 ligne invalide", "1 ligne invalide", "2 lignes"]),
        ("en", "plan.import.failed", ["0 lines to fix", "1 line to fix", "2 lines to fix"]),
        ("fr", "plan.import.failed", ["0 ligne à corriger", "1 ligne à", "2 lignes à"]),
        ("en", "home.intro", ["0 partnerships.", "1 partnership.", "2 partnerships."]),
        ("fr", "decisions.export_ready", ["0 décision exportée", "1 décision", "2 décisions"]),
        ("en", "kpi.import.done", ["No new point", "Imported 1 point;", "Imported 2 points;"]),
        ("en", "contract.next.missing", ["0 terms", "1 term missing", "2 terms missing"]),
        ("fr", "contract.linked.count", ["+0 venu", "+1 venu de", "+2 venus"]),
    ],
)
def test_known_agreements(lang: str, key: str, expected: list[str]) -> None:
    for count, wanted in zip(COUNTS, expected, strict=True):
        assert wanted in _render(lang, key, count), (key, count)


def test_one_owner_is_an_owner() -> None:
    t = translator("en")
    one = t("plan.added", number=1, title="Brief", date="D-10", owners="<@camille>", count=1)
    two = t("plan.added", number=1, title="Brief", date="D-10", owners="A and B", count=2)
    none = t("plan.added", number=1, title="Brief", date="D-10", owners="", count=0)
    assert "owner <@camille>." in one and "owners" not in one
    assert "owners A and B." in two
    assert "no owner yet" in none
    fr = translator("fr")("plan.added", number=1, title="B", date="J-10", owners="@c", count=1)
    assert "responsable @c." in fr


def test_plural_tables_exist_in_both_languages_alike() -> None:
    en, fr = catalog("en"), catalog("fr")
    assert {k for k, v in en.items() if is_plural(v)} == {k for k, v in fr.items() if is_plural(v)}


def test_no_optional_plural_anywhere() -> None:
    """No "(s)" in any catalog or source file: the plural rules choose the words."""
    in_toml = re.compile(r"\w\(s\)")
    in_string = re.compile(r"[\"'][^\"'\n]*\w\(s\)")  # in Python, only inside a string
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("bot", "adapters", "storage")
        for path in (ROOT / folder).rglob("*")
        if (path.suffix == ".toml" and in_toml.search(path.read_text("utf-8")))
        or (path.suffix == ".py" and in_string.search(path.read_text("utf-8")))
    ]
    assert offenders == []
