"""The issuer rotates its keys: a real JWKS endpoint on loopback publishes a new key, withdraws
an old one, or fails, and the verifier follows, fetching again on an unknown key id (at most
once per `min_refetch_seconds`) and on its schedule. Time is a clock the test moves, so nothing
here depends on how fast the machine is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helgeland_pipeline.bootstrap import build_verifier
from helgeland_pipeline.settings import ConfigurationError, Settings
from helgeland_platform.jwks import RefreshingKeySet, fetch_url
from helgeland_platform.tokens import TokenRejected, TokenVerifier
from joserfc import jwt
from joserfc.jwk import ECKey

from tests.jwks_support import JwksEndpoint, jwks_endpoint

ISSUER = "https://issuer.test"
AUDIENCE = "helgeland-pipeline"


@pytest.fixture
def endpoint() -> Iterator[JwksEndpoint]:
    with jwks_endpoint() as published:
        yield published


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def key(kid: str) -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid, "alg": "ES256"})


def token(signer: ECKey, subject: str = "person-1") -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "org": "Helgelandssykehuset HF",
        "role": "hospital_recruiter",
        "iat": now,
        "exp": now + 300,
    }
    return jwt.encode({"alg": "ES256", "kid": signer.kid}, claims, signer)


def accepted(verifier: TokenVerifier, value: str) -> bool:
    try:
        verifier.verify_claims(value)
    except TokenRejected:
        return False
    return True


def refreshing(endpoint: JwksEndpoint, clock: Clock) -> RefreshingKeySet:
    return RefreshingKeySet(
        fetch_url(endpoint.url),
        source=endpoint.url,
        refresh_seconds=3600,
        min_refetch_seconds=30,
        clock=clock,
    )


def test_a_newly_published_key_is_fetched_on_its_first_token_at_most_every_30_s(
    endpoint: JwksEndpoint,
) -> None:
    old, new, newer, forged = key("2026-a"), key("2026-b"), key("2026-c"), key("made-up")
    endpoint.publish(old)
    clock = Clock()
    verifier = TokenVerifier(refreshing(endpoint, clock), ISSUER, AUDIENCE)
    assert endpoint.fetches == 1  # at start
    assert accepted(verifier, token(old))
    assert endpoint.fetches == 1

    # The issuer publishes a new key and signs with it: its first token fetches the set again
    # (once 30 s have passed since the fetch at start).
    endpoint.publish(old, new)
    clock.now += 30
    assert accepted(verifier, token(new))
    assert endpoint.fetches == 2
    assert accepted(verifier, token(new))
    assert endpoint.fetches == 2

    # A token naming a key nobody published is refused, and within 30 s of the last fetch it
    # makes no fetch: made-up key ids cannot make the service hammer the issuer.
    assert not accepted(verifier, token(forged))
    endpoint.publish(new, newer)
    for _ in range(5):
        assert not accepted(verifier, token(newer))
    assert endpoint.fetches == 2
    clock.now += 29
    assert not accepted(verifier, token(newer))
    assert endpoint.fetches == 2

    # 30 s on, the next unknown key id fetches again and finds the newer key.
    clock.now += 1
    assert accepted(verifier, token(newer))
    assert endpoint.fetches == 3
    # The withdrawn key is gone with that fetch.
    assert not accepted(verifier, token(old))


def test_the_set_is_fetched_again_on_its_schedule_so_a_withdrawn_key_stops_working(
    endpoint: JwksEndpoint,
) -> None:
    old, new = key("2026-a"), key("2026-b")
    endpoint.publish(old)
    clock = Clock()
    source = refreshing(endpoint, clock)
    verifier = TokenVerifier(source, ISSUER, AUDIENCE)
    endpoint.publish(new)  # the issuer withdraws the old key
    clock.now += 3599
    assert accepted(verifier, token(old))  # not due yet: nothing fetched
    source.wait_for_background()
    assert endpoint.fetches == 1

    clock.now += 1
    # Due: the request that notices goes on with the keys at hand; the fetch runs beside it.
    assert accepted(verifier, token(old))
    source.wait_for_background()
    assert endpoint.fetches == 2
    assert not accepted(verifier, token(old))
    assert accepted(verifier, token(new))
    assert endpoint.fetches == 2  # the new key came with the scheduled fetch


def test_an_issuer_that_fails_leaves_the_keys_held_and_is_asked_again_later(
    endpoint: JwksEndpoint,
) -> None:
    old, new = key("2026-a"), key("2026-b")
    endpoint.publish(old)
    clock = Clock()
    source = refreshing(endpoint, clock)
    verifier = TokenVerifier(source, ISSUER, AUDIENCE)
    endpoint.failing = True
    clock.now += 3600
    assert accepted(verifier, token(old))
    source.wait_for_background()
    assert endpoint.fetches == 2
    assert accepted(verifier, token(old))  # the failed fetch kept the keys held
    assert not accepted(verifier, token(new))  # and an unknown key id waits its 30 s
    assert endpoint.fetches == 2

    endpoint.failing = False
    endpoint.publish(old, new)
    clock.now += 30
    assert accepted(verifier, token(new))
    assert endpoint.fetches == 3


def test_the_services_verifier_takes_its_refresh_settings(
    endpoint: JwksEndpoint, tmp_path: Path
) -> None:
    signer = key("2026-a")
    endpoint.publish(signer)
    settings = Settings(
        data_dir=tmp_path,
        auth_issuer=ISSUER,
        auth_jwks_url=endpoint.url,
        auth_jwks_refresh_seconds=600,
        auth_jwks_min_refetch_seconds=10,
    )
    verifier = build_verifier(settings)
    assert verifier.source is not None
    assert (verifier.source.refresh_seconds, verifier.source.min_refetch_seconds) == (600, 10)
    assert verifier.verify(token(signer)).person_id == "person-1"


def test_an_issuer_unreachable_at_start_is_one_clear_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, auth_jwks_url="http://127.0.0.1:9/jwks")
    with pytest.raises(ConfigurationError, match=r"cannot load the token issuer's keys from"):
        build_verifier(settings)
