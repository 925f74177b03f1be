"""The access log is append-only in fact: triggers refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL) of its tables, except the worker's pruning of entries past the retention.

The pruning says who it is inside its own transaction: on PostgreSQL with the transaction-local
setting `helgeland.access_log_pruning = on`; on SQLite (no session settings) with the one row of
`access_log_pruning`, inserted and deleted again in that transaction, so no other connection
ever sees it. Anyone with the database's owner rights can still drop a trigger: this keeps the
application, an operator's ad-hoc SQL and any bug from rewriting the log, not a hostile owner.

Revision ID: p0005
Revises: p0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "p0005"
down_revision = "p0004"
branch_labels = None
depends_on = None

TABLES = ("access_log", "access_log_subjects")
REFUSED = "the access log is append-only"

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND coalesce(current_setting('helgeland.access_log_pruning', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '{REFUSED}: % of % refused (only the pruning deletes)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()"
            )
        return
    op.create_table(
        "access_log_pruning",
        sa.Column("id", sa.Integer, sa.CheckConstraint("id = 1"), primary_key=True),
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSED}: UPDATE refused'); END"
        )
        refuse = f"SELECT RAISE(ABORT, '{REFUSED}: DELETE refused (only the pruning deletes)')"
        unless = "WHEN NOT EXISTS (SELECT 1 FROM access_log_pruning)"
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} {unless} "
            f"BEGIN {refuse}; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION access_log_append_only()")
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_no_update")
        op.execute(f"DROP TRIGGER {table}_no_delete")
    op.drop_table("access_log_pruning")
