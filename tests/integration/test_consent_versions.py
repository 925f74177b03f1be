"""Consent events stored before consent named its text still read: version 1 of the sharing
text, in the pipeline, its read models and for consumers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from helgeland_contracts.codec import decode
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.candidates import Candidate, CareerPreference
from helgeland_pipeline.readside.hospital.tables import candidates
from helgeland_pipeline.settings import Settings
from sqlalchemy import select

from tests.factories import RECRUITER, Clock


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings, clock=Clock())
    yield built
    built.close()


def as_version_1(
    stored: StoredEvent,
    new_id: uuid.UUID,
    drop: tuple[str, ...],
    plain: dict[str, Any] | None = None,
) -> StoredEvent:
    """The event as the release before versioned consent stored it (`plain`: texts stored
    in the clear, as before sealing; a sealed value does not open under another id)."""
    state: dict[str, Any] = json.loads(stored.state)
    state.pop("class_version", None)
    for name in drop:
        state.pop(name)
    state.update(plain or {})
    return StoredEvent(new_id, stored.originator_version, stored.topic, json.dumps(state).encode())


def test_older_consent_events_mean_version_1_of_the_sharing_text(services: Services) -> None:
    app = services.app
    round_id = app.open_round(RECRUITER, "LIS1 2026", {"rana": 2}, 1, Clock().now.date()).id
    template = app.register_candidate(RECRUITER, "Mal", "mal@example.no").id
    app.submit_lis1_application(
        RECRUITER, template, round_id, CareerPreference.GENERAL_PRACTICE, [], True
    )
    app.withdraw_consent(RECRUITER, template)
    registered, contact, applied, withdrawn = app.recorder.select_events(template)

    old = uuid.uuid4()
    app.recorder.insert_events(
        [
            as_version_1(registered, old, ()),
            as_version_1(contact, old, (), {"name": "Mal", "email": "mal@example.no"}),
            as_version_1(applied, old, ("consent_text_version",)),
        ]
    )
    loaded: Any = app.repository.get(old)
    assert isinstance(loaded, Candidate)
    assert loaded.consents == {"forum_sharing": 1}
    services.catch_up()
    with services.engine.connect() as conn:
        row = conn.execute(select(candidates).where(candidates.c.candidate_id == str(old))).one()
    assert row.consent_to_share is True
    assert row.consents["forum_sharing"]["version"] == 1

    app.recorder.insert_events([as_version_1(withdrawn, old, ("purpose", "version"))])
    loaded = app.repository.get(old)
    assert loaded.consents == {}
    assert loaded.consent_withdrawn
    services.catch_up()
    with services.engine.connect() as conn:
        row = conn.execute(select(candidates).where(candidates.c.candidate_id == str(old))).one()
    assert (row.consent_to_share, row.consent_withdrawn, row.consents) == (False, True, {})

    stored = app.recorder.select_events(old)[-1]
    envelope = decode(stored.topic, stored.state, 0, old, stored.originator_version)
    assert envelope is not None
    assert envelope.schema_version == 2
    assert envelope.data.model_dump() == {"purpose": "forum_sharing", "version": 1}
