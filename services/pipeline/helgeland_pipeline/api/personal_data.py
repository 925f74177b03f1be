"""Routes that answer with personal data declare it by taking `PersonalData`, and record each
answer's candidates in the access log before it leaves (Normen). A test walks the app's routes
and checks that every route taking it writes an entry, and that no other route shows a name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from helgeland_pipeline.api.deps import AnyActor, ServicesDep
from helgeland_pipeline.bootstrap import ApiServices
from helgeland_pipeline.domain.common import Actor


@dataclass(frozen=True)
class PersonalDataRead:
    """Records who read which candidates' personal data, through this request's route."""

    services: ApiServices
    actor: Actor
    method: str
    route: str

    async def __call__(self, candidate_ids: Iterable[UUID | str]) -> None:
        """Record the read; an answer that shows nobody (an empty list) is not a read of
        personal data and is not recorded."""
        ids = list(candidate_ids)
        if ids:
            at = self.services.core.app.clock()
            await self.services.access_log.record(self.actor, at, self.method, self.route, ids)


def personal_data(request: Request, actor: AnyActor, services: ServicesDep) -> PersonalDataRead:
    route = getattr(request.scope.get("route"), "path", request.url.path)
    return PersonalDataRead(services, actor, request.method, route)


PersonalData = Annotated[PersonalDataRead, Depends(personal_data)]
