"""One active worker per (schema, name): a PostgreSQL advisory lock or a lock file for SQLite.

Both are released by the server or the operating system when the process dies, so a standby
takes over from a killed worker. The name carries what must not run twice (a projection and its
version, the notifications worker); the PostgreSQL key also carries the schema, so two
installations in separate schemas of one database never block each other.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text


def advisory_key(schema: str | None, name: str) -> int:
    """A signed 64-bit key for `pg_try_advisory_lock`, stable across processes and versions."""
    digest = hashlib.blake2b(f"helgeland:{schema or 'public'}:{name}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def lock_file(database: str, name: str) -> Path:
    """The lock file beside a SQLite database for a worker name."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return Path(f"{database}.{safe}.lock")


class Leadership:
    """Try to become the one active worker; `acquire` never blocks, call it again to retry."""

    def __init__(self, engine: Engine, schema: str | None, name: str) -> None:
        self.engine = engine
        self.schema = schema
        self.name = name
        self.held = False
        self._conn: Connection | None = None
        self._file: IO[bytes] | None = None

    def __enter__(self) -> Leadership:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> bool:
        if self.held:
            return True
        if self.engine.dialect.name == "postgresql":
            if self._conn is None:
                self._conn = self.engine.connect()
            key = advisory_key(self.schema, self.name)
            got = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})
            self.held = bool(got.scalar_one())
            self._conn.commit()
            return self.held
        if self._file is None:
            path = lock_file(self.engine.url.database or "", self.name)
            self._file = path.open("ab")
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.held = True
        return True

    def release(self) -> None:
        if self._conn is not None:
            # The pool keeps the session open: give the lock back before returning it.
            if self.held:
                self._conn.execute(
                    text("SELECT pg_advisory_unlock(:k)"),
                    {"k": advisory_key(self.schema, self.name)},
                )
                self._conn.commit()
            self._conn.close()
            self._conn = None
        if self._file is not None:
            self._file.close()  # and the file lock with its file
            self._file = None
        self.held = False

    @staticmethod
    def is_free(engine: Engine, schema: str | None, name: str) -> bool:
        """Whether nobody holds the leadership right now (it may be taken a moment later)."""
        probe = Leadership(engine, schema, name)
        try:
            return probe.acquire()
        finally:
            probe.release()
