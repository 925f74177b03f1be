"""The access log (Normen): every read of personal data, kept apart from the event log.

Revision ID: p0004
Revises: p0003_person_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from helgeland_platform.columns import UtcDateTime

revision = "p0004"
down_revision = "p0003_person_keys"
branch_labels = None
depends_on = None

ENTRY_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite: the rowid


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", ENTRY_ID, primary_key=True, autoincrement=True),
        sa.Column("at", UtcDateTime(), nullable=False, index=True),
        sa.Column("person", sa.String(200), nullable=False, index=True),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("municipality", sa.String(4)),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("route", sa.String(300), nullable=False),
        sa.Column("candidate_ids", sa.JSON, nullable=False),
    )
    op.create_table(
        "access_log_subjects",
        sa.Column("entry_id", sa.BigInteger, primary_key=True),
        sa.Column("candidate_id", sa.String(36), primary_key=True),
        sa.Column("at", UtcDateTime(), nullable=False, index=True),
    )
    op.create_index(
        "ix_access_log_subjects_candidate", "access_log_subjects", ["candidate_id", "entry_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_access_log_subjects_candidate", "access_log_subjects")
    op.drop_table("access_log_subjects")
    op.drop_table("access_log")
