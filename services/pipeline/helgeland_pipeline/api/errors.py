"""Every error becomes an RFC 9457 problem; a refused request has written nothing."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import RecordConflictError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from helgeland_pipeline.api.deps import Forbidden
from helgeland_pipeline.application import NotFound
from helgeland_pipeline.auth import AuthenticationFailed
from helgeland_pipeline.domain.common import InvalidInput, InvariantViolated
from helgeland_pipeline.domain.forum import NotYours, UnknownItem
from helgeland_pipeline.projections.hospital_queries import BadCursor
from helgeland_pipeline.settings import ConfigurationError

PROBLEM = "application/problem+json"


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _mapped(status: int, title: str) -> Any:
    async def handle(request: Request, error: Exception) -> JSONResponse:
        return problem(request, status, title, str(error))

    return handle


async def _validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in error.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        return problem(request, 400, "Malformed request", "the body is not valid JSON")
    summary = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
    return problem(request, 422, "Invalid request", summary, errors=errors)


async def _unauthenticated(request: Request, error: Exception) -> JSONResponse:
    return problem(
        request, 401, "Unauthenticated", str(error), headers={"WWW-Authenticate": "Bearer"}
    )


async def _http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    return problem(request, error.status_code, str(error.detail), str(error.detail))


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(AuthenticationFailed, _unauthenticated)
    app.add_exception_handler(Forbidden, _mapped(403, "Forbidden"))
    app.add_exception_handler(NotFound, _mapped(404, "Not found"))
    app.add_exception_handler(UnknownItem, _mapped(404, "Not found"))
    app.add_exception_handler(NotYours, _mapped(403, "Forbidden"))
    app.add_exception_handler(InvalidInput, _mapped(422, "Invalid request"))
    app.add_exception_handler(BadCursor, _mapped(400, "Bad cursor"))
    app.add_exception_handler(ConfigurationError, _mapped(503, "Not configured"))
    app.add_exception_handler(
        InvariantViolated, _mapped(409, "Conflict with the programme's rules")
    )
    app.add_exception_handler(
        RecordConflictError,
        _conflict_detail,
    )
    app.add_exception_handler(StarletteHTTPException, _http)


async def _conflict_detail(request: Request, error: Exception) -> JSONResponse:
    return problem(
        request,
        409,
        "Concurrent write",
        "someone else changed this record at the same moment; reload and try again",
    )
