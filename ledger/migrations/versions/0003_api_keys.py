"""api keys: hashed tokens with a role

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False, comment="key number"),
        sa.Column(
            "name", sa.String(length=100), nullable=True, comment="who or what holds the key"
        ),
        sa.Column(
            "role", sa.String(length=16), nullable=False, comment="viewer, collector or admin"
        ),
        sa.Column(
            "key_hash",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the token, hex; the token itself is never stored",
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when created (UTC)",
        ),
        sa.Column(
            "revoked_at", sa.DateTime(timezone=True), nullable=True, comment="when revoked (UTC)"
        ),
        sa.CheckConstraint("role IN ('viewer', 'collector', 'admin')", name="ck_api_keys_role"),
        sa.PrimaryKeyConstraint("id"),
        comment="keys of the HTTP API, each with a role",
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_key_hash"), ["key_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_key_hash"))

    op.drop_table("api_keys")
