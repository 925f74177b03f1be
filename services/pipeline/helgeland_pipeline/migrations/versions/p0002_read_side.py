"""The read side's own state: failures, skipped events, versions; and idempotency keys.

Revision ID: p0002
Revises: p0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from helgeland_platform.columns import UtcDateTime

revision = "p0002"
down_revision = "p0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projection_failures",
        sa.Column("projection", sa.String(100), primary_key=True),
        sa.Column("position", sa.BigInteger),
        sa.Column("event_type", sa.String(200)),
        sa.Column("error_type", sa.String(200), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("first_failed_at", UtcDateTime(), nullable=False),
        sa.Column("last_failed_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "projection_skips",
        sa.Column("projection", sa.String(100), primary_key=True),
        sa.Column("position", sa.BigInteger, primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("skipped_by", sa.String(200), nullable=False),
        sa.Column("skipped_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "projection_versions",
        sa.Column("projection", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("tables", sa.JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
        sa.Column("live_at", UtcDateTime()),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String, primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("headers", sa.JSON),
        sa.Column("body", sa.LargeBinary),
        sa.Column("created_at", UtcDateTime(), nullable=False, index=True),
    )


def downgrade() -> None:
    for table in ("idempotency_keys", "projection_versions", "projection_skips"):
        op.drop_table(table)
    op.drop_table("projection_failures")
