"""The event mapper that seals personal fields on the way into the log and opens them out.

`SealingMapper` is the `eventsourcing` `Mapper` of the pipeline's application (its
`construct_mapper`), so every path that decodes events (commands loading aggregates, the
projection runners, rebuilds, the evaluation replay, the CLI) goes through it. Each field that
`fields.SEALED` declares is encrypted with the key of the person the event is about
(`helgeland_contracts.personal`); without the key (the person was erased) the field reads as
erased. A plain string in a declared field was stored before sealing began and reads as it is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Cipher,
    Compressor,
    Mapper,
    StoredEvent,
    Transcoder,
    Transcoding,
)
from eventsourcing.utils import get_topic
from helgeland_contracts.personal import ERASED, TRANSCODING, open_sealed, seal
from helgeland_platform.keystore import KeyStore, PersonErased

from helgeland_pipeline.domain.candidates import Candidate
from helgeland_pipeline.domain.common import InvariantViolated
from helgeland_pipeline.privacy.fields import sealed_by_class


class PersonalDataErased(InvariantViolated):
    """Personal data about an erased person cannot be recorded (maps to 409)."""


@dataclass(frozen=True)
class SealedText:
    """A sealed field as it is stored: the key's id and nonce + ciphertext (URL-safe base64)."""

    key_id: str
    value: str


class SealedAsDict(Transcoding):
    type = SealedText
    name = TRANSCODING

    def encode(self, obj: SealedText) -> dict[str, str]:
        return {"k": obj.key_id, "v": obj.value}

    def decode(self, data: dict[str, str]) -> SealedText:
        return SealedText(data["k"], data["v"])


_NOTHING_BOUND: Mapping[UUID, str] = {}
_ERASED: type[Any] = getattr(Candidate, "Erased")  # noqa: B009 - made by `@event`


class SealingMapper(Mapper[UUID]):
    def __init__(
        self,
        transcoder: Transcoder,
        keys: KeyStore,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
    ) -> None:
        super().__init__(transcoder, compressor, cipher)
        self.keys = keys
        self.sealed = sealed_by_class()
        self._persons: ContextVar[Mapping[UUID, str]] = ContextVar(
            "helgeland_persons", default=_NOTHING_BOUND
        )

    @contextmanager
    def persons(self, persons: Mapping[UUID, str]) -> Iterator[None]:
        """While saving: whose data each aggregate's new events carry (`fields.person_of`)."""
        token = self._persons.set({**self._persons.get(), **persons})
        try:
            yield
        finally:
            self._persons.reset(token)

    # --- into the log -----------------------------------------------------------------------

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        fields = self.sealed.get(type(domain_event))
        if not fields:
            return super().to_stored_event(domain_event)
        topic = get_topic(domain_event.__class__)
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        self._seal(state, fields, domain_event, str(originator_id))
        stored = self.transcoder.encode(state)
        if self.compressor:
            stored = self.compressor.compress(stored)
        if self.cipher:
            stored = self.cipher.encrypt(stored)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=topic,
            state=stored,
        )

    def _seal(
        self, state: dict[str, Any], fields: Mapping[str, object], event: Any, aggregate: str
    ) -> None:
        person = self._person(event)
        try:
            key_id, key = self.keys.key_for(person)
        except PersonErased:
            msg = "the candidate's personal data has been erased; nothing more is recorded"
            raise PersonalDataErased(msg) from None
        for path in fields:
            holder, name = _holder(state, path, copy=True)
            value = holder.get(name) if holder is not None else None
            if isinstance(value, str) and value:
                sealed = seal(value, key, key_id, aggregate, path)
                holder[name] = SealedText(sealed["k"], sealed["v"])

    def _person(self, event: Any) -> str:
        bound = self._persons.get().get(event.originator_id)
        if bound is not None:
            return bound
        if isinstance(event, Candidate.Event):
            return str(event.originator_id)
        candidate = getattr(event, "candidate_id", None)
        if isinstance(candidate, str):
            return candidate
        msg = (
            f"whose personal data is {type(event).__qualname__} of {event.originator_id}? "
            "save it with its aggregate"
        )
        raise LookupError(msg)

    # --- out of the log ---------------------------------------------------------------------

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event = super().to_domain_event(stored_event)
        state: dict[str, Any] = vars(event)
        declared = self.sealed.get(type(event), {})
        aggregate = str(stored_event.originator_id)
        for name, value in list(state.items()):
            if isinstance(value, SealedText):
                state[name] = self._open(value, aggregate, name, declared)
            elif isinstance(value, dict) and any(isinstance(v, SealedText) for v in value.values()):
                state[name] = {
                    k: self._open(v, aggregate, f"{name}.{k}", declared)
                    if isinstance(v, SealedText)
                    else v
                    for k, v in value.items()
                }
        if isinstance(event, _ERASED):
            self.keys.evict(aggregate)  # another process erased them: forget the key here too
        return event

    def _open(
        self, sealed: SealedText, aggregate: str, path: str, declared: Mapping[str, str | None]
    ) -> str | None:
        key = self.keys.key_by_id(sealed.key_id)
        if key is None:
            return declared.get(path, ERASED)
        return open_sealed({"k": sealed.key_id, "v": sealed.value}, key, aggregate, path)


def _holder(state: dict[str, Any], path: str, *, copy: bool) -> tuple[Any, str]:
    """The dictionary that holds a (dotted) field, copied so the event itself is not changed."""
    head, _, rest = path.partition(".")
    if not rest:
        return state, head
    inner = state.get(head)
    if not isinstance(inner, dict):
        return None, rest
    if copy:
        inner = dict(inner)
        state[head] = inner
    return inner, rest
