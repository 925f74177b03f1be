"""Alembic's environment, shared by both services (helgeland_platform.migrations)."""

from __future__ import annotations

from helgeland_platform.migrations import run_environment

run_environment()
