"""The exported JSON Schemas match the code, and stored events decode without the domain."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from helgeland_contracts import export
from helgeland_contracts.codec import decode
from helgeland_contracts.events_v1 import RoundOpened


def test_exported_schema_files_match_the_code() -> None:
    wanted = export.schemas()
    on_disk = {p.name: p.read_text("utf-8") for p in export.SCHEMA_DIR.glob("*.json")}
    assert sorted(on_disk) == sorted(wanted), "run: python -m helgeland_contracts.export"
    for name, schema in wanted.items():
        assert on_disk[name] == export.render(schema), f"{name} is stale: re-export"


def _stored(state: dict[str, object]) -> bytes:
    stamp = {
        "_type_": "stamp",
        "_data_": {
            "actor": {
                "person_id": "p",
                "organisation": "Helgelandssykehuset HF",
                "role": "hospital_recruiter",
                "municipality": None,
            },
            "occurred_at": "2027-01-10T09:00:00+00:00",
            "recorded_at": "2027-01-10T09:05:00+00:00",
        },
    }
    return json.dumps({**state, "stamp": stamp}).encode()


def test_a_version_1_round_event_is_upcast_for_consumers() -> None:
    state = {
        "name": "LIS1 2027",
        "positions": {"rana": 2},
        "coupled_positions": 1,
        "application_deadline": {"_type_": "date_iso", "_data_": "2027-02-01"},
        "timestamp": {"_type_": "datetime_iso", "_data_": "2027-01-10T09:05:00+00:00"},
    }
    topic = "helgeland_pipeline.domain.rounds:Lis1Round.Opened"
    envelope = decode(topic, _stored(state), 7, "0" * 32, 1)
    assert envelope is not None
    assert envelope.schema_version == 2
    assert envelope.data == RoundOpened(
        name="LIS1 2027",
        positions={"rana": 2},
        coupled_positions=1,
        application_deadline=date(2027, 2, 1),
        lis1_starts_on=None,
    )
    assert envelope.occurred_at == datetime(2027, 1, 10, 9, tzinfo=UTC)
    assert envelope.actor.role == "hospital_recruiter"


def test_event_types_that_are_not_public_are_skipped() -> None:
    topic = "helgeland_pipeline.domain.candidates:Candidate.Lis1InterviewHeld"
    state = _stored({"notes": "private", "primary_care_interest": 4})
    assert decode(topic, state, 1, "0" * 32, 2) is None
