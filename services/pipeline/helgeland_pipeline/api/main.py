"""The FastAPI app: one router per resource, services built in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from helgeland_pipeline.api import (
    candidates,
    careers,
    evaluation,
    forum,
    operations,
    privacy,
    reference,
    rounds,
    webhooks,
)
from helgeland_pipeline.api.errors import register_error_handlers
from helgeland_pipeline.api.idempotency import IdempotencyMiddleware
from helgeland_pipeline.api.observability import RequestLog
from helgeland_pipeline.application import Clock, utc_now
from helgeland_pipeline.bootstrap import build_api_services
from helgeland_pipeline.settings import Settings


def create_app(settings: Settings, clock: Clock = utc_now) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_api_services(settings, clock)
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
    )
    register_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(RequestLog)  # outermost: logs and times every request, replays too
    app.include_router(rounds.router)
    app.include_router(candidates.router)
    app.include_router(forum.router)
    app.include_router(careers.router)
    app.include_router(evaluation.router)
    app.include_router(webhooks.router)
    app.include_router(operations.router)
    app.include_router(reference.router)
    app.include_router(privacy.router)
    return app
