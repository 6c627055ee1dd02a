"""invoices.doubtful_date: when an invoice moved to créances douteuses (416)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 11:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(
            sa.Column(
                "doubtful_date",
                sa.Date(),
                nullable=True,
                comment="date moved to créances douteuses (compte 416); empty while not douteuse",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("doubtful_date")
