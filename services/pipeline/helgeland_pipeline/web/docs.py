"""`/docs` and `/redoc` with assets served by the service itself: they work with no internet.

Swagger UI and ReDoc come from the `fastapi-offline` package's files; the pages start them
from a script file of ours, not an inline script, so a strict Content-Security-Policy holds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute

from helgeland_pipeline.api.deps import ROLE_CHECKS, get_actor
from helgeland_pipeline.domain.common import Role

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/static/api-docs"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Helgelandslegen API</title>"
        f"<link rel='icon' href='{ASSETS_URL}/favicon.png'>"
        f"<link rel='stylesheet' href='{ASSETS_URL}/swagger-ui.css'></head><body>"
        "<div id='swagger-ui' data-openapi='/openapi.json' "
        "data-oauth2-redirect='/docs/oauth2-redirect'></div>"
        f"<script src='{ASSETS_URL}/swagger-ui-bundle.js'></script>"
        "<script src='/static/swagger-init.js'></script></body></html>"
    )


@router.get("/docs/oauth2-redirect")
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Helgelandslegen API</title>"
        f"<link rel='icon' href='{ASSETS_URL}/favicon.png'></head><body>"
        "<redoc spec-url='/openapi.json'></redoc>"
        f"<script src='{ASSETS_URL}/redoc.standalone.js'></script></body></html>"
    )


def mount_docs(app: FastAPI) -> None:
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="api-docs-assets")
    app.include_router(router)
    describe_roles(app)


def _roles(dependant: Dependant) -> frozenset[Role] | None:
    """The roles the route's dependencies let through; None when any valid token will do."""
    found: frozenset[Role] | None = None
    for dependency in dependant.dependencies:
        if dependency.call in ROLE_CHECKS:
            found = ROLE_CHECKS[dependency.call]
        inner = _roles(dependency)
        if inner is not None:
            found = inner
    return found


def _needs_token(dependant: Dependant) -> bool:
    return any(d.call is get_actor or _needs_token(d) for d in dependant.dependencies)


def describe_roles(app: FastAPI) -> None:
    """Each operation in the API's description says which roles may call it."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for route in _api_routes(app.routes):
            roles = _roles(route.dependant)
            if roles is not None:
                names = ", ".join(sorted(str(r) for r in roles))
                text = f"**Roles:** {names}."
                if Role.MUNICIPALITY in roles:
                    text += " A municipality acts for itself only and reads only what concerns it."
            elif _needs_token(route.dependant):
                text = "**Roles:** any valid token."
            else:
                text = "**Roles:** public, no token."
            for method in route.methods or ():
                operation = schema["paths"].get(route.path_format, {}).get(method.lower())
                if operation is not None:
                    described = operation.get("description", "")
                    operation["description"] = f"{described}\n\n{text}".strip()
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)
