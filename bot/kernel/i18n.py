"""Message catalogs (French and English) and the translator handlers use.

Each package keeps its strings in its own `locales/<name>.<lang>.toml`
(`bot/decisions/locales/decisions.fr.toml`, `adapters/locales/slack.en.toml`), so
capabilities stay self-contained; keys are namespaced by capability
(`decisions.recorded`). Values are `str.format` templates with named fields.

A message whose wording depends on a number is a table of the language's
plural forms (Babel's CLDR rules), chosen by the `count` parameter:

    imported = { one = "{count} milestone imported.", other = "{count} milestones imported." }

`zero` may be added for a wording of its own when the count is 0 ("No milestone").
French messages get French typography when loaded (`bot.kernel.typography`): a no-break
space before `: ; ! ?` and inside « », one apostrophe (’), elision before a vowel.

The catalogs are data files read from those folders: the kernel imports no
capability and no adapter.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from string import Formatter
from typing import TypeAlias

from babel import Locale

from bot.kernel import typography

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


# CLDR plural categories; a catalog table holding only these (and `other`) is one message.
PLURAL_CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})
# A message: a template, or plural category -> template.
Message: TypeAlias = "str | Mapping[str, str]"


def is_plural(value: object) -> bool:
    return (
        isinstance(value, Mapping)
        and "other" in value
        and set(value) <= PLURAL_CATEGORIES
        and all(isinstance(v, str) for v in value.values())
    )


def _flatten(prefix: str, data: Mapping[str, object], out: dict[str, Message], lang: str) -> None:
    for key, value in data.items():
        full = f"{prefix}.{key}" if prefix else key
        if is_plural(value):
            assert isinstance(value, Mapping)
            out[full] = {k: typography.prepare(str(v), lang) for k, v in value.items()}
        elif isinstance(value, Mapping):
            _flatten(full, value, out, lang)
        else:
            out[full] = typography.prepare(str(value), lang)


@cache
def catalog(lang: str) -> Mapping[str, Message]:
    """Every message of a language, from all capability files."""
    messages: dict[str, Message] = {}
    for path in sorted(p for d in LOCALE_DIRS for p in d.glob(f"*.{lang}.toml")):
        with path.open("rb") as fh:
            _flatten("", tomllib.load(fh), messages, lang)
    return messages


def forms(message: Message) -> list[str]:
    """Every template of a message (one, or one per plural form)."""
    return [message] if isinstance(message, str) else list(message.values())


def placeholders(message: Message) -> set[str]:
    return {
        name for template in forms(message) for _, name, _, _ in Formatter().parse(template) if name
    }


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def plural_form(lang: str, count: object) -> str:
    """The CLDR category of `count` in `lang`: 'one', 'other'..."""
    if not isinstance(count, int | float | Decimal) or isinstance(count, bool):
        return "other"
    return str(_locale(lang).plural_form(abs(Decimal(str(count)))))


def choose(message: Message, lang: str, params: Mapping[str, object]) -> str:
    """The template to use for these params (plural form by `count`)."""
    if isinstance(message, str):
        return message
    count = params.get("count")
    if count == 0 and "zero" in message:
        return message["zero"]
    return message.get(plural_form(lang, count)) or message["other"]


def examples(today: date, lang: str) -> dict[str, str]:
    """Dates for help and error examples, computed from today so they never lie in the past.

    `{example_…}` placeholders of any message are filled from these unless given.
    """
    from bot.kernel import formatting

    soon = today + timedelta(days=18)  # a milestone
    launch = today + timedelta(days=30)  # a launch, a decision's date
    later = today + timedelta(days=40)
    target_month = (today.month + 2) % 12 + 1
    target = date(today.year + (today.month + 3 > 12), target_month, 1) - timedelta(days=1)
    target = max(target, today + timedelta(days=45))
    renewal = date(today.year + 1, today.month, 1)
    past = today - timedelta(days=1)
    return {
        "example_soon": soon.isoformat(),
        "example_soon_day": formatting.day_month(soon, lang),
        "example_launch": launch.isoformat(),
        "example_launch_day": formatting.day_month(launch, lang),
        "example_later": later.isoformat(),
        "example_target_day": formatting.day_month(target, lang),
        "example_renewal": formatting.day(renewal, lang),
        "example_past": past.isoformat(),
        "example_past_day": formatting.day_month(past, lang),
    }


@dataclass(frozen=True, slots=True)
class Translator:
    lang: str
    # The channel's today: example dates in help and errors are computed from it
    # (the system's date when not given, e.g. for operator commands).
    today: date | None = None

    def __call__(self, key: str, **params: object) -> str:
        lang = self.lang if key in catalog(self.lang) else DEFAULT
        message = catalog(lang).get(key)
        if message is None:
            # A missing key is a bug, but the user should still see something.
            return key
        template = choose(message, lang, params)
        if isinstance(params.get("count"), int | float | Decimal):
            from bot.kernel.formatting import number

            params = {**params, "count": number(params["count"], lang)}  # type: ignore[arg-type]
        if "{example_" in template:
            day = self.today or datetime.now(UTC).date()
            params = {**examples(day, lang), **params}
        return typography.render(template, lang, params)

    def has(self, key: str) -> bool:
        return key in catalog(self.lang) or key in catalog(DEFAULT)


def translator(lang: str | None) -> Translator:
    return Translator(normalize_locale(lang) or DEFAULT)
