"""Alembic migrations of this service's own (not derived) tables."""

from __future__ import annotations

from pathlib import Path

LOCATION = Path(__file__).parent
