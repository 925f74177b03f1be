"""What operators and their tools read: liveness, readiness, read-model status and metrics.

`/health/live` says the process answers. `/health/ready` says whether it should get traffic:
the database answers, and every read model is live, not failing and within the allowed lag;
otherwise 503 with which read model and why. `/metrics` is Prometheus' text format.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from helgeland_pipeline.api.deps import AnyActor, ServicesDep
from helgeland_pipeline.domain.common import Role
from helgeland_pipeline.readside.overview import read_status, status_json

router = APIRouter(tags=["operations"])


@router.get("/health")
def health() -> dict[str, str]:
    """The process answers (kept for older probes; see /health/live and /health/ready)."""
    return {"status": "ok"}


@router.get("/health/live")
def live() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "live"}


@router.get("/health/ready", responses={503: {"description": "not ready, and why"}})
async def ready(services: ServicesDep) -> JSONResponse:
    """Ready for traffic: database reachable, every read model live, caught up and not failing."""
    problems: list[dict[str, Any]] = []
    try:
        async with services.async_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        found = await run_in_threadpool(read_status, services.core.runners)
    except Exception as error:
        problems.append({"component": "database", "reason": type(error).__name__})
        found = []
    limit = services.core.settings.ready_max_lag_events
    for item in found:
        reason = None
        if item.failure is not None:
            reason = f"failing at event {item.failure.position}: {item.failure.error_type}"
        elif item.state != "live":
            reason = f"being built: {item.position} of {item.head}"
        elif item.lag_events > limit:
            reason = f"{item.lag_events} events behind (allowed {limit})"
        if reason is not None:
            problems.append({"component": f"read model {item.key}", "reason": reason})
    body = {"status": "not ready" if problems else "ready", "problems": problems}
    return JSONResponse(body, status_code=503 if problems else 200)


@router.get("/read-models")
async def read_models(actor: AnyActor, services: ServicesDep) -> list[dict[str, object]]:
    """Each read model's version, state, position, lag, failure and skipped events.

    Error texts and skip reasons are for administrators; other callers see where and what kind.
    """
    found = await run_in_threadpool(read_status, services.core.runners)
    items = [status_json(item) for item in found]
    if actor.role != Role.ADMIN:
        for item in items:
            failure = item["failure"]
            if isinstance(failure, dict):
                failure["error"] = failure["error"].split(":", 1)[0]
            item["skips"] = [
                {k: v for k, v in s.items() if k in ("position", "event_type")}
                for s in item["skips"]  # type: ignore[attr-defined]
            ]
    return items


@router.get("/metrics", include_in_schema=False)
async def metrics(services: ServicesDep) -> Response:
    """Prometheus metrics: request latency per route, read-model lag and failures."""
    body = await run_in_threadpool(generate_latest, services.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
