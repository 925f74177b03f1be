"""Message texts from Jinja2 templates: bokmål with an English fallback, plain text and HTML.

The templates ship with the package in `mail/<language>/`: `<name>.subject.txt`, `<name>.txt`
(the plain-text part) and `<name>.html` (the HTML part, autoescaped: a name or a round's name
can never become markup). A value a template does not get is an error, never an empty gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, select_autoescape

KIND_NB = {"interview": "intervju", "tour": "omvisning", "terms_talk": "samtale om lønn og vilkår"}
FALLBACK = ("en", "nb")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    language: str


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("helgeland_notifications", "mail"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render(template: str, language: str = "nb", **fields: object) -> Rendered:
    """Render in `language`, falling back to English, then to bokmål."""
    env = environment()
    for lang in dict.fromkeys((language, *FALLBACK)):
        try:
            subject = env.get_template(f"{lang}/{template}.subject.txt")
        except TemplateNotFound:
            continue
        context = {**fields, "lang": lang}
        title = " ".join(subject.render(context).split())  # one line: it becomes a header
        text = env.get_template(f"{lang}/{template}.txt").render(context)
        page = env.get_template(f"{lang}/{template}.html").render({**context, "subject": title})
        return Rendered(title, _tidy(text), _tidy(page), lang)
    msg = f"no template {template!r}"
    raise KeyError(msg)


def _tidy(text: str) -> str:
    """At most one empty line in a row, and one newline at the end."""
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
