"""SQLAlchemy engines for one database URL: a SQLite file or PostgreSQL, optionally a schema.

Every engine hides statement parameters in its errors and logs: a failing write must never
print a person's name or e-mail into a log or a status table.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql:", "postgres:"))


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def check_schema_name(schema: str | None) -> None:
    """A schema is a plain lower-case identifier (it goes into `search_path` and DDL)."""
    if schema is not None and not SCHEMA_NAME.match(schema):
        msg = f"schema must be a lower-case identifier (letters, digits, _), not {schema!r}"
        raise ValueError(msg)


def ensure_schema(url: str, schema: str | None) -> None:
    """Create the configured PostgreSQL schema unless it exists (nothing to do on SQLite)."""
    if not is_postgres(url) or schema is None:
        return
    check_schema_name(schema)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def _driver_url(url: str, driver: str) -> str:
    if is_postgres(url):
        return f"postgresql+{driver}://{url.split('://', 1)[1]}"
    return f"sqlite+{driver}:///{sqlite_path(url)}"


def sync_engine(url: str, schema: str | None, **options: Any) -> Engine:
    """A synchronous engine (psycopg or sqlite3), parameters hidden from errors and logs."""
    if is_postgres(url):
        args = {"options": f"-c search_path={schema}"} if schema else {}
        return create_engine(
            _driver_url(url, "psycopg"), connect_args=args, hide_parameters=True, **options
        )
    engine = create_engine(
        _driver_url(url, "pysqlite"),
        connect_args={"timeout": 30},
        hide_parameters=True,
        **options,
    )
    _sqlite_pragmas(engine)
    _sqlite_begin_immediate(engine)
    return engine


def async_engine(url: str, schema: str | None, **options: Any) -> AsyncEngine:
    """An asynchronous engine (asyncpg or aiosqlite), parameters hidden from errors and logs."""
    if is_postgres(url):
        args = {"server_settings": {"search_path": schema}} if schema else {}
        return create_async_engine(
            _driver_url(url, "asyncpg"), connect_args=args, hide_parameters=True, **options
        )
    engine = create_async_engine(
        _driver_url(url, "aiosqlite"),
        connect_args={"timeout": 30},
        hide_parameters=True,
        **options,
    )
    _sqlite_pragmas(engine.sync_engine)
    return engine


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted and overwritten rows are zeroed, not left in free pages: an erased person's
        # data must not survive in the file (crypto-shredding's derived copies).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()


def checkpoint(engine: Engine) -> bool:
    """SQLite: copy the write-ahead log into the database file and truncate it to nothing, so
    that old page images (an erased person's rows before they were blanked) leave the WAL.
    True when complete (False: a reader held an old snapshot; the next checkpoint finishes).
    Nothing to do on PostgreSQL, whose dumps hold only live rows."""
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()  # outside a transaction: BEGIN IMMEDIATE would block it
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy = (cursor.fetchone() or (1,))[0]
        cursor.close()
    finally:
        raw.close()
    return not busy


def _sqlite_begin_immediate(engine: Engine) -> None:
    """Every transaction takes SQLite's write lock at BEGIN, not at its first write.

    sqlite3 otherwise begins only before the first write, so a read-then-write transaction
    (read a position, then apply the events after it) can read a value another writer is
    about to change, and write on top of it.
    """

    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: object) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
