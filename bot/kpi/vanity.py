"""Vanity metrics: numbers that look good and decide nothing.

Likes, views and followers measure attention, not what a partnership is for;
each kind has an actionable counterpart (clicks or leads, sign-ups,
conversions or purchases, revenue). Detection works on the folded metric
name (case and accents ignored) in French and English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.kernel.parsing import fold

# kind -> folded words or phrases that name it. Order matters: "story views"
# must be found before "views".
_VANITY: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "story_views",
        (
            "story views",
            "story view",
            "storyviews",
            "vues de story",
            "vues story",
            "vues stories",
            "vues de stories",
            "stories vues",
        ),
    ),
    (
        "likes",
        (
            "likes",
            "like",
            "j'aime",
            "jaime",
            "j aime",
            "reactions",
            "reaction",
            "coeurs",
            "hearts",
            "favs",
            "favoris",
        ),
    ),
    (
        "views",
        (
            "views",
            "view",
            "vues",
            "vue",
            "pageviews",
            "page views",
            "pages vues",
            "visionnages",
            "video views",
            "vues video",
        ),
    ),
    ("impressions", ("impressions", "impression", "impr")),
    ("reach", ("reach", "portee", "couverture")),
    (
        "followers",
        ("followers", "follower", "abonnes", "abonne", "fans", "subscribers", "subs", "audience"),
    ),
)


@dataclass(frozen=True, slots=True)
class VanityMatch:
    """`kind` selects the catalog texts `kpi.vanity.why.<kind>` and
    `kpi.vanity.instead.<kind>`; `word` is what was recognised."""

    kind: str
    word: str


def _pattern(phrase: str) -> re.Pattern[str]:
    # Words are separated by spaces, dashes, underscores or dots in metric names.
    parts = [re.escape(p) for p in re.split(r"[ ]+", phrase)]
    return re.compile(r"(?<![a-z0-9])" + r"[\s_\-.]*".join(parts) + r"(?![a-z0-9])")


_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (kind, phrase, _pattern(phrase)) for kind, phrases in _VANITY for phrase in phrases
)


def detect(name: str) -> VanityMatch | None:
    """The vanity kind a metric name belongs to, or None if it is actionable."""
    folded = fold(name).replace("’", "'")
    for kind, phrase, pattern in _PATTERNS:
        if pattern.search(folded):
            return VanityMatch(kind, phrase)
    return None


def is_vanity(name: str) -> bool:
    return detect(name) is not None
