"""Every request as one JSON log line and a latency sample; read models as metrics.

A log line carries the method, the route template (never the path with its ids), the status,
the duration and the caller's role: no personal data, no token, no body.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence

from helgeland_platform.logs import log
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from helgeland_pipeline.readside.overview import read_status
from helgeland_pipeline.readside.runner import ProjectionRunner

_log = logging.getLogger("helgeland.http")


class Metrics:
    """One registry per app (tests build many apps in one process)."""

    def __init__(self, runners: Sequence[ProjectionRunner]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "helgeland_http_request_duration_seconds",
            "Time to answer a request, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.registry.register(ReadModelCollector(runners))


class ReadModelCollector(Collector):
    """Read models' lag, state and failures, read from the store at each scrape."""

    def __init__(self, runners: Sequence[ProjectionRunner]) -> None:
        self.runners = runners

    def collect(self) -> Iterator[Metric]:
        labels = ["read_model", "version"]
        lag = GaugeMetricFamily(
            "helgeland_read_model_lag_events", "Log positions not yet passed", labels=labels
        )
        lag_seconds = GaugeMetricFamily(
            "helgeland_read_model_lag_seconds",
            "Age of the oldest event not yet applied",
            labels=labels,
        )
        position = GaugeMetricFamily(
            "helgeland_read_model_position", "Last log position applied", labels=labels
        )
        live = GaugeMetricFamily(
            "helgeland_read_model_live", "1 once the version serves reads", labels=labels
        )
        failing = GaugeMetricFamily(
            "helgeland_read_model_failing", "1 while an event cannot be applied", labels=labels
        )
        last_error = GaugeMetricFamily(
            "helgeland_read_model_last_error_info",
            "The failing event and the error's type",
            labels=[*labels, "position", "event_type", "error_type"],
        )
        skipped = GaugeMetricFamily(
            "helgeland_read_model_skipped_events", "Events an operator skipped", labels=labels
        )
        for item in read_status(self.runners):
            key = [item.name, str(item.version)]
            lag.add_metric(key, item.lag_events)
            lag_seconds.add_metric(key, item.lag_seconds)
            position.add_metric(key, item.position)
            live.add_metric(key, 1 if item.state == "live" else 0)
            failing.add_metric(key, 1 if item.failing else 0)
            skipped.add_metric(key, len(item.skips))
            if item.failure is not None:
                failure = item.failure
                last_error.add_metric(
                    [*key, str(failure.position), failure.event_type or "", failure.error_type], 1
                )
        yield from (lag, lag_seconds, position, live, failing, last_error, skipped)


class RequestLog:
    """ASGI middleware: a JSON log line and a latency sample per HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        # The route's template, never a path with ids in it; routes without one (the API's own
        # description) have fixed paths, and a path that matched nothing is not repeated.
        route = getattr(scope.get("route"), "path", None)
        if route is None:
            route = "unmatched" if status >= 400 else scope["path"]
        role = scope.get("helgeland.role")  # set once the caller's token was verified
        log(
            _log,
            logging.INFO,
            "request",
            method=scope["method"],
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 1),
            role=str(role) if role else None,
        )
        services = getattr(scope["app"].state, "services", None)
        if services is not None:
            services.metrics.requests.labels(scope["method"], route, str(status)).observe(seconds)
