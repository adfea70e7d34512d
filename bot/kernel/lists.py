"""Long lists in replies, pings and digests: the first ones, then "… and N more".

A reply that lists everything a partnership holds would grow without bound
(and Slack and Discord would cut it where they like): lists are capped at
`LIST_MAX` lines, the last one saying how many are left and where to see all.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.kernel.i18n import Translator

LIST_MAX = 15


def more_line(t: Translator, count: int, hint: str) -> str:
    """'… and 3 more (`/plan export`)', with the language's plural."""
    return t("more", count=count, hint=hint)  # the catalog holds its plural forms


def capped(items: Sequence[str], t: Translator, hint: str, limit: int = LIST_MAX) -> list[str]:
    """`items` when short enough; else the first `limit - 1` and the "… and N more" line."""
    if len(items) <= limit:
        return list(items)
    shown = limit - 1
    return [*items[:shown], more_line(t, len(items) - shown, hint)]
