"""The evaluation's view of coupled slots: per round, how many coupled LIS1 doctors started
LIS3, and where, without any figure about fewer than k doctors."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from helgeland_pipeline.evaluation.cohort import Fact, RoundInfo
from helgeland_pipeline.evaluation.coupling import OTHER, coupled_outcomes
from helgeland_pipeline.evaluation.disclosure import Tally

from tests.factories import NOW

ROUNDS = {"r1": RoundInfo("LIS1 høst 2021", date(2021, 10, 1), date(2022, 1, 15))}
NAMES = {"1833": "Rana", "1824": "Vefsn", "1835": "Træna"}


def path(cid: str, coupled: bool, accepted: bool = True, lis3: str | None = None) -> list[Fact]:
    def at(day: int, fact: str, municipality: str | None = None, **attrs: Any) -> Fact:
        return Fact(cid, fact, municipality, NOW + timedelta(days=day), attrs)

    facts = [at(0, "applied", round_id="r1"), at(1, "lis1_offered", coupled=coupled)]
    if accepted:
        facts.append(at(2, "lis1_accepted"))
    if lis3 is not None:
        facts.append(at(3, "lis3_started", lis3))
    return facts


def doctors(*paths: list[Fact]) -> list[Fact]:
    return [fact for p in paths for fact in p]


def test_counts_only_accepted_coupled_offers_and_their_lis3_starts_by_place() -> None:
    facts = doctors(
        path("a", True, lis3="1833"),
        path("b", True, lis3="1833"),
        path("c", True, lis3="1824"),
        path("d", True),  # coupled, no LIS3 start (yet)
        path("e", False, lis3="1833"),  # uncoupled: not a slot
        path("f", True, accepted=False),  # offered, never accepted
    )
    [outcome] = coupled_outcomes(facts, ROUNDS, NAMES, Tally(1))
    assert (outcome.round, outcome.year) == ("LIS1 høst 2021", 2022)
    assert (outcome.coupled_lis1_accepted, outcome.ended_in_lis3_start) == (4, 3)
    assert [(p.municipality, p.name, p.doctors) for p in outcome.lis3_started_in] == [
        ("1833", "Rana", 2),
        ("1824", "Vefsn", 1),
    ]


def test_places_of_fewer_than_k_merge_until_no_count_can_be_recovered() -> None:
    many = [path(f"r{i}", True, lis3="1833") for i in range(5)]
    facts = doctors(*many, path("v", True, lis3="1824"), path("t", True, lis3="1835"))
    tally = Tally(5)
    [outcome] = coupled_outcomes(facts, ROUNDS, NAMES, tally)
    assert (outcome.coupled_lis1_accepted, outcome.ended_in_lis3_start) == (7, 7)
    # Vefsn and Træna (1 each) are too small, and so is the two of them: Rana joins them.
    assert [(p.municipality, p.doctors) for p in outcome.lis3_started_in] == [(OTHER, 7)]
    assert tally.report().suppressed is True


def test_a_round_of_fewer_than_k_coupled_doctors_shows_no_count() -> None:
    facts = doctors(path("a", True, lis3="1833"), path("b", True))
    tally = Tally(5)
    [outcome] = coupled_outcomes(facts, ROUNDS, NAMES, tally)
    assert (outcome.coupled_lis1_accepted, outcome.ended_in_lis3_start) == (None, None)
    assert [(p.municipality, p.doctors) for p in outcome.lis3_started_in] == [(OTHER, None)]
    assert tally.report().withheld_cells == 3
