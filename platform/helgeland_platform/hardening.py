"""The edges of both services' HTTP APIs, as ASGI middleware installed by `harden(app, ...)`:

- `BodyLimit`: a body over the limit is refused (413 problem) before it is read in full, by
  its `Content-Length` or by counting the bytes as they stream in.
- `FailedAuthLimit`: a client address that keeps presenting bad tokens is refused (429 problem
  with `Retry-After`) for a while, counted by the `limits` library (a moving window, in memory
  or in a shared store such as Redis for many processes).
- `SecurityHeaders` (`helgeland_platform.headers`): nosniff, no-referrer, no-store, CSP, HSTS.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable

from fastapi import FastAPI
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from helgeland_platform.edge_settings import MIB, EdgeSettings
from helgeland_platform.headers import SecurityHeaders
from helgeland_platform.logs import log
from helgeland_platform.problems import problem

_log = logging.getLogger("helgeland.http")
__all__ = ["MIB", "BodyLimit", "EdgeSettings", "FailedAuthLimit", "harden"]


def harden(app: FastAPI, settings: EdgeSettings, pages: Iterable[str] = ()) -> None:
    """Install the edges' middleware on an app (outermost last: headers wrap every answer,
    a 429 or 413 included). `pages` are paths of fixed HTML pages (the API docs) whose own
    inline scripts and asset origins their CSP admits (see `page_csp`)."""
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(
        FailedAuthLimit, limit=settings.auth_failure_limit, storage=settings.rate_limit_storage
    )
    docs = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url, *pages}
    app.add_middleware(
        SecurityHeaders, hsts=settings.tls_in_front, fixed_pages=frozenset(p for p in docs if p)
    )


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


async def _problem(
    scope: Scope, send: Send, status: int, title: str, detail: str, **headers: str
) -> None:
    response = problem(Request(scope), status, title, detail, headers=headers or None)
    await response(scope, _no_body, send)


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((v for k, v in scope.get("headers", []) if k.lower() == name), None)


class BodyTooLarge(Exception):
    """Raised into the app's `receive` once the body passes the limit."""


class BodyLimit:
    @staticmethod
    def openapi_responses(method: str, authenticated: bool, has_body: bool) -> dict[int, str]:
        """What it answers, for an API's OpenAPI document (the pipeline's `api/openapi.py`)."""
        if not has_body:
            return {}
        return {
            400: "A Content-Length that is not a whole number",
            413: "The request body is larger than allowed; nothing was read further",
        }

    def __init__(self, app: ASGIApp, max_bytes: int = MIB) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"the request body may be at most {self.max_bytes} bytes"
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _problem(scope, send, 400, "Bad Content-Length", "not a whole number")
                return
            if int(declared) > self.max_bytes:
                await _problem(scope, send, 413, "Request too large", detail)
                return
        received, exceeded, started = 0, False, False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge(detail)
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the app answers to a body cut short is replaced below
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _problem(scope, send, 413, "Request too large", detail)


class FailedAuthLimit:
    """Counts 401 answers to requests that carried credentials, per client address; once the
    limit is reached, such requests are refused before their token is even looked at."""

    @staticmethod
    def openapi_responses(method: str, authenticated: bool, has_body: bool) -> dict[int, str]:
        """Only a request that carries credentials is counted and refused: a route that
        takes a token."""
        if not authenticated:
            return {}
        return {429: "Too many failed authentications from this client: wait for `Retry-After`"}

    def __init__(self, app: ASGIApp, limit: str = "10/minute", storage: str = "memory://"):
        # Imported here: a worker that serves no API (`--until-idle`) starts without it.
        from limits import parse  # noqa: PLC0415
        from limits.aio.strategies import MovingWindowRateLimiter  # noqa: PLC0415
        from limits.storage import storage_from_string  # noqa: PLC0415

        self.app = app
        self.item = parse(limit)
        uri = storage if storage.startswith("async+") else f"async+{storage}"
        self.limiter = MovingWindowRateLimiter(storage_from_string(uri))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _header(scope, b"authorization") is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        who = client[0] if client else "unknown"
        if not await self.limiter.test(self.item, "failed-auth", who):
            stats = await self.limiter.get_window_stats(self.item, "failed-auth", who)
            wait = max(1, math.ceil(stats.reset_time - time.time()))
            log(_log, logging.WARNING, "failed authentications limited", retry_after=wait)
            detail = f"too many failed authentications from this address; retry in {wait} s"
            await _problem(
                scope, send, 429, "Too many requests", detail, **{"Retry-After": str(wait)}
            )
            return
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if status == 401:
                await self.limiter.hit(self.item, "failed-auth", who)
