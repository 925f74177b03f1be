"""Whether each round's coupled LIS1 slots ended in a LIS3 start, and where (small cells
withheld as everywhere in the evaluation: see `disclosure`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from helgeland_contracts.evaluation_v1 import CoupledSlotOutcome, Lis3StartPlace

from helgeland_pipeline.evaluation.cohort import Fact, RoundInfo
from helgeland_pipeline.evaluation.disclosure import Tally

OTHER = "other"
OTHER_NAME = "other (groups too small to show)"


@dataclass
class _Path:
    round_id: str | None = None
    coupled: bool = False
    accepted: bool = False
    lis3_in: str | None = None


def coupled_outcomes(
    facts: list[Fact], rounds: dict[str, RoundInfo], names: dict[str, str], tally: Tally
) -> list[CoupledSlotOutcome]:
    """Per round: coupled LIS1 offers accepted (the slots taken), how many of those doctors
    started LIS3, and in which municipality (the first LIS3 start counts)."""
    paths: dict[str, _Path] = {}
    for fact in sorted(facts, key=lambda f: f.occurred_at):
        path = paths.setdefault(fact.candidate_id, _Path())
        if fact.fact == "applied":
            path.round_id = fact.attrs.get("round_id")
        elif fact.fact == "lis1_offered":
            path.coupled = bool(fact.attrs.get("coupled"))
        elif fact.fact == "lis1_accepted":
            path.accepted = True
        elif fact.fact == "lis3_started" and path.lis3_in is None:
            path.lis3_in = fact.municipality
    outcomes = []
    for round_id, info in sorted(rounds.items(), key=lambda r: (r[1].cycle_year, r[1].name)):
        taken = [p for p in paths.values() if p.round_id == round_id and p.coupled and p.accepted]
        if not taken:
            continue
        started = Counter(p.lis3_in for p in taken if p.lis3_in is not None)
        started_count = sum(started.values())
        outcomes.append(
            CoupledSlotOutcome(
                round=info.name,
                year=info.cycle_year,
                coupled_lis1_accepted=tally.count(len(taken)),
                ended_in_lis3_start=tally.count(started_count),
                lis3_started_in=_places(started, names, tally),
            )
        )
    return outcomes


def _places(started: Counter[str], names: dict[str, str], tally: Tally) -> list[Lis3StartPlace]:
    """Municipalities of k doctors or more; the rest merged into `other`, and while `other`
    is still 1 to k-1 (its count could be recovered from the total), the next-smallest
    municipality joins it."""
    shown = sorted(((n, m) for m, n in started.items()), reverse=True)
    other = 0
    while shown and (0 < other < tally.min_cell or tally.small(shown[-1][0])):
        count, _ = shown.pop()
        other += count
        tally.merged_groups += 1
    places = [Lis3StartPlace(municipality=m, name=names.get(m, m), doctors=n) for n, m in shown]
    if other:
        places.append(
            Lis3StartPlace(municipality=OTHER, name=OTHER_NAME, doctors=tally.count(other))
        )
    return places
