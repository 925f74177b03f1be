"""Outside demo mode a webhook cannot be pointed inside: refused at subscription with a 422
problem that writes nothing; allow-listed receivers are admitted. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.bootstrap import ApiServices, demo_issuer
from helgeland_pipeline.domain.common import Role
from helgeland_pipeline.settings import Settings
from pydantic import SecretStr

from tests.e2e.api import PROBLEM

RANA = "1833"


def production_like(settings: Settings, tmp_path: Path, **overrides: object) -> Settings:
    """The test's store, outside demo mode: keys configured as an operator would."""
    issuer = demo_issuer(settings)
    issuer.ensure_keys()
    return settings.model_copy(
        update={
            "demo": False,
            "auto_migrate": True,
            "auth_jwks_file": settings.demo_jwks_file,
            "webhook_sealing_key": SecretStr("ab" * 32),
            "pseudonym_key": SecretStr("pseudonym-key-for-tests"),
            **overrides,
        }
    )


async def client_for(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, ApiServices]]:
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            token = demo_issuer(settings).issue(
                Role.MUNICIPALITY, "kommuneoverlege-rana", "Rana kommune", RANA
            )
            client.headers["Authorization"] = f"Bearer {token}"
            yield client, app.state.services


@pytest.fixture
async def guarded(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, ApiServices]]:
    allowed = ["mottak.rana.intern", "10.20.0.0/16"]
    configured = production_like(settings, tmp_path, webhook_allowed_destinations=allowed)
    async for pair in client_for(configured):
        yield pair


def subscription(url: str) -> dict[str, object]:
    return {"url": url, "event_types": ["forum_list_sent"]}


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.7/hook",  # 10/8, outside the allow-listed 10.20/16
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://localhost/hook",  # a name that resolves to the loopback
        "http://example.org/hook",  # plain http
    ],
)
async def test_a_webhook_pointed_inside_is_refused_and_nothing_is_written(
    guarded: tuple[httpx.AsyncClient, ApiServices], url: str
) -> None:
    client, services = guarded
    before = services.core.app.recorder.max_notification_id() or 0
    refused = await client.post("/webhooks/subscriptions", json=subscription(url))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == PROBLEM
    detail = refused.json()["detail"]
    assert "public internet" in detail
    assert "127.0.0.1" not in detail
    assert "loopback" not in detail
    assert (services.core.app.recorder.max_notification_id() or 0) == before
    listed = await client.get("/webhooks/subscriptions")
    assert listed.json() == []


async def test_a_name_the_resolver_points_at_the_loopback_is_refused(
    guarded: tuple[httpx.AsyncClient, ApiServices],
) -> None:
    client, services = guarded
    resolved = {"hooks.rana.example": ["127.0.0.1"]}
    services.core.app.webhook_destinations = services.core.app.webhook_destinations.__class__(
        allowed=("mottak.rana.intern",), resolver=lambda host: resolved[host]
    )
    url = "https://hooks.rana.example/hook"
    refused = await client.post("/webhooks/subscriptions", json=subscription(url))
    assert refused.status_code == 422, refused.text
    resolved["hooks.rana.example"] = ["93.184.215.14"]  # now it points outside: accepted
    accepted = await client.post("/webhooks/subscriptions", json=subscription(url))
    assert accepted.status_code == 201, accepted.text


@pytest.mark.parametrize(
    "url", ["https://10.20.30.40/hook", "https://localhost:8443/hook", "https://[::1]:9/x"]
)
async def test_allow_listed_receivers_are_admitted(
    settings: Settings, tmp_path: Path, url: str
) -> None:
    allowed = ["10.20.0.0/16", "localhost", "::1/128"]
    configured = production_like(settings, tmp_path, webhook_allowed_destinations=allowed)
    async for client, _ in client_for(configured):
        created = await client.post("/webhooks/subscriptions", json=subscription(url))
        assert created.status_code == 201, created.text
        listed = await client.get("/webhooks/subscriptions")
        assert [s["url"] for s in listed.json()] == [url]


async def test_demo_mode_admits_a_local_receiver(settings: Settings, tmp_path: Path) -> None:
    assert settings.demo
    async for client, _ in client_for(settings):
        url = "http://127.0.0.1:8999/hook"
        created = await client.post("/webhooks/subscriptions", json=subscription(url))
        assert created.status_code == 201, created.text


def test_a_malformed_allow_list_entry_stops_the_service_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a host name"):
        Settings(data_dir=tmp_path, webhook_allowed_destinations=["https://x.intern/"])
