"""Reading stored events without the pipeline's classes: JSON in, `Envelope` out.

The pipeline stores each event as JSON, with typed values wrapped as `{"_type_", "_data_"}`.
This decoder understands those wrappings, upcasts older versions (the change policy in
`contracts/CHANGES.md`) and validates against the public payload model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from helgeland_contracts.events_v1 import PAYLOADS, VERSIONS, Actor, Envelope

Upcaster = Callable[[dict[str, Any]], None]


def _rename(old: str, new: str) -> Upcaster:
    def upcast(state: dict[str, Any]) -> None:
        state[new] = state.pop(old)

    return upcast


# (event type, from version) -> changes a stored state in place to the next version.
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("Lis1Round.Opened", 1): lambda state: state.setdefault("lis1_starts_on", None),
    ("WebhookSubscription.Subscribed", 1): _rename("secret", "sealed_secret"),
    ("Candidate.ConsentWithdrawn", 1): lambda state: state.update(
        purpose="forum_sharing", version=1
    ),
}


def _unwrap(obj: dict[str, Any]) -> Any:
    kind = obj.get("_type_")
    if kind is None or "_data_" not in obj:
        return obj
    data = obj["_data_"]
    if kind == "uuid_hex":
        return str(UUID(data))
    return data  # ISO dates and times, decimals as strings, stamps as plain objects


def event_type(topic: str) -> str:
    """`package.module:Aggregate.Event` → `Aggregate.Event`."""
    return topic.rpartition(":")[2]


def decode(
    topic: str, state: bytes, position: int, aggregate_id: UUID | str, aggregate_version: int
) -> Envelope | None:
    """The public view of a stored event, or None for an event type that is not public."""
    kind = event_type(topic)
    payload_model = PAYLOADS.get(kind)
    if payload_model is None:
        return None
    raw: dict[str, Any] = json.loads(state, object_hook=_unwrap)
    version = int(raw.pop("class_version", 1))
    while version < VERSIONS.get(kind, 1):
        UPCASTERS[(kind, version)](raw)
        version += 1
    stamp = raw.pop("stamp")
    return Envelope(
        position=position,
        type=kind,
        schema_version=version,
        aggregate_id=UUID(str(aggregate_id)),
        aggregate_version=aggregate_version,
        occurred_at=stamp["occurred_at"],
        recorded_at=stamp["recorded_at"],
        actor=Actor.model_validate(stamp["actor"]),
        data=payload_model.model_validate(raw),
    )
