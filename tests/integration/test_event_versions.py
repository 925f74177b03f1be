"""Events stored under a previous version still load in the pipeline and reach consumers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from eventsourcing.persistence import StoredEvent
from helgeland_contracts.codec import decode
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.rounds import Lis1Round
from helgeland_pipeline.projections.hospital import rounds
from helgeland_pipeline.settings import Settings
from sqlalchemy import select

from tests.factories import Clock


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings, clock=Clock())
    yield built
    built.close()


def _version_1_round_opened(round_id: uuid.UUID) -> StoredEvent:
    """Exactly what the pipeline stored before `lis1_starts_on` existed (no class_version)."""
    state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2026-01-10T09:05:00+00:00"},
        "originator_topic": "helgeland_pipeline.domain.rounds:Lis1Round",
        "name": "LIS1 2026",
        "positions": {"rana": 4},
        "coupled_positions": 2,
        "application_deadline": {"_type_": "date_iso", "_data_": "2026-02-15"},
        "stamp": {
            "_type_": "stamp",
            "_data_": {
                "actor": {
                    "person_id": "p",
                    "organisation": "Helgelandssykehuset HF",
                    "role": "hospital_recruiter",
                    "municipality": None,
                },
                "occurred_at": "2026-01-10T09:00:00+00:00",
                "recorded_at": "2026-01-10T09:05:00+00:00",
            },
        },
    }
    return StoredEvent(
        originator_id=round_id,
        originator_version=1,
        topic="helgeland_pipeline.domain.rounds:Lis1Round.Opened",
        state=json.dumps(state).encode(),
    )


def test_a_version_1_event_loads_projects_and_reaches_consumers(services: Services) -> None:
    round_id = uuid.uuid4()
    services.app.recorder.insert_events([_version_1_round_opened(round_id)])

    loaded: object = services.app.repository.get(round_id)
    assert isinstance(loaded, Lis1Round)
    assert loaded.lis1_starts_on is None
    assert loaded.name == "LIS1 2026"

    services.catch_up()
    with services.engine.connect() as conn:
        row = conn.execute(select(rounds).where(rounds.c.round_id == str(round_id))).one()
    assert row.name == "LIS1 2026"
    assert row.lis1_starts_on is None

    (notification,) = services.app.recorder.select_notifications(start=None, limit=10)
    envelope = decode(
        notification.topic,
        notification.state,
        notification.id,
        notification.originator_id,
        notification.originator_version,
    )
    assert envelope is not None
    assert envelope.schema_version == 2
    assert envelope.data.model_dump()["name"] == "LIS1 2026"
