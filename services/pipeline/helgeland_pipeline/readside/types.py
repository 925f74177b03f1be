"""Column types that behave the same on SQLite and PostgreSQL (shared with notifications)."""

from __future__ import annotations

from helgeland_platform.columns import UtcDateTime

__all__ = ["UtcDateTime"]
