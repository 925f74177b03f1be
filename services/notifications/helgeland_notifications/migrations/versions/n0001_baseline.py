"""The notifications service's tables as the first releases made them (adopted if present).

Revision ID: n0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from helgeland_platform.columns import UtcDateTime

revision = "n0001"
down_revision = None
branch_labels = None
depends_on = None

S36, S4 = sa.String(36), sa.String(4)


def _tables() -> dict[str, list[sa.Column[object]]]:
    return {
        "notify_tracking": [
            sa.Column("name", sa.String(50), primary_key=True),
            sa.Column("position", sa.BigInteger, nullable=False),
            sa.Column("quiet_until", sa.BigInteger, nullable=False),
        ],
        "notify_people": [
            sa.Column("candidate_id", S36, primary_key=True),
            sa.Column("name", sa.String(200)),
            sa.Column("email", sa.String(320)),
            sa.Column("consent_withdrawn", sa.Boolean, nullable=False),
        ],
        "notify_rounds": [
            sa.Column("round_id", S36, primary_key=True),
            sa.Column("name", sa.String(200), nullable=False),
        ],
        "notify_candidacies": [
            sa.Column("candidacy_id", S36, primary_key=True),
            sa.Column("candidate_id", S36, nullable=False, index=True),
        ],
        "notify_offers": [
            sa.Column("offer_id", S36, primary_key=True),
            sa.Column("candidacy_id", S36, nullable=False),
            sa.Column("municipality", S4, nullable=False),
        ],
        "notify_careers": [
            sa.Column("career_id", S36, primary_key=True),
            sa.Column("candidate_id", S36, nullable=False),
            sa.Column("municipality", S4),
        ],
        "notify_subscriptions": [
            sa.Column("subscription_id", S36, primary_key=True),
            sa.Column("organisation", sa.String(200), nullable=False),
            sa.Column("role", sa.String(40), nullable=False),
            sa.Column("municipality", S4),
            sa.Column("url", sa.String(2000), nullable=False),
            sa.Column("event_types", sa.JSON, nullable=False),
            sa.Column("secret", sa.String(200), nullable=False),
            sa.Column("active", sa.Boolean, nullable=False),
        ],
        "notify_deliveries": [
            sa.Column("key", sa.String(64), primary_key=True),
            sa.Column("position", sa.BigInteger, nullable=False, index=True),
            sa.Column("channel", sa.String(10), nullable=False),
            sa.Column("recipient", sa.String(2000), nullable=False),
            sa.Column("candidate_id", S36, index=True),
            sa.Column("audience", sa.String(20), nullable=False),
            sa.Column("subject", sa.String(300)),
            sa.Column("body_text", sa.Text),
            sa.Column("body_html", sa.Text),
            sa.Column("payload", sa.JSON),
            sa.Column("subscription_id", S36),
            sa.Column("status", sa.String(12), nullable=False, index=True),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("next_attempt_at", UtcDateTime(), nullable=False, index=True),
            sa.Column("last_error", sa.Text),
            sa.Column("created_at", UtcDateTime(), nullable=False),
            sa.Column("delivered_at", UtcDateTime()),
        ],
    }


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, columns in _tables().items():
        if name not in existing:  # tables of a release before migrations are adopted
            op.create_table(name, *columns)


def downgrade() -> None:
    for name in reversed(list(_tables())):
        op.drop_table(name)
