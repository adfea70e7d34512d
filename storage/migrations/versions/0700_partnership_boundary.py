"""The partnership is the boundary: link codes; checklist, reminders and digest per partnership

- `link_code`: the one-time codes of `/accord link` (hashed, single use, 15 minutes).
- Links between channels made with `/accord channel <id>` (no consent asked) are cut.
- `contract_template_term` gets `partnership_id`: a workspace's own checklist is copied
  to every partnership of that workspace (each keeps exactly the checklist it had), and
  a change in one partnership no longer touches the others.
- `reminder_policy` gets `partnership_id` (from the shared channel it was keyed by);
  `kpi_digest_schedule` becomes unique per partnership.

Revision ID: 0700
Revises: 0600
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import storage.types

revision: str = "0700"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _str(length: int) -> AutoString:
    return AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "link_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", _str(16), nullable=False),
        sa.Column("team_id", _str(64), nullable=False),
        sa.Column("channel_id", _str(64), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", _str(64), nullable=False),
        sa.Column("created_by", _str(64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("used_by", _str(64), nullable=True),
        sa.Column("used_platform", _str(16), nullable=True),
        sa.Column("used_team_id", _str(64), nullable=True),
        sa.Column("used_channel_id", _str(64), nullable=True),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnership.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash", name="uq_link_code_hash"),
    )
    op.create_index("ix_link_code_expires", "link_code", ["expires_at"], unique=False)

    # -- links made before consent was required ----------------------------------------
    # `/accord channel <id>` linked any channel (a DM too) to any partnership without the
    # partnership's consent: such links are cut, nothing else is touched (every decision
    # stays in its partnership). Channels that should work on a partnership are linked
    # again with the handshake (`/accord link`).
    op.execute("UPDATE channel SET shared_channel_id = NULL WHERE shared_channel_id IS NOT NULL")

    # -- the contract checklist: from the workspace to each of its partnerships --------
    with op.batch_alter_table("contract_template_term") as batch:
        batch.add_column(sa.Column("partnership_id", sa.Integer(), nullable=True))
        batch.drop_constraint("uq_contract_template_term", type_="unique")
    op.execute(
        "INSERT INTO contract_template_term"
        " (platform, team_id, partnership_id, key, position, label, created_at)"
        " SELECT t.platform, t.team_id, p.id, t.key, t.position, t.label, t.created_at"
        " FROM contract_template_term t JOIN partnership p"
        " ON p.platform = t.platform AND p.team_id = t.team_id"
        " WHERE t.partnership_id IS NULL"
    )
    op.execute("DELETE FROM contract_template_term WHERE partnership_id IS NULL")
    with op.batch_alter_table("contract_template_term") as batch:
        batch.alter_column("partnership_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            "fk_contract_template_term_partnership", "partnership", ["partnership_id"], ["id"]
        )
        batch.create_unique_constraint(
            "uq_contract_template_term_partnership", ["partnership_id", "key"]
        )
        batch.create_index("ix_contract_template_term_tenant", ["platform", "team_id"])

    # -- the reminder policy: keyed by the partnership, not its channel id ------------
    with op.batch_alter_table("reminder_policy") as batch:
        batch.add_column(sa.Column("partnership_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE reminder_policy SET partnership_id = (SELECT p.id FROM partnership p"
        " WHERE p.platform = reminder_policy.platform AND p.team_id = reminder_policy.team_id"
        " AND p.channel_id = reminder_policy.channel_id)"
    )
    # A policy of a channel that never had a partnership applies to nothing.
    op.execute("DELETE FROM reminder_policy WHERE partnership_id IS NULL")
    with op.batch_alter_table("reminder_policy") as batch:
        batch.alter_column("partnership_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint("uq_reminder_policy", type_="unique")
        batch.create_foreign_key(
            "fk_reminder_policy_partnership", "partnership", ["partnership_id"], ["id"]
        )
        batch.create_unique_constraint("uq_reminder_policy_partnership", ["partnership_id"])
        batch.create_index("ix_reminder_policy_tenant", ["platform", "team_id"])

    # -- the digest schedule: one per partnership -------------------------------------
    op.execute(
        "DELETE FROM kpi_digest_schedule WHERE id NOT IN"
        " (SELECT MIN(id) FROM kpi_digest_schedule GROUP BY partnership_id)"
    )
    with op.batch_alter_table("kpi_digest_schedule") as batch:
        batch.drop_constraint("uq_kpi_digest_channel", type_="unique")
        batch.create_unique_constraint("uq_kpi_digest_partnership", ["partnership_id"])
        batch.create_index("ix_kpi_digest_schedule_tenant", ["platform", "team_id"])


def downgrade() -> None:
    with op.batch_alter_table("kpi_digest_schedule") as batch:
        batch.drop_index("ix_kpi_digest_schedule_tenant")
        batch.drop_constraint("uq_kpi_digest_partnership", type_="unique")
        batch.create_unique_constraint(
            "uq_kpi_digest_channel", ["platform", "team_id", "channel_id"]
        )

    with op.batch_alter_table("reminder_policy") as batch:
        batch.drop_index("ix_reminder_policy_tenant")
        batch.drop_constraint("uq_reminder_policy_partnership", type_="unique")
        batch.drop_constraint("fk_reminder_policy_partnership", type_="foreignkey")
        batch.drop_column("partnership_id")
        batch.create_unique_constraint("uq_reminder_policy", ["platform", "team_id", "channel_id"])

    # Back to one checklist per workspace: that of its oldest partnership with one.
    op.execute(
        "DELETE FROM contract_template_term WHERE partnership_id <> (SELECT MIN(o.partnership_id)"
        " FROM contract_template_term o WHERE o.platform = contract_template_term.platform"
        " AND o.team_id = contract_template_term.team_id)"
    )
    with op.batch_alter_table("contract_template_term") as batch:
        batch.drop_index("ix_contract_template_term_tenant")
        batch.drop_constraint("uq_contract_template_term_partnership", type_="unique")
        batch.drop_constraint("fk_contract_template_term_partnership", type_="foreignkey")
        batch.drop_column("partnership_id")
        batch.create_unique_constraint("uq_contract_template_term", ["platform", "team_id", "key"])

    op.drop_index("ix_link_code_expires", table_name="link_code")
    op.drop_table("link_code")
