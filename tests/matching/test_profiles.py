"""Reading profiles from CSV and JSON: values, and bad rows with their line numbers."""

from __future__ import annotations

import json

import pytest

from bot.kernel.i18n import translator
from bot.matching import profiles
from bot.matching.profiles import ProfileError, parse_channels, parse_size, parse_text

HEADER = ",".join(profiles.COLUMNS)


def test_csv_row_with_lists_channels_and_several_contacts() -> None:
    text = (
        HEADER
        + "\n"
        + 'Bio Bambins,"Petits pots bio, pour bébés",food;baby,parents; 25-34 ;urbain;parents,'
        + "FR;fr-idf,instagram:120 000;newsletter:40k;events,sampling,events,agile,awareness,"
        + "Léa;Hugo,Partenariats;CEO,lea@example.org;hugo@example.org,bio-bambins.example.org\n"
    )
    parsed = parse_text(text, "csv")
    assert parsed.errors == []
    [(line, p)] = parsed.rows
    assert line == 2
    assert p.description == "Petits pots bio, pour bébés"
    assert p.audience == ["parents", "25-34", "urbain"]  # trimmed, repeats dropped
    assert p.geography == ["FR", "FR-IDF"]
    assert p.channels == {"instagram": 120_000, "newsletter": 40_000, "events": 0}
    assert [(c.name, c.role, c.email) for c in p.contacts] == [
        ("Léa", "Partenariats", "lea@example.org"),
        ("Hugo", "CEO", "hugo@example.org"),
    ]
    assert p.website == "https://bio-bambins.example.org"


@pytest.mark.parametrize(
    ("raw", "size"),
    [
        ("120000", 120_000),
        ("120 000", 120_000),
        ("120,000", 120_000),
        ("12k", 12_000),
        ("1.2M", 1_200_000),
        ("1,5M", 1_500_000),
        ("1.500", 1_500),  # a count of people: 1.5 is not a plausible reading
        ("120\u202f000", 120_000),
        (3000, 3000),
    ],
)
def test_audience_sizes(raw: object, size: int) -> None:
    assert parse_size(raw, "x") == size


@pytest.mark.parametrize("raw", ["lots", "-5", "12 thousand", True])
def test_bad_audience_sizes(raw: object) -> None:
    with pytest.raises(ProfileError) as err:
        parse_size(raw, "instagram")
    assert err.value.key == "bad_size"


def test_channels_from_a_mapping() -> None:
    assert parse_channels({"Instagram": "12k", "events": 300}) == {
        "instagram": 12_000,
        "events": 300,
    }


def test_bad_csv_rows_are_reported_with_their_line_numbers() -> None:
    text = "\n".join(
        [
            HEADER,
            "Good One,,,,,,,,,,,,,",
            ",no name,,,,,,,,,,,,",  # line 3
            "Bad Size,,,,,instagram:lots,,,,,,,,",  # line 4
            '"Multi',  # line 5: a quoted cell over two lines
            'line",,,,France,,,,,,,,,',  # geography "France" is not a code
            "Bad Mail,,,,,,,,,,Ann,,not-an-email,",  # line 7
            "good one,,,,,,,,,,,,,",  # line 8: same folded name as line 2
        ]
    )
    parsed = parse_text(text, "csv")
    assert [p.name for p in parsed.profiles] == ["Good One"]
    found = [(e.line, e.error.key) for e in parsed.errors]
    assert found == [
        (3, "missing_name"),
        (4, "bad_size"),
        (5, "bad_geography"),
        (7, "bad_email"),
        (8, "duplicate"),
    ]
    en, fr = translator("en"), translator("fr")
    assert parsed.errors[1].message(en) == (
        "line 4: the audience size of instagram is not a number (“lots”); write e.g. 12000 or 12k."
    )
    assert (
        parsed.errors[4].message(fr) == "ligne 8\u00a0: «\u202fgood one\u202f» figure déjà ligne 2."
    )


def test_unknown_csv_column_is_refused_at_line_1() -> None:
    parsed = parse_text("name,colour\nA,blue\n", "csv")
    assert [(e.line, e.error.key) for e in parsed.errors] == [(1, "unknown_field")]
    assert parsed.rows == []


def test_json_rows_carry_the_line_where_each_object_starts() -> None:
    text = json.dumps(
        [
            {"name": "One", "audience": ["parents", "urban"], "channels": {"instagram": 10}},
            {"name": "Two", "contacts": [{"name": "Ann", "role": "CMO", "email": "bad"}]},
            {"name": "Three", "geography": "FR;BE"},
            "not an object",
        ],
        indent=2,
    )
    parsed = parse_text(text, "json")
    assert [(line, p.name) for line, p in parsed.rows] == [(2, "One"), (22, "Three")]
    assert [(e.line, e.error.key) for e in parsed.errors] == [
        (12, "bad_email"),
        (26, "not_an_object"),
    ]


def test_json_syntax_error_points_at_its_line() -> None:
    parsed = parse_text('[\n {"name": "A"},\n {"name": }\n]', "json")
    assert [(e.line, e.error.key) for e in parsed.errors] == [(3, "bad_json")]


def test_json_object_with_partners_and_own_profile() -> None:
    text = json.dumps({"own_profile": {"name": "Us"}, "partners": [{"name": "Them"}]})
    parsed = parse_text(text, "json")
    assert parsed.own is not None and parsed.own.name == "Us"
    assert parsed.profiles[0].name == "Them"


def test_export_reads_back_the_same(demo: profiles.Parsed) -> None:
    for fmt in ("csv", "json"):
        again = parse_text(profiles.export_text(demo.profiles, fmt), fmt)
        assert again.errors == []
        assert again.profiles == demo.profiles


def test_demo_directory_is_valid_fictional_and_bilingual(demo: profiles.Parsed) -> None:
    assert demo.errors == []
    assert 55 <= len(demo.profiles) <= 65
    assert demo.own is not None
    for p in demo.profiles:
        assert "(demo)" in p.name
        assert p.website and ".example.org" in p.website
        assert all(c.email and c.email.endswith(".example.org") for c in p.contacts)
    french = [p for p in demo.profiles if any(ch in p.description for ch in "éèàç")]
    assert 15 <= len(french) <= len(demo.profiles) - 15
