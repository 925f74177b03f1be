"""Bearer JWTs, checked the same way by every service: signature (RS256/ES256 by default),
issuer, audience and expiry, then the claims each service relies on.

`ClaimMapping` is the one place that says which claims carry the person, organisation, role
and municipality, so an external provider such as HelseID can be configured without code
changes elsewhere. A token must name its subject; a municipality token its municipality.
The issuer's keys are fetched again on a schedule and when a token names an unknown key id
(`helgeland_platform.jwks`), so the issuer can rotate them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from helgeland_platform.jwks import (
    RefreshingKeySet,
    fetch_url,
    key_ids,
    key_source,
    read_file,
    token_kid,
)

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
        keys: KeySet | RefreshingKeySet,
        issuer: str,
        audience: str,
        algorithms: list[str] | None = None,
        mapping: ClaimMapping | None = None,
    ) -> None:
        self.source = keys if isinstance(keys, RefreshingKeySet) else None
        self._fixed = keys if isinstance(keys, KeySet) else None
        self.algorithms = algorithms or ["RS256", "ES256"]
        self.mapping = mapping or ClaimMapping()
        self.registry = jwt.JWTClaimsRegistry(
            leeway=30,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
        )

    @property
    def keys(self) -> KeySet:
        """The issuer's keys at hand."""
        if self.source is not None:
            return self.source.current()
        assert self._fixed is not None
        return self._fixed

    def _keys_for(self, token: str) -> KeySet:
        """The keys to check `token` with: fetched again first (rate-limited) when it names a
        key id the set lacks, as after the issuer rotated its keys."""
        keys = self.keys
        if self.source is None:
            return keys
        kid = token_kid(token)
        if kid is not None and kid not in key_ids(keys) and self.source.refresh_for(kid):
            return self.source.current()
        return keys

    def verify_claims(self, token: str) -> Claims:
        try:
            decoded = jwt.decode(token, self._keys_for(token), algorithms=self.algorithms)
            self.registry.validate(decoded.claims)
        except (JoseError, ValueError) as error:
            msg = f"invalid bearer token: {error}"
            raise TokenRejected(msg) from None
        return self.mapping.claims(decoded.claims)


def load_key_set(jwks_file: Path | None, jwks_url: str | None) -> KeySet:
    """The issuer's public keys, from a JWKS file or URL (private members are dropped)."""
    if jwks_file is not None:
        return read_file(jwks_file)()
    if jwks_url is not None:
        return fetch_url(jwks_url)()
    msg = "no JWKS file or URL configured"
    raise TokenRejected(msg)


def load_key_source(
    jwks_file: Path | None,
    jwks_url: str | None,
    refresh_seconds: float = 3600.0,
    min_refetch_seconds: float = 30.0,
) -> RefreshingKeySet:
    """The issuer's keys, fetched again on a schedule and on an unknown key id (see jwks)."""
    if jwks_file is None and jwks_url is None:
        msg = "no JWKS file or URL configured"
        raise TokenRejected(msg)
    return key_source(
        jwks_file,
        jwks_url,
        refresh_seconds=refresh_seconds,
        min_refetch_seconds=min_refetch_seconds,
    )
