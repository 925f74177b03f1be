"""Small cells: nothing an evaluator receives describes fewer than k persons.

The rule, everywhere the evaluation answers (JSON, CSV, plots, the HTML report), with
k = `HELGELAND_EVALUATION_MIN_CELL` (default 5):

1. **Groups.** A breakdown shows no group of fewer than k persons. Such groups are merged into
   one group, `OTHER`; if that is still fewer than k it is withheld as a whole.
2. **Counts.** Every count of persons is 0 or at least k. A count of 1 to k-1 is withheld
   (`null`; "<k" in CSV, HTML and plots), and so is every figure computed from it (a
   conversion, a median). Where one withheld cell of a column could be recovered from the
   total (the other groups and the whole are published), the smallest other count is
   withheld too (secondary suppression).
3. **Curves.** A survival curve is drawn only while at least k doctors are at risk; its
   median and shares beyond that point are withheld.
4. **Models.** A Cox covariate whose smaller level holds fewer than k doctors is left out.
5. **Cohort rows** are k-anonymous over their quasi-identifiers (see `cohort_rows`).

Every answer says what was withheld (`disclosure`, or headers for the cohort).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from helgeland_contracts.evaluation_v1 import (
    CycleRow,
    Disclosure,
    FunnelGroup,
    FunnelStep,
    NationalComparison,
    RetentionGroup,
)

from helgeland_pipeline.evaluation.cohort import FUNNEL_STEPS

T = TypeVar("T")
OTHER = "other (groups too small to show)"


@dataclass
class Tally:
    """What one answer withheld, to be said in it."""

    min_cell: int
    withheld_cells: int = 0
    merged_groups: int = 0
    withheld_groups: int = 0
    notes: list[str] = field(default_factory=list)

    def small(self, count: int) -> bool:
        return 0 < count < self.min_cell

    def count(self, count: int) -> int | None:
        """A count of persons as it may be shown: `None` when it is 1 to k-1."""
        if self.small(count):
            self.withheld_cells += 1
            return None
        return count

    def report(self) -> Disclosure:
        return Disclosure(
            min_cell=self.min_cell,
            suppressed=bool(
                self.withheld_cells or self.merged_groups or self.withheld_groups or self.notes
            ),
            withheld_cells=self.withheld_cells,
            merged_groups=self.merged_groups,
            withheld_groups=self.withheld_groups,
            notes=self.notes,
        )


def merge_small_groups(groups: dict[str, list[T]], tally: Tally) -> dict[str, list[T]]:
    """Groups of fewer than k members merged into `OTHER`.

    If the small ones together are still fewer than k, the smallest group that could be shown
    joins them, so that no remainder is left to be recovered from the whole by subtraction;
    with no such group, they are withheld (and the whole is then small too, so its counts are).
    """
    kept = {name: members for name, members in groups.items() if len(members) >= tally.min_cell}
    small = [members for members in groups.values() if len(members) < tally.min_cell]
    if not small:
        return kept
    other = [m for members in small for m in members]
    merged = len(small)
    if len(other) < tally.min_cell and kept:
        smallest = min(kept, key=lambda name: (len(kept[name]), name))
        other.extend(kept.pop(smallest))
        merged += 1
    if len(other) < tally.min_cell:
        tally.withheld_groups += merged
        tally.notes.append(f"{merged} group(s) of fewer than {tally.min_cell} persons withheld")
        return kept
    tally.merged_groups += merged
    tally.notes.append(f"{merged} group(s) merged into '{OTHER}'")
    return {**kept, OTHER: other}


def secondary(
    rows: Sequence[T],
    get: Callable[[T], int | None],
    original: Callable[[T], int],
    withhold: Callable[[T], None],
    tally: Tally,
) -> None:
    """If exactly one cell of a column is withheld, withhold the smallest other non-zero one.

    One missing cell of a column whose total is published elsewhere is the total minus the
    others; two cannot be told apart.
    """
    if len(rows) < 2:
        return
    withheld = [r for r in rows if get(r) is None and original(r) > 0]
    if len(withheld) != 1:
        return
    shown = [r for r in rows if get(r) is not None and original(r) > 0]
    if shown:
        withhold(min(shown, key=original))
        tally.withheld_cells += 1


def funnel_groups(groups: list[FunnelGroup], tally: Tally) -> list[FunnelGroup]:
    """Counts of 1 to k-1 withheld, with the conversions and medians that would give them away."""
    raw = {(g.group, s.step): s.count or 0 for g in groups for s in g.steps}
    shown = [g.model_copy(update={"steps": [s.model_copy() for s in g.steps]}) for g in groups]
    for group in shown:
        for step in group.steps:
            step.count = tally.count(raw[group.group, step.step])
    for name in FUNNEL_STEPS:
        column = [s for g in shown for s in g.steps if s.step == name]
        secondary(
            column,
            lambda s: s.count,
            lambda s: raw[_group_of(shown, s), s.step],
            _withhold_step,
            tally,
        )
    for group in shown:
        previous: FunnelStep | None = None
        for step in group.steps:
            _split(step, tally)
            if step.from_previous is None or (previous is not None and previous.count is None):
                step.conversion = None
                step.median_days_from_previous = None
            previous = step
    return shown


def _split(step: FunnelStep, tally: Tally) -> None:
    """`count` = `from_previous` + `without_previous`: if one of the three is withheld, so are
    both parts (any two give the third)."""
    if step.from_previous is None and step.without_previous is None:
        return  # the first step: no parts
    parts = (step.from_previous or 0, step.without_previous or 0)
    if step.count is None or any(tally.small(p) for p in parts):
        tally.withheld_cells += sum(p > 0 for p in parts)
        step.from_previous = step.without_previous = None


def _group_of(groups: list[FunnelGroup], step: FunnelStep) -> str:
    return next(g.group for g in groups if any(s is step for s in g.steps))


def _withhold_step(step: FunnelStep) -> None:
    step.count = None


def retention_group(group: RetentionGroup, tally: Tally) -> RetentionGroup:
    """The curve while at least k are at risk; what lies beyond it, and a small `left`, withheld."""
    k = tally.min_cell
    curve = [p for p in group.curve if p.at_risk >= k]
    if len(curve) < len(group.curve):
        tally.notes.append(
            f"{group.group}: the curve ends where fewer than {k} doctors remain at risk"
        )
    horizon = curve[-1].years if curve else -1.0
    last = group.curve[-1].years if group.curve else -1.0
    beyond = horizon < last

    def within(value: float | None) -> float | None:
        return value if value is None or not beyond or value <= horizon else None

    shares = {
        key: share if not beyond or float(key.rstrip("y")) <= horizon else None
        for key, share in group.share_in_post.items()
    }
    lower, upper = group.median_ci
    return group.model_copy(
        update={
            "left": tally.count(group.left or 0),
            "curve": curve,
            "median_years": within(group.median_years),
            "median_ci": (within(lower), within(upper)),
            "share_in_post": shares,
        }
    )


def national_rows(rows: list[NationalComparison], tally: Tally) -> list[NationalComparison]:
    shown = []
    for row in rows:
        doctors = tally.count(row.our_doctors or 0)
        median = row.our_median_years if doctors is not None else None
        shown.append(row.model_copy(update={"our_doctors": doctors, "our_median_years": median}))
    return shown


def cycle_rows(rows: list[CycleRow], tally: Tally) -> list[CycleRow]:
    raw = [r.model_copy() for r in rows]
    shown = [
        r.model_copy(
            update={
                "applicants": tally.count(r.applicants or 0),
                "recruited": tally.count(r.recruited or 0),
                "still_in_post": tally.count(r.still_in_post or 0),
                "dropped_out": tally.count(r.dropped_out or 0),
                "returned": tally.count(r.returned or 0),
                "served": None if r.served is None else tally.count(r.served),
            }
        )
        for r in rows
    ]
    by_shown = {id(s): raw[i] for i, s in enumerate(shown)}
    names = ["applicants", "recruited", "still_in_post", "dropped_out", "returned"]
    names += ["served"] if any(r.served is not None for r in rows) else []
    for name in names:
        secondary(
            shown,
            lambda r, name=name: getattr(r, name),  # type: ignore[misc]
            lambda r, name=name: getattr(by_shown[id(r)], name) or 0,  # type: ignore[misc]
            lambda r, name=name: setattr(r, name, None),  # type: ignore[misc]
            tally,
        )
    for row in shown:
        if row.served is None:  # weeks are computed from the doctors who served: withheld too
            row.weeks_of_service = None
    return shown
