"""One database URL, three views of it: the event store's, and the read models' sync and async."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helgeland_contracts.log import eventsourcing_env
from helgeland_platform import engines
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True)
class Database:
    """Where everything lives: a SQLite file (embedded) or a PostgreSQL database."""

    url: str
    schema: str | None = None

    @property
    def is_postgres(self) -> bool:
        return engines.is_postgres(self.url)

    @property
    def sqlite_path(self) -> Path:
        return engines.sqlite_path(self.url)

    def ensure_schema(self) -> None:
        """Create the configured PostgreSQL schema if it does not exist yet."""
        engines.ensure_schema(self.url, self.schema)

    def eventsourcing_env(self) -> dict[str, str]:
        """The `eventsourcing` library's settings for the same database (shared with consumers)."""
        return eventsourcing_env(self.url, self.schema)

    def sync_engine(self) -> Engine:
        """For the projection runner, which writes read models in its own thread or process."""
        return engines.sync_engine(self.url, self.schema)

    def async_engine(self) -> AsyncEngine:
        """For the API's queries of read models."""
        return engines.async_engine(self.url, self.schema)
