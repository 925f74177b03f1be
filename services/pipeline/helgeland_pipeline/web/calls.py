"""Pages call the API's own route functions, behind the API's own role checks.

`allowed(Recruiter, actor)` runs the very check the API's `Recruiter` dependency runs, so a
page can never let a role do or read what the API would refuse it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, get_args
from uuid import UUID

from eventsourcing.persistence import RecordConflictError
from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from helgeland_pipeline.api.deps import NotYetVisible, reads
from helgeland_pipeline.bootstrap import ApiServices
from helgeland_pipeline.domain.common import Actor, InvalidInput, InvariantViolated
from helgeland_pipeline.web.render import flash, see_other

T = TypeVar("T")

FIELD_NAMES = {
    "name": "navn",
    "email": "e-post",
    "phone": "telefon",
    "positions": "stillinger",
    "coupled_positions": "koblede stillinger",
    "application_deadline": "søknadsfrist",
    "lis1_starts_on": "LIS1 starter",
    "kind": "type",
    "municipality": "kommune",
    "round_id": "runde",
    "preference": "ønsket karriere",
    "local_connection": "lokal tilknytning",
    "consent_to_share": "samtykke",
    "interviewer": "intervjuer",
    "primary_care_interest": "interesse for allmennpraksis",
    "notes": "notater",
    "unit": "enhet",
    "coupled": "koblet",
    "answer_by": "svarfrist",
    "reason": "begrunnelse",
    "proposed_times": "foreslått tidspunkt",
    "start_date": "startdato",
    "expires_on": "tilbudet gjelder til",
    "training_share": "andel tid til utdanning",
    "out_of_hours_share": "andel legevakt",
    "list_length": "listelengde",
    "pay_model": "lønnsmodell",
    "supervisor": "veileder",
    "supervision_group": "veiledningsgruppe",
    "status": "status",
    "as_of": "per dato",
    "total": "hjemler i alt",
    "vacant": "ledige",
    "held_by_locums": "besatt av vikar",
    "retirements_expected": "ventede pensjoneringer",
}


def allowed(alias: Any, actor: Actor) -> Actor:
    """Run the role check of an API dependency alias (`Annotated[Actor, Depends(check)]`)."""
    check: Callable[[Actor], Actor] = get_args(alias)[1].dependency
    return check(actor)


def ensure_live(request: Request, services: ApiServices, read_model: str) -> None:
    """The API's check that the read model's version is built (503 page otherwise)."""
    reads(read_model).dependency(request, services)


def norwegian(error: Exception) -> str:
    if isinstance(error, ValidationError):
        parts = []
        for item in error.errors():
            field = next((str(p) for p in reversed(item["loc"]) if isinstance(p, str)), "")
            name = FIELD_NAMES.get(field, field)
            parts.append(f"«{name}»: {item['msg']}" if name else item["msg"])
        return "Sjekk feltene: " + "; ".join(parts)
    if isinstance(error, InvariantViolated):
        return f"Kunne ikke lagres: det bryter en regel i programmet ({error})."
    if isinstance(error, InvalidInput):
        return f"Ugyldige opplysninger: {error}."
    if isinstance(error, RecordConflictError):
        return "Noen andre endret det samme samtidig. Last siden på nytt og prøv igjen."
    return str(error)


async def act(
    request: Request,
    call: Callable[[], T],
    back: str,
    done: str | Callable[[UUID], str],
    message: str,
    result_id: Callable[[T], UUID] | None = None,
) -> Response:
    """Run a command the way the API runs it; then go on (303) to `done`, with a message.

    Bad input and broken rules go back to the form with the reason, having written nothing;
    a command stored but not yet visible is reported as such.
    """
    try:
        result = await run_in_threadpool(call)
    except NotYetVisible as pending:
        flash(request, f"{message} Det kan ta et øyeblikk før det vises overalt.")
        return see_other(done(pending.saved.id) if callable(done) else done)
    except (ValidationError, InvalidInput, InvariantViolated, RecordConflictError) as error:
        flash(request, norwegian(error), "error")
        return see_other(back)
    flash(request, message)
    if callable(done):
        assert result_id is not None
        return see_other(done(result_id(result)))
    return see_other(done)


def form_value(value: object) -> str | None:
    """A form field as the API takes it: blank is absent."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None
