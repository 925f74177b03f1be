"""Dependencies: the wired services, the authenticated actor, and role checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from helgeland_contracts.api_v1 import CommandResult

from helgeland_pipeline.application import Saved
from helgeland_pipeline.auth import AuthenticationFailed
from helgeland_pipeline.bootstrap import ApiServices
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.readside.runner import ProjectionRunner

ROLE_IN_SCOPE = "helgeland.role"


class Forbidden(Exception):
    """Authenticated, but this role may not do this (maps to 403)."""


def get_services(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


ServicesDep = Annotated[ApiServices, Depends(get_services)]

_bearer = HTTPBearer(auto_error=False, description="A JWT from the configured issuer")


def get_actor(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None:
        msg = "a bearer token is required"
        raise AuthenticationFailed(msg)
    actor = services.verifier.verify(credentials.credentials)
    # For the request's log line: the role, nobody's name. In the request's own scope (the
    # shared `state` of some servers outlives a request).
    request.scope[ROLE_IN_SCOPE] = actor.role
    return actor


AnyActor = Annotated[Actor, Depends(get_actor)]


class ReadModelBuilding(Exception):
    """A read model's current version has not caught up yet: reads wait (503), never partial."""

    def __init__(self, runner: ProjectionRunner) -> None:
        self.runner = runner
        super().__init__(
            f"the {runner.projection.name} read model (version {runner.projection.version}) "
            "is being built from the log; try again shortly"
        )


def reads(name: str) -> Any:
    """A router dependency: GET requests answer 503 until the read model's version is live."""

    def check(request: Request, services: ServicesDep) -> None:
        if request.method != "GET":
            return
        runner = services.core.runner(name)
        if not runner.live:
            runner.refresh_from_store()
            if not runner.live:
                raise ReadModelBuilding(runner)

    check.read_model = name  # type: ignore[attr-defined]  # read by api/openapi.py
    return Depends(check)


# Each role check and the roles it lets through, for the API's description (web/docs.py).
ROLE_CHECKS: dict[Callable[..., Any], frozenset[Role]] = {}


def require_role(*roles: Role) -> Callable[[Actor], Actor]:
    allowed = set(roles) | {Role.ADMIN}

    def check(actor: Annotated[Actor, Depends(get_actor)]) -> Actor:
        if actor.role not in allowed:
            msg = f"the {actor.role} role may not do this"
            raise Forbidden(msg)
        return actor

    check.roles = frozenset(allowed)  # type: ignore[attr-defined]  # read by api/openapi.py
    ROLE_CHECKS[check] = frozenset(allowed)
    return check


Recruiter = Annotated[Actor, Depends(require_role(Role.HOSPITAL_RECRUITER))]
MunicipalActor = Annotated[Actor, Depends(require_role(Role.MUNICIPALITY, Role.FORUM))]
ConsentKeeper = Annotated[Actor, Depends(require_role(Role.HOSPITAL_RECRUITER, Role.FORUM))]
# Everyone who meets students early: the hospital, the municipalities and the forum.
StudentKeeper = Annotated[
    Actor, Depends(require_role(Role.HOSPITAL_RECRUITER, Role.MUNICIPALITY, Role.FORUM))
]


# A municipality named in the path: four digits (a well-formed number nobody knows is a 404).
MunicipalityInPath = Annotated[str, Path(pattern=r"^[0-9]{4}$", examples=["1833"])]


class NotYetVisible(Exception):
    """The command is stored, but a read model its caller reads next has not shown it in time.

    Answered as `202 Accepted` with the log position and which read models lag (and why).
    """

    def __init__(self, saved: Saved, lagging: list[ProjectionRunner]) -> None:
        self.saved = saved
        self.lagging = lagging
        names = ", ".join(runner.projection.name for runner in lagging)
        super().__init__(f"stored at log position {saved.position}; not yet visible in {names}")


def wait_until_visible(services: ApiServices, saved: Saved, *read_models: str) -> None:
    """Read-your-writes: return once the named read models show the saved events.

    Raises `NotYetVisible` when one of them has not within the time-out (or is failing).
    """
    lagging = services.core.wait_for(saved, read_models)
    if lagging:
        raise NotYetVisible(saved, lagging)


def answer_once_visible(services: ApiServices, saved: Saved, *read_models: str) -> CommandResult:
    """A command's answer, given once the read models its caller reads next show the change."""
    wait_until_visible(services, saved, *read_models)
    return CommandResult(id=saved.id, position=saved.position)
