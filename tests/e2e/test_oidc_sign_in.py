"""The pages' production sign-in: OpenID Connect code flow with PKCE against a real provider.

The provider (tests/oidc_provider.py) runs over real HTTP; the app, outside demo mode, finds
it through discovery, sends the browser there with state, nonce and an S256 challenge,
exchanges the code with its verifier and maps the ID token's claims through the API's claim
mapping. The session cookie is HttpOnly, Secure and SameSite=Lax.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from asgi_lifespan import LifespanManager
from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.settings import Settings
from pydantic import SecretStr

from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider

APP = "https://pipeline.test"
RECRUITER = {"sub": "hr-4711", "org": "Helgelandssykehuset HF", "role": "hospital_recruiter"}


def production(settings: Settings, provider: Provider) -> Settings:
    return settings.model_copy(
        update={
            "demo": False,
            "auto_migrate": True,
            "auth_issuer": provider.issuer,
            "auth_audience": CLIENT_ID,
            "auth_jwks_url": f"{provider.issuer}/jwks",
            "pseudonym_key": SecretStr(secrets.token_hex(32)),
            "webhook_sealing_key": SecretStr(secrets.token_hex(32)),
            "session_secret": SecretStr(secrets.token_hex(32)),
            "oidc_issuer": provider.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": SecretStr(CLIENT_SECRET),
        }
    )


@asynccontextmanager
async def browser(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-keeping client: the app through ASGI at an https address, the rest real HTTP."""
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(mounts={APP: transport}, timeout=30) as client:
            yield client


async def sign_in(client: httpx.AsyncClient, issuer: str) -> tuple[httpx.Response, str]:
    """Start at the app, follow the provider's redirect; return the callback's answer."""
    start = await client.get(f"{APP}/logg-inn/oidc")
    assert start.status_code == 302, start.text
    authorize = start.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{issuer}/authorize?")
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"]
    assert query["state"]
    assert query["redirect_uri"] == [f"{APP}/logg-inn/tilbake"]
    back = await client.get(authorize)
    assert back.status_code == 302, back.text
    callback = back.headers["location"]
    return await client.get(callback), callback


def cookie_attributes(response: httpx.Response) -> set[str]:
    header = next(v for k, v in response.headers.multi_items() if k == "set-cookie")
    return {part.strip().lower() for part in header.split(";")[1:]}


async def test_sign_in_with_openid_connect(settings: Settings) -> None:
    with running_provider(dict(RECRUITER)) as provider:
        async with browser(production(settings, provider)) as client:
            # Not signed in: a page sends the browser to sign in, which offers the issuer.
            first = await client.get(f"{APP}/sykehus/runder")
            assert first.status_code == 303
            assert first.headers["location"] == "/logg-inn"
            page = await client.get(f"{APP}/logg-inn")
            assert "/logg-inn/oidc" in page.text
            assert "/demo/logg-inn" not in page.text
            demo = await client.get(f"{APP}/demo/logg-inn?rolle=admin")
            assert demo.status_code == 404, "no demo sign-in outside demo mode"

            done, callback = await sign_in(client, provider.issuer)
            assert done.status_code == 303, done.text
            assert done.headers["location"] == "/sykehus/runder"  # where she was going
            assert {"httponly", "secure", "samesite=lax"} <= cookie_attributes(done)
            rounds = await client.get(f"{APP}/sykehus/runder")
            assert rounds.status_code == 200
            assert "Rekrutterer ved Helgelandssykehuset" in rounds.text
            assert "Helgelandssykehuset HF" in rounds.text

            # The code was used once: sending the callback again is refused.
            again = await client.get(callback)
            assert again.status_code == 403
            assert "Innloggingen ble avvist" in again.text

            # Signing out needs the form's CSRF token; then the pages are closed again.
            token = rounds.text.split('name="csrf" value="')[1].split('"')[0]
            refused = await client.post(f"{APP}/logg-ut", data={})
            assert refused.status_code == 403
            out = await client.post(f"{APP}/logg-ut", data={"csrf": token})
            assert out.status_code == 303
            assert (await client.get(f"{APP}/sykehus/runder")).status_code == 303


async def test_claims_the_mapping_refuses_are_not_signed_in(settings: Settings) -> None:
    claims: dict[str, Any] = {"sub": "ko-1", "org": "Rana kommune", "role": "municipality"}
    with running_provider(claims) as provider:  # a municipality without its municipality
        async with browser(production(settings, provider)) as client:
            done, _ = await sign_in(client, provider.issuer)
            assert done.status_code == 403
            assert "must name its municipality" in done.text
            assert (await client.get(f"{APP}/kommune")).status_code == 303  # still signed out


async def test_a_forged_state_is_refused(settings: Settings) -> None:
    with running_provider(dict(RECRUITER)) as provider:
        async with browser(production(settings, provider)) as client:
            start = await client.get(f"{APP}/logg-inn/oidc")
            back = await client.get(start.headers["location"])
            code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
            forged = await client.get(f"{APP}/logg-inn/tilbake?code={code}&state=forged")
            assert forged.status_code == 403
            assert provider.token_requests == 0, "no code exchange for a state never issued"
            assert (await client.get(f"{APP}/sykehus/runder")).status_code == 303
