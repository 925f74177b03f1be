"""Personal fields in the log, on SQLite and PostgreSQL: sealed, bound to their place, opened
with the key, read as erased without it, and plain when they were stored before sealing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, time
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from helgeland_contracts.codec import decode
from helgeland_contracts.personal import ERASED, SealedDamaged
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.career import LeavingReason
from helgeland_pipeline.domain.common import InvariantViolated
from helgeland_pipeline.privacy.mapper import PersonalDataErased
from helgeland_pipeline.settings import Settings
from helgeland_platform.keystore import PersonErased

from tests.factories import RECRUITER, Clock

NAME, EMAIL, NOTES = "Åse Ødegård-Zqx", "ase.zqx@example.no", "Notat om Åse: «motivert»"


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings, clock=Clock(), migrate=True)
    yield built
    built.close()


def stored(services: Services, aggregate: UUID) -> list[StoredEvent]:
    return list(services.app.recorder.select_events(aggregate))


def state(event: StoredEvent) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(event.state)
    return loaded


def register(services: Services) -> UUID:
    return services.app.register_candidate(RECRUITER, NAME, EMAIL, "912 34 567").id


def test_personal_fields_are_stored_sealed_and_read_open(services: Services) -> None:
    cid = register(services)
    services.app.record_contact_details(RECRUITER, cid, NAME, EMAIL, "912 34 567")
    first, second = (state(e) for e in stored(services, cid)[1:3])
    for field in ("name", "email", "phone"):
        assert first[field]["_type_"] == "pd"
        # A fresh nonce each time: the same text never gives the same ciphertext.
        assert first[field]["_data_"]["v"] != second[field]["_data_"]["v"]
    raw = b"".join(e.state for e in stored(services, cid))
    for text in (NAME, EMAIL, "912 34 567"):
        assert text.encode() not in raw
        assert json.dumps(text).encode()[1:-1] not in raw
    events: list[Any] = list(services.app.events.get(cid))
    assert (events[1].name, events[1].email, events[1].phone) == (NAME, EMAIL, "912 34 567")
    # Consumers open them through the contracts with a key lookup; without one, erased.
    contact = stored(services, cid)[1]
    topic = "helgeland_pipeline.domain.candidates:Candidate.ContactDetailsRecorded"
    opened = decode(topic, contact.state, 2, cid, 2, services.app.keys.key_by_id)
    assert opened is not None
    assert opened.data.model_dump() == {"name": NAME, "email": EMAIL, "phone": "912 34 567"}
    assert not opened.erased
    closed = decode(topic, contact.state, 2, cid, 2, None)
    assert closed is not None
    assert closed.erased
    assert closed.data.model_dump() == {"name": ERASED, "email": ERASED, "phone": None}


def test_a_sealed_value_opens_only_where_it_was_sealed(services: Services) -> None:
    cid = register(services)
    other = register(services)
    contact = stored(services, cid)[1]
    moved = StoredEvent(other, 2, contact.topic, contact.state)  # to another aggregate
    with pytest.raises(SealedDamaged):
        services.app.mapper.to_domain_event(moved)
    swapped = state(contact)
    swapped["name"], swapped["email"] = swapped["email"], swapped["name"]  # to another field
    forged = StoredEvent(cid, 2, contact.topic, json.dumps(swapped).encode())
    with pytest.raises(SealedDamaged):
        services.app.mapper.to_domain_event(forged)


def test_events_stored_before_sealing_read_as_they_were(services: Services) -> None:
    cid = register(services)
    contact = stored(services, cid)[1]
    plain = state(contact)
    plain.update(name="Gammel Plain", email="gammel@example.no", phone=None)
    old = StoredEvent(cid, 2, contact.topic, json.dumps(plain).encode())
    event: Any = services.app.mapper.to_domain_event(old)
    assert (event.name, event.email, event.phone) == ("Gammel Plain", "gammel@example.no", None)
    envelope = decode(contact.topic, old.state, 2, cid, 2, None)
    assert envelope is not None
    assert not envelope.erased
    assert envelope.data.model_dump()["name"] == "Gammel Plain"


def test_other_aggregates_of_the_person_use_their_key(services: Services) -> None:
    from tests.factories import forum_list, lis3_terms, municipal

    fl = forum_list(services.app, shared=1)
    [cid] = fl.shared
    rana = municipal("1833")
    terms = lis3_terms(supervisor="Fastlege Zqx Veileder")
    expires = services.app.clock().date()
    _, offer = services.app.offer_lis3(rana, cid, "1833", fl.lis3_start, terms, expires)
    services.app.accept_lis3_offer(rana, cid, offer)
    # LIS1 and LIS3 start on their own days: LIS3 only after LIS1 has ended.
    services.app.start_lis1(RECRUITER, cid)
    lis3_day = datetime.combine(fl.lis3_start, time(12), tzinfo=UTC)
    services.app.clock = lambda: lis3_day
    services.app.start_lis3(rana, cid)
    from helgeland_pipeline.app_career import left
    from helgeland_pipeline.domain.career import Destination, career_id
    from helgeland_pipeline.domain.forum import candidacy_id

    services.app.record_milestone(rana, cid, lambda c, s: c.assign_supervisor("Zqx Lege", s))
    offered = state(stored(services, candidacy_id(cid))[-2])
    assert offered["terms"]["supervisor"]["_type_"] == "pd"
    assert offered["terms"]["pay_model"] == "fixed_salary"
    assigned = state(stored(services, career_id(cid))[-1])
    assert assigned["supervisor"]["_type_"] == "pd"
    key_id = assigned["supervisor"]["_data_"]["k"]
    assert offered["terms"]["supervisor"]["_data_"]["k"] == key_id
    assert state(stored(services, cid)[1])["name"]["_data_"]["k"] == key_id

    services.app.erase_candidate(RECRUITER, cid, "Kandidaten ba om det")
    event: Any = list(services.app.events.get(candidacy_id(cid)))[-2]
    assert event.terms["supervisor"] == ERASED
    assert event.terms["list_length"] == 700
    supervisor: Any = list(services.app.events.get(career_id(cid)))[-1]
    assert supervisor.supervisor == ERASED
    # Nothing personal is recorded about an erased person again.
    with pytest.raises(PersonalDataErased):
        services.app.record_milestone(
            rana, cid, left(LeavingReason.FAMILY, "igjen", Destination.ABROAD)
        )
    assert issubclass(PersonalDataErased, InvariantViolated)


def test_an_erased_persons_key_is_gone_and_stays_gone(services: Services) -> None:
    cid = register(services)
    assert services.app.personal_data_of(cid) == [NAME, EMAIL, "912 34 567"]
    services.app.erase_candidate(RECRUITER, cid, "Kandidaten ba om sletting")
    events: list[Any] = list(services.app.events.get(cid))
    assert (events[1].name, events[1].email, events[1].phone) == (ERASED, ERASED, None)
    assert services.app.personal_data_of(cid) == []
    with pytest.raises(PersonErased):
        services.app.keys.key_for(str(cid))
    assert services.app.keys.is_erased(str(cid))
    never = str(uuid4())
    services.app.keys.erase(never, services.app.clock())  # a tombstone for one never keyed
    assert services.app.keys.is_erased(never)
