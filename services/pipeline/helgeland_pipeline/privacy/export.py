"""Everything held about one candidate (GDPR art. 15): their events, decoded the way the
pipeline decodes them (so values a later erasure made unreadable show as the decoder shows
them), the read-model rows about them, the notifications service's deliveries, the consents
they hold with their texts, and the access log about them."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEvent
from fastapi.concurrency import run_in_threadpool
from helgeland_contracts.privacy_v1 import AccessLogEntry, Deliveries, ExportEvent
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from helgeland_pipeline.application import PipelineApplication
from helgeland_pipeline.domain.candidates import Candidate
from helgeland_pipeline.domain.career import career_id
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.domain.forum import NotYours, candidacy_id
from helgeland_pipeline.privacy.access_log import AccessLog
from helgeland_pipeline.privacy.deliveries import DeliveriesClient
from helgeland_pipeline.readside.runner import ProjectionRunner

_STORAGE_FIELDS = {"originator_id", "originator_version", "timestamp", "stamp"}


def check_may_export(app: PipelineApplication, actor: Actor, candidate_id: UUID) -> Candidate:
    """Admins export anyone; a hospital recruiter the candidates of its own organisation's
    rounds (or, before an application, those it registered). Raises `NotFound`/`NotYours`."""
    candidate = app._get(candidate_id, Candidate, "candidate")  # the application's one load path
    if actor.role == Role.ADMIN:
        return candidate
    if actor.role == Role.HOSPITAL_RECRUITER:
        owner = UUID(candidate.round_id) if candidate.round_id else candidate_id
        first = app.recorder.select_events(owner, limit=1)
        if first and _decoded(app, first[0]).stamp.actor.organisation == actor.organisation:
            return candidate
        msg = "a recruiter exports the candidates of its own organisation's rounds only"
        raise NotYours(msg)
    msg = f"the {actor.role} role may not export a person's data"
    raise NotYours(msg)


def events_about(app: PipelineApplication, candidate: Candidate) -> list[ExportEvent]:
    """The candidate's own aggregates (candidate, forum candidacy, career), and the events of
    their round that name them (offers held, the list sent to the forum)."""
    cid = candidate.id
    found: list[ExportEvent] = []
    for aggregate_id in (cid, candidacy_id(cid), career_id(cid)):
        found += [_export(app, e) for e in app.recorder.select_events(aggregate_id)]
    if candidate.round_id:
        for stored in app.recorder.select_events(UUID(candidate.round_id)):
            exported = _export(app, stored)
            if str(cid) in json.dumps(exported.data):
                found.append(exported)
    return sorted(found, key=lambda e: (e.recorded_at, e.aggregate, e.aggregate_version))


def consents(app: PipelineApplication, candidate: Candidate) -> dict[str, Any]:
    """The consents held now, each with the text the candidate was shown."""
    held: dict[str, Any] = {}
    for purpose, version in sorted(candidate.consents.items()):
        text = app.consent_texts.get(purpose, version)
        held[purpose] = {
            "version": version,
            "title": text.title if text else None,
            "text": text.text if text else None,
        }
    return held


async def read_model_rows(
    engine: AsyncEngine, runners: Iterable[ProjectionRunner], candidate_id: UUID
) -> dict[str, list[dict[str, Any]]]:
    """Every row of every read model that is about the candidate: tables keyed by their
    `candidate_id`, or by their forum candidacy's id."""
    keys = {"candidate_id": str(candidate_id), "candidacy_id": str(candidacy_id(candidate_id))}
    found: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as conn:
        for runner in runners:
            for table in runner.projection.metadata.sorted_tables:
                query = _about(table, keys)
                if query is None:
                    continue
                rows = (await conn.execute(query)).all()
                found[table.name] = [_plain(row._asdict()) for row in rows]
    return found


def _about(table: Table, keys: dict[str, str]) -> Any:
    for column, value in keys.items():
        if column in table.c:
            return select(table).where(table.c[column] == value)
    return None


def export_document(
    candidate_id: UUID,
    generated_at: datetime,
    actor: Actor,
    events: list[ExportEvent],
    held: dict[str, Any],
    rows: dict[str, list[dict[str, Any]]],
    deliveries: Deliveries,
    access_log: list[AccessLogEntry],
) -> dict[str, Any]:
    from helgeland_contracts.privacy_v1 import PersonalDataExport  # noqa: PLC0415

    document = PersonalDataExport(
        candidate_id=candidate_id,
        generated_at=generated_at,
        generated_by=_plain(dataclasses.asdict(actor)),
        events=events,
        consents=held,
        read_models=rows,
        deliveries=deliveries,
        access_log=access_log,
    )
    return document.model_dump(mode="json")


def _decoded(app: PipelineApplication, stored: Any) -> Any:
    return app.mapper.to_domain_event(stored)


def _export(app: PipelineApplication, stored: Any) -> ExportEvent:
    event: DomainEvent = _decoded(app, stored)
    stamp = getattr(event, "stamp")  # noqa: B009 - every event of ours carries one
    topic = stored.topic.rpartition(":")[2]
    data = {k: _plain(v) for k, v in vars(event).items() if k not in _STORAGE_FIELDS}
    return ExportEvent(
        position=None,
        aggregate=topic.partition(".")[0],
        aggregate_id=UUID(str(stored.originator_id)),
        aggregate_version=stored.originator_version,
        type=topic,
        occurred_at=stamp.occurred_at,
        recorded_at=stamp.recorded_at,
        actor=_plain(dataclasses.asdict(stamp.actor)),
        data=data,
    )


def _plain(value: Any) -> Any:
    """A JSON-ready copy of a stored value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return str(value)


async def build_export(
    app: PipelineApplication,
    engine: AsyncEngine,
    runners: Iterable[ProjectionRunner],
    access_log: AccessLog,
    deliveries: DeliveriesClient,
    actor: Actor,
    candidate_id: UUID,
    record: Callable[[list[UUID]], Awaitable[None]],
) -> dict[str, Any]:
    """The whole export; the read is recorded (`record`) before the access log is read, so the
    export lists itself. Nothing is recorded when the caller may not export the candidate."""
    candidate = await run_in_threadpool(check_may_export, app, actor, candidate_id)
    events = await run_in_threadpool(events_about, app, candidate)
    rows = await read_model_rows(engine, runners, candidate_id)
    sent = await deliveries.about(candidate_id)
    await record([candidate_id])
    entries = await access_log.about(candidate_id)
    return export_document(
        candidate_id, app.clock(), actor, events, consents(app, candidate), rows, sent, entries
    )
