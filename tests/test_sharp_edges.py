"""Sharp edges of a new user's first hour (issue 13): ids, error wording."""

from __future__ import annotations

import pytest

from adapters.console import ConsoleAdapter
from tests.conftest import say

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"/decisions show {HUGE}", f"There is no decision #{HUGE}"),
        ("/decisions show 3000000000", "There is no decision #3000000000"),
        (f"/decide We ship --supersedes {HUGE}", f"There is no decision #{HUGE}"),
        (f"/plan show {HUGE}", f"There is no milestone #{HUGE}"),
        ("/plan show 3000000000", "There is no milestone #3000000000"),
        (f"/plan done {HUGE}", f"There is no milestone #{HUGE}"),
        (f"/plan cancel {HUGE}", f"There is no milestone #{HUGE}"),
        (f"/plan move {HUGE} 2026-04-10 because late", f"There is no milestone #{HUGE}"),
        (f"/plan snooze {HUGE} 2026-04-10", f"There is no milestone #{HUGE}"),
        ("/decisions show -1", "There is no decision #-1"),
        ("/plan show 0", "There is no milestone #0"),
    ],
)
def test_out_of_range_ids_are_no_such_item(
    console: ConsoleAdapter, line: str, expected: str
) -> None:
    out = say(console, "/decide A first decision", line)
    assert expected in out
    assert "Something went wrong" not in out


def test_out_of_range_ids_in_french(console: ConsoleAdapter) -> None:
    out = say(console, "/accord lang fr", f"/plan voir {HUGE}")
    assert HUGE in out and "Something went wrong" not in out
    assert "Un problème" not in out


def test_forged_snooze_button_value_is_refused_cleanly(console: ConsoleAdapter) -> None:
    from bot.kernel.types import Action, User

    say(console, "/plan add Deck 2026-04-10")
    for value in (f"1:{HUGE}", "1:99999999"):
        out = console.core.handle_action(
            Action(
                "console",
                "acme-beta",
                "launch",
                User("alice", "alice"),
                "plan.snooze",
                value,
                idempotency_key=value,
            )
        )
        assert out.replies[0].is_error and "Something went wrong" not in out.replies[0].text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('/plan add "No date"', "needs a date"),
        ('/plan add "" D-5', "needs a title"),
        ("/plan launch", "D-day is not set"),
        ("/accord reminders 99,2 at 25:00", "“25:00” is not a time"),
        ("/accord reminders 400", "“400”"),
        ("/accord lang", "Which language?"),
        ("/contract sign", "Which link?"),
    ],
)
def test_errors_say_what_is_wrong(console: ConsoleAdapter, line: str, expected: str) -> None:
    out = say(console, line)
    assert expected in out
    assert "“—”" not in out


# -- 12: links and exports ---------------------------------------------------------------


def test_decide_link_must_be_a_web_address(console: ConsoleAdapter) -> None:
    out = say(console, "/decide We ship --link notaurl")
    assert "“notaurl” is not a web address" in out
    out = say(console, "/decide We ship --link https://docs.example.com/brief")
    assert "Decision #1" in out


def test_decision_export_reads_like_people_write(console: ConsoleAdapter) -> None:
    import csv
    import io
    import json

    say(console, "/accord party add Acme @alice", "@bob: /accord party add Beta @bob")
    say(console, "@alice: /decide We ship with @bob on Friday")
    say(console, "/decisions export csv", "/decisions export json")
    files = console.files_dir
    # The companies' creation comes first in the log (the audit trail).
    rows = csv.DictReader(io.StringIO((files / "decisions.csv").read_text()))
    row = next(r for r in rows if r["text"].startswith("We ship"))
    assert row["author"] == "alice (Acme)" and row["author_id"] == "alice"
    assert row["text"] == "We ship with @bob (Beta) on Friday"
    assert row["participants"] == "bob (Beta)"
    assert row["created_at"].startswith("2026-03-02T10:00:00+01:00")  # Paris, not UTC
    data = json.loads((files / "decisions.json").read_text())
    assert all(d["timezone"] == "Europe/Paris" and "<@" not in d["text"] for d in data)


# -- 16: the README's scripts stay valid as time passes ------------------------------------


def test_readme_scripts_run_as_written_any_day(
    engine: object,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: object,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every `accord console --script` line of the README, run today (the real clock),
    gives the transcript the suite checks: `--today` fixes the console's clock."""
    import re
    import shlex
    from pathlib import Path

    from sqlalchemy.engine import Engine

    from bot.cli import main

    assert isinstance(engine, Engine) and isinstance(tmp_path, Path)
    root = Path(__file__).parent.parent
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ACCORD_DEFAULT_TIMEZONE", "Europe/Paris")
    readme = (root / "README.md").read_text(encoding="utf-8")
    lines = re.findall(r"^\.venv/bin/accord (console --script .*)$", readme, re.MULTILINE)
    assert len(lines) >= 3
    monkeypatch.chdir(tmp_path)  # console files land under tmp
    for line in lines:
        args = shlex.split(line)
        at = args.index("--script") + 1
        script = root / args[at]
        args[at] = str(script)
        if re.search(r"\b20\d\d-\d\d-\d\d\b", script.read_text(encoding="utf-8")):
            assert "--today" in args, f"{line}: a script with dates needs --today"
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "already past" not in out and "déjà passée" not in out, line
        assert "Something went wrong" not in out and "Un problème" not in out, line
