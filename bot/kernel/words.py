"""The words of commands in both languages: one alias table per set of words.

A table maps each canonical (English) word to the French ways to type it, the
first being the form French help and replies show: `/kpi noter`, `/contract
signer`. Accents and case are ignored (`définir`, `definir`, `DÉFINIR`), so
what a French keyboard or phone types works.

Capabilities give their tables to their `CommandSpec` (`words`), so help can
show them and a test can check that French messages only use French words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.kernel.parsing import fold


@dataclass(frozen=True)
class Words:
    """canonical English word -> French forms (first: the one shown)."""

    table: Mapping[str, tuple[str, ...]]
    # Other spellings accepted in either language, not shown (e.g. "add" for log).
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lookup: dict[str, str] = {}
        for canonical in self.table:
            for word in (canonical, *self.table[canonical], *self.extra.get(canonical, ())):
                key = fold(word)
                if lookup.get(key, canonical) != canonical:
                    raise ValueError(f"“{word}” means both {lookup[key]} and {canonical}")
                lookup[key] = canonical
        object.__setattr__(self, "_lookup", lookup)

    @classmethod
    def from_lookup(
        cls, lookup: Mapping[str, str], *, french: Mapping[str, str], english: Iterable[str] = ()
    ) -> Words:
        """From a flat {typed word: canonical} table; `french` names the form French shows.

        Words of the lookup other than the canonical ones and `english` count as French.
        """
        english_words = {fold(w) for w in english}
        table = {c: [french[c]] if c in french else [] for c in lookup.values()}
        extra: dict[str, list[str]] = {c: [] for c in table}
        for word, canonical in lookup.items():
            if word == canonical or word in table[canonical]:
                continue
            (extra if fold(word) in english_words else table)[canonical].append(word)
        return cls(
            {c: tuple(forms) for c, forms in table.items()},
            extra={c: tuple(forms) for c, forms in extra.items() if forms},
        )

    def resolve(self, typed: str) -> str | None:
        """The canonical word `typed` means, in either language; None if none."""
        lookup: dict[str, str] = self._lookup  # type: ignore[attr-defined]
        return lookup.get(fold(typed.strip()))

    def means(self, typed: str, canonical: str) -> bool:
        return self.resolve(typed) == canonical

    def shown(self, canonical: str, lang: str) -> str:
        """The word to show in `lang`: `noter` in French, `log` in English."""
        forms = self.table[canonical]
        return forms[0] if lang == "fr" and forms else canonical

    def english_only(self) -> set[str]:
        """Canonical words that are not also French: they must not appear in French text."""
        french = {fold(w) for forms in self.table.values() for w in forms}
        return {fold(w) for w in self.table if w and fold(w) not in french}


def option_aliases(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """{'supersedes': ('remplace',)} -> {'remplace': 'supersedes'}: French option names."""
    return {fold(alias): name for name, aliases in table.items() for alias in aliases}
