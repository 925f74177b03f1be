"""A key erased by one process is served by another for at most the cache's 60 seconds: two
applications share one database, each with its own key store; the second's clock is moved by
hand (no waiting)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from helgeland_contracts.personal import ERASED
from helgeland_pipeline.application import PipelineApplication
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.privacy.erasure import erase
from helgeland_pipeline.settings import Settings
from helgeland_platform.keystore import DEFAULT_TTL_SECONDS, KeyStore, PersonErased

from tests.factories import RECRUITER

ADMIN = Actor("personvernombud", "Helgelandssykehuset HF", Role.ADMIN)


class Seconds:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def first(settings: Settings) -> Iterator[Services]:
    services = build_services(settings, migrate=True)
    yield services
    services.close()


def contact_details(app: PipelineApplication, candidate_id: UUID) -> Any:
    """The candidate's `ContactDetailsRecorded`, decoded by this application's own mapper."""
    (stored,) = [
        e
        for e in app.recorder.select_events(candidate_id)
        if e.topic.endswith("ContactDetailsRecorded")
    ]
    return app.mapper.to_domain_event(stored)


def test_another_process_stops_serving_an_erased_key_within_the_cache_lifetime(
    first: Services, settings: Settings
) -> None:
    clock = Seconds()
    other_engine = first.database.sync_engine()
    keys = KeyStore(other_engine, clock=clock)
    other = PipelineApplication(first.database.eventsourcing_env(), keys=keys)
    try:
        kari = first.app.register_candidate(RECRUITER, "Kari Nordmann", "kari@example.no").id
        assert contact_details(other, kari).name == "Kari Nordmann"  # its key is cached now
        key_id, _ = keys.key_for(str(kari))

        erase(first, ADMIN, kari, "Ba om sletting")  # in the first process: the key goes
        assert first.app.keys.is_erased(str(kari))
        assert contact_details(first.app, kari).name == ERASED

        # The other process has not read `Erased`: its cached key may still open the field ...
        clock.now += DEFAULT_TTL_SECONDS - 1
        assert contact_details(other, kari).name == "Kari Nordmann"
        # ... but no longer than the cache's lifetime after it was read from the table.
        clock.now += 1
        assert contact_details(other, kari).name == ERASED
        assert keys.key_by_id(key_id) is None
        with pytest.raises(PersonErased):
            keys.key_for(str(kari))
    finally:
        other.close()
        other_engine.dispose()


def test_a_key_store_refuses_a_cache_longer_than_a_minute(first: Services) -> None:
    with pytest.raises(ValueError, match="0 to 60 seconds"):
        KeyStore(first.engine, ttl=DEFAULT_TTL_SECONDS + 1)
