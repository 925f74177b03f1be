"""`helgeland erase CANDIDATE_ID --reason TEXT`: an operator erases a candidate."""

from __future__ import annotations

import getpass
from uuid import UUID

from helgeland_pipeline.app_base import NotFound
from helgeland_pipeline.bootstrap import build_services
from helgeland_pipeline.cli_errors import CliError
from helgeland_pipeline.domain.candidates import ErasureBasis
from helgeland_pipeline.domain.common import Actor, DomainError, Role
from helgeland_pipeline.privacy.erasure import erase as erase_candidate
from helgeland_pipeline.settings import Settings

OPERATOR_ORGANISATION = "Helgelandslegen (drift)"


def erase(settings: Settings, candidate_id: UUID, reason: str) -> None:
    actor = Actor(f"cli:{getpass.getuser()}", OPERATOR_ORGANISATION, Role.ADMIN)
    if not reason.strip() or "\n" in reason or "\r" in reason:
        msg = "helgeland erase: --reason must be one line of text"
        raise CliError(msg)
    services = build_services(settings)
    try:
        done = erase_candidate(services, actor, candidate_id, reason.strip(), ErasureBasis.REQUEST)
    except NotFound as error:
        raise CliError(f"helgeland erase: {error}") from None
    except DomainError as error:
        raise CliError(f"helgeland erase: {error}") from None
    finally:
        services.close()
    if done.already_erased:
        print(f"Candidate {candidate_id} was already erased; key and copies purged again.")
    else:
        print(f"Erased candidate {candidate_id} (log position {done.position}).")
    purged = ", ".join(f"{name}: {count}" for name, count in done.purged.items())
    print(f"Purged from operational tables: {purged}.")
    if done.read_models_pending:
        pending = ", ".join(done.read_models_pending)
        print(f"Not yet applied by the read model(s) {pending}: they purge when they recover.")
    print("The notifications service purges its copies when it reads the erasure from the log.")
