"""Message catalogs (French and English) and the translator handlers use.

Each capability keeps its strings in `bot/locales/<capability>.<lang>.toml`
so capabilities stay self-contained; keys are namespaced by capability
(`decisions.recorded`). Values are `str.format` templates with named fields.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Formatter

LOCALES_DIR = Path(__file__).parent / "locales"
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
    for path in sorted(LOCALES_DIR.glob(f"*.{lang}.toml")):
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
