"""RFC 9457 problem responses, the same in every service: a refused request wrote nothing."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

PROBLEM = "application/problem+json"


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _message(error: Any) -> str:
    """Pydantic's message, in words where it would show a regular expression."""
    if error.get("type") != "string_pattern_mismatch":
        return str(error.get("msg", ""))
    field = str((error.get("loc") or ("",))[-1])
    if "email" in field:
        return "is not an e-mail address (name@domain.no)"
    return "has characters or a form this field does not take (see the schema's pattern)"


async def invalid_request(request: Request, error: Exception) -> JSONResponse:
    """400 for a body that is not JSON; 422 naming each field otherwise."""
    assert isinstance(error, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": _message(e), "type": e.get("type", "")}
        for e in error.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        return problem(request, 400, "Malformed request", "the body is not valid JSON")
    summary = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
    return problem(request, 422, "Invalid request", summary, errors=errors)


async def unauthenticated(request: Request, error: Exception) -> JSONResponse:
    """401 with the challenge a client needs."""
    return problem(
        request, 401, "Unauthenticated", str(error), headers={"WWW-Authenticate": "Bearer"}
    )
