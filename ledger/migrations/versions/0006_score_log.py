"""score log: every score given, for matured performance and drift

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "score_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False, comment="entry number"),
        sa.Column(
            "scored_at", sa.DateTime(timezone=True), nullable=False, comment="when scored (UTC)"
        ),
        sa.Column("source", sa.String(length=16), nullable=False, comment="api, worklist or batch"),
        sa.Column(
            "invoice_id",
            sa.String(length=64),
            nullable=False,
            comment="the invoice scored (stored or sent in a request: no foreign key)",
        ),
        sa.Column("client_id", sa.String(length=64), nullable=False, comment="its client"),
        sa.Column("as_of", sa.Date(), nullable=False, comment="the date it was seen at"),
        sa.Column(
            "model_version",
            sa.String(length=32),
            nullable=False,
            comment="late-payment champion version",
        ),
        sa.Column("p_late", sa.Float(), nullable=False, comment="probability of late payment"),
        sa.Column("expected_date", sa.Date(), nullable=True, comment="expected payment date"),
        sa.Column("p10_date", sa.Date(), nullable=True, comment="P10 payment date"),
        sa.Column("p90_date", sa.Date(), nullable=True, comment="P90 payment date"),
        sa.PrimaryKeyConstraint("id"),
        comment="every score given, to join with outcomes once they are known (monitoring)",
    )
    # Read by date seen (monitoring reads up to a date, joins in memory): one index, as
    # each one more slows the bulk writes (a million rows a batch).
    with op.batch_alter_table("score_log") as batch:
        batch.create_index(batch.f("ix_score_log_as_of"), ["as_of"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("score_log") as batch:
        batch.drop_index(batch.f("ix_score_log_as_of"))
    op.drop_table("score_log")
