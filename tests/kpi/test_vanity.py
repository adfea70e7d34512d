from __future__ import annotations

import pytest

from bot.kpi import vanity


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("likes", "likes"),
        ("J'aime", "likes"),
        ("j’aime", "likes"),
        ("story-views", "story_views"),
        ("vues_de_story", "story_views"),
        ("views", "views"),
        ("vues", "views"),
        ("Impressions", "impressions"),
        ("reach", "reach"),
        ("portée", "reach"),
        ("followers", "followers"),
        ("abonnés", "followers"),
        ("instagram-likes", "likes"),
    ],
)
def test_vanity_names_in_french_and_english(name: str, kind: str) -> None:
    match = vanity.detect(name)
    assert match is not None and match.kind == kind


@pytest.mark.parametrize(
    "name",
    [
        "leads",
        "clicks",
        "clics",
        "sign-ups",
        "inscriptions",
        "conversions",
        "achats",
        "purchases",
        "revenue",
        "chiffre-affaires",
        "preview",
        "overview",
        "unlikely",
    ],
)
def test_actionable_metrics_are_not_vanity(name: str) -> None:
    assert vanity.detect(name) is None
