"""Join the capability branches into one head.

Each capability was built on its own branch off 0001; from here on there is
a single head again, and new migrations revise 0600.

Revision ID: 0600
Revises: 0100, 0200, 0300, 0400, 0500
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0600"
down_revision: str | Sequence[str] | None = ("0100", "0200", "0300", "0400", "0500")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
