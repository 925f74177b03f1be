"""The export as a readable page in Norwegian (Jinja2, autoescaped: stored text is data)."""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

EVENT_NAMES = {
    "Candidate.Registered": "Registrert",
    "Candidate.ContactDetailsRecorded": "Kontaktopplysninger registrert",
    "Candidate.StudentContacted": "Kontakt i studietiden",
    "Candidate.Lis1ApplicationSubmitted": "Søknad om LIS1",
    "Candidate.Lis1InterviewHeld": "Intervju",
    "Candidate.Lis1Offered": "Tilbud om LIS1",
    "Candidate.Lis1OfferAccepted": "LIS1-tilbud takket ja til",
    "Candidate.Lis1OfferDeclined": "LIS1-tilbud takket nei til",
    "Candidate.ApplicationWithdrawn": "Søknad trukket",
    "Candidate.ConsentGiven": "Samtykke gitt",
    "Candidate.ConsentWithdrawn": "Samtykke trukket tilbake",
    "ForumCandidacy.Shared": "Delt med Kommuneoverlegeforum",
    "ForumCandidacy.InvitationSent": "Invitasjon fra kommune",
    "ForumCandidacy.InvitationAnswered": "Svar på invitasjon",
    "ForumCandidacy.MeetingHeld": "Møte holdt",
    "ForumCandidacy.Lis3Offered": "Tilbud om LIS3/ALIS",
    "ForumCandidacy.Lis3OfferWithdrawn": "LIS3-tilbud trukket",
    "ForumCandidacy.Lis3OfferDeclined": "LIS3-tilbud takket nei til",
    "ForumCandidacy.Lis3OfferAccepted": "LIS3-tilbud takket ja til",
    "ForumCandidacy.ConsentWithdrawn": "Fjernet fra kommunenes oversikt (samtykke trukket)",
}
PURPOSES = {
    "forum_sharing": "Deling med Kommuneoverlegeforum Helgeland",
    "evaluation_contact": "Kontakt for evaluering",
}


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("helgeland_pipeline.privacy", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["json"] = lambda v: json.dumps(v, ensure_ascii=False, indent=1, sort_keys=True)
    env.filters["event_name"] = lambda t: EVENT_NAMES.get(t, t)
    env.filters["purpose"] = lambda p: PURPOSES.get(p, p)
    return env


def render_export(document: dict[str, Any]) -> str:
    return _environment().get_template("export.html.j2").render(export=document)
