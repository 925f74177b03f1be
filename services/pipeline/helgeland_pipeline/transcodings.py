"""How our value objects are stored in the event log (JSON)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from helgeland_pipeline.domain.common import Actor, Role, Stamp


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class StampAsDict(Transcoding):
    type = Stamp
    name = "stamp"

    def encode(self, obj: Stamp) -> dict[str, Any]:
        return {
            "actor": {
                "person_id": obj.actor.person_id,
                "organisation": obj.actor.organisation,
                "role": str(obj.actor.role),
                "municipality": obj.actor.municipality,
            },
            "occurred_at": obj.occurred_at.isoformat(),
            "recorded_at": obj.recorded_at.isoformat(),
        }

    def decode(self, data: dict[str, Any]) -> Stamp:
        actor = data["actor"]
        return Stamp(
            actor=Actor(
                person_id=actor["person_id"],
                organisation=actor["organisation"],
                role=Role(actor["role"]),
                municipality=actor.get("municipality"),
            ),
            occurred_at=datetime.fromisoformat(data["occurred_at"]),
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
        )


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    transcoder.register(StampAsDict())
