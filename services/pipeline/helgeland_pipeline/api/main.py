"""The FastAPI app: one router per resource, services built in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from helgeland_platform.hardening import harden

from helgeland_pipeline.api import (
    candidates,
    careers,
    doctors,
    evaluation,
    forum,
    openapi,
    operations,
    posts,
    privacy,
    reference,
    rounds,
    students,
    webhooks,
)
from helgeland_pipeline.api.errors import register_error_handlers
from helgeland_pipeline.api.idempotency import IdempotencyMiddleware
from helgeland_pipeline.api.observability import RequestLog
from helgeland_pipeline.application import Clock, utc_now
from helgeland_pipeline.bootstrap import build_api_services
from helgeland_pipeline.settings import Settings
from helgeland_pipeline.web.app import install_pages


def create_app(settings: Settings, clock: Clock = utc_now) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_api_services(settings, clock)
        if settings.api_projections:  # else `helgeland project` workers keep the read models
            services.core.start_runners()
        app.state.services = services
        try:
            yield
        finally:
            services.core.close()
            await services.async_engine.dispose()

    app = FastAPI(
        title="Helgelandslegen recruitment pipeline",
        version="1.0.0",
        description=(
            "LIS1 → coupled LIS3 recruitment for Helgelandssykehuset and the municipalities "
            "of Helgeland. Every change is an event; reads come from projections."
        ),
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc: served with local assets by the pages (web/docs.py)
        redoc_url=None,
    )
    register_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware)
    harden(app, settings)  # body limit, failed-auth limit, security headers
    app.add_middleware(RequestLog)  # outermost: logs and times every request, replays too
    app.include_router(rounds.router)
    app.include_router(candidates.router)
    app.include_router(forum.router)
    app.include_router(students.router)
    app.include_router(careers.router)
    app.include_router(doctors.router)
    app.include_router(posts.router)
    app.include_router(evaluation.router)
    app.include_router(webhooks.router)
    app.include_router(operations.router)
    app.include_router(reference.router)
    app.include_router(privacy.router)
    install_pages(app, settings)  # after the API's error handlers: page errors wrap them
    openapi.install(app)  # after every route: documents errors and roles from dependencies
    return app
