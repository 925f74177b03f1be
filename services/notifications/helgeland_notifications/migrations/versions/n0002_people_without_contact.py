"""Minimisation: the service no longer keeps candidates' names and e-mail addresses. It asks
the log for them when a message to the candidate needs them; copies kept before are cleared.

Revision ID: n0002
Revises: n0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n0002"
down_revision = "n0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    people = sa.table("notify_people", sa.column("name"), sa.column("email"))
    op.execute(people.update().values(name=None, email=None))


def downgrade() -> None:
    """Nothing to restore: the log still holds the details, and the service no longer reads
    them from this table."""
