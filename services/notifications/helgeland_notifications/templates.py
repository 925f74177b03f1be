"""Message texts in Norwegian (bokmål) with an English fallback; plain text and HTML parts."""

from __future__ import annotations

import html
from dataclasses import dataclass

# (template, language) -> (subject, body). Bodies use str.format fields.
TEMPLATES: dict[tuple[str, str], tuple[str, str]] = {
    ("forum_list_sent", "nb"): (
        "Helgelandslegen: LIS1-listen for {round} er sendt til forumet",
        "Listen over LIS1-leger i {round} som er interessert i allmennmedisin er nå sendt til "
        "Kommuneoverlegeforum Helgeland ({count} kandidater).\n\nDere kan se kandidatene og "
        "invitere dem i Helgelandslegen.",
    ),
    ("forum_list_sent", "en"): (
        "Helgelandslegen: the LIS1 list for {round} has been sent to the forum",
        "The list of LIS1 doctors in {round} interested in general practice has been sent to "
        "the forum ({count} candidates).\n\nYou can see and invite them in Helgelandslegen.",
    ),
    ("invitation", "nb"): (
        "Invitasjon fra {municipality} kommune",
        "Hei {name}!\n\n{municipality} kommune inviterer deg til {kind}. Foreslått tid: {times}."
        "\n\nSvar gjerne kommuneoverlegen direkte.",
    ),
    ("lis3_offer", "nb"): (
        "Tilbud om LIS3-stilling i {municipality} kommune",
        "Hei {name}!\n\n{municipality} kommune tilbyr deg en LIS3/ALIS-stilling koblet til din "
        "LIS1, med oppstart {start}. Tilbudet gjelder til {expires}.",
    ),
    ("offer_accepted", "nb"): (
        "Helgelandslegen: et LIS3-tilbud er akseptert",
        "En kandidat har akseptert LIS3-tilbudet fra {municipality} kommune. Andre åpne tilbud "
        "til samme kandidat er lukket ({closed}).",
    ),
    ("recertification_due", "nb"): (
        "Resertifisering i allmennmedisin innen {due}",
        "Hei {name}!\n\nSpesialistgodkjenningen i allmennmedisin må fornyes innen {due} "
        "(hvert femte år).",
    ),
    ("recertification_due_municipality", "nb"): (
        "Resertifisering for en av kommunens leger innen {due}",
        "En lege i {municipality} kommune må fornye spesialistgodkjenningen i allmennmedisin "
        "innen {due}.",
    ),
}

KIND_NB = {"interview": "intervju", "tour": "omvisning", "terms_talk": "samtale om lønn og vilkår"}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(template: str, language: str = "nb", **fields: object) -> Rendered:
    """Render in `language`, falling back to English, then to bokmål."""
    for lang in (language, "en", "nb"):
        if (template, lang) in TEMPLATES:
            subject, body = TEMPLATES[(template, lang)]
            break
    else:
        msg = f"no template {template!r}"
        raise KeyError(msg)
    text = body.format(**fields)
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n"))
    page = f"<!doctype html><html lang='{lang}'><body>{paragraphs}</body></html>"
    return Rendered(subject.format(**fields), text, page)
