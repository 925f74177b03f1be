"""Errors on pages are Norwegian pages; the API keeps its problem documents.

Every exception handler the API registered is wrapped: a page route (or a browser asking for
HTML at an address nobody serves) gets the page, anyone else the API's answer unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from eventsourcing.persistence import RecordConflictError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from helgeland_pipeline.api.deps import Forbidden, NotYetVisible, ReadModelBuilding
from helgeland_pipeline.application import NotFound
from helgeland_pipeline.domain.common import InvalidInput, InvariantViolated
from helgeland_pipeline.domain.forum import NotYours, UnknownItem
from helgeland_pipeline.readside.hospital.queries import BadCursor
from helgeland_pipeline.web.messages import norwegian
from helgeland_pipeline.web.render import page
from helgeland_pipeline.web.session import CsrfRefused, SignInRequired

Handler = Callable[[Request, Exception], Awaitable[Response]]


class PageRoute(APIRoute):
    """A route that answers with pages, errors included."""


def is_page(request: Request) -> bool:
    route = request.scope.get("route")
    if isinstance(route, PageRoute):
        return True
    if route is None:  # nobody serves this address: a browser gets the page
        return "text/html" in request.headers.get("accept", "")
    return False


MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Ugyldig forespørsel", "Adressen eller skjemaet inneholder noe vi ikke forstår."),
    403: (
        "Ingen tilgang",
        "Du er logget inn, men rollen din gir ikke tilgang til denne siden eller handlingen.",
    ),
    404: ("Fant ikke siden", "Vi fant ikke det du lette etter. Kanskje lenken er gammel?"),
    409: ("Kunne ikke lagres", "Handlingen bryter en regel i programmet."),
    422: ("Ugyldige opplysninger", "Noe av det som ble fylt inn, er ikke gyldig."),
    503: ("Ikke klar ennå", "Tjenesten bygger opp oversiktene sine. Prøv igjen om litt."),
}


def error_page(request: Request, status: int, detail: str | None = None) -> Response:
    title, text = MESSAGES.get(status, ("Noe gikk galt", "Prøv igjen senere."))
    headers = {"Retry-After": "5"} if status == 503 else None
    response = page(
        request, "error.html", status, title=title, text=text, detail=detail, status=status
    )
    if headers:
        response.headers.update(headers)
    return response


def _status_of(error: Exception) -> int:
    if isinstance(error, (Forbidden, NotYours, CsrfRefused)):
        return 403
    if isinstance(error, (NotFound, UnknownItem)):
        return 404
    if isinstance(error, (InvalidInput, ValidationError)):
        return 422
    if isinstance(error, (InvariantViolated, RecordConflictError)):
        return 409
    if isinstance(error, ReadModelBuilding):
        return 503
    if isinstance(error, BadCursor):
        return 400
    if isinstance(error, RequestValidationError):
        return 404 if any(e.get("loc", ("",))[0] == "path" for e in error.errors()) else 400
    if isinstance(error, StarletteHTTPException):
        return error.status_code
    return 500


def _page_or(original: Handler | None) -> Handler:
    async def handle(request: Request, error: Exception) -> Response:
        if is_page(request):
            status = _status_of(error)
            detail = None if status in (404, 500) else norwegian(error)
            if isinstance(error, CsrfRefused):
                detail = "Skjemaet manglet sikkerhetsnøkkelen. Last siden på nytt og prøv igjen."
            return error_page(request, status, detail)
        if original is None:
            raise error
        return await original(request, error)

    return handle


async def _sign_in_first(request: Request, error: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    request.session["after_sign_in"] = target
    return RedirectResponse("/logg-inn", status_code=303)


def register_page_error_handlers(app: FastAPI) -> None:
    handled: list[type[Exception]] = [
        RequestValidationError,
        Forbidden,
        NotFound,
        UnknownItem,
        NotYours,
        InvalidInput,
        InvariantViolated,
        RecordConflictError,
        StarletteHTTPException,
        ReadModelBuilding,
        CsrfRefused,
        ValidationError,
        BadCursor,
    ]
    existing: dict[Any, Handler] = dict(app.exception_handlers)
    for kind in handled:
        app.add_exception_handler(kind, _page_or(existing.get(kind)))
    app.add_exception_handler(SignInRequired, _sign_in_first)
    assert NotYetVisible in existing  # pages catch it themselves: stored, shown soon
