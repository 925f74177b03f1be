"""Bearer tokens: the demo issuer, JWKS from a file or a URL, and every reason to refuse one."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from helgeland_pipeline.auth import (
    AuthenticationFailed,
    ClaimMapping,
    DemoIssuer,
    TokenVerifier,
    load_key_set,
)
from helgeland_pipeline.domain.common import Actor, Role
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

ISSUER = "https://idp.test.invalid/issuer"
AUDIENCE = "helgeland-pipeline"
ALGORITHMS = ["RS256", "ES256"]


@pytest.fixture(scope="module")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "alg": "RS256"})


@pytest.fixture
def jwks_file(tmp_path: Path, rsa_key: RSAKey) -> Path:
    """The issuer's published key set: public members only."""
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [rsa_key.as_dict(private=False)]}), "utf-8")
    return path


@pytest.fixture
def verifier(jwks_file: Path) -> TokenVerifier:
    return TokenVerifier(load_key_set(jwks_file, None), ISSUER, AUDIENCE, ALGORITHMS)


@pytest.fixture
def demo(tmp_path: Path) -> DemoIssuer:
    return DemoIssuer(tmp_path / "data" / "demo-issuer-jwks.json", ISSUER, AUDIENCE)


def claims(**changes: Any) -> dict[str, Any]:
    """Claims of a valid hospital recruiter token; a value of None leaves the claim out."""
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "person-1",
        "org": "Helgelandssykehuset HF",
        "role": "hospital_recruiter",
        "iat": now,
        "exp": now + 600,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def rs256(key: RSAKey, body: dict[str, Any]) -> str:
    return jwt.encode({"alg": "RS256", "kid": "rsa-1"}, body, key)


# --- the demo issuer -------------------------------------------------------------------------


def test_a_demo_token_maps_to_its_actor(demo: DemoIssuer) -> None:
    token = demo.issue(Role.HOSPITAL_RECRUITER, "demo-recruiter", "Helgelandssykehuset HF")
    verifier = TokenVerifier(load_key_set(demo.jwks_file, None), ISSUER, AUDIENCE, ALGORITHMS)
    assert verifier.verify(token) == Actor(
        "demo-recruiter", "Helgelandssykehuset HF", Role.HOSPITAL_RECRUITER, None
    )
    assert jwt.decode(token, load_key_set(demo.jwks_file, None)).header["alg"] == "ES256"


def test_a_demo_municipality_token_carries_its_municipality(demo: DemoIssuer) -> None:
    token = demo.issue(Role.MUNICIPALITY, "demo-kommuneoverlege-1833", "Rana", "1833")
    verifier = TokenVerifier(load_key_set(demo.jwks_file, None), ISSUER, AUDIENCE, ALGORITHMS)
    assert verifier.verify(token) == Actor(
        "demo-kommuneoverlege-1833", "Rana", Role.MUNICIPALITY, "1833"
    )


def test_the_demo_issuer_keeps_one_private_key_readable_only_by_its_owner(
    demo: DemoIssuer,
) -> None:
    demo.ensure_keys()
    first = demo.jwks_file.read_text("utf-8")
    assert demo.jwks_file.stat().st_mode & 0o777 == 0o600
    demo.issue(Role.FORUM, "demo-forum", "Kommuneoverlegeforum Helgeland")
    demo.ensure_keys()
    assert demo.jwks_file.read_text("utf-8") == first
    assert "d" in json.loads(first)["keys"][0]


def test_only_public_keys_are_loaded_from_a_key_set_with_private_members(
    demo: DemoIssuer,
) -> None:
    demo.ensure_keys()
    keys = load_key_set(demo.jwks_file, None)
    assert [key.is_private for key in keys.keys] == [False]
    assert "d" not in keys.as_dict()["keys"][0]


def test_an_expired_demo_token_is_refused(demo: DemoIssuer) -> None:
    token = demo.issue(Role.ADMIN, "demo-admin", "Helgelandslegen", lifetime_seconds=-60)
    verifier = TokenVerifier(load_key_set(demo.jwks_file, None), ISSUER, AUDIENCE, ALGORITHMS)
    with pytest.raises(AuthenticationFailed, match="expired"):
        verifier.verify(token)


# --- an external issuer's RS256 keys ---------------------------------------------------------


def test_an_rs256_token_verifies_against_a_jwks_file(
    verifier: TokenVerifier, rsa_key: RSAKey
) -> None:
    actor = verifier.verify(rs256(rsa_key, claims(role="forum", org="Forum")))
    assert actor == Actor("person-1", "Forum", Role.FORUM, None)


def test_a_custom_claim_mapping_reads_other_claim_names(jwks_file: Path, rsa_key: RSAKey) -> None:
    mapping = ClaimMapping(person="helseid://claims/identity/pid", organisation="orgnr")
    verifier = TokenVerifier(load_key_set(jwks_file, None), ISSUER, AUDIENCE, ALGORITHMS, mapping)
    body = claims(sub="ignored", org=None, orgnr="983974880")
    body["helseid://claims/identity/pid"] = "12345"
    assert verifier.verify(rs256(rsa_key, body)) == Actor(
        "12345", "983974880", Role.HOSPITAL_RECRUITER, None
    )


def test_a_token_within_the_clock_leeway_is_still_accepted(
    verifier: TokenVerifier, rsa_key: RSAKey
) -> None:
    just_expired = int(time.time()) - 5
    assert verifier.verify(rs256(rsa_key, claims(exp=just_expired))).person_id == "person-1"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"exp": None}, "Missing claim: 'exp'"),
        ({"iss": "https://someone-else.invalid"}, "Invalid claim: 'iss'"),
        ({"iss": None}, "Missing claim: 'iss'"),
        ({"aud": "another-service"}, "Invalid claim: 'aud'"),
        ({"aud": None}, "Missing claim: 'aud'"),
        ({"nbf": int(time.time()) + 3600}, "not yet valid"),
        ({"role": None}, "lacks a valid claim: 'role'"),
        ({"role": "superuser"}, "unknown role 'superuser'"),
        ({"sub": None}, "lacks a valid claim: 'sub'"),
        ({"org": None}, "lacks a valid claim: 'org'"),
        ({"role": "municipality"}, "must name its municipality"),
        ({"role": "municipality", "municipality": ""}, "must name its municipality"),
    ],
    ids=[
        "expired",
        "no-expiry",
        "wrong-issuer",
        "no-issuer",
        "wrong-audience",
        "no-audience",
        "not-yet-valid",
        "no-role",
        "unknown-role",
        "no-subject",
        "no-organisation",
        "municipality-without-municipality",
        "municipality-blank",
    ],
)
def test_refuses_a_token_with_bad_claims(
    verifier: TokenVerifier, rsa_key: RSAKey, changes: dict[str, Any], reason: str
) -> None:
    token = rs256(rsa_key, claims(**changes))
    with pytest.raises(AuthenticationFailed, match=reason):
        verifier.verify(token)


def test_refuses_a_token_signed_with_another_key_of_the_same_id(verifier: TokenVerifier) -> None:
    impostor = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "alg": "RS256"})
    with pytest.raises(AuthenticationFailed, match="bad_signature"):
        verifier.verify(rs256(impostor, claims()))


def test_refuses_a_token_signed_with_an_unknown_key(verifier: TokenVerifier) -> None:
    stranger = ECKey.generate_key("P-256", parameters={"kid": "stranger"})
    token = jwt.encode({"alg": "ES256", "kid": "stranger"}, claims(), stranger)
    with pytest.raises(AuthenticationFailed, match="stranger"):
        verifier.verify(token)


def test_refuses_a_token_whose_payload_was_altered(
    verifier: TokenVerifier, rsa_key: RSAKey
) -> None:
    header, _, signature = rs256(rsa_key, claims()).split(".")
    admin = rs256(rsa_key, claims(role="admin")).split(".")[1]
    with pytest.raises(AuthenticationFailed, match="bad_signature"):
        verifier.verify(f"{header}.{admin}.{signature}")


def test_refuses_an_algorithm_that_is_not_allowed(verifier: TokenVerifier, rsa_key: RSAKey) -> None:
    only_es256 = TokenVerifier(verifier.keys, ISSUER, AUDIENCE, ["ES256"])
    with pytest.raises(AuthenticationFailed, match="RS256"):
        only_es256.verify(rs256(rsa_key, claims()))
    unsigned = "eyJhbGciOiJub25lIn0." + rs256(rsa_key, claims()).split(".")[1] + "."
    with pytest.raises(AuthenticationFailed, match="none"):
        verifier.verify(unsigned)


@pytest.mark.parametrize("token", ["", "not-a-token", "a.b.c", "...."])
def test_refuses_a_malformed_token(verifier: TokenVerifier, token: str) -> None:
    with pytest.raises(AuthenticationFailed, match="invalid bearer token"):
        verifier.verify(token)


def test_refuses_to_load_keys_without_a_file_or_url() -> None:
    with pytest.raises(AuthenticationFailed, match="no JWKS"):
        load_key_set(None, None)


# --- JWKS over HTTP --------------------------------------------------------------------------


@pytest.fixture
def jwks_url(jwks_file: Path) -> Iterator[str]:
    """A real HTTP server on loopback that serves the issuer's key set."""
    body = jwks_file.read_bytes()
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            if self.path != "/.well-known/jwks.json":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
        assert requests == ["/.well-known/jwks.json"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_keys_from_a_jwks_url_verify_the_issuers_tokens(jwks_url: str, rsa_key: RSAKey) -> None:
    keys = load_key_set(None, jwks_url)
    verifier = TokenVerifier(keys, ISSUER, AUDIENCE, ALGORITHMS)
    actor = verifier.verify(rs256(rsa_key, claims(role="evaluator", org="NSDM")))
    assert actor == Actor("person-1", "NSDM", Role.EVALUATOR, None)
    impostor = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "alg": "RS256"})
    with pytest.raises(AuthenticationFailed):
        verifier.verify(rs256(impostor, claims()))
