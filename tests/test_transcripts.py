"""Whole conversations: script in, transcript out (zulip_bots style).

Each `tests/transcripts/NAME.txt` is fed to the console adapter and the output
must equal `NAME.expected`. After a deliberate change of wording, regenerate
with `ACCORD_UPDATE_TRANSCRIPTS=1 make test` and review the diff.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from bot.app import App

HERE = Path(__file__).parent / "transcripts"
SCRIPTS = sorted(HERE.glob("*.txt"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_transcript(script: Path, app: App, tmp_path: Path) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(
        app.core,
        team_id="acme-beta",
        channel_id="launch",
        user="alice",
        out=out,
        files_dir=tmp_path,
        run_id="t",
    )
    console.run_script(script.read_text(encoding="utf-8").splitlines())
    actual = out.getvalue().replace(str(tmp_path), "<files>")
    expected_path = script.with_suffix(".expected")
    if os.environ.get("ACCORD_UPDATE_TRANSCRIPTS"):
        expected_path.write_text(actual, encoding="utf-8")
    assert actual == expected_path.read_text(encoding="utf-8")
