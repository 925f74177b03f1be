"""Reading stored events without the pipeline's classes: JSON in, `Envelope` out.

The pipeline stores each event as JSON, with typed values wrapped as `{"_type_", "_data_"}`.
This decoder understands those wrappings, upcasts older versions (the change policy in
`contracts/CHANGES.md`) and validates against the public payload model.

Personal fields are sealed with their person's key (`helgeland_contracts.personal`): given a
way to look keys up (`keys`), they are opened; without the key (the person was erased, or no
lookup was given) a text reads as `personal.ERASED`, an optional field as null, and the
envelope says `erased`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from helgeland_contracts.events_v1 import PAYLOADS, VERSIONS, Actor, Envelope, Payload
from helgeland_contracts.personal import ERASED, TRANSCODING, KeyLookup, key_id_of, open_sealed

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
    ("ForumCandidacy.Lis3Offered", 1): lambda state: state.setdefault("coupled_slot", None),
}


class _Sealed:
    """A sealed personal field, until it is opened (or found erased)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data


def _unwrap(obj: dict[str, Any]) -> Any:
    kind = obj.get("_type_")
    if kind is None or "_data_" not in obj:
        return obj
    data = obj["_data_"]
    if kind == "uuid_hex":
        return str(UUID(data))
    if kind == TRANSCODING:
        return _Sealed(data)
    return data  # ISO dates and times, decimals as strings, stamps as plain objects


def event_type(topic: str) -> str:
    """`package.module:Aggregate.Event` → `Aggregate.Event`."""
    return topic.rpartition(":")[2]


def _open_all(
    raw: dict[str, Any], model: type[Payload], aggregate: str, keys: KeyLookup | None
) -> bool:
    """Open every sealed field in place; True when one could not be (its person is erased)."""
    erased = False

    def opened(value: _Sealed, path: str, optional: bool) -> str | None:
        nonlocal erased
        key = keys(key_id_of(value.data)) if keys is not None else None
        if key is None:
            erased = True
            return None if optional else ERASED
        return open_sealed(value.data, key, aggregate, path)

    for name, value in list(raw.items()):
        field = model.model_fields.get(name)
        optional = field is not None and not field.is_required() and field.default is None
        if isinstance(value, _Sealed):
            raw[name] = opened(value, name, optional)
        elif isinstance(value, dict):
            for inner, item in list(value.items()):
                if isinstance(item, _Sealed):
                    value[inner] = opened(item, f"{name}.{inner}", False)
    return erased


def decode(
    topic: str,
    state: bytes,
    position: int,
    aggregate_id: UUID | str,
    aggregate_version: int,
    keys: KeyLookup | None = None,
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
    erased = _open_all(raw, payload_model, str(aggregate_id), keys)
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
        erased=erased,
    )
