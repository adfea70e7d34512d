"""Migration 0700 moves workspace-wide settings to each partnership, keeping what each had."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine

from storage import db
from tests.conftest import PG_URL, _pg_engine

NOW = "2026-11-30 10:00:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def old_engine(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Engine]:
    """A database at 0600, before this migration."""
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path}/old.db")
    else:
        if not PG_URL:
            pytest.skip("PostgreSQL half skipped: set TEST_DATABASE_URL")
        schema = f"accord_mig_{uuid.uuid4().hex[:10]}"
        engine = _pg_engine(schema)
    command.upgrade(db.alembic_config(engine), "0600")
    yield engine
    if request.param == "postgresql":
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def test_checklist_reminders_and_digest_move_to_each_partnership(old_engine: Engine) -> None:
    with old_engine.begin() as conn:
        for channel in ("launch", "second"):
            conn.execute(
                text(
                    "INSERT INTO partnership (platform, team_id, channel_id, created_at)"
                    " VALUES ('console', 'acme', :c, :now)"
                ),
                {"c": channel, "now": NOW},
            )
        conn.execute(
            text(
                "INSERT INTO partnership (platform, team_id, channel_id, created_at)"
                " VALUES ('console', 'other', 'launch', :now)"
            ),
            {"now": NOW},
        )
        for channel, shared in (("launch", None), ("dm-of-mallory", "launch")):
            conn.execute(
                text(
                    "INSERT INTO channel (platform, team_id, channel_id, shared_channel_id,"
                    " created_at) VALUES ('console', 'acme', :c, :s, :now)"
                ),
                {"c": channel, "s": shared, "now": NOW},
            )
        for position, key in enumerate(("objectives", "sla")):
            conn.execute(
                text(
                    "INSERT INTO contract_template_term"
                    " (platform, team_id, key, position, label, created_at)"
                    " VALUES ('console', 'acme', :k, :p, :l, :now)"
                ),
                {"k": key, "p": position, "l": "Service" if key == "sla" else None, "now": NOW},
            )
        conn.execute(
            text(
                "INSERT INTO reminder_policy (platform, team_id, channel_id, days_before, at,"
                " overdue_daily, updated_at) VALUES ('console', 'acme', 'second', '[3]',"
                " '08:00:00', false, :now)"
            ),
            {"now": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO reminder_policy (platform, team_id, channel_id, days_before, at,"
                " overdue_daily, updated_at) VALUES ('console', 'acme', 'gone', '[1]',"
                " '08:00:00', false, :now)"
            ),
            {"now": NOW},
        )
    db.upgrade(old_engine)
    with old_engine.connect() as conn:
        ids = dict(
            conn.execute(text("SELECT team_id || ':' || channel_id, id FROM partnership")).all()
        )
        templates = conn.execute(
            text(
                "SELECT partnership_id, key, position, label FROM contract_template_term"
                " ORDER BY partnership_id, position"
            )
        ).all()
        links = conn.execute(
            text("SELECT channel_id FROM channel WHERE shared_channel_id IS NOT NULL")
        ).all()
        policies = conn.execute(
            text("SELECT partnership_id, channel_id, days_before FROM reminder_policy")
        ).all()
    # Each partnership of the workspace keeps the checklist it had; other workspaces none.
    assert [tuple(r) for r in templates] == [
        (ids["acme:launch"], "objectives", 0, None),
        (ids["acme:launch"], "sla", 1, "Service"),
        (ids["acme:second"], "objectives", 0, None),
        (ids["acme:second"], "sla", 1, "Service"),
    ]
    # The policy follows its partnership; one of a channel without any applied to nothing.
    assert [(r[0], r[1]) for r in policies] == [(ids["acme:second"], "second")]
    # A link made without the partnership's consent does not survive the upgrade.
    assert links == []
