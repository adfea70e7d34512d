"""Reading what users type: options, tags, mentions, numbers.

Users type on phones and Macs that turn `--` into an em dash; both count.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.kernel.errors import UserError
from bot.kernel.types import MENTION_RE

OptionKind = Literal["int", "str", "flag"]

# A value never starts like an option: `--can-fall --keep-vanity` is two flags.
_OPTION_RE = re.compile(
    r"(?:(?<=\s)|^)(?:--|—|–)([A-Za-z][\w-]*)(?:[ =]+(\"[^\"]*\"|(?!--|—|–)\S+))?"
)
TAG_RE = re.compile(r"(?:(?<=\s)|^)#([^\W\d_][\w-]{0,49})", re.UNICODE)


@dataclass(slots=True)
class Parsed:
    text: str
    options: dict[str, object] = field(default_factory=dict)


def parse_options(text: str, spec: Mapping[str, OptionKind]) -> Parsed:
    """Split `--name value` options out of `text`, typed by `spec`.

    An unknown option or a bad value raises a `UserError`; nothing is guessed.
    """
    options: dict[str, object] = {}
    kept: list[str] = []
    pos = 0
    for match in _OPTION_RE.finditer(text):
        name, raw = fold(match.group(1)), match.group(2)
        kind = spec.get(name)
        if kind is None:
            raise UserError("errors.unknown_option", option=f"--{name}")
        kept.append(text[pos : match.start()])
        pos = match.end()
        if kind == "flag":
            options[name] = True
            if raw is not None:  # a flag takes no value: give the word back
                kept.append(" " + raw)
            continue
        if raw is None:
            raise UserError("errors.option_needs_value", option=f"--{name}")
        value = raw.strip('"')
        if kind == "int":
            options[name] = parse_number(value, option=f"--{name}")
        else:
            options[name] = value
    kept.append(text[pos:])
    return Parsed(text=re.sub(r"\s+", " ", "".join(kept)).strip(), options=options)


def parse_number(raw: str, *, option: str = "") -> int:
    """'12', '#12' -> 12; anything else is a UserError."""
    value = raw.strip().lstrip("#")
    if not value.isdigit():
        raise UserError("errors.not_a_number", value=raw, option=f" ({option})" if option else "")
    return int(value)


def tags(text: str) -> list[str]:
    """Hashtags in order of appearance, folded to lower case, without repeats."""
    seen: dict[str, None] = {}
    for tag in TAG_RE.findall(text):
        seen.setdefault(tag.lower(), None)
    return list(seen)


def mentions(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for user_id in MENTION_RE.findall(text):
        seen.setdefault(user_id, None)
    return list(seen)


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Décision Été' -> 'decision ete'."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Ligatures NFKD leaves alone but French writes: œ, æ.
    return stripped.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").casefold()


def split_first(text: str) -> tuple[str, str]:
    """'search foo bar' -> ('search', 'foo bar')."""
    head, _, rest = text.strip().partition(" ")
    return head.lower(), rest.strip()


# -- item numbers (issue 13) -------------------------------------------------------

# The largest id a stored row can have: PostgreSQL's INTEGER (SQLite's is wider).
MAX_ITEM_NUMBER = 2**31 - 1
_ITEM_NUMBER_RE = re.compile(r"^[+-]?\d+$")


def in_item_range(number: int) -> bool:
    """True when `number` can be the number of a stored item (decision, milestone...)."""
    return 0 < number <= MAX_ITEM_NUMBER


def parse_item_number(raw: str, unknown_key: str) -> int:
    """'12', '#12' -> 12, for `/plan show 12`, `/decisions show 12`.

    A whole number no item can have (0, -1, 99999999999999999999) is the
    ordinary "no such item" (`unknown_key` with `number` as typed), never a
    database overflow; a word is "not a number".
    """
    value = raw.strip().lstrip("#")
    if not _ITEM_NUMBER_RE.match(value):
        raise UserError("errors.not_a_number", value=raw, option="")
    # Compare digit counts before int(): Python refuses to read huge digit strings.
    digits = value.lstrip("+-").lstrip("0") or "0"
    if len(digits) <= len(str(MAX_ITEM_NUMBER)) and in_item_range(int(value)):
        return int(value)
    raise UserError(unknown_key, number=value)
