"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, and demo tokens."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from helgeland_pipeline.settings import Settings

POSTGRES_URL = os.environ.get(
    "HELGELAND_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _postgres_available() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    problem = _postgres_available()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and did not answer: {problem}")
        pytest.skip(f"no PostgreSQL server: {problem}")
    return POSTGRES_URL


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A schema of its own for one test, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


# Tests that are not about the failed-authentication limit send many bad tokens from one
# address (`tests/e2e/test_edges.py` tests the limit with its own).
GENEROUS_AUTH_FAILURE_LIMIT = "100000/minute"


def sqlite_settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'helgeland.sqlite'}",
        data_dir=tmp_path,
        demo=True,
        **({"auth_failure_limit": GENEROUS_AUTH_FAILURE_LIMIT} | overrides),  # type: ignore[arg-type]
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a fresh, empty store: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        return sqlite_settings(tmp_path)
    schema = request.getfixturevalue("postgres_schema")
    return Settings(
        database_url=request.getfixturevalue("postgres_url"),
        database_schema=schema,
        data_dir=tmp_path,
        demo=True,
        auth_failure_limit=GENEROUS_AUTH_FAILURE_LIMIT,
    )
