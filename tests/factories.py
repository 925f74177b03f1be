"""Test data: actors, a fixed clock, and commands that walk a candidate through the steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from helgeland_pipeline.application import PipelineApplication, Saved
from helgeland_pipeline.domain.candidates import CareerPreference, LocalConnection
from helgeland_pipeline.domain.common import Actor, Role, Stamp
from helgeland_pipeline.domain.forum import Lis3Terms, PayModel
from helgeland_pipeline.domain.rounds import Lis1Round, RoundStatus

RECRUITER = Actor("recruiter-1", "Helgelandssykehuset HF", Role.HOSPITAL_RECRUITER)
NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


def stamp(at: datetime = NOW, recorded: datetime | None = None) -> Stamp:
    return Stamp(RECRUITER, at, recorded or max(at, NOW))


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Journey:
    """Walks candidates through a round with the application's commands."""

    app: PipelineApplication
    round_id: UUID = field(init=False)
    is_offering: bool = False

    def open_round(
        self, positions: dict[str, int] | None = None, coupled: int = 2, deadline_days: int = 30
    ) -> UUID:
        self.round_id = self.app.open_round(
            RECRUITER,
            "LIS1 høst 2027",
            positions or {"rana": 2, "mosjoen": 2},
            coupled,
            (self.app.clock() + timedelta(days=deadline_days)).date(),
        ).id
        return self.round_id

    def applicant(
        self,
        name: str = "Kari Nordmann",
        preference: CareerPreference = CareerPreference.GENERAL_PRACTICE,
        local: list[LocalConnection] | None = None,
        consent: bool = True,
    ) -> UUID:
        cid = self.app.register_candidate(RECRUITER, name, f"{uuid_hex()}@example.no").id
        self.app.submit_lis1_application(
            RECRUITER, cid, self.round_id, preference, local or [], consent
        )
        return cid

    def interviewed(self, score: int = 4, **kwargs: object) -> UUID:
        cid = self.applicant(**kwargs)  # type: ignore[arg-type]
        self.app.record_lis1_interview(RECRUITER, cid, "Overlege Test", score, "notes")
        return cid

    def offering(self) -> None:
        """Move the round to offering (applications close; offers may be made)."""
        self.app.advance_round(RECRUITER, self.round_id, RoundStatus.OFFERING)
        self.is_offering = True

    def offer(self, cid: UUID, unit: str = "rana", coupled: bool = False, days: int = 14) -> None:
        answer_by = (self.app.clock() + timedelta(days=days)).date()
        self.app.offer_lis1(RECRUITER, cid, unit, coupled, answer_by)

    def offered(self, unit: str = "rana", coupled: bool = False, days: int = 14) -> UUID:
        """A new applicant, interviewed and offered (the round moves to offering if needed)."""
        cid = self.interviewed()
        if not self.is_offering:
            self.offering()
        self.offer(cid, unit, coupled, days)
        return cid


def uuid_hex() -> str:
    import uuid

    return uuid.uuid4().hex[:12]


def in_days(days: int) -> date:
    return (NOW + timedelta(days=days)).date()


# --- the municipal side: the forum list, invitations and coupled LIS3 offers ------------------

FORUM = Actor("forum-1", "Helgelandslegen kommuneoverlegeforum", Role.FORUM)
RANA, VEFSN = "1833", "1824"
# Written at every interview of `forum_list`; it must never reach a municipality or the forum.
INTERVIEW_NOTES = "Fortrolig intervjunotat: vurderer sykehusspesialitet"


def municipal(number: str) -> Actor:
    """A municipality's chief physician, acting for that municipality only."""
    return Actor(f"kommuneoverlege-{number}", f"Kommune {number}", Role.MUNICIPALITY, number)


def lis3_terms(
    training_share: int = 20,
    pay_model: PayModel = PayModel.FIXED_SALARY,
    list_length: int = 700,
    out_of_hours_share: int = 15,
    supervisor: str | None = "Fastlege Veileder",
) -> Lis3Terms:
    return Lis3Terms(
        supervisor, "ALIS Helgeland", pay_model, list_length, out_of_hours_share, training_share
    )


@dataclass
class ForumList:
    """A round with a final list, walked there with the application's commands."""

    round_id: UUID
    shared: list[UUID]  # accepted LIS1, prefer general practice, consenting
    hospital_preference: UUID  # accepted LIS1, prefers hospital: never shared
    no_consent: UUID  # accepted LIS1, prefers general practice, did not consent: never shared
    declined: UUID  # declined LIS1: never shared
    lis1_ends_on: date | None
    last: Saved
    undecided: UUID  # accepted LIS1, undecided, consenting: shared only when the list widens

    @property
    def not_shared(self) -> list[UUID]:
        return [self.hospital_preference, self.no_consent, self.undecided, self.declined]

    @property
    def lis3_start(self) -> date:
        """The first day a coupled LIS3 post may start (in 90 days when LIS1's end is not
        known)."""
        if self.lis1_ends_on is None:
            return date.today() + timedelta(days=90)
        return self.lis1_ends_on + timedelta(days=1)


def forum_list(
    app: PipelineApplication, shared: int = 2, send: bool = True, knows_lis1_start: bool = True
) -> ForumList:
    """A final list with `shared` eligible doctors (general practice, consenting), three who
    must never be shared and one undecided (shared only where the programme widens the list);
    sent to the forum unless `send` is false. A round that does not know when LIS1 starts (as
    rounds recorded before the start was asked for) lets LIS3 start any day."""
    now = app.clock()
    round_id = app.open_round(
        RECRUITER,
        "LIS1 vår 2027",
        {"rana": shared + 4},
        0,
        (now + timedelta(days=30)).date(),
        None,
        (now + timedelta(days=60)).date() if knows_lis1_start else None,
    ).id
    people: list[tuple[CareerPreference, bool]] = [
        (CareerPreference.GENERAL_PRACTICE, True) for _ in range(shared)
    ]
    people += [(CareerPreference.HOSPITAL, True), (CareerPreference.GENERAL_PRACTICE, False)]
    people += [(CareerPreference.UNDECIDED, True)]
    people += [(CareerPreference.GENERAL_PRACTICE, True)]  # declines LIS1
    ids: list[UUID] = []
    for i, (preference, consent) in enumerate(people):
        cid = app.register_candidate(RECRUITER, f"Lege {i} {uuid_hex()}", f"{uuid_hex()}@ex.no").id
        app.submit_lis1_application(
            RECRUITER, cid, round_id, preference, [LocalConnection.GREW_UP], consent
        )
        app.record_lis1_interview(RECRUITER, cid, "Overlege Test", 5, INTERVIEW_NOTES)
        ids.append(cid)
    app.advance_round(RECRUITER, round_id, RoundStatus.OFFERING)
    answer_by = (now + timedelta(days=14)).date()
    for cid in ids:
        app.offer_lis1(RECRUITER, cid, "rana", False, answer_by)
    for cid in ids[:-1]:
        app.accept_lis1_offer(RECRUITER, cid)
    app.decline_lis1_offer(RECRUITER, ids[-1])
    last = app.finalise_round_list(RECRUITER, round_id)
    if send:
        last = app.send_list_to_forum(RECRUITER, round_id)
    lis1_round: object = app.repository.get(round_id)
    assert isinstance(lis1_round, Lis1Round)
    ends_on = lis1_round.lis1_ends_on()
    assert (ends_on is not None) == knows_lis1_start
    return ForumList(
        round_id, ids[:shared], ids[shared], ids[shared + 1], ids[-1], ends_on, last, ids[-2]
    )
