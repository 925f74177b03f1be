"""The read models' positions, as the first releases made them (adopted if present).

Revision ID: p0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "p0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("projection_tracking"):
        return  # made by a release before migrations: adopt it as it is
    op.create_table(
        "projection_tracking",
        sa.Column("projection", sa.String(100), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("projection_tracking")
