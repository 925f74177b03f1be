"""The key store: one data key per person, outside the event log (crypto-shredding).

`person_keys` holds a 32-byte AES key per person (the candidate's id), made on first use.
Erasing a person overwrites their key with NULL and stamps `erased_at`: the row stays as a
tombstone, so that nothing can silently give an erased person a new key and store their data
readable again (sealing for them is refused). The pipeline's migrations own the table; the
notifications service only reads keys (`KeyStore.key_by_id`) to open the fields it needs.

Keys are cached per process: a key by its id for `ttl` seconds (60), counted from when it was
read from the table, so a key erased by another process is served here for at most `ttl`
seconds after the erasure (whoever reads the `Erased` event evicts at once); a missing or
erased key for ever (an erased key never comes back, and key ids are never reused). The clock
is the monotonic one unless a test passes its own.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from helgeland_platform.columns import UtcDateTime

KEY_BYTES = 32
DEFAULT_TTL_SECONDS = 60.0

metadata = MetaData()

person_keys = Table(
    "person_keys",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("key_id", String(36), nullable=False, unique=True),
    Column("key", LargeBinary),  # NULL once the person is erased
    Column("created_at", UtcDateTime(), nullable=False),
    Column("erased_at", UtcDateTime()),
)


class PersonErased(Exception):
    """The person's key was destroyed: nothing more can be sealed for them."""

    def __init__(self, person_id: str) -> None:
        self.person_id = person_id
        super().__init__("the person's personal data has been erased")


class KeyStore:
    """Get-or-create, look up, and destroy persons' data keys, cached per process."""

    def __init__(
        self,
        engine: Engine,
        ttl: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 <= ttl <= DEFAULT_TTL_SECONDS:
            msg = f"a key may be cached for 0 to {DEFAULT_TTL_SECONDS:g} seconds, not {ttl}"
            raise ValueError(msg)
        self.engine = engine
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._by_person: dict[str, tuple[str, bytes, float]] = {}  # person -> key id, key, at
        self._by_id: dict[str, tuple[str, bytes, float]] = {}  # key id -> person, key, at
        self._gone: set[str] = set()  # key ids known to be erased

    # --- sealing -------------------------------------------------------------------------------

    def key_for(self, person_id: str) -> tuple[str, bytes]:
        """The person's key id and key, made now if they have none; `PersonErased` if erased."""
        now = self.clock()
        with self._lock:
            cached = self._by_person.get(person_id)
        if cached is not None and now - cached[2] < self.ttl:
            return cached[0], cached[1]
        with self.engine.begin() as conn:
            conn.execute(self._insert_new(person_id))
            row = conn.execute(
                select(person_keys.c.key_id, person_keys.c.key).where(
                    person_keys.c.person_id == person_id
                )
            ).one()
        if row.key is None:
            with self._lock:
                self._gone.add(row.key_id)
            raise PersonErased(person_id)
        key_id, key = str(row.key_id), bytes(row.key)
        self._remember(person_id, key_id, key, now)
        return key_id, key

    def prepare(self, person_ids: Collection[str]) -> None:
        """Make (or read) and cache many persons' keys in one transaction: a bulk import seals
        for thousands of new people at once, not with a round trip each."""
        now = time.monotonic()
        with self._lock:
            missing = sorted({p for p in person_ids if p not in self._by_person})
        if not missing:
            return
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        fresh = [
            {
                "person_id": person_id,
                "key_id": str(uuid.uuid4()),
                "key": secrets.token_bytes(KEY_BYTES),
                "created_at": datetime.now(UTC),
                "erased_at": None,
            }
            for person_id in missing
        ]
        with self.engine.begin() as conn:
            conn.execute(insert(person_keys).on_conflict_do_nothing(), fresh)
            rows = [
                row
                for start in range(0, len(missing), 500)
                for row in conn.execute(
                    select(person_keys.c.person_id, person_keys.c.key_id, person_keys.c.key).where(
                        person_keys.c.person_id.in_(missing[start : start + 500])
                    )
                )
            ]
        for row in rows:
            if row.key is None:
                with self._lock:
                    self._gone.add(str(row.key_id))
            else:
                self._remember(str(row.person_id), str(row.key_id), bytes(row.key), now)

    def _insert_new(self, person_id: str, erased_at: datetime | None = None) -> Any:
        """INSERT a fresh key (or, with `erased_at`, a tombstone) unless the person has a row."""
        values = {
            "person_id": person_id,
            "key_id": str(uuid.uuid4()),
            "key": None if erased_at else secrets.token_bytes(KEY_BYTES),
            "created_at": datetime.now(UTC),
            "erased_at": erased_at,
        }
        if self.engine.dialect.name == "postgresql":
            return postgresql.insert(person_keys).values(values).on_conflict_do_nothing()
        return sqlite.insert(person_keys).values(values).on_conflict_do_nothing()

    # --- opening -------------------------------------------------------------------------------

    def key_by_id(self, key_id: str) -> bytes | None:
        """The key with this id, or None when it was destroyed (or never existed)."""
        now = self.clock()
        with self._lock:
            if key_id in self._gone:
                return None
            cached = self._by_id.get(key_id)
        if cached is not None and now - cached[2] < self.ttl:
            return cached[1]
        row = self._read_key(key_id)
        if row is None or row[1] is None:
            with self._lock:
                self._gone.add(key_id)
                self._by_id.pop(key_id, None)
            return None
        key = bytes(row[1])
        self._remember(str(row[0]), key_id, key, now)
        return key

    def _read_key(self, key_id: str) -> tuple[str, bytes | None] | None:
        """Person and key of a key id. On SQLite outside any transaction: a reader of the log
        asks while its own write transaction (the read model's page) holds the write lock,
        which our engines take at BEGIN; a plain read in WAL mode waits for no writer."""
        if self.engine.dialect.name == "sqlite":
            raw = self.engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("SELECT person_id, key FROM person_keys WHERE key_id = ?", (key_id,))
                found = cursor.fetchone()
                cursor.close()
            finally:
                raw.close()
            return (str(found[0]), found[1]) if found is not None else None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(person_keys.c.person_id, person_keys.c.key).where(
                    person_keys.c.key_id == key_id
                )
            ).first()
        return (str(row.person_id), row.key) if row is not None else None

    def _remember(self, person_id: str, key_id: str, key: bytes, at: float) -> None:
        with self._lock:
            self._by_person[person_id] = (key_id, key, at)
            self._by_id[key_id] = (person_id, key, at)

    # --- erasing -------------------------------------------------------------------------------

    def evict(self, person_id: str) -> None:
        """Forget the person's key in this process (called by whoever sees `Erased`)."""
        with self._lock:
            cached = self._by_person.pop(person_id, None)
            if cached is not None:
                self._by_id.pop(cached[0], None)
                self._gone.add(cached[0])
            for key_id, (person, _, _) in list(self._by_id.items()):
                if person == person_id:
                    del self._by_id[key_id]
                    self._gone.add(key_id)

    def erase(self, person_id: str, at: datetime) -> bool:
        """Destroy the person's key (a tombstone stays); True if a key was destroyed now."""
        self.evict(person_id)
        with self.engine.begin() as conn:
            # A tombstone even for a person who never had a key (their data was never sealed).
            conn.execute(self._insert_new(person_id, erased_at=at))
            destroyed = conn.execute(
                update(person_keys)
                .where(person_keys.c.person_id == person_id, person_keys.c.key.is_not(None))
                .values(key=None, erased_at=at)
            ).rowcount
        self.evict(person_id)
        return bool(destroyed)

    def is_erased(self, person_id: str) -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(person_keys.c.key).where(person_keys.c.person_id == person_id)
            ).first()
        return row is not None and row.key is None
