"""Alembic for the state that cannot be rebuilt from the log (deliveries, read-side status,
idempotency keys, later a key store). Read-model tables are derived and versioned instead.

Each service has its own migrations folder and version table, so the pipeline and the
notifications service can share a database (or a schema) and still migrate independently.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from helgeland_platform.leadership import advisory_key


class NotMigrated(Exception):
    """The database is behind this release's migrations (run the service's `migrate`)."""


def _config(location: Path, version_table: str, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(location))
    config.attributes["version_table"] = version_table
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def run_environment() -> None:
    """Alembic's `env.py` of each service: the connection and version table come from the
    caller (`upgrade`), never from a configuration file."""
    from alembic import context  # noqa: PLC0415 - only inside Alembic's run

    context.configure(
        connection=context.config.attributes["connection"],
        version_table=context.config.attributes["version_table"],
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def head(location: Path, version_table: str) -> str:
    revision = ScriptDirectory.from_config(_config(location, version_table)).get_current_head()
    assert revision is not None, f"no migrations in {location}"
    return revision


def current(engine: Engine, version_table: str) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(
            conn, opts={"version_table": version_table}
        ).get_current_revision()


def upgrade(engine: Engine, location: Path, version_table: str, schema: str | None) -> str | None:
    """Apply every pending migration in one transaction; return the revision it started from.

    Two processes starting at once migrate one after the other (a PostgreSQL advisory lock
    for the transaction; SQLite's engines take the database lock at BEGIN).
    """
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            key = advisory_key(schema, f"migrate:{version_table}")
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        before = MigrationContext.configure(
            conn, opts={"version_table": version_table}
        ).get_current_revision()
        command.upgrade(_config(location, version_table, conn), "head")
    return before


def require_current(engine: Engine, location: Path, version_table: str, how: str) -> None:
    """Refuse to start on a database this release has not migrated."""
    at, wanted = current(engine, version_table), head(location, version_table)
    if at != wanted:
        msg = f"the database is at migration {at or 'none'}, this release needs {wanted}: {how}"
        raise NotMigrated(msg)
