"""ledger version: one row bumped by every write, and the clients each version changed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    version = op.create_table(
        "ledger_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False, comment="always 1"),
        sa.Column(
            "version",
            sa.Integer(),
            nullable=False,
            comment="bumped by every write to the ledger",
        ),
        sa.CheckConstraint("id = 1", name="ck_ledger_version_one_row"),
        sa.PrimaryKeyConstraint("id"),
        comment="the ledger's version: one row, its number raised by every import and action",
    )
    op.bulk_insert(version, [{"id": 1, "version": 0}])
    op.create_table(
        "ledger_changes",
        sa.Column(
            "version", sa.Integer(), autoincrement=False, nullable=False, comment="version made"
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, comment="when (UTC)"),
        sa.Column(
            "client_ids",
            sa.JSON(),
            nullable=True,
            comment="clients whose rows the write changed; empty when too many to list (any)",
        ),
        sa.PrimaryKeyConstraint("version"),
        comment="what each ledger version changed, so that a reader rereads only those clients",
    )


def downgrade() -> None:
    op.drop_table("ledger_changes")
    op.drop_table("ledger_version")
