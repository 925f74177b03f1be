"""Candidates answer for themselves: the service remembers which municipality sent each
invitation, so the municipality hears the candidate's answer; and each offer's reminder, so an
answered offer's reminder is cancelled.

Revision ID: n0003
Revises: n0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0003"
down_revision = "n0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Adopted if present, as the baseline adopts (tables made from the service's metadata).
    inspector = sa.inspect(op.get_bind())
    if "notify_invitations" not in inspector.get_table_names():
        op.create_table(
            "notify_invitations",
            sa.Column("invitation_id", sa.String(36), primary_key=True),
            sa.Column("candidacy_id", sa.String(36), nullable=False),
            sa.Column("municipality", sa.String(4), nullable=False),
            sa.Column("kind", sa.String(20), nullable=False),
        )
    if "reminder_key" not in {c["name"] for c in inspector.get_columns("notify_offers")}:
        op.add_column("notify_offers", sa.Column("reminder_key", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("notify_offers") as batch:
        batch.drop_column("reminder_key")
    op.drop_table("notify_invitations")
