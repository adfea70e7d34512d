"""French is complete: French words that work, and French typography."""

from __future__ import annotations

import re

import pytest

from bot.app import build_registry
from bot.kernel.i18n import catalog, forms
from bot.kernel.parsing import fold
from bot.kernel.words import Words

REGISTRY = build_registry()
CODE_RE = re.compile(r"`([^`]*)`")
COMMAND_RE = re.compile(r"/([a-z]+)((?:\s+[^/`]*)?)")


def _english_words() -> dict[str, set[str]]:
    """command -> its English-only words (subcommands, arguments, option names)."""
    out: dict[str, set[str]] = {}
    for spec in REGISTRY.commands.values():
        words = set().union(*(w.english_only() for w in spec.words)) if spec.words else set()
        words |= {name for name in spec.option_aliases.values() if name not in spec.option_aliases}
        out[spec.name] = words
    return out


ENGLISH = _english_words()
COMMAND_NAMES = set(REGISTRY.commands)


def _french_messages() -> list[tuple[str, str]]:
    return [(key, text) for key, message in catalog("fr").items() for text in forms(message)]


def test_the_check_knows_the_english_words() -> None:
    assert {"log", "metric", "objective", "token", "target"} <= ENGLISH["kpi"]
    assert {"set", "recap", "sign", "end", "template"} - {"recap"} <= ENGLISH["contract"]
    assert {"add", "show", "list"} <= ENGLISH["partner"]
    assert {"supersedes", "link"} <= ENGLISH["decide"]


def _offending_words(text: str) -> list[str]:
    found = []
    for span in CODE_RE.findall(text):
        for match in COMMAND_RE.finditer(span):
            command, rest = match.group(1), match.group(2)
            english = ENGLISH.get(command, set())
            for token in rest.split():
                word = fold(token.strip("[]<>()|\"'“”«»,.").lstrip("-—").split(":")[0])
                if word in english and word not in COMMAND_NAMES:
                    found.append(f"/{command} … {word}")
    # Prose that names subcommands: "Utilisez objective, metric…".
    subcommands = set().union(
        *(s.words[0].english_only() for s in REGISTRY.commands.values() if s.words)
    )
    # Placeholders and «quoted» names (a JSON field, what the user typed) are not prose.
    prose = re.sub(r"\{\w+\}|«[^»]*»", " ", CODE_RE.sub(" ", text))
    found += [w for w in re.findall(r"[a-z]+", fold(prose)) if w in subcommands - FRENCH_TOO]
    return found


# English subcommand words that are also ordinary French words in prose.
FRENCH_TOO = {"date", "export", "fin", "profile", "lang", "end", "list"}


def test_french_messages_use_french_command_words() -> None:
    offenders = {key: _offending_words(text) for key, text in _french_messages()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_catches_english_words() -> None:
    assert _offending_words("Exemple : `/kpi log leads 12`") == ["/kpi … log"]
    assert _offending_words("`/decide --supersedes 3 texte`") == ["/decide … supersedes"]
    assert _offending_words("Utilisez objective ou metric.") == ["objective", "metric"]
    assert _offending_words("`/kpi noter leads 12` puis `/digest`") == []


def test_every_french_word_is_understood() -> None:
    """Each table's French forms resolve to their English word."""
    for spec in REGISTRY.commands.values():
        for table in spec.words:
            assert isinstance(table, Words)
            for canonical, french in table.table.items():
                for word in french:
                    assert table.resolve(word) == canonical, (spec.name, word)
                    assert table.resolve(word.upper()) == canonical


# -- typography ---------------------------------------------------------------------------

_PUNCT_RE = re.compile(r"(.)([:;!?])(?=\s|$)")


def _prose(text: str) -> str:
    return CODE_RE.sub("`code`", text)


@pytest.mark.parametrize(("key", "text"), _french_messages())
def test_french_typography(key: str, text: str) -> None:
    prose = _prose(text)
    for before, mark in _PUNCT_RE.findall(prose):
        if mark == ":" and before in "0123456789}" and key.startswith("format."):
            continue
        wanted = "\u00a0" if mark == ":" else "\u202f"
        assert before == wanted, (key, mark, prose)
    assert "'" not in prose, (key, prose)  # one apostrophe: ’
    assert "« " not in prose and " »" not in prose, (key, prose)


def test_elision_before_a_vowel() -> None:
    from bot.kernel.i18n import translator

    fr = translator("fr")
    assert fr("contract.item_awaiting", parties="Acme") == "en attente d’Acme"
    assert fr("contract.item_awaiting", parties="Globex") == "en attente de Globex"
    assert fr("contract.item_awaiting", parties="Écume") == "en attente d’Écume"


def test_typography_leaves_what_users_type_alone() -> None:
    from bot.kernel.typography import prepare

    text = "Exemple : `/kpi noter leads 12 partenaire:Acme d'ici` ; l'objectif « X » !"
    assert prepare(text, "fr") == (
        "Exemple\u00a0: `/kpi noter leads 12 partenaire:Acme d'ici`\u202f; l’objectif"
        " «\u202fX\u202f»\u202f!"
    )
    assert prepare(text, "en") == text
