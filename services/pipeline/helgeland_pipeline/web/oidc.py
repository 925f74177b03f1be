"""Production sign-in: OpenID Connect authorization code flow with PKCE (S256), via Authlib.

The issuer (HelseID, ID-porten, ...) is found through its discovery document; the ID token's
signature, issuer, audience, expiry and nonce are checked by Authlib; its claims become an
actor through the same claim mapping the API's bearer tokens use.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from fastapi import Request

from helgeland_pipeline.auth import AuthenticationFailed, ClaimMapping
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.settings import ConfigurationError, Settings

CLIENT = "issuer"


class OidcSignIn:
    def __init__(self, settings: Settings, mapping: ClaimMapping | None = None) -> None:
        if not settings.oidc_issuer or not settings.oidc_client_id:
            msg = "set HELGELAND_OIDC_ISSUER and HELGELAND_OIDC_CLIENT_ID for the pages' sign-in"
            raise ConfigurationError(msg)
        secret = settings.oidc_client_secret
        self.mapping = mapping or ClaimMapping()
        self.oauth = OAuth()
        self.oauth.register(
            CLIENT,
            server_metadata_url=settings.oidc_issuer.rstrip("/")
            + "/.well-known/openid-configuration",
            client_id=settings.oidc_client_id,
            client_secret=secret.get_secret_value() if secret else None,
            client_kwargs={"scope": settings.oidc_scope, "code_challenge_method": "S256"},
        )

    @property
    def client(self) -> StarletteOAuth2App:
        client: StarletteOAuth2App = self.oauth.create_client(CLIENT)
        return client

    async def redirect(self, request: Request, callback: str) -> Any:
        """Off to the issuer; state, nonce and the PKCE verifier wait in the session."""
        return await self.client.authorize_redirect(request, callback)

    async def finish(self, request: Request) -> Actor:
        """The code exchanged (with the PKCE verifier), the ID token checked, mapped."""
        token = await self.client.authorize_access_token(request)
        claims = token.get("userinfo")
        if not claims:
            msg = "the issuer sent no ID token"
            raise AuthenticationFailed(msg)
        mapped = self.mapping.claims(dict(claims))
        return Actor(mapped.subject, mapped.organisation, Role(mapped.role), mapped.municipality)
