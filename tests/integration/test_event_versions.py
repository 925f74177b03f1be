"""Events stored under a previous version still load in the pipeline and reach consumers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from eventsourcing.persistence import StoredEvent
from helgeland_contracts.codec import decode
from helgeland_contracts.events_v1 import Envelope
from helgeland_contracts.sealing import unseal
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.rounds import Lis1Round
from helgeland_pipeline.domain.webhooks import WebhookSubscription
from helgeland_pipeline.readside.hospital.tables import rounds
from helgeland_pipeline.settings import ConfigurationError, Settings
from sqlalchemy import select

from tests.factories import RANA, Clock, municipal


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings, clock=Clock())
    yield built
    built.close()


def only_envelope(services: Services) -> Envelope:
    """The log's one event, as a consumer reads it."""
    (notification,) = services.app.recorder.select_notifications(start=None, limit=10)
    envelope = decode(
        notification.topic,
        notification.state,
        notification.id,
        notification.originator_id,
        notification.originator_version,
    )
    assert envelope is not None
    return envelope


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

    envelope = only_envelope(services)
    assert envelope.schema_version == 2
    assert envelope.data.model_dump()["name"] == "LIS1 2026"


def test_the_log_holds_webhook_secrets_sealed(services: Services) -> None:
    """The subscriber gets its secret once; the append-only log keeps it sealed."""
    saved, secret = services.app.subscribe_webhook(
        municipal(RANA), "https://rana.example/hook", ["forum_list_sent"]
    )
    (stored,) = services.app.recorder.select_events(saved.id)
    assert secret.encode() not in stored.state
    assert secret.removeprefix("whsec_").encode() not in stored.state
    loaded: object = services.app.repository.get(saved.id)
    assert isinstance(loaded, WebhookSubscription)
    envelope = only_envelope(services)
    assert envelope.schema_version == 2
    sealed = envelope.data.model_dump()["sealed_secret"]
    assert unseal(sealed, services.settings.webhook_sealing_key_bytes()) == secret


def _version_1_subscribed(subscription_id: uuid.UUID, secret: str) -> StoredEvent:
    """What the pipeline stored before secrets were sealed: the secret in the clear."""
    state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2026-06-01T09:05:00+00:00"},
        "originator_topic": "helgeland_pipeline.domain.webhooks:WebhookSubscription",
        "organisation": "Rana kommune",
        "role": "municipality",
        "municipality": RANA,
        "url": "https://rana.example/hook",
        "event_types": ["forum_list_sent"],
        "secret": secret,
        "stamp": {
            "_type_": "stamp",
            "_data_": {
                "actor": {
                    "person_id": "p",
                    "organisation": "Rana kommune",
                    "role": "municipality",
                    "municipality": RANA,
                },
                "occurred_at": "2026-06-01T09:00:00+00:00",
                "recorded_at": "2026-06-01T09:05:00+00:00",
            },
        },
    }
    return StoredEvent(
        originator_id=subscription_id,
        originator_version=1,
        topic="helgeland_pipeline.domain.webhooks:WebhookSubscription.Subscribed",
        state=json.dumps(state).encode(),
    )


def test_a_version_1_subscription_with_a_clear_secret_still_loads_and_signs(
    services: Services,
) -> None:
    subscription_id, secret = uuid.uuid4(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    services.app.recorder.insert_events([_version_1_subscribed(subscription_id, secret)])
    loaded: object = services.app.repository.get(subscription_id)
    assert isinstance(loaded, WebhookSubscription)
    assert loaded.active
    envelope = only_envelope(services)
    assert envelope.schema_version == 2
    # Consumers unseal it as they do a sealed one: the clear secret comes through.
    assert unseal(envelope.data.model_dump()["sealed_secret"], None) == secret


def test_outside_demo_mode_subscribing_needs_a_sealing_key(settings: Settings) -> None:
    production = settings.model_copy(
        update={"demo": False, "webhook_sealing_key": None, "auto_migrate": True}
    )
    built = build_services(production, clock=Clock())
    try:
        before = built.app.recorder.max_notification_id()
        with pytest.raises(ConfigurationError, match="HELGELAND_WEBHOOK_SEALING_KEY"):
            built.app.subscribe_webhook(
                municipal(RANA), "https://rana.example/h", ["forum_list_sent"]
            )
        assert built.app.recorder.max_notification_id() == before  # nothing written
    finally:
        built.close()
