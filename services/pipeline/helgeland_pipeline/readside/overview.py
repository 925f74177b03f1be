"""Where every read model stands: its position against the log's end, lag, failure and skips.

The one source for `helgeland projections status`, `GET /read-models`, readiness and metrics.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from helgeland_pipeline.readside import status, versions
from helgeland_pipeline.readside.runner import ProjectionRunner
from helgeland_pipeline.readside.tracking import read_position


@dataclass(frozen=True)
class ReadModelStatus:
    name: str
    version: int
    state: str  # building until it first caught up, then live
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    failure: status.Failure | None
    skips: list[status.Skip]

    @property
    def key(self) -> str:
        return f"{self.name}@v{self.version}"

    @property
    def failing(self) -> bool:
        return self.failure is not None


def read_status(
    runners: Sequence[ProjectionRunner], now: datetime | None = None
) -> list[ReadModelStatus]:
    """Every runner's read model as the store has it now."""
    now = now or datetime.now(UTC)
    found = []
    for runner in runners:
        head = runner.log.recorder.max_notification_id() or 0
        with runner.engine.begin() as conn:
            position = read_position(conn, runner.key)
            failure = status.read_failure(conn, runner.key)
            skips = status.read_skips(conn, runner.key)
            state = versions.state(conn, runner.key) or versions.BUILDING
        pending = _first_pending(runner, position, head)
        lag_seconds = 0.0
        if pending is not None:
            lag_seconds = max(0.0, (now - pending).total_seconds())
        elif failure is not None:
            lag_seconds = max(0.0, (now - failure.first_failed_at).total_seconds())
        found.append(
            ReadModelStatus(
                name=runner.projection.name,
                version=runner.projection.version,
                state=state,
                position=position,
                head=head,
                lag_events=max(0, head - position),
                lag_seconds=lag_seconds,
                failure=failure,
                skips=skips,
            )
        )
    return found


def _first_pending(runner: ProjectionRunner, position: int, head: int) -> datetime | None:
    """When the oldest event this read model has yet to apply was recorded."""
    if head <= position:
        return None
    page = runner.log.recorder.select_notifications(
        start=position, limit=1, stop=head, topics=runner.topics, inclusive_of_start=False
    )
    if not page:
        return None
    try:
        event = runner.log.mapper.to_domain_event(page[0])
    except Exception:  # a poison event may not even decode: the failure's time tells then
        return None
    moment = getattr(event, "timestamp", None)
    return moment if isinstance(moment, datetime) else None


def skip_event(
    runners: Sequence[ProjectionRunner], projection: str, position: int, reason: str, by: str | None
) -> status.Skip:
    """Record an operator's decision to step over one event of one read model."""
    runner = next((r for r in runners if projection in (r.projection.name, r.key)), None)
    if runner is None:
        names = ", ".join(r.projection.name for r in runners)
        msg = f"no read model {projection!r} (there are: {names})"
        raise status.SkipRefused(msg)
    reason = reason.strip()
    if not reason or len(reason) > 500 or any(ord(c) < 32 or ord(c) == 127 for c in reason):
        msg = "give a reason of 1 to 500 characters on one line"
        raise status.SkipRefused(msg)
    by = by or getpass.getuser()
    if not by.strip() or len(by) > 200 or any(ord(c) < 32 or ord(c) == 127 for c in by):
        msg = "give who decides (--by) as 1 to 200 characters on one line"
        raise status.SkipRefused(msg)
    found = runner.log.recorder.select_notifications(start=position, limit=1)
    if not found or found[0].id != position:
        msg = f"the log has no event {position}"
        raise status.SkipRefused(msg)
    if found[0].topic not in runner.topics:
        msg = f"{runner.key} does not apply event {position} ({_kind(found[0].topic)})"
        raise status.SkipRefused(msg)
    skip = status.Skip(
        projection=runner.key,
        position=position,
        event_type=_kind(found[0].topic),
        reason=reason,
        skipped_by=by.strip(),
        skipped_at=datetime.now(UTC),
    )
    status.add_skip(runner.engine, skip)
    return skip


def _kind(topic: str) -> str:
    return topic.partition(":")[2] or topic


def status_json(item: ReadModelStatus) -> dict[str, object]:
    """A read model's status as plain JSON values (operators' tools and the API)."""
    failure = item.failure
    return {
        "read_model": item.name,
        "version": item.version,
        "state": item.state,
        "position": item.position,
        "log_end": item.head,
        "lag_events": item.lag_events,
        "lag_seconds": round(item.lag_seconds, 3),
        "failing": failure is not None,
        "failure": None
        if failure is None
        else {
            "position": failure.position,
            "event_type": failure.event_type,
            "error": failure.error,
            "attempts": failure.attempts,
            "first_failed_at": failure.first_failed_at.isoformat(),
            "last_failed_at": failure.last_failed_at.isoformat(),
        },
        "skips": [
            {
                "position": skip.position,
                "event_type": skip.event_type,
                "reason": skip.reason,
                "skipped_by": skip.skipped_by,
                "skipped_at": skip.skipped_at.isoformat(),
            }
            for skip in item.skips
        ],
    }
