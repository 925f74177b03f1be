"""Erasure of a candidate's personal data (GDPR art. 17): the admin role only."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from helgeland_contracts.privacy_v1 import ErasureOut, ErasureRequest

from helgeland_pipeline.api.deps import ServicesDep, require_role
from helgeland_pipeline.domain.candidates import ErasureBasis
from helgeland_pipeline.domain.common import Actor
from helgeland_pipeline.privacy.erasure import erase

router = APIRouter(prefix="/candidates", tags=["privacy"])

Admin = Annotated[Actor, Depends(require_role())]


@router.post("/{candidate_id}/erasure")
def erasure(
    candidate_id: UUID, body: ErasureRequest, actor: Admin, services: ServicesDep
) -> ErasureOut:
    """Erase the candidate: `Erased` is recorded, their key destroyed (their events' personal
    fields read as erased from now on) and every derived copy purged; the facts stay, so the
    evaluation's figures do not change. Asking again for an erased candidate re-runs the purge.
    """
    done = erase(services.core, actor, candidate_id, body.reason, ErasureBasis.REQUEST)
    return ErasureOut(
        candidate_id=done.candidate_id,
        position=done.position,
        already_erased=done.already_erased,
        purged=done.purged,
        read_models_pending=done.read_models_pending,
    )
