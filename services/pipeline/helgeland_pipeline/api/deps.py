"""Dependencies: the wired services, the authenticated actor, and role checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from helgeland_contracts.api_v1 import CommandResult

from helgeland_pipeline.application import Saved
from helgeland_pipeline.auth import AuthenticationFailed
from helgeland_pipeline.bootstrap import ApiServices
from helgeland_pipeline.domain.common import Actor, Role


class Forbidden(Exception):
    """Authenticated, but this role may not do this (maps to 403)."""


def get_services(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


ServicesDep = Annotated[ApiServices, Depends(get_services)]

_bearer = HTTPBearer(auto_error=False, description="A JWT from the configured issuer")


def get_actor(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None:
        msg = "a bearer token is required"
        raise AuthenticationFailed(msg)
    return services.verifier.verify(credentials.credentials)


def require_role(*roles: Role) -> Callable[[Actor], Actor]:
    allowed = set(roles) | {Role.ADMIN}

    def check(actor: Annotated[Actor, Depends(get_actor)]) -> Actor:
        if actor.role not in allowed:
            msg = f"the {actor.role} role may not do this"
            raise Forbidden(msg)
        return actor

    return check


Recruiter = Annotated[Actor, Depends(require_role(Role.HOSPITAL_RECRUITER))]
MunicipalActor = Annotated[Actor, Depends(require_role(Role.MUNICIPALITY, Role.FORUM))]
ConsentKeeper = Annotated[Actor, Depends(require_role(Role.HOSPITAL_RECRUITER, Role.FORUM))]


def committed(services: ApiServices, saved: Saved) -> CommandResult:
    """Answer a command once the read models show it, so the next read sees the change."""
    services.services.wait_for(saved)
    return CommandResult(id=saved.id, position=saved.position)
