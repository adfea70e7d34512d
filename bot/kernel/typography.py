"""French typography for the catalogs: applied once when a message is loaded.

Catalog authors type ordinary spaces and apostrophes; French readers get:
- a no-break space (U+00A0) before `:` and a narrow no-break space (U+202F)
  before `; ! ?`, and narrow no-break spaces inside « »;
- one apostrophe, the typographic ’;
- elision before a value starting with a vowel: "de {name}" renders "d’Acme"
  when the name is Acme, "de Globex" otherwise (likewise "que" → "qu’").
Code spans (`/kpi noter leads 12`) are what users type: they are left alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

NBSP = "\u00a0"
NNBSP = "\u202f"
_CODE_RE = re.compile(r"(`[^`]*`)")
# Only before names and terms: "le {date}" stays (a date or "yesterday" never elides).
_ELIDABLE_RE = re.compile(r"\b([Dd]e|[Qq]ue) \{(\w+)\}")
_VOWEL_START = re.compile(r"^[«“\"\s]*[aeiouyàâäéèêëîïôöûüœæAEIOUYÀÂÄÉÈÊËÎÏÔÖÛÜŒÆ]")


def _prose(text: str) -> str:
    text = text.replace("'", "’")
    text = re.sub(r"[ \u00a0\u202f]+:(?=\s|$|\W)", NBSP + ":", text)
    text = re.sub(r"[ \u00a0\u202f]+([;!?])", NNBSP + r"\1", text)
    text = re.sub(r"«[ \u00a0\u202f]*", "«" + NNBSP, text)
    return re.sub(r"[ \u00a0\u202f]*»", NNBSP + "»", text)


def prepare(template: str, lang: str) -> str:
    """A catalog template as readers of `lang` expect it (French typography)."""
    if lang != "fr":
        return template
    return "".join(
        part if part.startswith("`") and part.endswith("`") else _prose(part)
        for part in _CODE_RE.split(template)
    )


def _elided(word: str) -> str:
    return word[:-1] + "’"  # de -> d’, que -> qu’


def render(template: str, lang: str, params: Mapping[str, object]) -> str:
    """`template.format(**params)`, with French elision before vowel-led values."""
    if lang == "fr" and "{" in template:

        def elide(match: re.Match[str]) -> str:
            word, name = match.groups()
            value = unicodedata.normalize("NFC", str(params.get(name, "")))
            if _VOWEL_START.match(value):
                return f"{_elided(word)}{{{name}}}"
            return match.group(0)

        template = _ELIDABLE_RE.sub(elide, template)
    return template.format(**params)
