"""Bearer tokens for the notifications API, checked exactly as the pipeline checks them."""

from __future__ import annotations

from pathlib import Path

from helgeland_platform.tokens import Claims, TokenRejected, TokenVerifier, load_key_set

Caller = Claims
Unauthenticated = TokenRejected

__all__ = ["Caller", "Unauthenticated", "Verifier"]


class Verifier(TokenVerifier):
    """The shared verifier, built from an issuer's JWKS file or URL."""

    def __init__(self, issuer: str, audience: str, jwks_file: Path | None, jwks_url: str | None):
        if jwks_file is None and jwks_url is None:
            msg = "set HELGELAND_AUTH_JWKS_FILE or HELGELAND_AUTH_JWKS_URL"
            raise Unauthenticated(msg)
        super().__init__(load_key_set(jwks_file, jwks_url), issuer, audience)

    def verify(self, token: str) -> Caller:
        return self.verify_claims(token)
