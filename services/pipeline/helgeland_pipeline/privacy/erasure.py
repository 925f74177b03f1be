"""Erasing a person (GDPR art. 17), and every derived copy of their data with them.

1. `Erased` is recorded (no personal data in it) and the person's key destroyed: their events
   stay in the log, and every personal field in them reads as erased from then on.
2. The read models apply `Erased`: the hospital's rows keep the facts (so counts stay) with the
   name, contact details and free texts blanked; the forum's contact details go. Evaluation
   rows never held personal data and do not change.
3. The pipeline's operational tables lose what they hold about the person: stored answers of
   idempotent requests, and projection failure and skip records whose text holds their data.
4. On SQLite the write-ahead log is checkpointed and truncated (every connection of ours runs
   with `secure_delete`, so blanked rows leave no bytes in free pages).

The notifications service purges its own copies (people, deliveries, queued and dead-lettered
messages, the demo's mail files) when it reads `Erased` from the log.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from helgeland_platform import engines
from helgeland_platform.logs import log
from sqlalchemy import Engine, delete, select, update

from helgeland_pipeline.api.idempotency import idempotency_keys
from helgeland_pipeline.app_base import Saved
from helgeland_pipeline.bootstrap import Services
from helgeland_pipeline.domain.candidates import ErasureBasis
from helgeland_pipeline.domain.common import Actor
from helgeland_pipeline.readside.runner import ProjectionFailed
from helgeland_pipeline.readside.status import failures, skips

_log = logging.getLogger("helgeland.privacy")
SCRUBBED = "[slettet]"


@dataclass(frozen=True)
class Erasure:
    candidate_id: UUID
    position: int | None  # the `Erased` event's; None when the person was erased before
    already_erased: bool
    purged: dict[str, int] = field(default_factory=dict)  # table -> rows purged or blanked
    read_models_pending: list[str] = field(default_factory=list)  # not yet past `Erased`
    wal_truncated: bool = True


def erase(
    services: Services,
    actor: Actor,
    candidate_id: UUID,
    reason: str,
    basis: ErasureBasis = ErasureBasis.REQUEST,
    occurred_at: datetime | None = None,
) -> Erasure:
    """Erase the candidate and purge the pipeline's derived copies (see the module)."""
    app = services.app
    own = app.personal_data_of(candidate_id)  # looked for in copies, before the key goes
    saved = app.erase_candidate(actor, candidate_id, reason, basis, occurred_at)
    pending = _read_models_apply(services, saved)
    purged = purge_operational(services.engine, str(candidate_id), own)
    truncated = engines.checkpoint(services.engine)
    log(
        _log,
        logging.INFO,
        "candidate erased",
        candidate_id=str(candidate_id),
        basis=str(basis),
        position=saved.position if saved else None,
        already_erased=saved is None,
        read_models_pending=pending,
        **{f"purged_{name}": count for name, count in purged.items()},
    )
    return Erasure(
        candidate_id,
        saved.position if saved else None,
        saved is None,
        purged,
        pending,
        truncated,
    )


def _read_models_apply(services: Services, saved: Saved | None) -> list[str]:
    """Let the read models apply `Erased`; return those that have not (failing or slow)."""
    if saved is None:
        return []
    if any(runner.running for runner in services.runners):
        return [runner.projection.name for runner in services.wait_for(saved)]
    pending = []
    for runner in services.runners:  # no runner in this process (the CLI): catch up here
        try:
            runner.catch_up()
        except ProjectionFailed:
            pending.append(runner.projection.name)
    return pending


def _forms(value: str) -> list[bytes]:
    """How a text may sit in a stored answer: UTF-8, and JSON with \\u escapes."""
    escaped = json.dumps(value)[1:-1]
    return list(dict.fromkeys([value.encode(), escaped.encode()]))


def purge_operational(engine: Engine, candidate_id: str, own: list[str]) -> dict[str, int]:
    """Stored answers about the person go; failure and skip texts with their data are blanked."""
    needles = [form for value in [candidate_id, *own] for form in _forms(value)]
    texts = [value for value in own if value]
    purged = {"idempotency_keys": 0, "projection_failures": 0, "projection_skips": 0}
    with engine.begin() as conn:
        t = idempotency_keys
        for row in conn.execute(select(t.c.scope, t.c.key, t.c.headers, t.c.body)).all():
            stored = (row.body or b"") + json.dumps(row.headers or []).encode()
            if any(needle in stored for needle in needles):
                conn.execute(delete(t).where(t.c.scope == row.scope, t.c.key == row.key))
                purged["idempotency_keys"] += 1
        for table, column, name in (
            (failures, failures.c.error, "projection_failures"),
            (skips, skips.c.reason, "projection_skips"),
        ):
            keys = list(table.primary_key.columns)
            for found in conn.execute(select(*keys, column)).all():
                text = str(found[-1])
                scrubbed = text
                for value in texts:
                    scrubbed = scrubbed.replace(value, SCRUBBED)
                if scrubbed != text:
                    where = [c == found[i] for i, c in enumerate(keys)]
                    conn.execute(update(table).where(*where).values({column.name: scrubbed}))
                    purged[name] += 1
    return purged
