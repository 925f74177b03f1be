"""The e-mail templates (Jinja2, shipped with the package): bokmål by default, English as the
fallback for a language they lack, a plain-text and an autoescaped HTML part, no value left out.
"""

from __future__ import annotations

from html.parser import HTMLParser
from importlib import resources

import pytest
from helgeland_notifications.templates import render
from jinja2 import UndefinedError

CONTACT = {"municipality": "Rana", "email": "kommuneoverlege@rana.example"}
URL = "https://helgelandslegen.test"
TERMS = {
    "training_share": 20,
    "supervision": "veileder Per Hansen, veiledningsgruppe Rana ALIS",
    "pay_model": "fast lønn",
    "out_of_hours_share": 15,
    "list_length": 800,
}
OFFER: dict[str, object] = {
    "name": "Kari",
    "municipality": "Rana",
    "start": "01.03.2029",
    "expires": "01.02.2027",
    "terms": TERMS,
    "contact": CONTACT,
    "answer_link": f"{URL}/svar/v1.abc.def",
    "answer_by": "01.02.2027",
}
FIELDS: dict[str, dict[str, object]] = {
    "forum_list_sent": {
        "round": "LIS1 vår 2027",
        "count": 3,
        "link": f"{URL}/forum/candidates",
        "service_url": URL,
    },
    "invitation": {
        "name": "Kari",
        "municipality": "Rana",
        "kind": "omvisning",
        "times": "20.01.2027 kl. 10:00",
        "location": None,
        "calendar": False,
        "contact": CONTACT,
        "answer_link": None,
        "answer_by": "20.01.2027 kl. 10:00",
    },
    "lis3_offer": OFFER,
    "lis3_offer_reminder": OFFER,
    "candidate_answered": {
        "candidate": "Kari Nordmann",
        "what": "invitasjonen til intervju",
        "answer": "foreslår en annen tid",
        "new_time": "01.02.2027 kl. 10:00",
        "municipality": "Rana",
        "link": f"{URL}/kommune/1833",
        "service_url": URL,
    },
    "offer_accepted": {
        "municipality": "Rana",
        "closed": "Vefsn",
        "link": f"{URL}/forum/board",
        "service_url": URL,
    },
    "recertification_due": {"name": "Kari", "due": "2031-05-01"},
    "recertification_due_municipality": {
        "name": "Kari",
        "municipality": "Rana",
        "due": "2031-05-01",
        "service_url": URL,
    },
}


class Page(HTMLParser):
    """The HTML part read back: its tags, its links and its text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[str] = []
        self.lang: str | None = None
        self.chunks: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        if tag == "a":
            self.links.append(found.get("href") or "")

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.chunks).split())


def test_every_message_has_both_parts_in_bokmal_and_is_shipped_with_the_package() -> None:
    folder = resources.files("helgeland_notifications").joinpath("mail", "nb")
    shipped = {p.name.removesuffix(".subject.txt") for p in folder.iterdir()}
    assert set(FIELDS) <= shipped
    for template, fields in FIELDS.items():
        message = render(template, "nb", **fields)
        assert message.language == "nb"
        assert message.subject
        assert "\n" not in message.subject
        assert "{" not in message.subject + message.text + message.html
        page = Page(message.html)
        assert page.lang == "nb"
        assert page.tags[:4] == ["html", "head", "meta", "title"]
        # The same words in both parts (the text part's lines are the HTML part's paragraphs).
        words = " ".join(message.text.replace("--", "").split())
        assert words.replace(" ", "") == page.text.replace(message.subject, "", 1).replace(" ", "")


def test_bokmal_is_the_default() -> None:
    message = render("forum_list_sent", "nb", **FIELDS["forum_list_sent"])
    assert message.subject == "Helgelandslegen: LIS1-listen for LIS1 vår 2027 er sendt til forumet"
    assert "Kommuneoverlegeforum Helgeland (3 kandidater)" in message.text


@pytest.mark.parametrize("language", ["de", "sv", "xx"])
def test_an_unknown_language_falls_back_to_english(language: str) -> None:
    message = render("forum_list_sent", language, **FIELDS["forum_list_sent"])
    assert message.subject == (
        "Helgelandslegen: the LIS1 list for LIS1 vår 2027 has been sent to the forum"
    )
    assert "the forum (3 candidates)" in message.text
    assert Page(message.html).lang == "en"
    assert "kandidater" not in message.text + message.html


def test_a_template_without_english_falls_back_to_bokmal() -> None:
    message = render("invitation", "de", **FIELDS["invitation"])
    assert message.subject == "Invitasjon fra Rana kommune"
    assert Page(message.html).lang == "nb"


def test_an_unknown_template_is_an_error() -> None:
    with pytest.raises(KeyError, match="no_such_template"):
        render("no_such_template", "nb")


def test_a_value_left_out_is_an_error_not_a_gap() -> None:
    fields = dict(FIELDS["invitation"])
    del fields["contact"]
    with pytest.raises(UndefinedError, match="contact"):
        render("invitation", "nb", **fields)


def test_the_candidate_is_given_the_chief_physician_and_the_forum_a_link() -> None:
    invitation = render("invitation", "nb", **FIELDS["invitation"])
    assert "Kontakt: kommuneoverlegen i Rana kommune, kommuneoverlege@rana.example" in (
        invitation.text
    )
    assert Page(invitation.html).links == ["mailto:kommuneoverlege@rana.example"]
    offer = render("lis3_offer", "nb", **FIELDS["lis3_offer"])
    assert "kommuneoverlege@rana.example" in offer.text
    assert Page(offer.html).links == [
        f"{URL}/svar/v1.abc.def",
        "mailto:kommuneoverlege@rana.example",
    ]
    listed = render("forum_list_sent", "nb", **FIELDS["forum_list_sent"])
    assert f"{URL}/forum/candidates" in listed.text
    assert Page(listed.html).links == [f"{URL}/forum/candidates", URL]


def test_the_html_part_escapes_every_value_and_the_text_part_keeps_it() -> None:
    hostile = "<script>alert('x')</script> & \"Ola\""
    fields = dict(FIELDS["invitation"])
    fields |= {"name": hostile, "municipality": "Rana<img src=x onerror=alert(1)>"}
    fields["contact"] = {"municipality": "<b>Rana</b>", "email": 'a@b.example"><script>'}
    message = render("invitation", "nb", **fields)
    assert f"Hei {hostile}!" in message.text
    page = Page(message.html)
    # Only the template's own markup: no tag or attribute came from a value.
    assert set(page.tags) == {"html", "head", "meta", "title", "body", "p", "a"}
    assert page.links == ['mailto:a@b.example"><script>']
    assert f"Hei {hostile}!" in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;Ola&#34;" in message.html
    # The subject is a header: one line, whatever the value held.
    multi = render("invitation", "nb", **(fields | {"municipality": "Rana\r\nBcc: x@y"}))
    assert "\n" not in multi.subject
    assert "\r" not in multi.subject


def test_the_offer_states_its_terms_in_both_parts() -> None:
    offer = render("lis3_offer", "nb", **FIELDS["lis3_offer"])
    for line in (
        "Tid til utdanning: 20 % av arbeidstiden",
        "Veiledning: veileder Per Hansen, veiledningsgruppe Rana ALIS",
        "Lønnsmodell: fast lønn",
        "Legevakt: 15 % av arbeidstiden",
        "Listelengde: 800 pasienter",
        "Oppstart: 01.03.2029",
    ):
        assert line in offer.text
        assert line in Page(offer.html).text
    assert "Svar her (uten innlogging" in offer.text
