"""`docs/permissions.md` shows the permission table the core enforces: both must agree."""

from __future__ import annotations

import re
from pathlib import Path

from bot.kernel.permissions import TABLE, Permission, Role

DOC = Path(__file__).parents[2] / "docs" / "permissions.md"
COLUMNS = {
    "representative": Role.REPRESENTATIVE,
    "member": Role.MEMBER,
    "guest": Role.GUEST,
    "workspace admin": Role.WORKSPACE_ADMIN,
}


def _cells(line: str) -> list[str]:
    # `\|` inside a cell is an escaped pipe, not a column.
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def doc_table() -> dict[str, frozenset[Role]]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| what | permission |"))
    header = _cells(lines[start])
    roles = {i: COLUMNS[name] for i, name in enumerate(header) if name in COLUMNS}
    assert len(roles) == len(COLUMNS), header
    table: dict[str, frozenset[Role]] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        name = cells[1].strip("`")
        assert name not in table, f"{name} listed twice"
        marks = {i: cells[i] for i in roles}
        assert set(marks.values()) <= {"✓", "—"}, line
        table[name] = frozenset(roles[i] for i, mark in marks.items() if mark == "✓")
    return table


def test_the_documented_table_is_the_enforced_one() -> None:
    documented = doc_table()
    enforced = {p.value: roles for p, roles in TABLE.items()}
    assert documented == enforced


def test_every_permission_has_a_row_and_localized_texts() -> None:
    from bot.kernel.i18n import Translator

    assert set(TABLE) == set(Permission)
    for lang in ("en", "fr"):
        t = Translator(lang)
        for permission in Permission:
            assert t.has(f"permissions.action.{permission.value}")
            assert t.has(f"permissions.who.{permission.value}")


def test_the_readme_links_the_table() -> None:
    readme = (DOC.parent.parent / "README.md").read_text(encoding="utf-8")
    assert "(docs/permissions.md)" in readme
