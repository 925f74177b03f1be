"""Liveness, readiness and metrics of the notifications service, as the pipeline has them.

Ready: the database answers and the log is followed within the allowed lag. Metrics: the
delivery queue (pending, due), dead letters, deliveries by state, and how far behind the log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from helgeland_notifications import store
from helgeland_notifications.worker import NAME, Worker

_log = logging.getLogger("helgeland.notifications")


def state(worker: Worker, now: datetime) -> dict[str, int]:
    """Counts an operator watches: deliveries per state, due ones, and the log lag."""
    with worker.engine.connect() as conn:
        rows = conn.execute(
            select(store.deliveries.c.status, func.count()).group_by(store.deliveries.c.status)
        ).all()
        counts = {str(status): int(count) for status, count in rows}
        due = conn.execute(
            select(func.count()).where(
                store.deliveries.c.status == "pending",
                store.deliveries.c.next_attempt_at <= now,
            )
        ).scalar_one()
        position = conn.execute(
            select(store.tracking.c.position).where(store.tracking.c.name == NAME)
        ).scalar_one_or_none()
    head = worker.reader.recorder.max_notification_id() or 0
    found = {f"deliveries_{s}": int(counts.get(s, 0)) for s in store.STATES}
    return found | {"due": int(due), "log_lag_events": max(0, head - int(position or 0))}


class _Collector(Collector):
    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    def collect(self) -> Iterator[Metric]:
        now = self.worker.clock()
        found = state(self.worker, now)
        by_state = GaugeMetricFamily(
            "helgeland_notifications_deliveries", "Deliveries by state", labels=["state"]
        )
        for name in store.STATES:
            by_state.add_metric([name], found[f"deliveries_{name}"])
        yield by_state
        yield GaugeMetricFamily(
            "helgeland_notifications_queue_depth",
            "Pending deliveries",
            value=found["deliveries_pending"],
        )
        yield GaugeMetricFamily(
            "helgeland_notifications_due", "Pending deliveries due now", value=found["due"]
        )
        yield GaugeMetricFamily(
            "helgeland_notifications_dead_letters", "Dead letters", value=found["deliveries_dead"]
        )
        yield GaugeMetricFamily(
            "helgeland_notifications_log_lag_events",
            "Events in the log not yet read",
            value=found["log_lag_events"],
        )
        yield GaugeMetricFamily(
            "helgeland_notifications_leading",
            "1 for the active worker",
            value=int(self.worker.leading),
        )


def add_operations(app: FastAPI, worker: Worker) -> None:
    registry = CollectorRegistry()
    registry.register(_Collector(worker))

    @app.get("/health/live", tags=["operations"])
    def live() -> dict[str, str]:
        return {"status": "live"}

    @app.get("/health/ready", tags=["operations"])
    def ready() -> JSONResponse:
        problems = []
        try:
            found = state(worker, worker.clock())
        except Exception as error:
            problems.append({"component": "database", "reason": type(error).__name__})
        else:
            if found["log_lag_events"] > worker.settings.ready_max_lag_events:
                lag = found["log_lag_events"]
                problems.append({"component": "log", "reason": f"{lag} events behind"})
        body = {"status": "not ready" if problems else "ready", "problems": problems}
        return JSONResponse(body, status_code=503 if problems else 200)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
