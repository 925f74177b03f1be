"""The edges of the pipeline's API: body limit (413), failed authentication limited per client
address (429 with Retry-After), and the security headers on every answer."""

from __future__ import annotations

import hashlib
import re
from base64 import b64encode
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.bootstrap import demo_issuer
from helgeland_pipeline.domain.common import Role
from helgeland_pipeline.settings import Settings

from tests.e2e.api import PROBLEM, Api

LIMIT = 4096


@pytest.fixture
async def edged(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """The app with a small body limit, three failed authentications an hour, and HSTS."""
    configured = settings.model_copy(
        update={"max_request_bytes": LIMIT, "auth_failure_limit": "3/hour", "tls_in_front": True}
    )
    app = create_app(configured)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
            yield client, configured


def recruiter(settings: Settings) -> dict[str, str]:
    token = demo_issuer(settings).issue(Role.HOSPITAL_RECRUITER, "e2e", "Helgelandssykehuset HF")
    return {"Authorization": f"Bearer {token}"}


def candidate(name_length: int) -> dict[str, str]:
    return {"name": "K" * name_length, "email": "kari@example.no"}


async def test_a_body_over_the_limit_is_refused_by_its_length(
    edged: tuple[httpx.AsyncClient, Settings],
) -> None:
    client, settings = edged
    refused = await client.post("/candidates", json=candidate(LIMIT), headers=recruiter(settings))
    assert refused.status_code == 413
    assert refused.headers["content-type"] == PROBLEM
    assert str(LIMIT) in refused.json()["detail"]
    listed = await client.get("/candidates", headers=recruiter(settings))
    assert listed.json()["items"] == []  # nothing written


def chunks(total: int, size: int = 1000) -> Iterator[bytes]:
    """A streamed body without a Content-Length (chunked), counted as it arrives."""
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


async def test_a_streamed_body_over_the_limit_is_cut_off_with_413(
    edged: tuple[httpx.AsyncClient, Settings],
) -> None:
    client, settings = edged
    pulled = 0

    async def stream() -> AsyncIterator[bytes]:
        nonlocal pulled
        for chunk in chunks(LIMIT * 50):
            pulled += len(chunk)
            yield chunk

    headers = recruiter(settings) | {"content-type": "application/json"}
    refused = await client.post("/candidates", content=stream(), headers=headers)
    assert "content-length" not in refused.request.headers
    assert refused.status_code == 413
    assert refused.headers["content-type"] == PROBLEM
    assert pulled < LIMIT * 50  # refused before the whole body was read


async def test_a_body_within_the_limit_is_taken(
    edged: tuple[httpx.AsyncClient, Settings],
) -> None:
    client, settings = edged
    created = await client.post("/candidates", json=candidate(50), headers=recruiter(settings))
    assert created.status_code == 201, created.text


async def test_repeated_bad_tokens_from_one_address_are_refused_for_a_while(
    edged: tuple[httpx.AsyncClient, Settings],
) -> None:
    client, settings = edged
    bad = {"Authorization": "Bearer not.a.token"}
    for _ in range(3):
        assert (await client.get("/rounds", headers=bad)).status_code == 401
    # No token at all is no guess: it does not count, and is answered as before.
    assert (await client.get("/rounds")).status_code == 401
    limited = await client.get("/rounds", headers=bad)
    assert limited.status_code == 429
    assert limited.headers["content-type"] == PROBLEM
    assert 1 <= int(limited.headers["retry-after"]) <= 3600
    # While it lasts, even a good token from that address waits: the guessing stops.
    assert (await client.get("/rounds", headers=recruiter(settings))).status_code == 429


async def test_good_tokens_are_never_counted(edged: tuple[httpx.AsyncClient, Settings]) -> None:
    client, settings = edged
    for _ in range(6):
        assert (await client.get("/rounds", headers=recruiter(settings))).status_code == 200


async def test_every_answer_carries_the_security_headers(
    edged: tuple[httpx.AsyncClient, Settings],
) -> None:
    client, settings = edged
    answers = [
        await client.get("/rounds", headers=recruiter(settings)),
        await client.get("/rounds"),  # 401
        await client.get("/no-such-route"),
        await client.get("/openapi.json"),
        await client.post("/candidates", json=candidate(LIMIT), headers=recruiter(settings)),
    ]
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["strict-transport-security"].startswith("max-age=")
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


async def test_without_tls_in_front_there_is_no_hsts(api: Api) -> None:
    answer = await api.get("/rounds")
    assert "strict-transport-security" not in answer.headers
    assert answer.headers["cache-control"] == "no-store"


async def test_the_docs_page_may_run_its_own_scripts_and_nothing_else(api: Api) -> None:
    page = await api.client.get("/docs")
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    policy = {
        part.split()[0]: part.split()[1:]
        for part in page.headers["content-security-policy"].split("; ")
    }
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts
    for inline in re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL):
        digest = b64encode(hashlib.sha256(inline.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in scripts
    for source in re.findall(r'<script src="(https://[^/"]+)/', page.text):
        assert source in scripts


async def test_a_keyed_command_with_a_body_over_the_limit_leaves_its_key_unused(
    edged: tuple[httpx.AsyncClient, Settings],
) -> None:
    """The idempotency layer reads the body first; the limit still cuts it off, and the key
    is not spent on a request that never ran."""
    client, settings = edged

    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks(LIMIT * 3):
            yield chunk

    keyed = recruiter(settings) | {"Idempotency-Key": "edges-1", "content-type": "application/json"}
    refused = await client.post("/candidates", content=stream(), headers=keyed)
    assert refused.status_code == 413
    taken = await client.post("/candidates", json=candidate(10), headers=keyed)
    assert taken.status_code == 201, taken.text
