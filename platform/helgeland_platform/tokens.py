"""Bearer JWTs, checked the same way by every service: signature (RS256/ES256 by default),
issuer, audience and expiry, then the claims each service relies on.

`ClaimMapping` is the one place that says which claims carry the person, organisation, role
and municipality, so an external provider such as HelseID can be configured without code
changes elsewhere. A token must name its subject; a municipality token its municipality.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

# The roles a token may carry: the programme's vocabulary, shared by every service.
ROLES = frozenset({"hospital_recruiter", "municipality", "forum", "evaluator", "admin"})


class TokenRejected(Exception):
    """No valid bearer token (answered 401 with `WWW-Authenticate: Bearer`)."""


@dataclass(frozen=True)
class Claims:
    """Who the caller is, as a verified token says."""

    subject: str
    organisation: str
    role: str
    municipality: str | None


@dataclass(frozen=True)
class ClaimMapping:
    person: str = "sub"
    organisation: str = "org"
    role: str = "role"
    municipality: str = "municipality"

    def claims(self, raw: dict[str, Any]) -> Claims:
        try:
            subject, organisation = str(raw[self.person]), str(raw[self.organisation])
            role = str(raw[self.role])
        except KeyError as error:
            msg = f"the token lacks a valid claim: {error}"
            raise TokenRejected(msg) from None
        if not subject.strip():
            msg = "the token lacks a valid claim: its subject is empty"
            raise TokenRejected(msg)
        if role not in ROLES:
            msg = f"the token lacks a valid claim: unknown role {role!r}"
            raise TokenRejected(msg)
        municipality = raw.get(self.municipality)
        if role == "municipality" and not municipality:
            msg = "a municipality token must name its municipality"
            raise TokenRejected(msg)
        return Claims(subject, organisation, role, str(municipality) if municipality else None)


class TokenVerifier:
    """Checks signature, issuer, audience and expiry, then maps the claims."""

    def __init__(
        self,
        keys: KeySet,
        issuer: str,
        audience: str,
        algorithms: list[str] | None = None,
        mapping: ClaimMapping | None = None,
    ) -> None:
        self.keys = keys
        self.algorithms = algorithms or ["RS256", "ES256"]
        self.mapping = mapping or ClaimMapping()
        self.registry = jwt.JWTClaimsRegistry(
            leeway=30,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
        )

    def verify_claims(self, token: str) -> Claims:
        try:
            decoded = jwt.decode(token, self.keys, algorithms=self.algorithms)
            self.registry.validate(decoded.claims)
        except (JoseError, ValueError) as error:
            msg = f"invalid bearer token: {error}"
            raise TokenRejected(msg) from None
        return self.mapping.claims(decoded.claims)


def load_key_set(jwks_file: Path | None, jwks_url: str | None) -> KeySet:
    """The issuer's public keys, from a JWKS file or URL (private members are dropped)."""
    if jwks_file is not None:
        data = json.loads(jwks_file.read_text("utf-8"))
    elif jwks_url is not None:
        response = httpx.get(jwks_url, timeout=10)
        response.raise_for_status()
        data = response.json()
    else:
        msg = "no JWKS file or URL configured"
        raise TokenRejected(msg)
    private = {"d", "p", "q", "dp", "dq", "qi"}
    public = [{k: v for k, v in key.items() if k not in private} for key in data["keys"]]
    return KeySet.import_key_set({"keys": public})
