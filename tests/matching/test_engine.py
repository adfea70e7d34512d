"""The score: its parts, its reasons and warnings, filters, languages, weights."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.matching.engine import Index, Normaliser, Query, best_contact, build_index, rank
from bot.matching.profiles import Contact, Profile
from bot.matching.weights import PARTS, Weights, parse

OWN = Profile(
    name="Us",
    description="Vêtements bio pour enfants",
    audience=["parents", "urbains", "éco-conscients"],
    geography=["FR"],
    channels={"instagram": 20_000, "newsletter": 10_000},
    resources=["newsletter"],
    needs=["events", "retail space"],
    culture=["agile", "data-driven"],
    objectives=["awareness", "new customers"],
)
AFFINE = Profile(
    name="Affine",
    description="Family bike workshops",
    sectors=["bike"],
    audience=["Parents", "urban", "eco-conscious"],
    geography=["FR-IDF"],
    channels={"instagram": 15_000, "newsletter": 8_000},
    resources=["events"],
    needs=["newsletters"],
    culture=["agile"],
    objectives=["awareness"],
)
TRENDY = Profile(
    name="Trendy",
    description="Sneaker drops",
    sectors=["fashion"],
    audience=["teens", "gamers"],
    geography=["FR", "US"],
    channels={"instagram": 3_000_000},
    resources=["influencers"],
    needs=["exclusivity"],
    culture=["fast"],
    objectives=["awareness", "new customers"],
)
BLANK = Profile(name="Blank")


def _index(*profiles: Profile) -> Index:
    return build_index(list(profiles))


def test_affine_partner_first_with_parts_reasons_and_no_warning() -> None:
    first, second, third = rank(_index(TRENDY, BLANK, AFFINE), Query(own=OWN))
    assert [first.name, second.name, third.name] == ["Affine", "Trendy", "Blank"]
    assert 0 <= third.score < second.score < first.score <= 100
    assert list(first.parts) == [p for p in PARTS if p in first.parts]
    assert round(sum(points for _, points in first.parts.values())) == first.score
    keys = [r.key for r in first.reasons]
    assert 2 <= len(keys) <= 3
    assert keys[0] == "reason.audience"
    # Our tags, as we typed them: accents, plurals and French/English meet.
    assert first.reasons[0].params["tags"] == ["parents", "urbains", "éco-conscients"]
    assert first.warnings == []


def test_complementarity_and_equivalence_are_named_and_cite_tags() -> None:
    weights = Weights(audience=0, objectives=0, culture=0, relevance=0)
    [m] = rank(_index(AFFINE), Query(own=OWN, top=1), weights)
    keys = {n.key: n.params for n in m.reasons}
    assert keys["reason.they_bring"] == {"tags": ["events"]}
    assert keys["reason.we_bring"] == {"tags": ["newsletter"]}
    assert keys["reason.equivalence"] == {
        "channels": [("instagram", 15_000, 20_000), ("newsletter", 8_000, 10_000)]
    }


def test_trendy_brand_warning_and_unknown_criteria_warning() -> None:
    matches = {m.name: m for m in rank(_index(TRENDY, BLANK, AFFINE), Query(own=OWN))}
    trendy = matches["Trendy"].warnings
    assert [w.key for w in trendy] == ["warn.trendy"]
    assert trendy[0].params == {"audience": 3_000_000, "affinity": 0}
    big_blank = rank(_index(replace(BLANK, channels={"tiktok": 500_000})), Query(own=OWN))[0]
    assert [w.key for w in big_blank.warnings] == ["warn.unknown"]  # not "trendy": unknown
    [unknown] = matches["Blank"].warnings
    assert unknown.key == "warn.unknown"
    assert unknown.params["criteria"] == [
        "audience",
        "objectives",
        "culture",
        "channels",
        "resources",
    ]


def test_audience_weighs_most() -> None:
    w = Weights()
    assert w.audience == max(w.as_dict().values())
    # Same everything but audience versus same everything but objectives.
    only_audience = replace(AFFINE, name="A", objectives=["revenue"])
    only_objectives = replace(TRENDY, name="O", channels={}, culture=[])
    first, _ = rank(_index(only_objectives, only_audience), Query(own=OWN))
    assert first.name == "A"


def test_filters_sector_geo_and_min_audience() -> None:
    index = _index(TRENDY, BLANK, AFFINE)
    assert [m.name for m in rank(index, Query(own=OWN, sector="Bikes"))] == ["Affine"]
    assert [m.name for m in rank(index, Query(own=OWN, geo="fr"))] == ["Affine", "Trendy"]
    assert [m.name for m in rank(index, Query(own=OWN, geo="US"))] == ["Trendy"]
    assert [m.name for m in rank(index, Query(own=OWN, min_audience=100_000))] == ["Trendy"]
    assert rank(index, Query(own=OWN, geo="JP")) == []


def test_free_words_in_french_and_english_with_accents_and_plurals() -> None:
    a = Profile(
        name="Atelier", description="Ateliers vélo pour les familles, événements en plein air"
    )
    b = Profile(name="Bureau", description="Accounting software for freelancers")
    index = _index(b, a)
    for words in ("atelier velo famille", "évènement familial", "EVENEMENTS", "family events"):
        first = rank(index, Query(words=words))[0]
        assert first.name == "Atelier", words
        assert first.reasons and first.reasons[0].key == "reason.relevance"
    assert rank(index, Query(words="freelancer accounting"))[0].name == "Bureau"


def test_normaliser_folds_stems_and_translates_common_tags() -> None:
    n = Normaliser()
    assert n.tag("Éco-Conscients") == n.tag("eco-conscious")
    assert n.tag("Familles") == n.tag("family") == n.tag("families")
    assert n.tag("urbaines") == n.tag("urban")
    assert n.tag("25-34") == "25-34"


def test_culture_conflicts_cost_points() -> None:
    formal = replace(AFFINE, name="Formal", culture=["formal"])
    unknown = replace(AFFINE, name="Agile", culture=["agile"])
    matches = {m.name: m for m in rank(_index(formal, unknown), Query(own=OWN))}
    assert matches["Formal"].parts["culture"][0] == 0
    assert matches["Agile"].score > matches["Formal"].score


def test_best_contact_is_the_partnerships_person() -> None:
    contacts = [
        Contact("Ceo", "CEO & founder"),
        Contact("Mark", "Marketing manager"),
        Contact("Pat", "Responsable des partenariats"),
        Contact("Sam", "Sales"),
    ]
    assert best_contact(contacts) == contacts[2]
    assert best_contact(contacts[:2]) == contacts[1]
    assert best_contact([Contact("Bea", "Business Development Lead"), contacts[1]]).name == "Bea"  # type: ignore[union-attr]
    assert best_contact([]) is None


def test_weights_from_the_environment() -> None:
    w = parse("audience=0.5, relevance=0")
    assert w.audience == 0.5 and w.relevance == 0 and w.culture == Weights().culture
    with pytest.raises(ValueError):
        parse("charisma=1")


def test_empty_index_and_no_criteria() -> None:
    assert rank(_index(), Query(own=OWN)) == []
    assert rank(_index(AFFINE), Query()) == []


def test_a_trendy_partner_is_not_also_called_affine() -> None:
    """Issue 13: "✓ Affine audience" next to the trendy-brand warning contradicted itself."""
    huge = replace(
        TRENDY,
        name="Huge",
        audience=["parents", "teens", "gamers", "students", "retirees", "drivers"],
        channels={"instagram": 5_000_000},
    )
    [m] = rank(_index(huge), Query(own=OWN))
    assert [w.key for w in m.warnings] == ["warn.trendy"]
    assert "reason.audience" not in [r.key for r in m.reasons]
