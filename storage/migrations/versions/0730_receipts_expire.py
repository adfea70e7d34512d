"""receipts expire: an index to purge old delivery receipts; kept replies lose file bytes

Replies kept for retried deliveries (`processed_request.replies_json`) used to
hold every file as base64, forever. From here they are kept a day, without
file bytes. This migration cleans what is there: receipts older than a day go,
and the others keep their replies with each file's name but not its content.

Revision ID: 0730
Revises: 0720
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0730"
down_revision: str | Sequence[str] | None = "0720"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECEIPT_TTL = timedelta(hours=24)  # as bot.delivery.dispatcher.RECEIPT_TTL, frozen here

_receipts = sa.table(
    "processed_request",
    sa.column("id", sa.Integer()),
    sa.column("replies_json", sa.Text()),
    sa.column("created_at", storage.types.UTCDateTime()),
)


def _without_files(raw: str) -> str:
    replies = json.loads(raw)
    kept = []
    for reply_json in replies:
        reply = json.loads(reply_json)
        for attachment in [reply.get("image"), *reply.get("attachments", [])]:
            if attachment is not None:
                attachment["content"] = None
        kept.append(json.dumps(reply, ensure_ascii=False))
    return json.dumps(kept, ensure_ascii=False)


def upgrade() -> None:
    with op.batch_alter_table("processed_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processed_request_created_at"), ["created_at"], unique=False
        )
    conn = op.get_bind()
    cutoff = datetime.now(UTC) - RECEIPT_TTL
    conn.execute(sa.delete(_receipts).where(_receipts.c.created_at < cutoff))
    # What is left is at most a day of receipts; only those with a file change.
    rows = conn.execute(
        sa.select(_receipts.c.id, _receipts.c.replies_json).where(
            _receipts.c.replies_json.like("%content%")
        )
    ).all()
    for row_id, raw in rows:
        cleaned = _without_files(raw)
        if cleaned != raw:
            conn.execute(
                sa.update(_receipts).where(_receipts.c.id == row_id).values(replies_json=cleaned)
            )


def downgrade() -> None:
    with op.batch_alter_table("processed_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_request_created_at"))
