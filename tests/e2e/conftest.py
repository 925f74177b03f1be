"""The app over HTTP: built with `create_app`, its lifespan running, spoken to through ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.settings import Settings

from tests.e2e.api import Api, settle_after_commands


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    """A fresh store (SQLite or PostgreSQL), the real clock, and a client with demo tokens."""
    assert settings.demo, "the API trusts the demo issuer's keys only in demo mode"
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        # Unhandled errors come back as a 500 response, as a real server would send them.
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://test",
            event_hooks={"response": [settle_after_commands(app)]},
        ) as client:
            yield Api(app, client, settings)
