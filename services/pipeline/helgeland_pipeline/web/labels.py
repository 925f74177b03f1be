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
    "candidate": "Kandidaten selv",
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
INVITATION_ANSWERS = {
    "accepted": "Takket ja",
    "declined": "Takket nei",
    "new_time_proposed": "Foreslo en ny tid",
}
CONSENT_PURPOSES = {
    "forum_sharing": "Deling med kommuneoverlegeforumet",
    "evaluation_contact": "Kontakt for evalueringen",
}
WEBHOOK_EVENTS = {
    "forum_list_sent": "Listen er sendt til forumet",
    "invitation_sent": "En invitasjon er sendt",
    "lis3_offered": "Et LIS3-tilbud er gitt",
    "lis3_offer_accepted": "Et LIS3-tilbud er akseptert",
    "consent_withdrawn": "Et samtykke er trukket",
    "recertification_due": "Resertifisering nærmer seg",
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
    "interviewed": "Intervjuet til LIS1",
    "offered_lis1": "Fikk LIS1-tilbud",
    "accepted_lis1": "Takket ja til LIS1",
    "started_lis1": "Startet i LIS1",
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


# A doctor's milestones and where they stand, as a municipality follows its own doctors.
MILESTONE_KINDS = {
    "lis1_started": "LIS1 startet",
    "lis1_part_started": "LIS1-del startet",
    "lis1_part_completed": "LIS1-del fullført",
    "lis3_started": "LIS3 startet",
    "supervisor_assigned": "Veileder",
    "supervision_group_joined": "Veiledningsgruppe",
    "education_plan_made": "Individuell utdanningsplan laget",
    "education_plan_reviewed": "Utdanningsplanen gjennomgått",
    "institution_service_completed": "Institusjonstjeneste fullført",
    "specialist_approved": "Spesialist i allmennmedisin",
    "recertified": "Resertifisert",
    "leave_started": "Permisjon startet",
    "returned_from_leave": "Tilbake fra permisjon",
    "moved_within_helgeland": "Flyttet i Helgeland",
    "left": "Sluttet",
    "returned": "Kom tilbake",
}
# What a municipality records on its doctor's page (the rest: the hospital, or the API).
RECORDABLE_MILESTONES = (
    "supervisor_assigned",
    "supervision_group_joined",
    "education_plan_made",
    "education_plan_reviewed",
    "institution_service_completed",
    "specialist_approved",
    "recertified",
    "leave_started",
    "returned_from_leave",
)
DOCTOR_STATUS = {
    "in_lis1": "I LIS1",
    "recruited": "Rekruttert (LIS3 ikke startet)",
    "employed": "Ansatt",
    "on_leave": "I permisjon",
    "moved": "Flyttet til en annen kommune",
    "left": "Sluttet",
}
