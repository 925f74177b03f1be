"""`/docs` and `/redoc` with assets served by the service itself: they work with no internet.

Swagger UI and ReDoc come from the `fastapi-offline` package's files; the pages start them
from a script file of ours, not an inline script, so a strict Content-Security-Policy holds.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

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
    # Which roles may call each operation is documented by `api/openapi.py` (x-roles and the
    # description's last line), from the same role checks.
