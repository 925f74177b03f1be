"""Bounds on every input: only what both stores (SQLite, PostgreSQL) and every read model hold.

A value outside them is refused at the door (a 422 naming the field) instead of being appended
to the log, where no projection could apply it and every read model would stop behind it:
a time whose UTC conversion overflows, a NUL or lone surrogate PostgreSQL cannot store, an
integer beyond PostgreSQL's `integer`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

EARLIEST = datetime(1950, 1, 1, tzinfo=UTC)
"""The first moment (and day) any input may name."""

HORIZON_YEARS = 100
"""How far after now (UTC) a moment or day may lie."""

INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1
"""The range of PostgreSQL's `integer`, the narrowest integer column a read model uses."""

MAX_POSITIONS = 1000
"""The most LIS1 positions one unit (or one round's coupling) can have."""

MAX_UNITS = 50
"""The most hospital units one round can list."""

WINDOW = f"between {EARLIEST:%Y-%m-%dT%H:%M}Z and {HORIZON_YEARS} years after now (UTC)"
_LINE_BREAKS = frozenset("\n\r\t")


def latest(now: datetime | None = None) -> datetime:
    """The last moment accepted: `HORIZON_YEARS` after `now` (default: the current UTC time)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        return now.replace(year=now.year + HORIZON_YEARS)
    except ValueError:  # 29 February, and the year a century on is no leap year
        return now.replace(year=now.year + HORIZON_YEARS, day=28)


def check_moment(value: datetime, now: datetime | None = None) -> datetime:
    """`value` in UTC if it lies in the window, else `ValueError` naming the window.

    Aware datetimes of different zones compare without conversion, so the check itself
    cannot overflow; only a moment inside the window is converted.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        msg = "a time must carry its time zone"
        raise ValueError(msg)
    if not EARLIEST <= value <= latest(now):
        msg = f"the time must lie {WINDOW}"
        raise ValueError(msg)
    return value.astimezone(UTC)


def check_day(value: date, now: datetime | None = None) -> date:
    """`value` if it lies in the window (by UTC calendar day), else `ValueError`."""
    if not EARLIEST.date() <= value <= latest(now).date():
        msg = f"the date must lie {WINDOW}"
        raise ValueError(msg)
    return value


def _refused_character(value: str, allowed: frozenset[str]) -> str | None:
    for character in value:
        if character not in allowed and unicodedata.category(character) in ("Cc", "Cs"):
            return character
    return None


def _check_text(value: str, allowed: frozenset[str], kind: str) -> str:
    refused = _refused_character(value, allowed)
    if refused is not None:
        # The code point, never the character: the refusal itself must be storable and printable.
        what = "lone surrogate" if unicodedata.category(refused) == "Cs" else "control character"
        msg = f"{kind} may not contain the {what} U+{ord(refused):04X}"
        raise ValueError(msg)
    return value


def check_single_line(value: str) -> str:
    """`value` unless it holds a control character (Cc, incl. NUL, tab, newline) or surrogate."""
    return _check_text(value, frozenset(), "a single line of text")


def check_multi_line(value: str) -> str:
    """`value` unless it holds a control character other than newline, return, tab, or a
    lone surrogate."""
    return _check_text(value, _LINE_BREAKS, "text")


def check_plain_keys(value: Any) -> Any:
    """A mapping's keys, checked as single lines before anything else reads them.

    Run before the keys are validated one by one, so that a refused key is not echoed in the
    error's location (a lone surrogate there could not even be sent back as JSON).
    """
    if isinstance(value, dict):
        for key in value:
            if isinstance(key, str):
                _check_text(key, frozenset(), "a key")
    return value


@dataclass(frozen=True)
class _Documented:
    """Adds `x-window` to a type's JSON Schema: the window, which JSON Schema cannot express."""

    window: str

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["x-window"] = self.window
        return schema


@dataclass(frozen=True)
class _Pattern:
    """Adds to a type's JSON Schema the pattern its validator enforces (for clients and for
    generated tests); the validator stays the one that names what is wrong."""

    pattern: str

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        if schema.get("pattern", self.pattern) != self.pattern:
            # The field has its own pattern (an e-mail address, a URL): both hold.
            schema.setdefault("allOf", []).append({"pattern": self.pattern})
        else:
            schema["pattern"] = self.pattern
        return schema


NOT_BEFORE = "x-not-before"
"""On a day that may not lie in the past: `today`. A served OpenAPI document turns it into a
pattern of the days from tomorrow on (JSON Schema has no `today`); the server takes today too."""


def check_not_past(value: date, now: datetime | None = None) -> date:
    """`value` unless it lies before today (UTC), else `ValueError` naming both days."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    if value < today:
        msg = f"{value.isoformat()} lies in the past (before {today.isoformat()}, UTC)"
        raise ValueError(msg)
    return value


NOT_AFTER = "x-not-after"
"""On a time that may not lie in the future: `now`. A served OpenAPI document turns it into a
pattern of the days before yesterday (JSON Schema has no `now`)."""


def iso_only(value: Any) -> Any:
    """A time is written as ISO 8601 text: a number or other text is not read as one (pydantic
    would take `-340377` for seconds since 1970)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO.match(value):
        msg = "expected an ISO 8601 time with its zone, such as 2026-01-14T10:00:00+01:00"
        raise ValueError(msg)
    return value


_ISO = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]")

Moment = Annotated[
    AwareDatetime,
    BeforeValidator(iso_only),
    AfterValidator(check_moment),
    _Documented(f"{EARLIEST:%Y-%m-%dT%H:%M:%S}Z .. now + {HORIZON_YEARS} years (UTC)"),
]
"""A time with its zone, in the window, normalised to UTC (so odd offsets disappear)."""

Day = Annotated[
    date,
    AfterValidator(check_day),
    _Documented(f"{EARLIEST:%Y-%m-%d} .. today + {HORIZON_YEARS} years (UTC)"),
]
"""A calendar day in the window."""

SingleLine = Annotated[
    str, AfterValidator(check_single_line), _Pattern("^[^\\u0000-\\u001f\\u007f-\\u009f]*$")
]
"""Text of one line: no control characters (Cc) and no lone surrogates (Cs). Bound its length
with `Field(max_length=…)` where it is used."""

MultiLine = Annotated[
    str,
    AfterValidator(check_multi_line),
    _Pattern("^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"),
]
"""Free text (notes, reasons): newlines, returns and tabs allowed, no other control character
and no lone surrogate. Bound its length with `Field(max_length=…)` where it is used."""

MunicipalityNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
"""A Norwegian municipality number: four digits."""

UnitCode = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")]
"""A hospital unit's code: lower-case letters, digits, `_` and `-`, at most 40."""

Int4 = Annotated[int, Field(ge=INT4_MIN, le=INT4_MAX)]
"""An integer PostgreSQL's `integer` column holds."""

PositionCount = Annotated[int, Field(ge=0, le=MAX_POSITIONS)]
"""A number of LIS1 positions: 0 to `MAX_POSITIONS`."""

UnitPositionCount = Annotated[int, Field(ge=1, le=MAX_POSITIONS)]
"""A unit's LIS1 positions in a round: 1 to `MAX_POSITIONS` (a unit without any is left out)."""

Positions = Annotated[
    dict[UnitCode, UnitPositionCount],
    Field(min_length=1, max_length=MAX_UNITS),
    BeforeValidator(check_plain_keys),
]
"""Positions per hospital unit: 1 to `MAX_UNITS` units of 1 to `MAX_POSITIONS` each (the domain
refuses a round without positions; the schema says so, so a client learns it before asking)."""
