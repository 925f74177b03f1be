"""A seeded, deterministic history of past cohorts, for the demo, the tests and the benchmarks.

It follows the programme's own history: the project started on 1 September 2021, and its first
LIS1 round opened that autumn (LIS1 from the spring after), with students met on their 5th-year
placements before it. Each autumn's round goes through the whole programme with the real
commands, back-dated: applications, interviews, offers, the forum list, invitations, coupled
LIS3 offers, and then retention milestones for years, with a few dropouts (during LIS1, and
after accepting LIS3 but before starting it) and a few doctors who leave and later return. How
long doctors stay differs by centrality class and local connection, so the evaluation has
something to find. The application's clock is moved along with the story, so every event is
recorded a little after it happened.

Specialist approval comes five years into LIS3, three for a few with earlier service credited;
the first cohort started LIS3 in autumn 2023, so no re-certification (five years after
approval) falls within the synthetic years yet.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from helgeland_pipeline.app_career import (
    Milestone,
    left,
    lis1_part_completed,
    lis1_part_started,
)
from helgeland_pipeline.application import PipelineApplication
from helgeland_pipeline.domain.candidates import (
    Candidate,
    CareerPreference,
    ContactKind,
    LocalConnection,
)
from helgeland_pipeline.domain.career import Career, Destination, LeavingReason, Lis1Part
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.domain.forum import InvitationKind, Lis3Terms, PayModel
from helgeland_pipeline.domain.rounds import Lis1Round, RoundStatus

HOSPITAL = Actor("synthetic-recruiter", "Helgelandssykehuset HF", Role.HOSPITAL_RECRUITER)
UNITS = {"rana": 6, "sandnessjoen": 4, "mosjoen": 4, "bronnoysund": 2}
# Median years in post by centrality class; a local connection makes stays longer.
MEDIAN_STAY = {4: 6.0, 5: 4.0, 6: 2.6}
LOCAL_FACTOR = 1.7


@dataclass(frozen=True)
class Person:
    preference: CareerPreference
    local: list[LocalConnection]
    consent: bool
    interviewed: bool
    score: int
    accepts: bool
    placement: str | None


@dataclass(order=True)
class _Step:
    at: datetime
    order: int
    run: Callable[[], object] = field(compare=False)


@dataclass
class SyntheticHistory:
    """Schedules commands in world-time order and runs them with a clock that follows."""

    app: PipelineApplication
    seed: int = 2021
    first_year: int = 2021
    applicants: int = 30
    rng: random.Random = field(init=False)
    _queue: list[_Step] = field(default_factory=list, init=False)
    _counter: itertools.count[int] = field(default_factory=itertools.count, init=False)
    # Candidate ids are random; lists are walked in registration order to stay reproducible.
    _registered: dict[UUID, int] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 - reproducible, not secret

    def run(self, on_step: Callable[[], None] | None = None) -> int:
        """Generate every year up to the application clock's now; return commands run."""
        real_clock, now = self.app.clock, self.app.clock()
        for year in range(self.first_year, now.year):
            self._round(year, now)
        count = 0
        try:
            while self._queue:
                step = heapq.heappop(self._queue)
                if step.at > now:
                    continue
                delay = timedelta(hours=self.rng.uniform(0, 72))
                recorded = min(step.at + delay, now)
                self.app.clock = _fixed(recorded)
                step.run()
                count += 1
                if on_step is not None:
                    on_step()
        finally:
            self.app.clock = real_clock
        return count

    def _at(self, when: datetime, run: Callable[[], object]) -> None:
        heapq.heappush(self._queue, _Step(when, next(self._counter), run))

    # --- one year's round -------------------------------------------------------------------

    def _round(self, year: int, now: datetime) -> None:
        """The round that opens in the autumn of `year`; LIS1 starts the next spring."""
        opened = _day(date(year, 10, 1))
        deadline = date(year, 11, 1)
        starts = date(year + 1, 3, 1)
        ids: dict[str, UUID] = {}

        def open_round() -> None:
            ids["round"] = self.app.open_round(
                HOSPITAL, f"LIS1 vår {year + 1}", UNITS, 8, deadline, opened, starts
            ).id

        self._at(opened, open_round)
        self._at(
            _day(date(year, 11, 5)),
            lambda: self.app.advance_round(
                HOSPITAL, ids["round"], RoundStatus.OFFERING, _day(date(year, 11, 5))
            ),
        )
        slots = [unit for unit, n in UNITS.items() for _ in range(n)]
        self.rng.shuffle(slots)
        coupled_left = 8
        for i in range(self.applicants):
            person = self._person()
            offer = None
            if person.interviewed and slots:
                # The coupling rule: coupled only to those who declared GP and consent.
                coupled = (
                    coupled_left > 0
                    and person.preference == CareerPreference.GENERAL_PRACTICE
                    and bool(person.consent)
                )
                coupled_left -= int(coupled)
                offer = (slots.pop(), coupled)
            self._candidate(year, i, person, ids, offer, starts)
        self._at(
            _day(date(year, 12, 8)),
            lambda: self.app.finalise_round_list(HOSPITAL, ids["round"], _day(date(year, 12, 8))),
        )
        self._at(_day(date(year, 12, 10)), lambda: self._send_list(ids["round"], year, starts))

    def _person(self) -> Person:
        r = self.rng.random()
        preference = (
            # Most applicants who come back to the region lean to general practice; only those
            # who declared it are coupled and reach the forum list.
            CareerPreference.GENERAL_PRACTICE
            if r < 0.6
            else CareerPreference.UNDECIDED
            if r < 0.8
            else CareerPreference.HOSPITAL
        )
        local = self.rng.sample(list(LocalConnection), k=self.rng.choice([0, 0, 1, 2]))
        return Person(
            preference=preference,
            local=local,
            consent=self.rng.random() < 0.9,
            interviewed=self.rng.random() < 0.75,
            score=self.rng.randint(1, 5),
            accepts=self.rng.random() < 0.85,
            placement=self.rng.choice(list(self.app.reference.municipalities))
            if self.rng.random() < 0.5
            else None,
        )

    def _candidate(
        self,
        year: int,
        i: int,
        person: Person,
        ids: dict[str, UUID],
        offer: tuple[str, bool] | None,
        starts: date,
    ) -> None:
        key = f"c{year}-{i}"
        # Met as students in September, before the round opens (5th-year placements); each
        # step stays inside its window however many apply (the counts wrap round).
        registered = _day(date(year, 9, 1)) + timedelta(minutes=20 * (i % 2000))
        app = self.app

        def register() -> None:
            ids[key] = app.register_candidate(
                HOSPITAL,
                f"Syntetisk Lege {year}-{i:03d}",
                f"lege.{year}.{i:03d}@example.invalid",
                None,
                registered,
            ).id
            self._registered[ids[key]] = len(self._registered)
            if person.placement:
                app.record_student_contact(
                    HOSPITAL, ids[key], ContactKind.PLACEMENT, str(person.placement), registered
                )

        self._at(registered, register)
        applied = _day(date(year, 10, 10)) + timedelta(hours=i % 500)
        self._at(
            applied,
            lambda: app.submit_lis1_application(
                HOSPITAL,
                ids[key],
                ids["round"],
                person.preference,
                person.local,
                bool(person.consent),
                applied,
            ),
        )
        if not person.interviewed:
            return
        interviewed = _day(date(year, 11, 6)) + timedelta(hours=i % 200)
        self._at(
            interviewed,
            lambda: app.record_lis1_interview(
                HOSPITAL, ids[key], "Overlege Syntetisk", int(person.score), "", interviewed
            ),
        )
        if offer is None:
            return
        offered = _day(date(year, 11, 15))
        self._at(
            offered,
            lambda: app.offer_lis1(
                HOSPITAL, ids[key], offer[0], offer[1], date(year, 12, 5), offered
            ),
        )
        answered = _day(date(year, 11, 25)) + timedelta(hours=i % 200)
        if not person.accepts:
            self._at(answered, lambda: app.decline_lis1_offer(HOSPITAL, ids[key], answered))
            return
        self._at(answered, lambda: app.accept_lis1_offer(HOSPITAL, ids[key], answered))
        # A few who want a hospital career leave LIS1 early (never shared with the forum).
        leaves_lis1 = person.preference == CareerPreference.HOSPITAL and self.rng.random() < 0.1
        self._career(ids, key, starts, leaves_lis1)

    def _career(self, ids: dict[str, UUID], key: str, starts: date, leaves_lis1: bool) -> None:
        app = self.app
        begin = _day(starts)
        self._at(begin, lambda: app.start_lis1(HOSPITAL, ids[key], begin))
        if leaves_lis1:
            when = begin + timedelta(days=self.rng.randint(60, 300))
            reason = self.rng.choice([LeavingReason.OTHER_SPECIALTY, LeavingReason.FAMILY])
            self._at(when, lambda: app.drop_out(HOSPITAL, ids[key], reason, "", when))
            return
        for part, months_in, kind in (
            (Lis1Part.HOSPITAL, 12, "done"),
            (Lis1Part.MUNICIPAL, 12, "start"),
            (Lis1Part.MUNICIPAL, 18, "done"),
        ):
            when = begin + timedelta(days=round(months_in * 30.44))
            milestone = lis1_part_completed(part) if kind == "done" else lis1_part_started(part)
            self._milestone_later(ids, key, milestone, when)

    def _milestone_later(
        self, ids: dict[str, UUID], key: str, milestone: Milestone, when: datetime
    ) -> None:
        self._at(when, lambda: self.app.record_milestone(HOSPITAL, ids[key], milestone, when))

    def _invite_later(self, municipality: Actor, candidate: UUID, when: datetime) -> None:
        number = str(municipality.municipality)
        meeting = [when + timedelta(days=14)]
        self._at(
            when,
            lambda: self.app.invite(
                municipality, candidate, number, InvitationKind.INTERVIEW, meeting, when
            ),
        )

    # --- the forum and municipalities ---------------------------------------------------------

    def _send_list(self, round_id: UUID, year: int, starts: date) -> None:
        app = self.app
        app.send_list_to_forum(HOSPITAL, round_id, _day(date(year, 12, 10)))
        lis1_round: Lis1Round = app.repository.get(round_id)
        numbers = sorted(app.reference.municipalities)
        listed = [UUID(c) for c in lis1_round.forum_list or []]
        shared = sorted(listed, key=self._registered.__getitem__)
        for candidate in shared:
            if self.rng.random() < 0.1:
                continue  # nobody made an offer this time
            bidders = self.rng.sample(numbers, k=self.rng.choice([1, 1, 2, 3]))
            self._courtship(candidate, bidders, year, starts)

    def _courtship(self, candidate: UUID, bidders: list[str], year: int, starts: date) -> None:
        app = self.app
        lis3_start = date(starts.year + 1, 9, 15)  # LIS1 lasts 18 months: to 1 September
        offers: dict[str, str] = {}
        for n, number in enumerate(bidders):
            municipality = Actor(f"synthetic-{number}", number, Role.MUNICIPALITY, number)
            invited = _day(date(year + 1, 1, 10)) + timedelta(days=n)
            self._invite_later(municipality, candidate, invited)
            offered = _day(date(year + 1, 2, 10)) + timedelta(days=n)
            terms = Lis3Terms(
                None,
                "ALIS Helgeland",
                self.rng.choice(list(PayModel)),
                self.rng.randint(500, 1100),
                self.rng.choice([10, 15, 20, 25]),
                self.rng.choice([20, 20, 25]),
            )

            def make_offer(
                m: Actor = municipality,
                w: datetime = offered,
                num: str = number,
                t: Lis3Terms = terms,
            ) -> None:
                offers[num] = app.offer_lis3(
                    m, candidate, num, lis3_start, t, w.date() + timedelta(days=30), w
                )[1]

            self._at(offered, make_offer)
        if self.rng.random() > 0.9:
            return
        chosen = self.rng.choice(bidders)
        accepted = _day(date(year + 1, 3, 5))
        actor = Actor(f"synthetic-{chosen}", chosen, Role.MUNICIPALITY, chosen)
        self._at(
            accepted, lambda: app.accept_lis3_offer(actor, candidate, offers[chosen], accepted)
        )
        if self.rng.random() < 0.06:  # accepted, then took another path before starting
            gone = _day(lis3_start) - timedelta(days=self.rng.randint(3, 12))
            reason = self.rng.choice([LeavingReason.FAMILY, LeavingReason.OTHER_SPECIALTY])
            self._at(gone, lambda: app.drop_out(actor, candidate, reason, "", gone))
            return
        self._retention(candidate, chosen, actor, _day(lis3_start))

    def _retention(self, candidate: UUID, municipality: str, actor: Actor, start: datetime) -> None:
        app = self.app
        self._at(start, lambda: app.start_lis3(actor, candidate, start))
        week = start + timedelta(days=7)
        self._at(
            week,
            lambda: app.record_milestone(
                actor, candidate, lambda c, s: c.assign_supervisor("Veileder Syntetisk", s), week
            ),
        )
        month = start + timedelta(days=30)
        self._at(
            month,
            lambda: app.record_milestone(
                actor, candidate, lambda c, s: c.join_supervision_group("ALIS Helgeland", s), month
            ),
        )
        stay_years = self._stay_years(candidate, municipality)
        end = start + timedelta(days=stay_years * 365.25)
        credited = self.rng.random() < 0.3  # earlier service counts towards the specialty
        specialist = start + timedelta(days=(3 if credited else 5) * 365.25)
        if specialist < end:
            self._at(
                specialist,
                lambda: app.record_milestone(
                    actor, candidate, Career.approve_specialist, specialist
                ),
            )
        moves = self.rng.random() < 0.15
        reason = self.rng.choice(list(LeavingReason))
        destination = (
            Destination.HELGELAND_MUNICIPALITY if moves else self.rng.choice(list(Destination)[1:])
        )
        self._at(
            end, lambda: app.record_milestone(actor, candidate, left(reason, "", destination), end)
        )
        if not moves and self.rng.random() < 0.4:
            self._return_later(candidate, end + timedelta(days=self.rng.randint(90, 540)))

    def _return_later(self, candidate: UUID, when: datetime) -> None:
        """A doctor who left comes back to a Helgeland municipality: a new stay begins."""
        number = self.rng.choice(sorted(self.app.reference.municipalities))
        actor = Actor(f"synthetic-{number}", number, Role.MUNICIPALITY, number)
        self._at(
            when,
            lambda: self.app.record_milestone(
                actor, candidate, lambda c, s: c.return_to(number, s), when, number
            ),
        )

    def _stay_years(self, candidate: UUID, municipality: str) -> float:
        centrality = self.app.reference.municipalities[municipality].centrality_class
        application: Candidate = self.app.repository.get(candidate)
        median = MEDIAN_STAY[centrality] * (LOCAL_FACTOR if application.local_connection else 1)
        # Exponential stays with the given median; nobody leaves within the first two months.
        return max(-math.log(1 - self.rng.random()) * median / math.log(2), 2 / 12)


def _fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def _day(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC)
