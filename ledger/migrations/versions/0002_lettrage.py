"""lettrage tables: bank lines and proposals

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 23:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bank_lines",
        sa.Column("line_id", sa.String(length=64), nullable=False, comment="bank line identifier"),
        sa.Column("date", sa.Date(), nullable=False, comment="date credited"),
        sa.Column(
            "amount",
            sa.Numeric(precision=18, scale=2),
            nullable=False,
            comment="amount credited, > 0",
        ),
        sa.Column("label", sa.Text(), nullable=False, comment="the bank's text"),
        sa.Column(
            "client_id", sa.String(length=64), nullable=True, comment="paying client, when known"
        ),
        sa.Column("currency", sa.Text(), nullable=False, comment="ISO 4217 currency"),
        sa.PrimaryKeyConstraint("line_id"),
        comment="bank statement lines imported for lettrage",
    )
    op.create_table(
        "lettrage_proposals",
        sa.Column("id", sa.String(length=160), nullable=False, comment="<line_id>:<invoice_id>"),
        sa.Column("line_id", sa.String(length=64), nullable=False, comment="bank line"),
        sa.Column(
            "invoice_id",
            sa.String(length=64),
            nullable=True,
            comment="invoice proposed; empty for what the line leaves unallocated",
        ),
        sa.Column(
            "client_id", sa.String(length=64), nullable=True, comment="client of the invoice"
        ),
        sa.Column(
            "amount", sa.Numeric(precision=18, scale=2), nullable=False, comment="amount allocated"
        ),
        sa.Column(
            "rule", sa.String(length=32), nullable=False, comment="rule that made the proposal"
        ),
        sa.Column(
            "client_from", sa.String(length=16), nullable=True, comment="how the client was found"
        ),
        sa.Column(
            "confidence", sa.Float(), nullable=False, comment="estimated probability it is right"
        ),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="applied, review or rejected"
        ),
        sa.Column(
            "payment_id",
            sa.String(length=64),
            nullable=True,
            comment="payment written when applied",
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, comment="when proposed"
        ),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.invoice_id"]),
        sa.ForeignKeyConstraint(["line_id"], ["bank_lines.line_id"]),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.payment_id"]),
        sa.PrimaryKeyConstraint("id"),
        comment="lettrage proposals: applied, waiting for review, or rejected",
    )
    with op.batch_alter_table("lettrage_proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lettrage_proposals_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lettrage_proposals_line_id"), ["line_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_lettrage_proposals_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lettrage_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lettrage_proposals_status"))
        batch_op.drop_index(batch_op.f("ix_lettrage_proposals_line_id"))
        batch_op.drop_index(batch_op.f("ix_lettrage_proposals_invoice_id"))

    op.drop_table("lettrage_proposals")
    op.drop_table("bank_lines")
