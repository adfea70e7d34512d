"""Input limits: every text a user types has a maximum, checked before any parsing.

The whole text of a command is checked by the core's unit of work
(`Core.handle`); each field where it is read (titles, names, search words,
time-zone names, dates). The table is in the README ("Limits").
"""

from __future__ import annotations

from bot.kernel.errors import UserError

# A command's whole text (Discord's modal text field allows 4,000; a decision 2,000).
COMMAND_MAX_CHARS = 4000
# `/decisions search` and `/match` free words.
SEARCH_MAX_CHARS = 200
SEARCH_MAX_WORDS = 12
# `/match` free words (criteria, not a document).
MATCH_MAX_CHARS = 500
# `/accord tz`: the longest IANA name is 32 characters.
TIMEZONE_MAX_CHARS = 64


def check_length(text: str, limit: int, key: str = "limits.text_too_long") -> None:
    """Raise the localized `key` (with `limit` and `length`) when `text` is too long."""
    if len(text) > limit:
        raise UserError(key, limit=limit, length=len(text))


def check_words(text: str) -> None:
    """Search words: at most `SEARCH_MAX_CHARS` characters and `SEARCH_MAX_WORDS` words."""
    check_length(text, SEARCH_MAX_CHARS, "limits.search_too_long")
    if len(text.split()) > SEARCH_MAX_WORDS:
        raise UserError("limits.search_too_many_words", limit=SEARCH_MAX_WORDS)
