"""Norwegian words for the API's English codes, and Norwegian dates and numbers."""

from __future__ import annotations

from datetime import date, datetime

from helgeland_pipeline.domain.common import PROGRAMME_TIME_ZONE

ROLES = {
    "hospital_recruiter": "Rekrutterer ved Helgelandssykehuset",
    "municipality": "Kommuneoverlege",
    "forum": "Kommuneoverlegeforumet",
    "evaluator": "Evaluator (NSDM)",
    "admin": "Administrator",
}
STAGES = {
    "registered": "Registrert",
    "applied": "Har søkt",
    "interviewed": "Intervjuet",
    "offered": "Har fått tilbud",
    "accepted": "Takket ja",
    "declined": "Takket nei",
    "withdrawn": "Trukket seg",
}
ROUND_STATUS = {
    "open": "Åpen for søknader",
    "interviewing": "Intervjuer",
    "offering": "Tilbud gis",
    "list_final": "Endelig liste",
}
PREFERENCES = {
    "general_practice": "Allmennpraksis",
    "hospital": "Sykehus",
    "undecided": "Usikker",
}
LOCAL_CONNECTIONS = {
    "grew_up": "Vokste opp på Helgeland",
    "family": "Familie på Helgeland",
    "studied": "Studerte på Helgeland",
    "placement": "Praksis på Helgeland",
}
CONTACT_KINDS = {
    "campus_visit": "Besøk på studiestedet",
    "placement": "Praksisplass i 5. studieår",
    "summer_job": "Sommerjobb",
    "student_project": "Studentoppgave",
    "other": "Annen kontakt",
}
OFFER_STATES = {
    "open": "Åpent",
    "expired": "Utløpt",
    "withdrawn": "Trukket tilbake",
    "declined": "Avslått",
    "accepted": "Akseptert",
    "accepted_elsewhere": "Akseptert et annet sted",
    "closed": "Lukket",
}
LIS1_OFFER_STATES = {"open": "Venter på svar", "accepted": "Akseptert", "declined": "Avslått"}
INVITATION_KINDS = {
    "interview": "Intervju",
    "tour": "Omvisning",
    "terms_talk": "Samtale om lønn og vilkår",
}
INVITATION_STATES = {
    "proposed": "Foreslått",
    "accepted": "Akseptert",
    "declined": "Avslått",
    "new_time_proposed": "Nytt tidspunkt foreslått",
    "held": "Gjennomført",
    "closed": "Lukket",
}
SHARED_STATUS = {
    "open": "Ledig",
    "recruited": "Rekruttert",
    "accepted_elsewhere": "Akseptert et annet sted",
}
PAY_MODELS = {"fixed_salary": "Fastlønn", "fee_based": "Næringsdrift"}
FUNNEL_STEPS = {
    "contacted": "Kontaktet som student",
    "applied": "Søkte LIS1",
    "prefers_general_practice": "Foretrekker allmennpraksis",
    "shared_with_forum": "Delt med forumet",
    "invited": "Invitert av kommune",
    "offered_lis3": "Fikk LIS3-tilbud",
    "accepted_lis3": "Takket ja til LIS3",
    "started_lis3": "Startet i LIS3",
    "specialist": "Spesialist i allmennmedisin",
}
GROUPINGS = {
    "all": "Alle",
    "round": "Runde",
    "year": "År",
    "municipality": "Kommune",
    "centrality_class": "Sentralitetsklasse",
    "population_group": "Innbyggertall",
    "local_connection": "Lokal tilknytning",
    "preference": "Ønsket karriere",
}
SCOPES = {"municipality": "i kommunen", "region": "i regionen"}
EVENT_TYPES = {
    "Registered": "Registrert",
    "ContactDetailsRecorded": "Kontaktopplysninger rettet",
    "StudentContacted": "Kontakt som student",
    "Lis1ApplicationSubmitted": "Søkte LIS1",
    "Lis1InterviewHeld": "Intervju",
    "Lis1Offered": "Fikk tilbud om LIS1",
    "Lis1OfferAccepted": "Takket ja til LIS1",
    "Lis1OfferDeclined": "Takket nei til LIS1",
    "ApplicationWithdrawn": "Trakk seg",
    "ConsentWithdrawn": "Trakk samtykket til deling",
}
DETAIL_NAMES = {
    "kind": "Type",
    "municipality": "Kommune",
    "round_id": "Runde",
    "preference": "Ønsket karriere",
    "local_connection": "Lokal tilknytning",
    "consent_to_share": "Samtykke til deling",
    "interviewer": "Intervjuer",
    "primary_care_interest": "Interesse for allmennpraksis (1–5)",
    "notes": "Notater",
    "unit": "Enhet",
    "coupled": "Koblet til LIS3",
    "answer_by": "Svarfrist",
    "reason": "Begrunnelse",
}
NBSP = "\u00a0"


def label(table: dict[str, str], code: object) -> str:
    """The Norwegian word for a code; an unknown code is shown as it is, never hidden."""
    if code is None:
        return "–"
    return table.get(str(code), str(code))


def nb_date(value: date | datetime | None) -> str:
    """`24.11.2026`; a moment is shown as its day in Norway."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = value.astimezone(PROGRAMME_TIME_ZONE).date()
    return f"{value.day:02d}.{value.month:02d}.{value.year}"


def nb_datetime(value: datetime | None) -> str:
    """`24.11.2026 kl. 14:05`, Norwegian time."""
    if value is None:
        return "–"
    local = value.astimezone(PROGRAMME_TIME_ZONE)
    return f"{nb_date(local.date())} kl. {local:%H:%M}"


def nb_number(value: float | None, decimals: int = 0) -> str:
    """`12 345,6`: a (non-breaking) space between thousands, a decimal comma."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def nb_percent(value: float | None, decimals: int = 0) -> str:
    """A share 0–1 as `45 %`."""
    if value is None:
        return "–"
    return f"{nb_number(value * 100, decimals)}{NBSP}%"
