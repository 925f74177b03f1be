"""The pseudonymised cohort made k-anonymous, and written as CSV that a spreadsheet cannot run.

Quasi-identifiers are what someone who knows a doctor could match a row on: the year LIS3
started, the round, the municipality, its centrality class and population group, local
connection and career preference. The exact start day is never given and durations are rounded
to 0.1 year (with k = 1, disclosure control is off and rows are given as they are). Rows are
generalised level by level (`LADDER`): a row is released at the first
level at which at least k of the rows not yet released share its generalised combination, and
all of those are released with it, so every combination released is shared by at least k rows.
Rows left over after the last level are withheld.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from helgeland_contracts.evaluation_v1 import CohortRow

QUASI_IDENTIFIERS = (
    "lis3_started_year",
    "round",
    "municipality",
    "centrality_class",
    "population_group",
    "local_connection",
    "preference",
)
# Withheld in this order, cumulatively: the finest detail goes first.
LADDER: tuple[tuple[str, ...], ...] = (
    (),
    ("municipality",),
    ("local_connection", "preference"),
    ("centrality_class", "population_group"),
    ("round",),
    ("lis3_started_year",),
)
DURATION_DECIMALS = 1


@dataclass(frozen=True)
class CohortRelease:
    rows: list[CohortRow]
    min_cell: int
    generalised: int  # rows with at least one field withheld
    withheld: int  # rows not released at all


def k_anonymous(rows: list[CohortRow], min_cell: int) -> CohortRelease:
    """At least `min_cell` released rows share every released combination of quasi-identifiers."""
    if min_cell <= 1:  # disclosure control turned off
        return CohortRelease(sorted(rows, key=lambda r: r.pseudonym), min_cell, 0, 0)
    remaining = [_coarse(r) for r in rows]
    released: list[CohortRow] = []
    hidden: tuple[str, ...] = ()
    for step in LADDER:
        hidden = (*hidden, *step)
        sizes = Counter(_key(r, hidden) for r in remaining)
        now = [r for r in remaining if sizes[_key(r, hidden)] >= min_cell]
        released += [_generalise(r, hidden) for r in now]
        remaining = [r for r in remaining if sizes[_key(r, hidden)] < min_cell]
    return CohortRelease(
        rows=sorted(released, key=lambda r: r.pseudonym),
        min_cell=min_cell,
        generalised=sum(bool(r.generalised) for r in released),
        withheld=len(remaining),
    )


def _coarse(row: CohortRow) -> CohortRow:
    """No start day, durations to 0.1 year: always, for every row."""
    year = row.lis3_started.year if row.lis3_started else row.lis3_started_year

    def rounded(years: float | None) -> float | None:
        return None if years is None else round(years, DURATION_DECIMALS)

    return row.model_copy(
        update={
            "lis3_started": None,
            "lis3_started_year": year,
            "municipality_years": rounded(row.municipality_years),
            "region_years": rounded(row.region_years),
        }
    )


def _key(row: CohortRow, hidden: tuple[str, ...]) -> tuple[object, ...]:
    return tuple(None if f in hidden else getattr(row, f) for f in QUASI_IDENTIFIERS)


def _generalise(row: CohortRow, hidden: tuple[str, ...]) -> CohortRow:
    if not hidden:
        return row
    return row.model_copy(update={**dict.fromkeys(hidden), "generalised": list(hidden)})


# --- CSV ---------------------------------------------------------------------------------

# OWASP, CSV injection: a cell a spreadsheet would read as a formula or control.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run gets a leading single quote; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def cohort_csv(rows: Iterable[CohortRow]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CohortRow.model_fields))
    writer.writeheader()
    for row in rows:
        data = row.model_dump(mode="json")
        data["generalised"] = ";".join(row.generalised)
        writer.writerow({k: neutralise(v) for k, v in data.items()})
    return buffer.getvalue()
