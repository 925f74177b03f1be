"""Bearer tokens for the notifications API, checked like the pipeline's (issuer, audience, keys)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet


class Unauthenticated(Exception):
    """No valid bearer token."""


@dataclass(frozen=True)
class Caller:
    organisation: str
    role: str


class Verifier:
    def __init__(self, issuer: str, audience: str, jwks_file: Path | None, jwks_url: str | None):
        if jwks_file is not None:
            data = json.loads(jwks_file.read_text("utf-8"))
        elif jwks_url is not None:
            data = httpx.get(jwks_url, timeout=10).raise_for_status().json()
        else:
            msg = "set HELGELAND_AUTH_JWKS_FILE or HELGELAND_AUTH_JWKS_URL"
            raise Unauthenticated(msg)
        private = {"d", "p", "q", "dp", "dq", "qi"}
        public = [{k: v for k, v in key.items() if k not in private} for key in data["keys"]]
        self.keys = KeySet.import_key_set({"keys": public})
        self.registry = jwt.JWTClaimsRegistry(
            leeway=30,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
        )

    def verify(self, token: str) -> Caller:
        try:
            decoded = jwt.decode(token, self.keys, algorithms=["RS256", "ES256"])
            self.registry.validate(decoded.claims)
            claims: dict[str, Any] = decoded.claims
            return Caller(str(claims["org"]), str(claims["role"]))
        except (JoseError, ValueError, KeyError) as error:
            msg = f"invalid bearer token: {error}"
            raise Unauthenticated(msg) from None
