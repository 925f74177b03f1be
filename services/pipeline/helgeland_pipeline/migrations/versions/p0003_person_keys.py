"""The key store: one data key per person, outside the event log (crypto-shredding).

Revision ID: p0003_person_keys
Revises: p0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from helgeland_platform.columns import UtcDateTime

revision = "p0003_person_keys"
down_revision = "p0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_keys",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("key_id", sa.String(36), nullable=False, unique=True),
        sa.Column("key", sa.LargeBinary),  # NULL once the person is erased (a tombstone)
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("erased_at", UtcDateTime()),
    )


def downgrade() -> None:
    op.drop_table("person_keys")
