"""Replies kept for retried deliveries: no file bytes, purged after a day, old ones cleaned."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.app import App
from bot.delivery.dispatcher import RECEIPT_TTL, Dispatcher
from bot.kernel.clock import FixedClock
from bot.kernel.types import Attachment, Reply
from storage import db
from storage.models import ProcessedRequest
from tests.conftest import PG_URL, START, _pg_engine
from tests.hygiene.helpers import run


def _receipts(app: App) -> list[ProcessedRequest]:
    with app.session_factory() as s:
        return list(s.exec(select(ProcessedRequest).order_by(ProcessedRequest.id)).all())


def test_an_export_is_kept_without_its_file_and_a_retry_says_so(app: App) -> None:
    for n in range(30):
        run(app, "decide", f"decision {n} " + "x" * 500, key=f"d{n}")
    first = run(app, "decisions", "export csv", key="export-1")
    [reply] = first.replies
    [file] = reply.attachments
    assert len(file.content) > 15_000
    [receipt] = [r for r in _receipts(app) if r.idempotency_key == "export-1"]
    assert receipt.replies_json is not None and len(receipt.replies_json) < 2_000
    assert base64.b64encode(file.content[:30]).decode()[:20] not in receipt.replies_json
    again = run(app, "decisions", "export csv", key="export-1")
    assert again.duplicate
    [kept] = again.replies
    assert kept.attachments == [] and kept.image is None
    assert any(file.filename in s and "Run the command again" in s for s in kept.sections)
    fr = run(app, "decisions", "export csv", key="export-fr", locale="fr")
    run(app, "accord", "lang fr", key="lang")
    fr_again = run(app, "decisions", "export csv", key="export-fr", locale="fr")
    assert fr.replies[0].attachments and fr_again.duplicate
    assert any("Relancez la commande" in s for s in fr_again.replies[0].sections)


def test_stored_json_drops_bytes_but_keeps_names() -> None:
    reply = Reply(
        text="t",
        image=Attachment("chart.png", b"\x89PNG" * 1000, "image/png"),
        attachments=[Attachment("log.csv", b"a,b\n" * 1000, "text/csv")],
        secrets=["acc_kpi_supersecret"],
    )
    raw = reply.stored_json()
    assert "UE5H" not in raw and len(raw) < 1000
    back = Reply.from_json(raw)
    assert back.image is None and back.attachments == []
    assert back.withheld_files == ["chart.png", "log.csv"]


def test_housekeeping_purges_receipts_after_a_day(app: App, clock: FixedClock) -> None:
    run(app, "decide", "early", key="early")
    clock.set(START + timedelta(hours=12))
    run(app, "decide", "later", key="later")
    dispatcher = Dispatcher(app.session_factory, app.registry, app.clock, {})
    clock.set(START + RECEIPT_TTL - timedelta(seconds=1))
    assert dispatcher.housekeeping() == 0
    clock.set(START + RECEIPT_TTL + timedelta(seconds=1))
    dispatcher.run_once()  # the pass itself does its housekeeping
    assert [r.idempotency_key for r in _receipts(app)] == ["later"]
    clock.set(START + timedelta(hours=37))
    assert dispatcher.housekeeping() == 1
    assert _receipts(app) == []


@pytest.fixture(params=["sqlite", "postgresql"])
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database (not migrated) on each back-end."""
    if request.param == "sqlite":
        eng = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield eng
        eng.dispose()
        return
    if not PG_URL:
        pytest.skip("PostgreSQL half skipped: set TEST_DATABASE_URL")
    schema = f"accord_mig_{uuid.uuid4().hex[:10]}"
    eng = _pg_engine(schema)
    yield eng
    with eng.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    eng.dispose()


def test_migration_cleans_what_is_there(bare_engine: Engine) -> None:
    cfg = db.alembic_config(bare_engine)
    command.upgrade(cfg, "0600")
    now = datetime.now(UTC).replace(tzinfo=None)
    export = Reply(text="export", attachments=[Attachment("log.csv", b"x" * 5000, "text/csv")])
    plain = Reply(text="plain")
    rows = [
        ("old", now - timedelta(days=3), [plain.to_json()]),
        ("new-file", now - timedelta(hours=1), [export.to_json()]),
        ("new-plain", now - timedelta(hours=1), [plain.to_json()]),
    ]
    with bare_engine.begin() as conn:
        for key, at, replies in rows:
            conn.execute(
                text(
                    "INSERT INTO processed_request (platform, team_id, idempotency_key, name,"
                    " replies_json, created_at) VALUES ('console', 't', :k, 'decide', :r, :at)"
                ),
                {"k": key, "r": json.dumps(replies), "at": at},
            )
    command.upgrade(cfg, "heads")
    with bare_engine.connect() as conn:
        left = dict(
            conn.execute(text("SELECT idempotency_key, replies_json FROM processed_request")).all()
        )
    assert sorted(left) == ["new-file", "new-plain"]
    assert json.loads(left["new-plain"]) == [plain.to_json()]
    [kept] = [Reply.from_json(r) for r in json.loads(left["new-file"])]
    assert kept.text == "export" and kept.withheld_files == ["log.csv"]
    assert len(left["new-file"]) < 1000
