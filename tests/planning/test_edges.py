"""Planning's sharp edges (issue 13): files, round trips, states, the preview."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.cli import main
from bot.kernel.clock import FixedClock
from storage.models import Milestone, Notification
from tests.conftest import say
from tests.planning.helpers import Recorder, dispatcher


@pytest.fixture
def db_env(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ACCORD_DEFAULT_TIMEZONE", "UTC")


def _pending(app: App) -> list[str]:
    with app.session_factory() as s:
        rows = s.exec(
            select(Notification)
            .where(Notification.status == "pending")
            .order_by(Notification.due_at)  # type: ignore[arg-type]
        ).all()
        return [str(r.payload["occurrence"]) for r in rows]


# -- 2: a file that is not UTF-8 -------------------------------------------------------


def test_import_plan_non_utf8_file_is_a_clean_error(
    db_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plan.csv"
    path.write_bytes("title,due\nRévision,2030-01-10\n".encode("latin-1"))
    assert main(["import", "plan", str(path), "--channel", "c1"]) == 2
    err = capsys.readouterr().err
    assert "UTF-8" in err and "Traceback" not in err


# -- 3: export then import gives the same plan ----------------------------------------------


def _export(capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["export", "plan", "--channel", "c1"]) == 0
    return capsys.readouterr().out


def test_plan_csv_round_trip(
    db_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "s.txt"
    script.write_text(
        "/plan launch 2030-04-01\n"
        '/plan add "Brief the agency" D-10 @alice\n'
        '/plan add "Press kit" 2030-03-20 @bob --notes "v2"\n'
        "/plan done 2\n",
        encoding="utf-8",
    )
    assert main(["console", "--channel", "c1", "--script", str(script)]) == 0
    first = _export(capsys)
    path = tmp_path / "plan.csv"
    path.write_text(first, encoding="utf-8")
    for _ in range(2):  # importing the same file twice changes nothing
        assert main(["import", "plan", str(path), "--channel", "c1"]) == 0
        assert _export(capsys) == first
    rows = list(csv.DictReader(io.StringIO(first)))
    assert [(r["number"], r["relative"], r["status"]) for r in rows] == [
        ("2", "", "done"),
        ("1", "D-10", "todo"),
    ]
    # The imported relative milestone still follows D-day.
    script.write_text("/plan move D-day 2030-05-01 because the venue moved\n", encoding="utf-8")
    assert main(["console", "--channel", "c1", "--script", str(script)]) == 0
    moved = list(csv.DictReader(io.StringIO(_export(capsys))))
    assert [(r["number"], r["due"]) for r in moved] == [("2", "2030-03-20"), ("1", "2030-04-21")]
    # An edited row updates its milestone rather than adding one.
    edited = first.replace("Brief the agency", "Brief the new agency")
    path.write_text(edited, encoding="utf-8")
    assert main(["import", "plan", str(path), "--channel", "c1"]) == 0
    titles = [r["title"] for r in csv.DictReader(io.StringIO(_export(capsys)))]
    assert titles == ["Press kit", "Brief the new agency"]


# -- 4: snooze keeps later pings; one state machine --------------------------------------------


def test_snooze_keeps_the_due_day_ping(app: App, console: ConsoleAdapter) -> None:
    say(console, "/plan add Deck 2026-03-20 @alice")
    assert _pending(app) == ["d-7@2026-03-20", "d-2@2026-03-20", "day@2026-03-20"]
    say(console, "/plan snooze 1 2026-03-15")
    assert _pending(app) == ["snooze@2026-03-15", "d-2@2026-03-20", "day@2026-03-20"]


def test_state_machine_with_reopen(app: App, console: ConsoleAdapter) -> None:
    say(console, "/plan add Deck 2026-03-20 @alice", "/plan add Kit 2026-03-21 @alice")
    out = say(console, "/plan cancel 1", "/plan done 1")
    assert "cancelled" in out and "#1 is cancelled: reopen it first" in out
    out = say(console, "/plan done 2", "/plan cancel 2")
    assert "#2 is done: reopen it first" in out
    out = say(console, "/plan reopen 1")
    assert "#1 (Deck) is open again" in out
    assert "day@2026-03-20" in _pending(app)
    out = say(console, "/plan reopen 1")
    assert "#1 is already open" in out
    out = say(console, "/accord lang fr", "/plan rouvrir 2")
    assert "rouvert" in out
    with app.session_factory() as s:
        assert {m.status for m in s.exec(select(Milestone)).all()} == {"todo"}


# -- 5: the preview shows what will be sent ---------------------------------------------


def test_preview_shows_the_overdue_ping_the_dispatcher_sends(
    app: App, console: ConsoleAdapter, clock: FixedClock
) -> None:
    # Monday 2026-03-02 09:00 UTC = 10:00 Paris: a milestone due yesterday, added now.
    say(console, "/plan add Deck 2026-03-01 @alice")
    rec = Recorder()
    d = dispatcher(app, rec)
    assert d.run_once().sent == 0  # never "sent late" for a ping that was never planned
    shown = say(console, "/plan show 1", "/plan reminders")
    assert "No reminder planned" not in shown
    assert "2026-03-03 09:00" in shown  # tomorrow 09:00 Paris, in both views
    clock.set(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    result = d.run_once()
    assert (result.sent, result.late) == (1, 0)
    assert "Sent late" not in rec.posts[0][1].plain_text()
    # After the send, the next one shown is the next day's, as the sweep will make it.
    assert "2026-03-04 09:00" in say(console, "/plan show 1")
