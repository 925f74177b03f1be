"""The notifications API has the same edges as the pipeline's: 413, 429 and the headers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from helgeland_notifications.api import create_api
from helgeland_notifications.auth import Verifier
from helgeland_notifications.worker import Worker
from helgeland_pipeline.bootstrap import demo_issuer
from helgeland_pipeline.domain.common import Role
from helgeland_pipeline.settings import Settings

from tests.integration.notify_support import SmtpSink, notify_settings, smtp_server

PROBLEM = "application/problem+json"


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with smtp_server() as sink:
        yield sink


@pytest.fixture
async def client(settings: Settings, smtp: SmtpSink) -> AsyncIterator[httpx.AsyncClient]:
    notify = notify_settings(settings, smtp).model_copy(
        update={"max_request_bytes": 100, "auth_failure_limit": "2/hour"}
    )
    worker = Worker(notify)
    demo_issuer(settings).ensure_keys()
    verifier = Verifier(settings.auth_issuer, settings.auth_audience, settings.demo_jwks_file, None)
    transport = httpx.ASGITransport(app=create_api(worker, verifier))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://notify") as client:
            yield client
    finally:
        await worker.close()


def forum(settings: Settings) -> dict[str, str]:
    token = demo_issuer(settings).issue(Role.FORUM, "leder", "Legeforum Helgeland")
    return {"Authorization": f"Bearer {token}"}


async def test_the_notifications_api_has_the_edges(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    listed = await client.get("/deliveries", headers=forum(settings))
    assert listed.status_code == 200
    for name, value in {
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cache-control": "no-store",
    }.items():
        assert listed.headers[name] == value
    assert "frame-ancestors 'none'" in listed.headers["content-security-policy"]

    too_large = await client.post(
        "/deliveries/msg_x/redeliver", content=b"x" * 101, headers=forum(settings)
    )
    assert too_large.status_code == 413
    assert too_large.headers["content-type"] == PROBLEM

    bad = {"Authorization": "Bearer nonsense"}
    assert [(await client.get("/deliveries", headers=bad)).status_code for _ in range(3)] == [
        401,
        401,
        429,
    ]
    limited = await client.get("/deliveries", headers=forum(settings))
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["x-content-type-options"] == "nosniff"
