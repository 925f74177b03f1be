"""A national-size synthetic history, written straight through the application in batches.

Every hospital trust holds a LIS1 round each year; its applicants come from the trust's own
municipalities (all of Norway's, `reference/norway.json`), and their careers run on for years.
The aggregates decide as in production (the same domain methods and their rules), but many are
built in memory and saved together (`app.save(*aggregates)`), so millions of events are
written in minutes. Ids, dates and choices come from one seeded generator: the same seed and
size give the same events (apart from the library's wall-clock `timestamp` of each event).
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from eventsourcing.domain import Aggregate

from helgeland_pipeline.app_base import PipelineBase
from helgeland_pipeline.domain.candidates import (
    Candidate,
    CareerPreference,
    ConsentPurpose,
    ContactKind,
    LocalConnection,
)
from helgeland_pipeline.domain.career import Career, Destination, LeavingReason, Lis1Part
from helgeland_pipeline.domain.common import Actor, Role, Stamp
from helgeland_pipeline.domain.forum import ForumCandidacy, InvitationKind, Lis3Terms, PayModel
from helgeland_pipeline.domain.rounds import Lis1Round, RoundStatus
from helgeland_pipeline.reference import load_norway

# Trust code -> name and the municipality number ranges it serves (both ends included).
TRUSTS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "helgeland": ("Helgelandssykehuset HF", ()),  # the Helgeland reference municipalities
    "nordland": ("Nordlandssykehuset HF", (("1800", "1899"),)),
    "unn": ("Universitetssykehuset Nord-Norge HF", (("5500", "5599"),)),
    "finnmark": ("Finnmarkssykehuset HF", (("5600", "5699"),)),
    "stolav": ("St. Olavs hospital HF", (("5000", "5033"), ("5054", "5059"), ("5061", "5099"))),
    "hnt": ("Helse Nord-Trøndelag HF", (("5034", "5053"), ("5060", "5060"))),
    "moreromsdal": ("Helse Møre og Romsdal HF", (("1500", "1599"),)),
    "forde": ("Helse Førde HF", (("4602", "4602"), ("4635", "4699"))),
    "bergen": ("Helse Bergen HF", (("4601", "4601"), ("4623", "4634"))),
    "fonna": ("Helse Fonna HF", (("1146", "1199"), ("4603", "4622"))),
    "stavanger": ("Helse Stavanger HF", (("1100", "1145"),)),
    "sorlandet": ("Sørlandet sykehus HF", (("4200", "4299"),)),
    "telemark": ("Sykehuset Telemark HF", (("4000", "4099"),)),
    "vestfold": ("Sykehuset i Vestfold HF", (("3900", "3999"),)),
    "vestreviken": ("Vestre Viken HF", (("3300", "3399"),)),
    "innlandet": ("Sykehuset Innlandet HF", (("3400", "3499"),)),
    "ostfold": ("Sykehuset Østfold HF", (("3100", "3199"),)),
    "ahus": ("Akershus universitetssykehus HF", (("3200", "3299"),)),
    "ous": ("Oslo universitetssykehus HF", (("0300", "0399"),)),
}
_REGISTERED = cast("Any", Candidate).Registered  # made by `@event("Registered")`
MEDIAN_STAY_YEARS = 4.0
BATCH_EVENTS = 4000  # events per save: one transaction each


def trust_municipalities(helgeland: set[str]) -> dict[str, list[str]]:
    """Each trust's municipality numbers; every Norwegian municipality belongs to one trust."""
    found: dict[str, list[str]] = {code: [] for code in TRUSTS}
    for number in sorted(load_norway()):
        if number in helgeland:
            found["helgeland"].append(number)
            continue
        for code, (_, ranges) in TRUSTS.items():
            if any(low <= number <= high for low, high in ranges):
                found[code].append(number)
                break
    return found


@dataclass
class _Round:
    trust: str
    year: int
    applicants: int


class NationalHistory:
    """Plans `candidates` applicants over every trust's rounds of the last `years` years."""

    def __init__(
        self, app: PipelineBase, candidates: int, seed: int = 2024, years: int = 10
    ) -> None:
        self.app, self.candidates, self.years = app, candidates, years
        self.rng = random.Random(seed)  # noqa: S311 - reproducible, not secret
        self.now = app.clock()
        self.municipalities = trust_municipalities(set(app.reference.municipalities))
        self.events = 0

    def rounds(self) -> list[_Round]:
        first = self.now.year - self.years
        slots = [(year, trust) for year in range(first, self.now.year) for trust in TRUSTS]
        share, extra = divmod(self.candidates, len(slots))
        return [
            _Round(trust, year, share + (i < extra))
            for i, (year, trust) in enumerate(slots)
            if share + (i < extra) > 0
        ]

    def run(self, on_saved: Callable[[int, int], None] | None = None) -> int:
        """Write every round; `on_saved(candidates, events)` after each save; return events."""
        for batch in self._batches(self._round(planned) for planned in self.rounds()):
            self.app.keys.prepare([str(a.id) for a in batch if isinstance(a, Candidate)])
            recordings = self.app.save(*batch)
            self.events += len(recordings)
            if on_saved is not None:
                on_saved(sum(isinstance(a, Candidate) for a in batch), len(recordings))
        return self.events

    # --- one round ------------------------------------------------------------------------

    def _id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _stamp(self, actor: Actor, at: datetime) -> Stamp:
        recorded = min(at + timedelta(hours=self.rng.uniform(0, 72)), self.now)
        return Stamp(actor=actor, occurred_at=at, recorded_at=recorded)

    def _round(self, planned: _Round) -> list[list[Aggregate]]:
        """The round's aggregates in the order they may be saved: round and candidates, then
        the forum's candidacies, then careers (each refers only to what comes before it)."""
        year, n, trust = planned.year, planned.applicants, planned.trust
        name, _ = TRUSTS[trust]
        hospital = Actor(f"synthetic-recruiter-{trust}", name, Role.HOSPITAL_RECRUITER)
        units = (
            {"rana": 6, "sandnessjoen": 4, "mosjoen": 4, "bronnoysund": 2}
            if trust == "helgeland"
            else {trust: max(2, math.ceil(n * 0.45))}
        )
        positions = sum(units.values())
        deadline, starts = date(year, 2, 15), date(year, 8, 15)
        lis1_round = Lis1Round._create(
            Lis1Round.Opened,
            id=self._id(),
            name=f"LIS1 {year} {name}",
            positions=units,
            coupled_positions=positions // 2,
            application_deadline=deadline,
            stamp=self._stamp(hospital, _day(date(year, 1, 10))),
            lis1_starts_on=starts,
        )
        sharing = self.app.consent_text(
            ConsentPurpose.FORUM_SHARING, None, self._stamp(hospital, _day(deadline))
        ).version
        people = [self._apply(lis1_round, hospital, trust, i, n, sharing) for i in range(n)]
        lis1_round.advance_to(RoundStatus.OFFERING, self._stamp(hospital, _day(date(year, 2, 20))))
        slots = [unit for unit, count in units.items() for _ in range(count)]
        self.rng.shuffle(slots)
        coupled_left = positions // 2
        accepted: list[Candidate] = []
        for i, candidate in enumerate(people):
            if not slots or not candidate.interview_scores:
                continue
            coupled = coupled_left > 0 and candidate.preference == CareerPreference.GENERAL_PRACTICE
            coupled = coupled and candidate.consent_to_share and not candidate.consent_withdrawn
            coupled_left -= int(coupled)
            offered = self._stamp(hospital, _day(date(year, 3, 1)))
            candidate.offer_lis1(lis1_round, slots.pop(), coupled, date(year, 3, 20), offered)
            answered = _day(date(year, 3, 10)) + timedelta(minutes=i * 7200 // n)
            if self.rng.random() < 0.85:
                candidate.accept_lis1_offer(lis1_round, self._stamp(hospital, answered))
                accepted.append(candidate)
            else:
                candidate.decline_lis1_offer(lis1_round, self._stamp(hospital, answered))
        lis1_round.finalise_list(self._stamp(hospital, _day(date(year, 3, 25))))
        listed = self._stamp(hospital, _day(date(year, 3, 28)))
        shared = [c for c in accepted if c.eligible_for_forum()]
        lis1_round.send_list_to_forum([str(c.id) for c in shared], listed)
        candidacies = [
            ForumCandidacy(str(c.id), str(lis1_round.id), lis1_round.lis1_ends_on(), listed)
            for c in shared
        ]
        lis3 = {c.candidate_id: self._courtship(c, trust, year) for c in candidacies}
        careers = [self._career(c, hospital, starts, lis3.get(str(c.id))) for c in accepted]
        return [[lis1_round, *people], list(candidacies), [c for c in careers if c is not None]]

    def _apply(
        self, lis1_round: Lis1Round, hospital: Actor, trust: str, i: int, n: int, sharing: int
    ) -> Candidate:
        year = lis1_round.application_deadline.year
        # Registered from September to January, applied and interviewed before the deadlines,
        # however many apply (spread over the window, not a day or an hour apart each).
        registered = _day(date(year - 1, 9, 1)) + timedelta(minutes=i * 150 * 1440 // n)
        stamp = self._stamp(hospital, registered)
        candidate = Candidate._create(_REGISTERED, id=self._id(), stamp=stamp)
        label = f"{trust}-{year}-{i:05d}"
        candidate.record_contact_details(
            f"Syntetisk Lege {label}", f"lege.{label}@example.invalid", None, stamp
        )
        if self.rng.random() < 0.5:
            placement = self.rng.choice(self.municipalities[trust])
            candidate.record_student_contact(ContactKind.PLACEMENT, placement, stamp)
        r = self.rng.random()
        preference = (
            CareerPreference.GENERAL_PRACTICE
            if r < 0.4
            else CareerPreference.UNDECIDED
            if r < 0.65
            else CareerPreference.HOSPITAL
        )
        local = self.rng.sample(list(LocalConnection), k=self.rng.choice([0, 0, 1, 2]))
        applied = _day(date(year, 2, 1)) + timedelta(minutes=i * 13 * 1440 // n)
        candidate.submit_lis1_application(
            lis1_round,
            preference,
            local,
            self.rng.random() < 0.9,
            self._stamp(hospital, applied),
            sharing,
        )
        if self.rng.random() < 0.75:
            interviewed = _day(date(year, 2, 16)) + timedelta(minutes=i * 12 * 1440 // n)
            candidate.record_lis1_interview(
                lis1_round,
                "Overlege Syntetisk",
                self.rng.randint(1, 5),
                "",
                self._stamp(hospital, interviewed),
            )
        return candidate

    def _courtship(self, candidacy: ForumCandidacy, trust: str, year: int) -> str | None:
        """Municipalities of the trust invite and offer; the candidate may accept one."""
        if self.rng.random() < 0.2:
            return None
        ends = candidacy.lis1_ends_on or date(year + 2, 2, 14)
        lis3_start = ends + timedelta(days=7)
        bidders = self.rng.sample(
            self.municipalities[trust],
            k=min(len(self.municipalities[trust]), self.rng.choice([1, 1, 2, 3])),
        )
        offers: dict[str, str] = {}
        for n, number in enumerate(bidders):
            actor = Actor(f"synthetic-{number}", number, Role.MUNICIPALITY, number)
            invited = _day(date(year, 4, 10)) + timedelta(days=n)
            meeting = [invited + timedelta(days=14)]
            candidacy.invite(
                number,
                InvitationKind.INTERVIEW,
                meeting,
                self._stamp(actor, invited),
                invitation_id=str(self._id()),
            )
            offered = _day(date(year, 5, 10)) + timedelta(days=n)
            terms = Lis3Terms(
                None,
                "ALIS",
                self.rng.choice(list(PayModel)),
                self.rng.randint(500, 1100),
                self.rng.choice([10, 15, 20, 25]),
                self.rng.choice([20, 20, 25]),
            )
            offers[number] = candidacy.offer_lis3(
                number,
                lis3_start,
                terms,
                offered.date() + timedelta(days=30),
                self._stamp(actor, offered),
                offer_id=str(self._id()),
            )
        if self.rng.random() > 0.8:
            return None
        chosen = self.rng.choice(bidders)
        actor = Actor(f"synthetic-{chosen}", chosen, Role.MUNICIPALITY, chosen)
        accepted = self._stamp(actor, _day(date(year, 6, 1)))
        candidacy.accept_lis3_offer(offers[chosen], chosen, accepted)
        return chosen

    def _career(
        self, candidate: Candidate, hospital: Actor, starts: date, lis3: str | None
    ) -> Career | None:
        """LIS1 parts, then (for those who took a coupled LIS3 post) retention, up to now."""
        begin = _day(starts)
        if begin > self.now or candidate.offer_unit is None:
            return None
        career = Career(str(candidate.id), candidate.offer_unit, self._stamp(hospital, begin))
        steps: list[tuple[datetime, Actor, Callable[[Stamp], None]]] = [
            (
                begin + _months(12),
                hospital,
                lambda s: career.complete_lis1_part(Lis1Part.HOSPITAL, s),
            ),
            (
                begin + _months(12),
                hospital,
                lambda s: career.start_lis1_part(Lis1Part.MUNICIPAL, s),
            ),
            (
                begin + _months(18),
                hospital,
                lambda s: career.complete_lis1_part(Lis1Part.MUNICIPAL, s),
            ),
        ]
        if lis3 is not None:
            actor = Actor(f"synthetic-{lis3}", lis3, Role.MUNICIPALITY, lis3)
            start = begin + _months(18) + timedelta(days=7)
            stay = max(-math.log(1 - self.rng.random()) * MEDIAN_STAY_YEARS / math.log(2), 0.2)
            end = start + timedelta(days=stay * 365.25)
            steps += [
                (start, actor, lambda s: career.start_lis3(lis3, s)),
                (
                    start + timedelta(days=7),
                    actor,
                    lambda s: career.assign_supervisor("Veileder", s),
                ),
                (
                    start + timedelta(days=30),
                    actor,
                    lambda s: career.join_supervision_group("ALIS", s),
                ),
            ]
            if start + _months(60) < end:
                steps.append((start + _months(60), actor, career.approve_specialist))
            reason = self.rng.choice(list(LeavingReason))
            where = self.rng.choice(list(Destination)[1:])
            steps.append((end, actor, lambda s: career.leave(reason, "", where, s)))
        for at, actor, step in steps:
            if at > self.now:
                break
            step(self._stamp(actor, at))
        return career

    def _batches(self, rounds: Iterator[list[list[Aggregate]]]) -> Iterator[list[Aggregate]]:
        """The aggregates in their order, in saves of about `BATCH_EVENTS` events each."""
        batch: list[Aggregate] = []
        size = 0
        for phases in rounds:
            for aggregate in (a for phase in phases for a in phase):
                batch.append(aggregate)
                size += len(aggregate.pending_events)
                if size >= BATCH_EVENTS:
                    yield batch
                    batch, size = [], 0
        if batch:
            yield batch


def _months(months: int) -> timedelta:
    return timedelta(days=round(months * 30.44))


def _day(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC)
