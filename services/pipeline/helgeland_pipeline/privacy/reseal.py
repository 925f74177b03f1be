"""Re-sealing events stored before sealing existed: `helgeland reseal`.

A release before crypto-shredding stored names, contact details and free texts in the clear.
Erasing such a person destroys a key that never sealed them: their old events would still hold
their data. This one-off rewrite replaces each plain value of a field `fields.SEALED` declares
with the same text sealed by the person's key, exactly as the mapper would have stored it then.

The event log stays append-only in meaning: no event is added, removed or reordered, and every
event decodes to what it decoded to before (the rewrite changes how a value is stored, not what
it is). It is the alternative to keeping such data readable for ever, or re-writing the log
into a new one (which every tracking position and every consumer would have to follow).

- Idempotent: a sealed value is left as it is; running it twice rewrites nothing the second time.
- Resumable: the position reached is kept in `reseal_progress` after each page, and the next run
  starts after it (`--restart` starts from the beginning).
- A person erased already gets their plain values sealed with a throwaway key that is never
  stored: they read as erased, as sealed values of an erased person do.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic
from helgeland_contracts.personal import seal
from helgeland_platform.keystore import KEY_BYTES, PersonErased
from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, select, text

from helgeland_pipeline.application import PipelineApplication
from helgeland_pipeline.domain.candidates import Candidate
from helgeland_pipeline.privacy.fields import person_of, sealed_by_class
from helgeland_pipeline.privacy.mapper import SealedText, SealingMapper

NAME = "events"
metadata = MetaData()  # managed by the migrations (p0006)
progress = Table(
    "reseal_progress",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("position", BigInteger, nullable=False),
)


@dataclass
class Resealed:
    read: int = 0  # events looked at
    rewritten: int = 0  # events with at least one value sealed now
    values: int = 0  # values sealed now
    position: int = 0  # the last position looked at


def reseal(
    app: PipelineApplication,
    engine: Engine,
    *,
    page: int = 500,
    restart: bool = False,
    report: Callable[[Resealed, int], None] = lambda done, end: None,
) -> Resealed:
    """Seal every plain value of a sealed field in the log; `report` after each page."""
    mapper = cast("SealingMapper", app.mapper)
    topics = {get_topic(cls): fields for cls, fields in sealed_by_class().items()}
    done = Resealed(position=0 if restart else _reached(engine))
    end = app.recorder.max_notification_id() or 0
    persons: dict[UUID, str] = {}
    while done.position < end:
        notifications = app.recorder.select_notifications(
            done.position + 1, page, stop=end, topics=list(topics)
        )
        for notification in notifications:
            fields = topics[notification.topic]
            state = _rewritten(app, mapper, notification, fields, persons)
            done.read += 1
            if state is not None:
                _store(app, engine, notification, state[0])
                done.rewritten += 1
                done.values += state[1]
        done.position = notifications[-1].id if notifications else end
        _reach(engine, done.position)
        report(done, end)
    return done


def _rewritten(
    app: PipelineApplication,
    mapper: SealingMapper,
    notification: Notification,
    fields: Mapping[str, object],
    persons: dict[UUID, str],
) -> tuple[bytes, int] | None:
    """The event's stored state with its plain values sealed, and how many; None if none."""
    stored = notification.state
    if mapper.cipher:
        stored = mapper.cipher.decrypt(stored)
    if mapper.compressor:
        stored = mapper.compressor.decompress(stored)
    state: dict[str, Any] = mapper.transcoder.decode(stored)
    aggregate = UUID(str(notification.originator_id))
    sealed = 0
    key: tuple[str, bytes] | None = None
    for path in fields:
        head, _, rest = path.partition(".")
        holder = state.get(head) if rest else state
        name = rest or head
        if not isinstance(holder, dict):
            continue
        value = holder.get(name)
        if not isinstance(value, str) or not value:
            continue  # sealed already, or empty (empty texts are not sealed)
        key = key or _key(app, _person(app, aggregate, persons))
        box = seal(value, key[1], key[0], str(aggregate), path)
        holder[name] = SealedText(box["k"], box["v"])
        sealed += 1
    if not sealed:
        return None
    encoded = mapper.transcoder.encode(state)
    if mapper.compressor:
        encoded = mapper.compressor.compress(encoded)
    if mapper.cipher:
        encoded = mapper.cipher.encrypt(encoded)
    return encoded, sealed


def _person(app: PipelineApplication, aggregate: UUID, persons: dict[UUID, str]) -> str:
    """Whose data the aggregate's events carry (`fields.person_of`), looked up once each."""
    if aggregate not in persons:
        loaded: object = app.repository.get(aggregate)
        person = str(aggregate) if isinstance(loaded, Candidate) else person_of(loaded)
        if person is None:
            msg = f"{type(loaded).__name__} {aggregate} has sealed fields but no person"
            raise LookupError(msg)
        persons[aggregate] = person
    return persons[aggregate]


def _key(app: PipelineApplication, person: str) -> tuple[str, bytes]:
    """The person's key; for an erased person a throwaway one (their values read as erased)."""
    try:
        return app.keys.key_for(person)
    except PersonErased:
        return str(uuid.uuid4()), secrets.token_bytes(KEY_BYTES)


def _store(
    app: PipelineApplication, engine: Engine, notification: Notification, state: bytes
) -> None:
    """Rewrite one stored event's state in place (through our engine: on SQLite it zeroes the
    old bytes, `secure_delete`)."""
    table = app.recorder.events_table_name  # type: ignore[attr-defined]
    postgres = engine.dialect.name == "postgresql"
    oid: Any = notification.originator_id
    with engine.begin() as conn:
        conn.execute(
            text(
                f"UPDATE {table} SET state = :state "  # noqa: S608 - the recorder's own table
                "WHERE originator_id = :oid AND originator_version = :version"
            ),
            {
                "state": state,
                "oid": oid if postgres else UUID(str(oid)).hex,
                "version": notification.originator_version,
            },
        )


def _reached(engine: Engine) -> int:
    with engine.connect() as conn:
        found = conn.execute(select(progress.c.position).where(progress.c.name == NAME)).first()
    return int(found.position) if found else 0


def _reach(engine: Engine, position: int) -> None:
    with engine.begin() as conn:
        updated = conn.execute(
            progress.update().where(progress.c.name == NAME).values(position=position)
        ).rowcount
        if not updated:
            conn.execute(progress.insert().values(name=NAME, position=position))
