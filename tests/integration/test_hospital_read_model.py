"""The application and the hospital read model, run once on SQLite and once on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.candidates import CareerPreference, LocalConnection
from helgeland_pipeline.readside.hospital.tables import candidates
from helgeland_pipeline.settings import Settings
from sqlalchemy import select

from tests.factories import RECRUITER, Clock, Journey


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings, clock=Clock())
    yield built
    built.close()


def test_accepted_candidate_reaches_read_model(services: Services) -> None:
    journey = Journey(services.app)
    journey.open_round()
    cid = journey.offered(coupled=True)
    services.app.accept_lis1_offer(RECRUITER, cid)
    services.catch_up()
    with services.engine.connect() as conn:
        row = conn.execute(select(candidates).where(candidates.c.candidate_id == str(cid))).one()
    assert row.stage == "accepted"
    assert row.offer_coupled is True
    assert row.name == "Kari Nordmann"


def test_local_connection_is_recorded_for_ranking(services: Services) -> None:
    journey = Journey(services.app)
    journey.open_round()
    cid = journey.applicant(preference=CareerPreference.UNDECIDED, local=[LocalConnection.FAMILY])
    services.catch_up()
    with services.engine.connect() as conn:
        row = conn.execute(select(candidates).where(candidates.c.candidate_id == str(cid))).one()
    assert row.has_local_connection is True
    assert row.preference == "undecided"
