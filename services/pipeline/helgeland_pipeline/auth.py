"""Bearer JWTs: verified against a configured issuer, audience and key set (RS256/ES256).

`ClaimMapping` is the one place that says which claims carry the person, organisation, role
and municipality, so an external provider such as HelseID can be configured without code
changes elsewhere. Demo mode has its own local issuer whose private keys live in the data folder.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from helgeland_pipeline.domain.common import Actor, Role


class AuthenticationFailed(Exception):
    """No valid bearer token (maps to 401)."""


@dataclass(frozen=True)
class ClaimMapping:
    person: str = "sub"
    organisation: str = "org"
    role: str = "role"
    municipality: str = "municipality"

    def actor(self, claims: dict[str, Any]) -> Actor:
        try:
            role = Role(str(claims[self.role]))
            person, organisation = str(claims[self.person]), str(claims[self.organisation])
        except (KeyError, ValueError) as error:
            msg = f"the token lacks a valid claim: {error}"
            raise AuthenticationFailed(msg) from None
        municipality = claims.get(self.municipality)
        if role == Role.MUNICIPALITY and not municipality:
            msg = "a municipality token must name its municipality"
            raise AuthenticationFailed(msg)
        return Actor(person, organisation, role, str(municipality) if municipality else None)


class TokenVerifier:
    """Checks signature, issuer, audience and expiry, then maps claims to an actor."""

    def __init__(
        self,
        keys: KeySet,
        issuer: str,
        audience: str,
        algorithms: list[str],
        mapping: ClaimMapping | None = None,
    ) -> None:
        self.keys = keys
        self.algorithms = algorithms
        self.mapping = mapping or ClaimMapping()
        self.registry = jwt.JWTClaimsRegistry(
            leeway=30,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
        )

    def verify(self, token: str) -> Actor:
        try:
            decoded = jwt.decode(token, self.keys, algorithms=self.algorithms)
            self.registry.validate(decoded.claims)
        except (JoseError, ValueError) as error:
            msg = f"invalid bearer token: {error}"
            raise AuthenticationFailed(msg) from None
        return self.mapping.actor(decoded.claims)


def load_key_set(jwks_file: Path | None, jwks_url: str | None) -> KeySet:
    """The issuer's public keys, from a JWKS file or URL."""
    if jwks_file is not None:
        data = json.loads(jwks_file.read_text("utf-8"))
    elif jwks_url is not None:
        response = httpx.get(jwks_url, timeout=10)
        response.raise_for_status()
        data = response.json()
    else:
        msg = "no JWKS file or URL configured"
        raise AuthenticationFailed(msg)
    return KeySet.import_key_set({"keys": [_public(k) for k in data["keys"]]})


def _public(key: dict[str, Any]) -> dict[str, Any]:
    private_members = {"d", "p", "q", "dp", "dq", "qi"}
    return {k: v for k, v in key.items() if k not in private_members}


class DemoIssuer:
    """The local issuer of demo mode: an ES256 key kept in the data folder."""

    def __init__(self, jwks_file: Path, issuer: str, audience: str) -> None:
        self.jwks_file = jwks_file
        self.issuer = issuer
        self.audience = audience

    def ensure_keys(self) -> None:
        if self.jwks_file.exists():
            return
        self.jwks_file.parent.mkdir(parents=True, exist_ok=True)
        key = ECKey.generate_key("P-256", parameters={"kid": "demo-1", "alg": "ES256"})
        self.jwks_file.write_text(json.dumps({"keys": [key.as_dict(private=True)]}), "utf-8")
        self.jwks_file.chmod(0o600)

    def issue(
        self,
        role: Role,
        person: str,
        organisation: str,
        municipality: str | None = None,
        lifetime_seconds: int = 12 * 3600,
    ) -> str:
        self.ensure_keys()
        keys = KeySet.import_key_set(json.loads(self.jwks_file.read_text("utf-8")))
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": person,
            "org": organisation,
            "role": str(role),
            "iat": now,
            "exp": now + lifetime_seconds,
        }
        if municipality is not None:
            claims["municipality"] = municipality
        return jwt.encode({"alg": "ES256", "kid": "demo-1"}, claims, keys)
