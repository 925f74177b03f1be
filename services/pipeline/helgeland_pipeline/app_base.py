"""The application's base: configuration, the clock, and load-and-save plumbing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import JSONTranscoder, Mapper, Recording
from helgeland_platform.egress import Destinations
from helgeland_platform.keystore import KeyStore

from helgeland_pipeline.domain.common import Actor, DomainError, Stamp, require_valid
from helgeland_pipeline.privacy.fields import person_of
from helgeland_pipeline.privacy.mapper import SealedAsDict, SealingMapper
from helgeland_pipeline.reference import (
    ConsentText,
    ReferenceData,
    load_consent_texts,
    load_reference,
)
from helgeland_pipeline.settings import ConfigurationError
from helgeland_pipeline.transcodings import register_domain_transcodings

A = TypeVar("A", bound=Aggregate)


class NotFound(DomainError):
    """No such candidate or round (maps to 404)."""


@dataclass(frozen=True)
class Saved:
    """What a command changed: the aggregate's id and the log position of its last event."""

    id: UUID
    position: int


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def _no_sealing_key() -> bytes:
    msg = "no webhook sealing key: set HELGELAND_WEBHOOK_SEALING_KEY"
    raise ConfigurationError(msg)


class PipelineBase(Application[UUID]):
    """Loads aggregates, stamps commands with actor and times, saves atomically."""

    name = "Pipeline"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        clock: Clock = utc_now,
        reference: ReferenceData | None = None,
        sealing_key: Callable[[], bytes] | None = None,
        keys: KeyStore | None = None,
        webhook_destinations: Destinations | None = None,
        forum_includes_undecided: bool = False,
    ) -> None:
        # The mapper is made in `super().__init__`: it needs the key store already.
        if keys is None:
            msg = "the application needs the key store of personal data keys"
            raise ConfigurationError(msg)
        self.keys = keys
        super().__init__(env)
        self.clock = clock
        self.reference = reference or load_reference()
        self.consent_texts = load_consent_texts()
        self.sealing_key = sealing_key or _no_sealing_key
        self.webhook_destinations = webhook_destinations or Destinations()
        # The forum list holds those who declared general practice; the programme may widen
        # it to the undecided (HELGELAND_FORUM_INCLUDES_UNDECIDED).
        self.forum_includes_undecided = forum_includes_undecided

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)
        transcoder.register(SealedAsDict())

    def construct_mapper(self) -> Mapper[UUID]:
        """Personal fields are sealed with their person's key (`privacy.mapper`)."""
        return SealingMapper(
            self.construct_transcoder(),
            self.keys,
            compressor=self.factory.compressor(),
            cipher=self.factory.cipher(),
        )

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """Save, telling the mapper whose data each aggregate's new events carry."""
        persons = {
            cast("Aggregate", o).id: person for o in objs if (person := person_of(o)) is not None
        }
        with cast("SealingMapper", self.mapper).persons(persons):
            return super().save(*objs, **kwargs)

    def _stamp(self, actor: Actor, occurred_at: datetime | None) -> Stamp:
        now = self.clock()
        return Stamp(actor=actor, occurred_at=occurred_at or now, recorded_at=now)

    def _get(self, aggregate_id: UUID, kind: type[A], label: str, asked: UUID | None = None) -> A:
        """Load an aggregate; `asked` is the id the caller gave, when the aggregate's own id is
        derived from it (a candidacy or career from the candidate's): errors name that one."""
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            aggregate = None
        if not isinstance(aggregate, kind):
            msg = f"no {label} with id {asked or aggregate_id}"
            raise NotFound(msg)
        return aggregate

    def check_municipality(self, number: str | None) -> None:
        known = self.reference.municipalities
        require_valid(number is None or number in known, f"unknown municipality {number!r}")

    def consent_text(self, purpose: str, version: int | None, stamp: Stamp) -> ConsentText:
        """The named version of a purpose's consent text (default: the one in force that day);
        a version that does not exist is refused."""
        found = (
            self.consent_texts.current(purpose, stamp.day)
            if version is None
            else self.consent_texts.get(purpose, version)
        )
        require_valid(found is not None, f"no consent text for {purpose} version {version}")
        assert found is not None
        return found

    def _save(self, primary: Aggregate, *others: Aggregate | None) -> Saved:
        recordings = self.save(primary, *others)
        position = max((r.notification.id for r in recordings), default=0)
        return Saved(id=primary.id, position=position)
