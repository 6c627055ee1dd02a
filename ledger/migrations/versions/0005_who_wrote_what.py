"""who wrote what: recorded_by/recorded_at, the audit log, key expiry and last use

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

RECORDED = ("payments", "actions", "bank_lines")


def upgrade() -> None:
    # Plain nullable columns: SQLite adds them in place (a foreign key to api_keys would
    # make it copy the payments table, which lettrage proposals reference).
    for table in RECORDED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    "recorded_by",
                    sa.Integer(),
                    nullable=True,
                    comment="API key that wrote the row last; empty when imported from a file",
                )
            )
            batch.add_column(
                sa.Column(
                    "recorded_at",
                    sa.DateTime(timezone=True),
                    nullable=True,
                    comment="when the API wrote the row last (UTC)",
                )
            )
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(
            sa.Column(
                "expires_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="when the key stops working (UTC); empty for never",
            )
        )
        batch.add_column(
            sa.Column(
                "last_used_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="when the API last let the key in (UTC), to the minute",
            )
        )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False, comment="entry number"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, comment="when (UTC)"),
        sa.Column("key_id", sa.Integer(), nullable=True, comment="API key that wrote"),
        sa.Column("role", sa.String(length=16), nullable=True, comment="the key's role then"),
        sa.Column("method", sa.String(length=8), nullable=False, comment="HTTP method"),
        sa.Column(
            "route",
            sa.String(length=200),
            nullable=False,
            comment="route template, e.g. /v1/actions",
        ),
        sa.Column("summary", sa.Text(), nullable=False, comment="what was written, in words"),
        sa.Column(
            "ids", sa.JSON(), nullable=True, comment="ids of the rows written (the first 100)"
        ),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"]),
        sa.PrimaryKeyConstraint("id"),
        comment="every write through the API: who, what, when",
    )
    with op.batch_alter_table("audit_log") as batch:
        batch.create_index(batch.f("ix_audit_log_at"), ["at"], unique=False)
        batch.create_index(batch.f("ix_audit_log_key_id"), ["key_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index(batch.f("ix_audit_log_key_id"))
        batch.drop_index(batch.f("ix_audit_log_at"))
    op.drop_table("audit_log")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("last_used_at")
        batch.drop_column("expires_at")
    for table in reversed(RECORDED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("recorded_at")
            batch.drop_column("recorded_by")
