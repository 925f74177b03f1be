"""A refused setting as one line naming its environment variable, for every command line."""

from __future__ import annotations

from pydantic import ValidationError


def describe(error: ValidationError, prefix: str = "HELGELAND_") -> str:
    """`invalid setting HELGELAND_X: why`: the first refusal, without pydantic's decoration."""
    first = error.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["loc"]:
        name = prefix + "_".join(str(part) for part in first["loc"]).upper()
        message = f"{name}: {message}"
    return f"invalid setting {message}"
