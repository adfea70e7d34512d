"""The `accord` command line, run in-process against a real database."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.cli import main


@pytest.fixture
def db_env(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env, console files under tmp
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ACCORD_DEFAULT_TIMEZONE", "UTC")


def write_script(tmp_path: Path, *lines: str) -> Path:
    script = tmp_path / "script.txt"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return script


def test_console_script_then_export(
    db_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write_script(
        tmp_path,
        "@alice: /decide we launch on 3 March #launch",
        "@bob: /decide --supersedes 1 we launch on 10 March #launch",
        "/decisions",
    )
    assert main(["console", "--team", "t1", "--channel", "c1", "--script", str(script)]) == 0
    out = capsys.readouterr().out
    assert "Decision #2" in out and "#1 (superseded)" in out

    assert main(["export", "decisions", "--team", "t1", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["number"], r["author"], r["supersedes"]) for r in rows] == [
        ("1", "alice", ""),
        ("2", "bob", "1"),
    ]

    assert main(["export", "decisions", "--team", "t1", "--channel", "c1", "--format", "json"]) == 0
    assert [d["number"] for d in json.loads(capsys.readouterr().out)] == [1, 2]

    assert main(["export", "decisions", "--team", "other", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_running_the_same_script_twice_records_twice(
    db_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Console idempotency keys are per run: a replayed demo is new input, not a retry.
    script = write_script(tmp_path, "/decide ship it")
    main(["console", "--team", "t1", "--script", str(script)])
    main(["console", "--team", "t1", "--script", str(script)])
    assert "Decision #2" in capsys.readouterr().out


def test_db_upgrade_and_dispatch_once(db_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["dispatch", "--once"]) == 0
    assert "claimed 0" in capsys.readouterr().err


# -- issue 13, edge 15: operator commands say where things are --------------------------------


def test_an_empty_export_scope_names_the_scopes_that_hold_data(
    db_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write_script(tmp_path, "/decide ship it", "/plan add Deck 2030-01-10")
    assert main(["console", "--team", "t1", "--channel", "c1", "--script", str(script)]) == 0
    capsys.readouterr()
    assert main(["export", "decisions", "--format", "csv"]) == 0  # team "local": nothing
    err = capsys.readouterr().err
    assert "No decisions in console/local" in err and "console/t1 #c1" in err
    assert main(["export", "plan", "--channel", "c1", "--lang", "fr"]) == 0
    err = capsys.readouterr().err
    assert "console/local #c1" in err and "console/t1 #c1" in err and "jalons" in err
    assert main(["export", "partners"]) == 0
    assert "nor anywhere else" in capsys.readouterr().err


def test_demo_says_where_it_loaded_and_how_to_choose(
    db_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "console/local" in out and "accord demo --team" in out


def test_console_exports_never_overwrite_each_other(
    db_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write_script(
        tmp_path,
        "/decide ship it",
        "/decisions export csv",
        "/decide again",
        "/decisions export csv",
    )
    assert main(["console", "--script", str(script)]) == 0
    files = sorted(p.name for p in (tmp_path / "var" / "console-files").iterdir())
    assert files == ["decisions-2.csv", "decisions.csv"]
    assert "again" in (tmp_path / "var" / "console-files" / "decisions-2.csv").read_text()


def test_import_progress_only_on_a_terminal(
    db_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = "\n".join(f"P{i},,,,,,,,,,,,," for i in range(50))
    from bot.matching import profiles

    path = tmp_path / "p.csv"
    path.write_text(",".join(profiles.COLUMNS) + "\n" + rows + "\n", encoding="utf-8")
    assert main(["import", "partners", str(path)]) == 0
    err = capsys.readouterr().err  # captured: not a terminal, so no bar
    assert "Importing partners" not in err and "%|" not in err

    from bot.kernel.progress import bar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    with bar(50, "Importing partners", stream=screen) as progress:
        progress.update(50)
    assert "Importing partners" in screen.getvalue() and "/50" in screen.getvalue()
