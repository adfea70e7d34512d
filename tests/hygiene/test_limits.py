"""Every text input has a maximum, refused with a clear localized error before any parsing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.app import App
from bot.kernel import parsing
from bot.kernel.limits import (
    COMMAND_MAX_CHARS,
    SEARCH_MAX_CHARS,
    SEARCH_MAX_WORDS,
    TIMEZONE_MAX_CHARS,
)
from storage.models import Decision, Milestone
from tests.hygiene.helpers import one_text, run


def test_whole_text_over_the_maximum_is_refused_before_parsing(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = parsing.parse_options
    monkeypatch.setattr("bot.kernel.core.parse_options", lambda t, s: calls.append(t) or real(t, s))
    text = "x" * (COMMAND_MAX_CHARS + 1)
    out = run(app, "decide", text, key="k1")
    assert out.replies[0].is_error
    assert f"{COMMAND_MAX_CHARS + 1} characters, at most {COMMAND_MAX_CHARS}" in one_text(out)
    assert calls == []  # never parsed
    fr = run(app, "plan", "add " + "13:00 " * 1000, locale="fr")
    assert "C’est trop long" in one_text(fr) and "au plus 4000" in one_text(fr)
    with app.session_factory() as s:
        assert s.exec(select(Decision)).all() == []
        assert s.exec(select(Milestone)).all() == []
    # Right at the maximum the command is read (and refused for its own reason here).
    at_max = run(app, "plan", "add " + "y" * (COMMAND_MAX_CHARS - 4))
    assert "too long" not in one_text(at_max) and calls


def test_search_words_have_a_maximum(app: App) -> None:
    run(app, "decide", "we launch in March")
    long = run(app, "decisions", "search " + "a" * (SEARCH_MAX_CHARS + 1))
    assert f"at most {SEARCH_MAX_CHARS} characters" in one_text(long)
    many = run(app, "decisions", "search " + " ".join(["w"] * (SEARCH_MAX_WORDS + 1)), locale="fr")
    assert f"au plus {SEARCH_MAX_WORDS} mots" in one_text(many)
    ok = run(app, "decisions", "search launch march")
    assert "we launch in March" in one_text(ok)


def test_match_words_have_a_maximum(app: App) -> None:
    out = run(app, "match", "families " * 100)
    assert out.replies[0].is_error and "characters" in one_text(out)


def test_timezone_names_have_a_maximum(app: App) -> None:
    out = run(app, "accord", "tz " + "Europe/" + "x" * TIMEZONE_MAX_CHARS)
    assert f"at most {TIMEZONE_MAX_CHARS} characters" in one_text(out)
    fr = run(app, "accord", "tz " + "y" * (TIMEZONE_MAX_CHARS + 1), locale="fr")
    assert "fuseau horaire fait au plus" in one_text(fr)
    assert "Europe/Paris" in one_text(run(app, "accord", "tz Europe/Paris"))


def test_a_date_has_a_maximum(app: App) -> None:
    run(app, "plan", "launch 2026-06-01")
    out = run(app, "plan", "move D-day " + "next " * 20 + "friday because reasons")
    assert "A date is at most 64 characters" in one_text(out)
