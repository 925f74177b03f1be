"""Projections dispatch on event classes, never on class-name strings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from eventsourcing.domain import DomainEvent
from sqlalchemy import Connection

Handler = Callable[[Connection, Any, int], object]
V = TypeVar("V")


def event_class(aggregate: type[Any], name: str) -> type[DomainEvent]:
    """The aggregate's event class of that name (created by its `@event` decorator)."""
    found = getattr(aggregate, name, None)
    if not (isinstance(found, type) and issubclass(found, DomainEvent)):
        msg = f"{aggregate.__name__} has no event class {name!r}"
        raise TypeError(msg)
    return found


def handlers(aggregate: type[Any], by_name: Mapping[str, Handler]) -> dict[type[Any], Handler]:
    """`{"Registered": handle, ...}` of one aggregate as `{Candidate.Registered: handle, ...}`."""
    return {event_class(aggregate, name): handler for name, handler in by_name.items()}


def _aggregates() -> dict[str, type[Any]]:
    from helgeland_pipeline.domain.candidates import Candidate  # noqa: PLC0415
    from helgeland_pipeline.domain.career import Career  # noqa: PLC0415
    from helgeland_pipeline.domain.forum import ForumCandidacy  # noqa: PLC0415
    from helgeland_pipeline.domain.gp_posts import GpPosts  # noqa: PLC0415
    from helgeland_pipeline.domain.placements import PlacementCapacity  # noqa: PLC0415
    from helgeland_pipeline.domain.rounds import Lis1Round  # noqa: PLC0415
    from helgeland_pipeline.domain.webhooks import WebhookSubscription  # noqa: PLC0415

    return {
        cls.__name__: cls
        for cls in (
            Candidate,
            Career,
            ForumCandidacy,
            GpPosts,
            Lis1Round,
            PlacementCapacity,
            WebhookSubscription,
        )
    }


def classes(*names: str) -> tuple[type[DomainEvent], ...]:
    """`classes("Candidate.Registered", ...)`: the event classes, resolved once at import."""
    aggregates = _aggregates()
    found = []
    for name in names:
        aggregate, _, kind = name.partition(".")
        if aggregate not in aggregates:
            msg = f"no aggregate {aggregate!r}"
            raise TypeError(msg)
        found.append(event_class(aggregates[aggregate], kind))
    return tuple(found)


def table(by_name: Mapping[str, V]) -> dict[type[Any], V]:
    """`{"Candidate.Registered": handle}` as `{Candidate.Registered: handle}` (checked)."""
    return dict(zip(classes(*by_name), by_name.values(), strict=True))
