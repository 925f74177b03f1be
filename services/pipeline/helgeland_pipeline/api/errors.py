"""Every error becomes an RFC 9457 problem; a refused request has written nothing."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import RecordConflictError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from helgeland_platform.problems import invalid_request, problem, unauthenticated
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from helgeland_pipeline.api.deps import Forbidden, NotYetVisible, ReadModelBuilding
from helgeland_pipeline.application import NotFound
from helgeland_pipeline.auth import AuthenticationFailed
from helgeland_pipeline.domain.common import InvalidInput, InvariantViolated
from helgeland_pipeline.domain.forum import NotYours, UnknownItem
from helgeland_pipeline.privacy.deliveries import DeliveriesUnavailable
from helgeland_pipeline.readside.hospital.queries import BadCursor
from helgeland_pipeline.settings import ConfigurationError


def _mapped(status: int, title: str) -> Any:
    async def handle(request: Request, error: Exception) -> JSONResponse:
        return problem(request, status, title, str(error))

    return handle


async def _http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    headers = dict(error.headers or {})
    if error.status_code == 405:
        # Every method of the path, not only the first route's: each method is its own route.
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem(request, error.status_code, str(error.detail), str(error.detail), headers)


def _allowed_methods(request: Request) -> list[str]:
    allowed: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            allowed |= set(route.methods or ())
    return sorted(allowed)


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(AuthenticationFailed, unauthenticated)
    app.add_exception_handler(Forbidden, _mapped(403, "Forbidden"))
    app.add_exception_handler(NotFound, _mapped(404, "Not found"))
    app.add_exception_handler(UnknownItem, _mapped(404, "Not found"))
    app.add_exception_handler(NotYours, _mapped(403, "Forbidden"))
    app.add_exception_handler(InvalidInput, _mapped(422, "Invalid request"))
    app.add_exception_handler(BadCursor, _mapped(400, "Bad cursor"))
    app.add_exception_handler(ConfigurationError, _mapped(503, "Not configured"))
    app.add_exception_handler(DeliveriesUnavailable, _mapped(503, "Notifications unavailable"))
    app.add_exception_handler(
        InvariantViolated, _mapped(409, "Conflict with the programme's rules")
    )
    app.add_exception_handler(
        RecordConflictError,
        _conflict_detail,
    )
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(NotYetVisible, _not_yet_visible)
    app.add_exception_handler(ReadModelBuilding, _building)


async def _conflict_detail(request: Request, error: Exception) -> JSONResponse:
    return problem(
        request,
        409,
        "Concurrent write",
        "someone else changed this record at the same moment; reload and try again",
    )


async def _not_yet_visible(request: Request, error: Exception) -> JSONResponse:
    """Stored, never lost, but not yet readable: 202 with the position and who lags, and why."""
    assert isinstance(error, NotYetVisible)
    lagging = []
    for runner in error.lagging:
        failing = runner.failure is not None
        lagging.append(
            {
                "read_model": runner.projection.name,
                "version": runner.projection.version,
                "failing": failing,
                "failing_at": runner.failure.position if runner.failure else None,
            }
        )
    names = ", ".join(item["read_model"] for item in lagging)  # type: ignore[misc]
    why = "is failing" if any(item["failing"] for item in lagging) else "has not caught up yet"
    body = {
        "type": "about:blank",
        "title": "Accepted, not yet visible",
        "status": 202,
        "detail": (
            f"the command is stored at log position {error.saved.position}; the {names} "
            f"read model {why}, so a read may not show it yet"
        ),
        "instance": request.url.path,
        "id": str(error.saved.id),
        "position": error.saved.position,
        "lagging": lagging,
    }
    headers = {"Location": "/read-models", "Retry-After": "1"}
    return JSONResponse(body, status_code=202, headers=headers)


async def _building(request: Request, error: Exception) -> JSONResponse:
    return problem(request, 503, "Read model being built", str(error), headers={"Retry-After": "5"})
