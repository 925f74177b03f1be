"""Put the pages on the API's app: session, static files, API docs, pages, error pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from helgeland_pipeline.settings import Settings
from helgeland_pipeline.web import (
    admin,
    answers,
    common,
    docs,
    evaluation,
    hospital,
    municipal,
    posts,
    webhooks,
)
from helgeland_pipeline.web.errors import register_page_error_handlers
from helgeland_pipeline.web.render import HERE
from helgeland_pipeline.web.session import SESSION_COOKIE, SESSION_SECONDS, session_secret


def install_pages(app: FastAPI, settings: Settings) -> None:
    """Call after the API's error handlers are registered (page errors wrap them)."""
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_SECONDS,
        same_site="lax",
        https_only=not settings.demo,
    )
    app.state.oidc = None
    if settings.oidc_issuer:
        from helgeland_pipeline.web.oidc import OidcSignIn  # noqa: PLC0415 - only when used

        app.state.oidc = OidcSignIn(settings)
    docs.mount_docs(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (common, hospital, municipal, posts, webhooks, admin, evaluation, answers):
        app.include_router(module.router)
    register_page_error_handlers(app)
