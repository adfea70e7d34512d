"""Every number that shapes a `/match` score, in one place.

The score of a candidate is `100 * sum(weight[part] * part_value)` over the
parts below, each part a value in [0, 1] computed from the profiles (see
`bot.matching.engine`). Parts our own profile cannot judge (e.g. we have not
said what our culture is) are left out and the remaining weights rescaled, so
a score stays on 0-100. A candidate that leaves a part blank gets
`unknown_credit` of it and a warning.

Change the weights by passing another `Weights` to the engine, or for a whole
deployment with the environment variable `ACCORD_MATCH_WEIGHTS`, e.g.
`audience=0.4,objectives=0.2` (parts not named keep their default).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

# The score parts, in the order they are shown.
PARTS = ("audience", "objectives", "culture", "equivalence", "complementarity", "relevance")


@dataclass(frozen=True, slots=True)
class Weights:
    # Audience affinity: does the candidate reach OUR persona? The seed's first
    # criterion, hence the largest weight.
    audience: float = 0.34
    # Objectives alignment: shared objectives tags.
    objectives: float = 0.20
    # Culture and process compatibility: shared culture tags, minus conflicts.
    culture: float = 0.12
    # Equivalence: the same channels with comparable audience sizes.
    equivalence: float = 0.10
    # Complementarity: they bring what we need, we bring what they need.
    complementarity: float = 0.16
    # Relevance: text similarity of the free words (or our description and
    # needs) with the candidate's description, sectors and resources.
    relevance: float = 0.08
    # When the user types free words they say what they look for: relevance
    # then weighs at least this much (before rescaling).
    relevance_with_words: float = 0.25

    # -- inside the parts ------------------------------------------------------
    # Audience: share of our persona tags they reach, versus share of their
    # audience tags that are ours (a candidate listing everything is not affine).
    audience_coverage_share: float = 0.7
    # Audience: part of the audience score given by a shared geography.
    audience_geography_share: float = 0.2
    # Complementarity: "they bring what we need" versus "we bring what they need".
    complementarity_ours_share: float = 0.6
    # Credit given for a part the candidate left blank (evidence-based: small).
    unknown_credit: float = 0.2
    # Culture: each conflicting pair (see CULTURE_CONFLICTS) removes this much.
    culture_conflict_penalty: float = 0.35

    # -- warnings --------------------------------------------------------------
    # The "trendy brand" trap: at least this many people in total...
    trendy_min_audience: int = 100_000
    # ...but an audience affinity below this.
    trendy_max_affinity: float = 0.34
    # Channel sizes are "comparable" within this factor (10 = one order of magnitude).
    comparable_size_factor: float = 10.0

    def part(self, name: str) -> float:
        return float(getattr(self, name))

    def as_dict(self) -> dict[str, float]:
        return {name: self.part(name) for name in PARTS}


# Culture tags that pull in opposite directions (folded, compared as stems).
CULTURE_CONFLICTS: tuple[tuple[str, str], ...] = (
    ("agile", "formal"),
    ("agile", "formel"),
    ("startup", "corporate"),
    ("fast", "slow"),
    ("rapide", "lent"),
    ("informal", "formal"),
    ("informel", "formel"),
)

# Whom to contact: words in a contact's role, folded, and how close they are to
# partnerships. The contact with the highest total is suggested.
ROLE_KEYWORDS: tuple[tuple[str, float], ...] = (
    ("partnership", 10.0),
    ("partenariat", 10.0),
    ("alliance", 9.0),
    ("business development", 8.0),
    ("biz dev", 8.0),
    ("bizdev", 8.0),
    ("developpement commercial", 8.0),
    ("developpement", 6.0),
    ("marketing", 6.0),
    ("brand", 4.0),
    ("marque", 4.0),
    ("growth", 4.0),
    ("communication", 3.0),
    ("sales", 2.0),
    ("commercial", 2.0),
    ("ventes", 2.0),
    ("ceo", 1.0),
    ("founder", 1.0),
    ("fondat", 1.0),
    ("directeur", 0.5),
    ("director", 0.5),
    ("head", 0.5),
)


def parse(raw: str) -> Weights:
    """`ACCORD_MATCH_WEIGHTS=audience=0.4,objectives=0.2` over the defaults."""
    if not raw.strip():
        return Weights()
    known = {f.name: f.type for f in fields(Weights)}
    changes: dict[str, float | int] = {}
    for item in raw.split(","):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in known:
            raise ValueError(f"ACCORD_MATCH_WEIGHTS: unknown weight {name!r}")
        number = float(value)
        if number < 0:
            raise ValueError(f"ACCORD_MATCH_WEIGHTS: {name} must not be negative")
        changes[name] = int(number) if known[name] in (int, "int") else number
    return replace(Weights(), **changes)  # type: ignore[arg-type]
