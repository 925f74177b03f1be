"""One database URL, three views of it: the event store's, and the read models' sync and async."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helgeland_contracts.log import eventsourcing_env
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


@dataclass(frozen=True)
class Database:
    """Where everything lives: a SQLite file (embedded) or a PostgreSQL database."""

    url: str
    schema: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith(("postgresql:", "postgres:"))

    @property
    def sqlite_path(self) -> Path:
        return Path(self.url.removeprefix("sqlite:///"))

    def eventsourcing_env(self) -> dict[str, str]:
        """The `eventsourcing` library's settings for the same database (shared with consumers)."""
        return eventsourcing_env(self.url, self.schema)

    def _sqlalchemy_url(self, driver: str) -> str:
        if self.is_postgres:
            rest = self.url.split("://", 1)[1]
            return f"postgresql+{driver}://{rest}"
        return f"sqlite+{driver}:///{self.sqlite_path}"

    def sync_engine(self) -> Engine:
        """For the projection runner, which writes read models in its own thread or process."""
        if self.is_postgres:
            args = {"options": f"-c search_path={self.schema}"} if self.schema else {}
            return create_engine(self._sqlalchemy_url("psycopg"), connect_args=args)
        engine = create_engine(self._sqlalchemy_url("pysqlite"), connect_args={"timeout": 30})
        _sqlite_pragmas(engine)
        return engine

    def async_engine(self) -> AsyncEngine:
        """For the API's queries of read models."""
        if self.is_postgres:
            args = {"server_settings": {"search_path": self.schema}} if self.schema else {}
            return create_async_engine(self._sqlalchemy_url("asyncpg"), connect_args=args)
        engine = create_async_engine(
            self._sqlalchemy_url("aiosqlite"), connect_args={"timeout": 30}
        )
        _sqlite_pragmas(engine.sync_engine)
        return engine


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
