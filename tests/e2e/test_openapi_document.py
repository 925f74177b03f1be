"""The OpenAPI document says, for every operation, which errors it can answer (as RFC 9457
problems) and which roles may call it, derived from the routes themselves."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helgeland_pipeline.api.main import create_app

from tests.conftest import sqlite_settings
from tests.e2e.api import PROBLEM, Api

RECRUITERS = ["hospital_recruiter", "admin"]
EVALUATORS = ["evaluator", "admin"]


@pytest.fixture
def document(tmp_path: Path) -> dict[str, Any]:
    return create_app(sqlite_settings(tmp_path)).openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, ops in document["paths"].items() for m, op in ops.items()]


def test_every_error_is_a_problem_and_every_operation_says_who_may_call_it(
    document: dict[str, Any],
) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, op in operations(document):
        responses = op["responses"]
        for status, response in responses.items():
            if status[0] in "45":
                assert response["content"] == {
                    PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, (method, path, status)
        roles = op["x-roles"]
        assert roles, (method, path)
        assert op["description"].endswith(
            "Public: no token needed." if roles == ["public"] else f"Roles: {', '.join(roles)}."
        )
        if roles == ["public"]:
            assert op["security"] == []
            assert "401" not in responses
        else:
            assert "401" in responses, (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in op:
            assert {"400", "422"} <= set(responses), (method, path)
        if method != "GET" and roles != ["public"]:
            assert {"202", "409"} <= set(responses), (method, path)


@pytest.mark.parametrize(
    ("method", "path", "roles", "statuses"),
    [
        (
            "POST",
            "/candidates",
            RECRUITERS,
            {"201", "202", "400", "401", "403", "409", "413", "422", "429"},
        ),
        (
            "GET",
            "/rounds/{round_id}",
            RECRUITERS,
            {"200", "401", "403", "404", "422", "429", "503"},
        ),
        ("GET", "/evaluation/cohort", EVALUATORS, {"200", "401", "403", "422", "429", "503"}),
        ("GET", "/candidates", RECRUITERS, {"200", "400", "401", "403", "422", "429", "503"}),
        ("GET", "/health/ready", ["public"], {"200", "503"}),
    ],
)
def test_an_operation_documents_what_its_dependencies_can_answer(
    document: dict[str, Any], method: str, path: str, roles: list[str], statuses: set[str]
) -> None:
    op = document["paths"][path][method.lower()]
    assert op["x-roles"] == roles
    assert set(op["responses"]) == statuses


def test_a_body_limit_and_the_failed_authentication_limit_are_documented_where_they_apply(
    document: dict[str, Any],
) -> None:
    for method, path, op in operations(document):
        responses = op["responses"]
        assert ("413" in responses) == ("requestBody" in op), (method, path)
        if op["x-roles"] == ["public"]:
            assert "429" not in responses, (method, path)
            continue
        assert "failed authentications" in responses["429"]["description"], (method, path)
        assert responses["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
        assert responses["429"]["content"] == {
            PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}
        }


async def test_the_documented_413_is_what_the_server_answers(api: Api) -> None:
    # The 429 behind the documented one is tested in test_edges.py (a tight limit there).
    document = api.app.openapi()
    too_large = b"{" + b" " * (api.settings.max_request_bytes + 1) + b"}"
    headers = api.auth() | {"content-type": "application/json"}
    response = await api.client.post("/candidates", content=too_large, headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert "413" in document["paths"]["/candidates"]["post"]["responses"]


def test_a_day_that_may_not_lie_in_the_past_is_a_pattern_of_days_from_tomorrow(
    document: dict[str, Any],
) -> None:
    schema = document["components"]["schemas"]["RoundCreate"]["properties"]
    pattern = re.compile(schema["application_deadline"]["pattern"])
    today = datetime.now(UTC).date()
    for days in (1, 2, 31, 366, 3650):
        assert pattern.match((today + timedelta(days=days)).isoformat()), days
    for days in (0, -1, -40, -400):
        assert not pattern.match((today + timedelta(days=days)).isoformat()), days
    positions = schema["positions"]
    assert positions["minProperties"] == 1
    assert [p["minimum"] for p in positions["patternProperties"].values()] == [1]


def test_a_placement_names_its_municipality_in_the_schema(document: dict[str, Any]) -> None:
    contact = document["components"]["schemas"]["StudentContact"]
    (placement,) = [c for c in contact["anyOf"] if "required" in c]
    assert placement["properties"]["kind"] == {"const": "placement"}
    assert placement["required"] == ["municipality"]


async def test_a_method_the_route_does_not_take_is_405_with_allow(api: Api) -> None:
    response = await api.client.delete("/rounds", headers=api.auth())
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
