"""Bearer JWTs: checked by the shared verifier (helgeland_platform.tokens), mapped to actors.

Demo mode has its own local issuer whose private keys live in the data folder.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from helgeland_platform import tokens
from helgeland_platform.tokens import ClaimMapping, TokenRejected, load_key_set, load_key_source
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from helgeland_pipeline.domain.common import Actor, Role

AuthenticationFailed = TokenRejected  # no valid bearer token (maps to 401)

__all__ = [
    "AuthenticationFailed",
    "ClaimMapping",
    "DemoIssuer",
    "TokenVerifier",
    "load_key_set",
    "load_key_source",
]


class TokenVerifier(tokens.TokenVerifier):
    """The shared token check (helgeland_platform.tokens), its claims as the pipeline's actor."""

    def verify(self, token: str) -> Actor:
        claims = self.verify_claims(token)
        return Actor(claims.subject, claims.organisation, Role(claims.role), claims.municipality)


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
