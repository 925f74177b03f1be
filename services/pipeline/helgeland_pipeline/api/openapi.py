"""The OpenAPI document tells the truth: every error an operation can answer, and who may call it.

Derived from each route's dependencies rather than written on each decorator, so a new route
is documented the moment it is added:

- a token (`get_actor`) → 401; a role rule (`require_role`) → 403, and the roles, in the
  description and as `x-roles`; no token → `security: []` and `x-roles: ["public"]`;
- a path parameter → 404; parameters or a body → 422; a body → 400 (not JSON);
- a command (not GET) → 409 (a programme rule or a concurrent write) and 202 (stored, not yet
  visible in the read model the caller reads next);
- a read model (`reads`) on a GET → 503 while that read model is being built;
- middleware adds its own (`openapi_responses(method, authenticated, has_body)`: the
  idempotency keys' 400/409/422, a body limit's 413, a rate limit's 429, ...).

Every error is an RFC 9457 problem under `application/problem+json`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from helgeland_contracts.api_v1 import Problem
from helgeland_contracts.bounds import EARLIEST, HORIZON_YEARS, NOT_AFTER, NOT_BEFORE
from helgeland_platform.tokens import ROLES as TOKEN_ROLES

from helgeland_pipeline.api.deps import get_actor
from helgeland_pipeline.domain.common import Role

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
ACCEPTED_REF = {"$ref": "#/components/schemas/AcceptedNotYetVisible"}
WHY = {
    400: "Malformed request: the body is not JSON, or a header or cursor is not valid",
    401: "No bearer token, or one that is not valid",
    403: "The token's role (or municipality) may not do this",
    404: "No such resource (the id in the path is unknown)",
    409: "Conflict: a programme rule forbids it now, or a concurrent write; nothing was written",
    413: "The request body is larger than allowed; nothing was read further",
    422: "Invalid request: a parameter or field is invalid (each named); nothing was written",
    429: "Too many failed attempts from this client: wait for `Retry-After`",
    503: "The read model behind this answer is being built from the log: try again shortly",
}
ACCEPTED = {
    "type": "object",
    "description": "Stored, but the read model the caller reads next has not shown it yet",
    "required": ["title", "status", "detail", "position", "lagging"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "enum": [202]},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "id": {"type": "string"},
        "position": {"type": "integer"},
        "lagging": {"type": "array", "items": {"type": "object"}},
    },
}
RETRY_AFTER = {
    "description": "Seconds to wait before trying again",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
StatusRule = Callable[[str, bool, bool], dict[int, str]]


def install(app: FastAPI) -> None:
    """Make `app.openapi()` return the completed document (built once a day, then cached: its
    date patterns are exact for the day they were built)."""
    plain = app.openapi
    completed: list[tuple[date, dict[str, Any]]] = []

    def openapi() -> dict[str, Any]:
        today = datetime.now(UTC).date()
        if completed and completed[0][0] != today:
            app.openapi_schema = None  # FastAPI builds it afresh
            completed.clear()
        document = plain()  # FastAPI's, cached until routes change
        if not any(document is done for _, done in completed):
            completed[:] = [(today, complete(app, document))]
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def complete(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas["AcceptedNotYetVisible"] = ACCEPTED
    rules = [
        rule
        for m in app.user_middleware
        if (rule := getattr(m.cls, "openapi_responses", None)) is not None
    ]
    # Included routers are kept whole; their route contexts carry the effective path and
    # dependencies (the router's own included), as FastAPI's own document reads them.
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = document["paths"][route.path_format].get(method.lower())
            if operation is not None:
                _document(route, method, operation, rules)
    _windows(document, datetime.now(UTC).date())
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and unused not in str(document["paths"]):
            del schemas[unused]
    return document


def _document(
    route: RouteContext, method: str, operation: dict[str, Any], rules: list[StatusRule]
) -> None:
    calls = list(_calls(route.dependant))
    authenticated = get_actor in calls
    roles = _roles(calls) if authenticated else None
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status, why in sorted(_statuses(route, method, calls, roles, rules).items()):
        responses.setdefault(str(status), {"description": why})
    for code, response in responses.items():
        if str(code)[0] in "45":
            response["content"] = {PROBLEM: {"schema": PROBLEM_REF}}
    if "429" in responses:
        responses["429"]["headers"] = {"Retry-After": RETRY_AFTER}
    if method != "GET" and authenticated:
        responses["202"] = {
            "description": ACCEPTED["description"],
            "content": {"application/json": {"schema": ACCEPTED_REF}},
        }
    _say_who(operation, roles)


def _statuses(
    route: RouteContext,
    method: str,
    calls: list[Any],
    roles: list[str] | None,
    rules: list[StatusRule],
) -> dict[int, str]:
    authenticated = roles is not None
    has_body = route.body_field is not None
    path_params = route.dependant.path_params
    statuses: dict[int, str] = {}
    if authenticated:
        statuses[401] = WHY[401]
        if set(roles or ()) != {role.value for role in token_roles()}:
            statuses[403] = WHY[403]
    if path_params:
        statuses[404] = WHY[404]
    if has_body:
        statuses[400] = WHY[400]
    if has_body or route.dependant.query_params or path_params:
        statuses[422] = WHY[422]
    if method != "GET" and authenticated:
        statuses[409] = WHY[409]
    if method == "GET" and any(hasattr(call, "read_model") for call in calls):
        statuses[503] = WHY[503]
    for rule in rules:
        for status, why in rule(method, authenticated, has_body).items():
            statuses[status] = f"{statuses[status]}; or: {why}" if status in statuses else why
    return statuses


def _windows(node: Any, today: date, not_after: bool = False) -> None:
    """`x-window`, `x-not-after` and `x-not-before` (contracts/bounds.py) as patterns a client
    can check.

    A window's years, 1950 to 99 years on; a time that may not lie in the future, the days
    before yesterday (a zone offset moves a time by less than a day); a day that may not lie
    in the past, the days from tomorrow on. Built once a day (see `install`), so each is
    stricter than the server by a day at most, never looser.
    """
    if isinstance(node, list):
        for item in node:
            _windows(item, today, not_after)
        return
    if not isinstance(node, dict):
        return
    not_after = not_after or node.get(NOT_AFTER) == "now"
    if "x-window" in node and "pattern" not in node:
        if node.get(NOT_BEFORE) == "today":
            node["pattern"] = _from(today + timedelta(days=1))
        else:
            node["pattern"] = _before(today - timedelta(days=1)) if not_after else _years(today)
    for key, value in node.items():
        if key not in ("examples", "example", "default"):
            _windows(value, today, not_after and key in ("anyOf", "oneOf", "schema"))


def _years(today: date) -> str:
    years = "|".join(str(y) for y in range(EARLIEST.year, today.year + HORIZON_YEARS))
    return f"^(?:{years})-"


def _before(day: date) -> str:
    """Dates (and times) from 1950 up to, not including, `day`."""
    years = "|".join(str(y) for y in range(EARLIEST.year, day.year))
    months = "|".join(f"{m:02d}" for m in range(1, day.month))
    days = "|".join(f"{d:02d}" for d in range(1, day.day))
    choices = [f"(?:{years})-[0-9]{{2}}-[0-9]{{2}}"]
    if months:
        choices.append(f"{day.year}-(?:{months})-[0-9]{{2}}")
    if days:
        choices.append(f"{day.year}-{day.month:02d}-(?:{days})")
    return f"^(?:{'|'.join(choices)})"


def _from(day: date) -> str:
    """Dates from `day` on, up to the window's last year."""
    last = day.year + HORIZON_YEARS - 1
    choices = []
    if day.year < last:
        years = "|".join(str(y) for y in range(day.year + 1, last + 1))
        choices.append(f"(?:{years})-[0-9]{{2}}-[0-9]{{2}}")
    if day.month < 12:
        months = "|".join(f"{m:02d}" for m in range(day.month + 1, 13))
        choices.append(f"{day.year}-(?:{months})-[0-9]{{2}}")
    days = "|".join(f"{d:02d}" for d in range(day.day, 32))
    choices.append(f"{day.year}-{day.month:02d}-(?:{days})")
    return f"^(?:{'|'.join(choices)})"


def _say_who(operation: dict[str, Any], roles: list[str] | None) -> None:
    if roles is None:
        operation["security"] = []
        operation["x-roles"] = ["public"]
        who = "Public: no token needed."
    else:
        operation["x-roles"] = roles
        who = f"Roles: {', '.join(roles)}."
    description = operation.get("description", "").rstrip()
    operation["description"] = f"{description}\n\n{who}" if description else who


def token_roles() -> set[Role]:
    """The roles a token may carry (not the candidate's, who answers through a signed link)."""
    return {role for role in Role if role.value in TOKEN_ROLES}


def _roles(calls: list[Any]) -> list[str]:
    """The roles every role rule on the route admits (any token's role if there is none:
    the candidate answers through a signed link, never with a token)."""
    allowed = token_roles()
    for call in calls:
        roles = getattr(call, "roles", None)
        if roles is not None:
            allowed &= set(roles)
    return [role.value for role in Role if role in allowed]


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)
