"""The API's English refusals told in Norwegian on the pages, naming the field.

The API keeps its English problem bodies; a page translates what the domain and the request
models said. A message without a translation is not shown in English: the page says what
kind of refusal it was instead.
"""

from __future__ import annotations

import re
from typing import Any

from eventsourcing.persistence import RecordConflictError
from fastapi.exceptions import RequestValidationError
from helgeland_platform.egress import DestinationRefused
from pydantic import ValidationError

from helgeland_pipeline.domain.common import InvalidInput, InvariantViolated

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
    "new_time": "nytt tidspunkt",
    "answer": "svar",
    "start_date": "startdato",
    "expires_on": "tilbudet gjelder til",
    "training_share": "andel tid til utdanning",
    "out_of_hours_share": "andel legevakt",
    "list_length": "listelengde",
    "pay_model": "lønnsmodell",
    "supervisor": "veileder",
    "supervision_group": "veiledningsgruppe",
    "status": "status",
    "purpose": "formål",
    "version": "tekstversjon",
    "given": "samtykke",
    "url": "adresse",
    "event_types": "hendelser",
    "as_of": "per dato",
    "known_at": "kjent per",
    "happened_on": "dato",
    "value": "ny verdi",
    "group": "veiledningsgruppe",
    "location": "sted",
    "total": "hjemler i alt",
    "vacant": "ledige",
    "held_by_locums": "besatt av vikar",
    "retirements_expected": "ventede pensjoneringer",
}

# Pydantic's error types, as Norwegian predicates ("«navn» må fylles ut").
VALIDATION = {
    "missing": "må fylles ut",
    "string_type": "må fylles ut",  # a blank form field reaches the model as None
    "string_too_short": "må fylles ut",
    "string_too_long": "kan være høyst {max_length} tegn",
    "too_short": "må ha minst {min_length} valg",
    "too_long": "kan ha høyst {max_length} valg",
    "greater_than_equal": "må være minst {ge}",
    "less_than_equal": "kan være høyst {le}",
    "greater_than": "må være større enn {gt}",
    "less_than": "må være mindre enn {lt}",
    "int_parsing": "må være et helt tall",
    "int_from_float": "må være et helt tall",
    "float_parsing": "må være et tall",
    "bool_parsing": "må være ja eller nei",
    "date_parsing": "må være en dato",
    "date_from_datetime_parsing": "må være en dato",
    "datetime_parsing": "må være en dato og et tidspunkt",
    "datetime_from_date_parsing": "må være en dato og et tidspunkt",
    "uuid_parsing": "er ikke en kjent id",
    "literal_error": "er ikke et av valgene",
    "enum": "er ikke et av valgene",
    "string_pattern_mismatch": "har ikke riktig form",
    "dict_type": "er ugyldig",
    "list_type": "er ugyldig",
}

# The domain's and the models' English messages (regular expressions over the whole message).
DOMAIN: list[tuple[str, str]] = [
    (
        r"at most half of the (\d+) LIS1 positions may be coupled.*",
        "Høyst halvparten av de {0} LIS1-stillingene kan kobles til LIS3",
    ),
    (r"a round needs at least one position", "En runde trenger minst én stilling"),
    (r"coupled positions cannot be negative", "Antall koblede stillinger kan ikke være negativt"),
    (r"LIS1 starts after the application deadline", "LIS1 må starte etter søknadsfristen"),
    (r"a round cannot go from (\w+) to (\w+)", "Runden kan ikke gå fra «{0}» til «{1}»"),
    (
        r"only a round that is offering can finalise",
        "Bare en runde i tilbudsfasen kan få endelig liste",
    ),
    (
        r"(\d+) offer\(s\) are still unanswered and unexpired",
        "{0} tilbud er fortsatt ubesvart og ikke utløpt",
    ),
    (r"the round's list is not final yet", "Rundens liste er ikke endelig ennå"),
    (r"the round's list is already final", "Rundens liste er allerede endelig"),
    (r"the list has already been sent to the forum", "Listen er allerede sendt til forumet"),
    (
        r"only candidates who accepted LIS1 can be sent",
        "Bare kandidater som har takket ja til LIS1, kan sendes",
    ),
    (r"the round is (\w+), not open", "Runden er ikke åpen for søknader"),
    (r"the round is (\w+), not offering", "Runden er ikke i tilbudsfasen"),
    (r"the application deadline has passed", "Søknadsfristen har gått ut"),
    (
        r"all (\d+) coupled positions are already offered",
        "Alle {0} koblede stillinger er allerede tilbudt",
    ),
    (
        r"every position at (.+) is already offered",
        "Alle stillingene ved enheten er allerede tilbudt",
    ),
    (r"the round has no positions at unit .*", "Runden har ingen stillinger ved den enheten"),
    (r"the candidate has already applied to a round", "Kandidaten har allerede søkt i en runde"),
    (r"the candidate already has an offer", "Kandidaten har allerede fått et tilbud"),
    (r"no offer without an interview", "Ingen tilbud uten intervju"),
    (r"no offer has been made", "Det er ikke gitt noe tilbud"),
    (r"the offer is already (\w+)", "Tilbudet er allerede besvart"),
    (r"the offer has expired", "Tilbudet har gått ut"),
    (r"the offer is not open .*", "Tilbudet er ikke åpent lenger"),
    (
        r"the candidate's personal data has been erased.*",
        "Kandidatens personopplysninger er slettet",
    ),
    (
        r"nothing can happen after the application was withdrawn",
        "Kandidaten har trukket seg; ingenting mer kan registreres",
    ),
    (r"the candidate has not applied to a round", "Kandidaten har ikke søkt i noen runde"),
    (r"the candidate applied to another round", "Kandidaten søkte i en annen runde"),
    (r"an offer's answer-by date cannot be in the past", "Svarfristen kan ikke ligge i fortiden"),
    (r"an offer cannot expire in the past", "Tilbudet kan ikke gå ut i fortiden"),
    (r"the invitation is over", "Invitasjonen er allerede avsluttet"),
    (
        r"only an accepted invitation can be held",
        "Bare et akseptert møte kan registreres som gjennomført",
    ),
    (r"a new time is needed", "«nytt tidspunkt» må fylles ut når kandidaten foreslår en ny tid"),
    (r"a new time needs a zone", "«nytt tidspunkt» må ha en tidssone"),
    (r"propose between one and five times", "Foreslå mellom ett og fem tidspunkter"),
    (
        r"training time must be at least (\d+) % of working time",
        "«andel tid til utdanning» må være minst {0} % av arbeidstiden",
    ),
    (r"training time is at most 100 %", "«andel tid til utdanning» kan være høyst 100 %"),
    (r"out-of-hours share is 0–100 %", "«andel legevakt» må være 0–100 %"),
    (r"a patient list is 0–3000 patients", "«listelengde» må være 0–3000 pasienter"),
    (r"the LIS3 post starts after LIS1 ends", "«startdato» må ligge etter at LIS1 slutter"),
    (r"the LIS3 post starts in the future", "«startdato» må ligge i fremtiden"),
    (r"the candidate has withdrawn consent", "Kandidaten har trukket samtykket"),
    (
        r"the candidate has accepted a LIS3 offer",
        "Kandidaten har allerede takket ja til et LIS3-tilbud",
    ),
    (r"consent is already withdrawn", "Samtykket er allerede trukket"),
    (
        r"consent to (\w+) \(text version (\d+)\) is already given",
        "Samtykke til versjon {1} av teksten er allerede gitt",
    ),
    (
        r"consent to (\w+) was given to text version (\d+), not (\d+)",
        "Samtykket ble gitt til versjon {1} av teksten, ikke versjon {2}",
    ),
    (r"there is no consent to (\w+) to withdraw", "Det er ikke gitt noe samtykke som kan trekkes"),
    (r"no consent text for (\w+) version (\S+)", "Det finnes ingen samtykketekst med versjon {1}"),
    (
        r"sharing was withdrawn after the list went to the forum.*",
        "Deling ble trukket etter at listen gikk til forumet; den fornyes ikke",
    ),
    (
        r"a reason may not contain the person's name or contact details",
        "«begrunnelse» kan ikke inneholde personens navn eller kontaktopplysninger",
    ),
    (r"a reason is at most (\d+) characters", "«begrunnelse» kan være høyst {0} tegn"),
    (r"(.+) may not contain a phone number", "Teksten kan ikke inneholde et telefonnummer"),
    (r"(.+) may not contain an e-mail address", "Teksten kan ikke inneholde en e-postadresse"),
    (r".+ is not an e-mail address", "«e-post» er ikke en e-postadresse"),
    (r"a placement names its municipality", "«kommune» må velges for en praksisplass"),
    (r"the subscription has already ended", "Abonnementet er allerede avsluttet"),
    (r"subscribe to at least one event type", "Velg minst én hendelse"),
    (r"unknown event type\(s\): .*", "Ukjent hendelse"),
    (r"the time must lie between .*", "Tidspunktet ligger for langt tilbake eller frem i tid"),
    (r"the date must lie between .*", "Datoen ligger for langt tilbake eller frem i tid"),
    (
        r"a time must carry its time zone|times must carry a time zone",
        "Tidspunktet må ha en tidssone",
    ),
    (r"an event cannot have happened in the future.*", "Det kan ikke ha skjedd i fremtiden"),
    (r"a single line of text may not contain .*", "Teksten må stå på én linje, uten kontrolltegn"),
    (r"expected an ISO 8601 time.*", "Skriv tidspunktet som dato og klokkeslett"),
    (r"a municipality sees its own .*", "En kommune ser bare sine egne sider"),
    (r"webhook subscriptions are the municipality's own", "Abonnementene er kommunens egne"),
    (r"(\w+) must be a date \(YYYY-MM-DD\), not .*", "«{0}» må være en dato (ÅÅÅÅ-MM-DD)"),
    (
        r"(\w+) must be a whole number from (\d+) to (\d+), not .*",
        "«{0}» må være et helt tall fra {1} til {2}",
    ),
    (
        r"as_of and known_at cannot lie in the future",
        "«per dato» og «kjent per» kan ikke ligge i fremtiden",
    ),
    (r"the cursor is not valid", "Lenken til neste side er ikke gyldig"),
    (r"milestones come in order.*", "Milepælene må komme i rekkefølge"),
    (
        r"the (\w+) role may not .*|this belongs to another municipality"
        r"|a municipality acts for itself only",
        "Rollen din har ikke lov til dette",
    ),
    (
        r"vacant \((\d+)\) and held by locums \((\d+)\) together cannot exceed the total "
        r"posts \((\d+)\)",
        "Ledige ({0}) og besatt av vikar ({1}) kan til sammen ikke være flere enn hjemlene ({2})",
    ),
    (
        r"retirements expected \((\d+)\) cannot exceed the posts held by GPs \((-?\d+) = .*\)",
        "Ventede pensjoneringer ({0}) kan ikke være flere enn hjemlene fastleger har ({1})",
    ),
]
_DOMAIN = [(re.compile(pattern + r"\.?$"), text) for pattern, text in DOMAIN]

WEBHOOK_REFUSED = (
    "Adressen ble avvist: den må bruke https, og mottakeren må kunne nås på det åpne "
    "internettet. Interne mottakere må godkjennes av driftsansvarlig."
)


def domain_message(text: str) -> str | None:
    """The Norwegian for one of the domain's messages, or None."""
    text = text.removeprefix("Value error, ").strip()
    for pattern, norwegian_text in _DOMAIN:
        found = pattern.match(text)
        if found:
            return norwegian_text.format(*(FIELD_NAMES.get(g, g) for g in found.groups()))
    return None


def _field(loc: tuple[Any, ...]) -> str:
    name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    return FIELD_NAMES.get(name, name)


def validation_item(item: Any) -> str:
    """One of pydantic's errors: «field» and what is wrong with it, in Norwegian."""
    name = _field(tuple(item.get("loc", ())))
    if item.get("type") == "value_error":
        said = domain_message(str(item.get("msg", "")))
        what = said or "er ugyldig"
        if said and "«" in said:
            return said
        return f"«{name}»: {what}" if name else what
    predicate = VALIDATION.get(str(item.get("type")), "er ugyldig")
    try:
        predicate = predicate.format(**(item.get("ctx") or {}))
    except (KeyError, IndexError):
        predicate = "er ugyldig"
    return f"«{name}» {predicate}" if name else predicate.capitalize()


def norwegian(error: BaseException) -> str:
    """What went wrong, in Norwegian, for a form or an error page."""
    if isinstance(error, (ValidationError, RequestValidationError)):
        return "Sjekk feltene: " + "; ".join(validation_item(i) for i in error.errors()) + "."
    if isinstance(error, DestinationRefused) or str(error).startswith("the URL must be https"):
        return WEBHOOK_REFUSED
    said = domain_message(str(error))
    if isinstance(error, InvariantViolated):
        return f"Kunne ikke lagres: {said or 'det bryter en regel i programmet'}."
    if isinstance(error, InvalidInput):
        return f"Ugyldige opplysninger: {said or 'sjekk det som ble fylt inn'}."
    if isinstance(error, RecordConflictError):
        return "Noen andre endret det samme samtidig. Last siden på nytt og prøv igjen."
    return said or "Forespørselen ble avvist."
