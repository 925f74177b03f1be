"""What an operator's tools see of requests: one structured log line each, and metrics.

A line names the method, the route's template (never the ids in the path), the status, the
duration and the caller's role; never a name, an e-mail or a token.
"""

from __future__ import annotations

import json
import logging
import sys

import pytest
from helgeland_platform.logs import JsonFormatter

from tests.e2e.api import Api


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [getattr(r, "fields", {}) for r in caplog.records if r.name == "helgeland.http"]


async def test_each_request_is_one_log_line_without_personal_data(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="helgeland")
    created = await api.post("/candidates", {"name": "Kari Nordmann", "email": "kari@example.no"})
    assert created.status_code == 201
    candidate = created.json()["id"]
    assert (await api.get(f"/candidates/{candidate}")).status_code == 200
    assert (await api.client.get(f"/candidates/{candidate}")).status_code == 401

    lines = request_lines(caplog)
    assert {
        "method": "POST",
        "route": "/candidates",
        "status": 201,
        "role": "hospital_recruiter",
    }.items() <= lines[0].items()
    assert lines[1]["route"] == "/candidates/{candidate_id}"
    assert (lines[2]["status"], lines[2]["role"]) == (401, None)
    assert all(isinstance(line["duration_ms"], float) for line in lines)
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    for secret in ("Kari", "kari@example.no", candidate, "Bearer"):
        assert secret not in everything

    metrics = (await api.client.get("/metrics")).text
    assert (
        'helgeland_http_request_duration_seconds_count{method="POST",route="/candidates",'
        'status="201"} 1.0'
    ) in metrics


def test_a_log_line_is_json_with_its_fields_and_only_the_type_of_an_exception() -> None:
    try:
        raise ValueError("kari@example.no is not allowed")
    except ValueError:
        record = logging.LogRecord(
            "helgeland.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    record.fields = {"projection": "hospital", "position": 7}
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed"
    assert (line["projection"], line["position"]) == ("hospital", 7)
    assert line["exception"] == "ValueError"
    assert "kari@example.no" not in json.dumps(line)
