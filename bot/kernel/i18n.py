"""Message catalogs (French and English) and the translator handlers use.

Each package keeps its strings in its own `locales/<name>.<lang>.toml`
(`bot/decisions/locales/decisions.fr.toml`, `adapters/locales/slack.en.toml`), so
capabilities stay self-contained; keys are namespaced by capability
(`decisions.recorded`). Values are `str.format` templates with named fields.
The catalogs are data files read from those folders: the kernel imports no
capability and no adapter.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Formatter

_BOT = Path(__file__).resolve().parents[1]
# The kernel's, every capability's (bot/<package>/locales) and the adapters' wording.
LOCALE_DIRS = (*sorted(_BOT.glob("*/locales")), _BOT.parent / "adapters" / "locales")
SUPPORTED = ("en", "fr")
DEFAULT = "en"


def normalize_locale(value: str | None) -> str | None:
    """'fr-FR', 'fr_CA', 'FR' -> 'fr'; unsupported or empty -> None."""
    if not value:
        return None
    lang = value.replace("_", "-").split("-")[0].strip().lower()
    return lang if lang in SUPPORTED else None


def _flatten(prefix: str, data: Mapping[str, object], out: dict[str, str]) -> None:
    for key, value in data.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            _flatten(full, value, out)
        else:
            out[full] = str(value)


@cache
def catalog(lang: str) -> Mapping[str, str]:
    """Every message of a language, from all capability files."""
    messages: dict[str, str] = {}
    for path in sorted(p for d in LOCALE_DIRS for p in d.glob(f"*.{lang}.toml")):
        with path.open("rb") as fh:
            _flatten("", tomllib.load(fh), messages)
    return messages


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


@dataclass(frozen=True, slots=True)
class Translator:
    lang: str

    def __call__(self, key: str, **params: object) -> str:
        template = catalog(self.lang).get(key) or catalog(DEFAULT).get(key)
        if template is None:
            # A missing key is a bug, but the user should still see something.
            return key
        return template.format(**params)

    def has(self, key: str) -> bool:
        return key in catalog(self.lang) or key in catalog(DEFAULT)


def translator(lang: str | None) -> Translator:
    return Translator(normalize_locale(lang) or DEFAULT)
