"""Imports into the database: all or nothing, --skip-invalid, updates by name, tenancy, CLI."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.app import App
from bot.cli import main
from bot.kernel.clock import FixedClock
from bot.kernel.types import Tenant
from bot.matching import profiles
from bot.matching.directory import IndexCache
from bot.matching.profiles import ImportRefused, parse_text
from storage.models import PartnerContact, PartnerProfile

ACME = Tenant("console", "acme")
OTHER = Tenant("slack", "acme")  # same team id, another platform: another tenant
HEADER = ",".join(profiles.COLUMNS)


def _csv(*rows: str) -> profiles.Parsed:
    return parse_text("\n".join([HEADER, *rows]), "csv")


def _names(session: Session, tenant: Tenant) -> list[str]:
    return list(
        session.exec(
            select(PartnerProfile.name)
            .where(
                col(PartnerProfile.platform) == tenant.platform,
                col(PartnerProfile.team_id) == tenant.team_id,
            )
            .order_by(col(PartnerProfile.name))
        )
    )


def test_all_or_nothing_by_default(app: App, clock: FixedClock) -> None:
    parsed = _csv("Good,,,,,,,,,,,,,", "Bad,,,,,instagram:lots,,,,,,,,")
    with app.session_factory() as session:
        with pytest.raises(ImportRefused) as refused:
            profiles.import_parsed(session, ACME, parsed, clock.now())
        session.rollback()
        assert [(e.line, e.error.key) for e in refused.value.errors] == [(3, "bad_size")]
        assert _names(session, ACME) == []


def test_skip_invalid_stores_the_good_rows(app: App, clock: FixedClock) -> None:
    parsed = _csv("Good,,,,,,,,,,,,,", "Bad,,,,,instagram:lots,,,,,,,,")
    with app.session_factory() as session:
        result = profiles.import_parsed(session, ACME, parsed, clock.now(), skip_invalid=True)
        session.commit()
        assert (result.created, result.updated) == (1, 0)
        assert _names(session, ACME) == ["Good"]


def test_reimport_updates_by_folded_name_and_replaces_contacts(app: App, clock: FixedClock) -> None:
    first = _csv("Société Verte,v1,,,,,,,,,Ann;Bob,CEO;CMO,,", "Other,,,,,,,,,,,,,")
    again = _csv("societe verte,v2,,parents,,,,,,,Cy,Partnerships,,")
    with app.session_factory() as session:
        profiles.import_parsed(session, ACME, first, clock.now())
        profiles.import_parsed(session, OTHER, _csv("Société Verte,other,,,,,,,,,,,,"), clock.now())
        session.commit()
        result = profiles.import_parsed(session, ACME, again, clock.now() + timedelta(days=1))
        session.commit()
        assert (result.created, result.updated) == (0, 1)
        assert _names(session, ACME) == ["Other", "societe verte"]
        row = session.exec(
            select(PartnerProfile).where(
                col(PartnerProfile.team_id) == "acme",
                col(PartnerProfile.platform) == "console",
                col(PartnerProfile.name_key) == "societe verte",
            )
        ).one()
        assert row.description == "v2" and row.audience == ["parents"]
        assert row.updated_at == clock.now() + timedelta(days=1)
        assert row.created_at == clock.now()
        contacts = session.exec(
            select(PartnerContact).where(col(PartnerContact.profile_id) == row.id)
        ).all()
        assert [c.name for c in contacts] == ["Cy"]
        # The other tenant's row with the same name is untouched.
        other = profiles.find_profile(session, OTHER, "societe verte")
        assert [r.description for r in other] == ["other"]


def test_own_profile_is_one_per_team_and_not_in_the_directory(app: App, clock: FixedClock) -> None:
    with app.session_factory() as session:
        profiles.store(session, ACME, [profiles.Profile("Us")], clock.now(), own=True)
        profiles.store(session, ACME, [profiles.Profile("Us Renamed")], clock.now(), own=True)
        profiles.import_parsed(session, ACME, _csv("Them,,,,,,,,,,,,,"), clock.now())
        session.commit()
        own = profiles.own_profile(session, ACME)
        assert own is not None and own.name == "Us Renamed"
        assert _names(session, ACME) == ["Them", "Us Renamed"]
        assert [p.name for _, p in profiles.directory_rows(session, ACME)] == ["Them"]
        assert profiles.directory_size(session, ACME) == 1
        with pytest.raises(ImportRefused) as refused:
            profiles.import_parsed(session, ACME, _csv("us renamed,,,,,,,,,,,,,"), clock.now())
        assert refused.value.errors[0].error.key == "is_own_name"


def test_index_cache_follows_the_revision(app: App, clock: FixedClock) -> None:
    cache = IndexCache(capacity=1)
    with app.session_factory() as session:
        profiles.import_parsed(session, ACME, _csv("One,,,,,,,,,,,,,"), clock.now())
        session.commit()
        first = cache.get(session, ACME)
        assert cache.get(session, ACME) is first
        profiles.import_parsed(session, ACME, _csv("Two,,,,,,,,,,,,,"), clock.now())
        session.commit()
        second = cache.get(session, ACME)
        assert second is not first and sorted(second.names) == ["One", "Two"]
        assert cache.get(session, OTHER).size == 0  # evicts ACME (capacity 1)
        assert cache.get(session, ACME) is not second


def test_cli_import_export_demo(
    engine: Engine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    good = tmp_path / "partners.csv"
    good.write_text(HEADER + "\nOne,,,,,,,,,,,,,\nTwo,,,,,,,,,,,,,\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\nThree,,,,,,,,,,,,,\n,x,,,,,,,,,,,,\n", encoding="utf-8")

    assert main(["import", "partners", str(tmp_path / "missing.csv"), "--team", "t1"]) == 2
    assert "Cannot read" in capsys.readouterr().err
    assert main(["import", "partners", str(good), "--team", "t1"]) == 0
    assert "Partners created: 2; updated: 0; invalid rows skipped: 0." in capsys.readouterr().err
    assert main(["import", "partners", str(bad), "--team", "t1", "--lang", "fr"]) == 1
    err = capsys.readouterr().err
    assert "ligne 3\u00a0: le nom manque." in err and "rien n’a été importé" in err
    assert main(["import", "partners", str(bad), "--team", "t1", "--skip-invalid"]) == 0
    assert "Partners created: 1; updated: 0; invalid rows skipped: 1." in capsys.readouterr().err

    own = tmp_path / "own.json"
    own.write_text(json.dumps({"name": "Us", "audience": "parents;urban"}), encoding="utf-8")
    assert main(["import", "profile", str(own), "--team", "t1"]) == 0
    assert "Own profile set: Us." in capsys.readouterr().err

    assert main(["export", "partners", "--team", "t1", "--format", "json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in exported] == ["One", "Two", "Three"]

    assert main(["demo", "--team", "t2", "--platform", "slack"]) == 0
    assert "Loaded 60 fictional demo partners and a demo profile" in capsys.readouterr().out
    assert main(["demo", "--team", "t2", "--platform", "slack"]) == 0  # again: updates
    assert "Loaded 60 fictional demo partners." in capsys.readouterr().out
    assert main(["export", "partners", "--team", "t2", "--platform", "slack"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 61  # header + 60
    assert main(["export", "partners", "--team", "t1"]) == 0
    assert "Bio Bambins" not in capsys.readouterr().out


def test_bulk_import_and_reimport(app: App, clock: FixedClock) -> None:
    """Above `profiles.BULK` rows the import takes its bulk paths; same result."""
    count = profiles.BULK + 100
    rows = [
        f"Org {i},,,parents,,instagram:{i},,,,,Ann;Bob,CEO;Partnerships,," for i in range(count)
    ]
    with app.session_factory() as session:
        result = profiles.import_parsed(session, ACME, _csv(*rows), clock.now())
        session.commit()
        assert (result.created, result.updated) == (count, 0)
        again = _csv(*(r.replace("parents", "urban") for r in rows[:10]), "New Org,,,,,,,,,,,,,")
        result = profiles.import_parsed(session, ACME, again, clock.now())
        session.commit()
        assert (result.created, result.updated) == (1, 10)
        assert profiles.directory_size(session, ACME) == count + 1
        contacts = session.exec(select(PartnerContact).where(col(PartnerContact.team_id) == "acme"))
        assert len(contacts.all()) == 2 * count
        [row] = profiles.find_profile(session, ACME, "org 7")
        assert row.audience == ["urban"] and row.channels == {"instagram": 7}
    big_again = _csv(*rows)
    with app.session_factory() as session:
        result = profiles.import_parsed(session, ACME, big_again, clock.now())
        session.commit()
        assert (result.created, result.updated) == (0, count)


def test_a_bad_item_of_a_one_line_json_file_is_named_by_its_position() -> None:
    """Issue 13: every item of a minified JSON file was "line 1"."""
    text = json.dumps({"partners": [{"name": "Good"}, {"name": "Bad", "channels": "x:lots"}]})
    parsed = parse_text(text, "json")
    [error] = parsed.errors
    from bot.kernel.i18n import translator

    assert error.message(translator("en")).startswith("item 2 (line 1): ")
    assert error.message(translator("fr")).startswith("élément 2 (ligne 1)\u00a0: ")
