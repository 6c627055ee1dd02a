"""effets (bills, compte 413); invoices.doubtful_date (compte 416) and reference

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 11:00:00.000000
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
        batch.add_column(
            sa.Column(
                "reference",
                sa.Text(),
                nullable=True,
                comment="number printed on the invoice (a FEC's PieceRef) when the id is another",
            )
        )
    op.create_table(
        "effets",
        sa.Column("effet_id", sa.String(length=64), nullable=False, comment="bill identifier"),
        sa.Column(
            "client_id",
            sa.String(length=64),
            nullable=False,
            comment="drawee (tiré); must exist in clients",
        ),
        sa.Column(
            "invoice_id",
            sa.String(length=64),
            nullable=True,
            comment="invoice the bill pays, when known",
        ),
        sa.Column(
            "kind", sa.String(length=32), nullable=True, comment="lcr or billet (billet à ordre)"
        ),
        sa.Column(
            "drawn_date", sa.Date(), nullable=False, comment="date the bill was drawn or accepted"
        ),
        sa.Column(
            "due_date",
            sa.Date(),
            nullable=False,
            comment="due date (échéance); on or after the drawn date",
        ),
        sa.Column(
            "amount",
            sa.Numeric(precision=18, scale=2),
            nullable=False,
            comment="amount of the bill, greater than zero",
        ),
        sa.Column("currency", sa.Text(), nullable=True, comment="ISO 4217 currency"),
        sa.Column(
            "remitted_date",
            sa.Date(),
            nullable=True,
            comment="date remitted to the bank; empty while held",
        ),
        sa.Column(
            "remittance",
            sa.String(length=32),
            nullable=True,
            comment="collection (à l'encaissement) or discount (à l'escompte); empty while held",
        ),
        sa.Column(
            "unpaid_date",
            sa.Date(),
            nullable=True,
            comment="date returned unpaid (impayé); empty otherwise",
        ),
        sa.Column("extra", sa.JSON(), nullable=True, comment="user columns x_*"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"]),
        sa.PrimaryKeyConstraint("effet_id"),
        comment="bills receivable (effets à recevoir, compte 413): LCR and billets à ordre",
    )
    with op.batch_alter_table("effets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_effets_client_id"), ["client_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("effets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_effets_client_id"))
    op.drop_table("effets")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("reference")
        batch.drop_column("doubtful_date")
