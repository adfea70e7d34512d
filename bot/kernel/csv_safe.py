"""CSV that spreadsheets open as data, never as formulas (CSV injection).

Every export writes through `writer` / `DictWriter`. defusedcsv prefixes a cell
that starts with `=`, `+`, `-`, `@`, `|` or `%` (numbers such as `-12` excepted)
with a `'`, which spreadsheets show but do not evaluate; cells that start with a
tab or a carriage return (which some spreadsheets skip before reading a formula)
get the same prefix here. `unescape` undoes it, so that Accord's own importers
read back what its exports wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from defusedcsv import csv as _defused

_WHITESPACE_LEADS = ("\t", "\r")
_FORMULA_LEADS = ("=", "+", "-", "@", "|", "%", *_WHITESPACE_LEADS)


def _cell(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value.startswith(_WHITESPACE_LEADS):
        value = "'" + value
    # Python 3.11's writer leaves a lone CR unquoted with a "\n" line end, which
    # breaks the row for every reader: line breaks inside a cell are written "\n".
    return value.replace("\r\n", "\n").replace("\r", "\n")


def unescape(cell: str) -> str:
    """The value an export neutralised: `'=1+1` -> `=1+1` (defusedcsv also wrote `\\|`)."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in _FORMULA_LEADS:
        return cell[1:].replace("\\|", "|")
    return cell


class _Writer:
    def __init__(self, out: IO[str], **fmt: Any) -> None:
        self._writer = _defused.writer(out, **fmt)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: IO[str], **fmt: Any) -> _Writer:
    return _Writer(out, **fmt)


class DictWriter:
    def __init__(self, out: IO[str], fieldnames: Sequence[str], **fmt: Any) -> None:
        self.fieldnames = list(fieldnames)
        self._writer = _Writer(out, **fmt)

    def writeheader(self) -> None:
        self._writer.writerow(self.fieldnames)

    def writerow(self, row: Mapping[str, Any]) -> None:
        unknown = set(row) - set(self.fieldnames)
        if unknown:
            raise ValueError(f"dict contains fields not in fieldnames: {sorted(unknown)}")
        self._writer.writerow([row.get(name, "") for name in self.fieldnames])
