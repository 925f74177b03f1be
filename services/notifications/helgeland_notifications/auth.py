"""Bearer tokens for the notifications API, checked exactly as the pipeline checks them."""

from __future__ import annotations

from pathlib import Path

from helgeland_platform.tokens import Claims, TokenRejected, TokenVerifier, load_key_source

Caller = Claims
Unauthenticated = TokenRejected

__all__ = ["Caller", "Unauthenticated", "Verifier"]


class Verifier(TokenVerifier):
    """The shared verifier, built from an issuer's JWKS file or URL (kept fresh)."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks_file: Path | None,
        jwks_url: str | None,
        refresh_seconds: float = 3600.0,
        min_refetch_seconds: float = 30.0,
    ):
        if jwks_file is None and jwks_url is None:
            msg = "set HELGELAND_AUTH_JWKS_FILE or HELGELAND_AUTH_JWKS_URL"
            raise Unauthenticated(msg)
        keys = load_key_source(jwks_file, jwks_url, refresh_seconds, min_refetch_seconds)
        super().__init__(keys, issuer, audience)

    def verify(self, token: str) -> Caller:
        return self.verify_claims(token)
