"""Checks that keep personal data out of text the log holds in the clear.

Organisation-level text (a round's name, the reason recorded for an erasure) is stored plain:
it is not about one person, so it has no person's key. It must therefore not carry personal
data where a check can tell: an e-mail address or a phone number is refused, and a reason for
erasing someone may not name them.
"""

from __future__ import annotations

import re

from helgeland_pipeline.domain.common import require_valid

_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
# Eight or more digits, possibly grouped by single spaces or dots, with an optional +country
# (a Norwegian number is eight digits: 91234567, 912 34 567, +47 91 23 45 67).
_PHONE = re.compile(r"(?:\+\d{1,3}[ .]?)?(?<!\d)(?:\d[ .]?){7,}\d")
ERASURE_REASON_MAX = 300


def check_not_personal(text: str, what: str) -> None:
    """Refuse an e-mail address or a phone number in organisation-level text."""
    require_valid(not _EMAIL.search(text), f"{what} may not contain an e-mail address")
    require_valid(not _PHONE.search(text), f"{what} may not contain a phone number")


def check_erasure_reason(reason: str, own_data: list[str]) -> None:
    """A reason is one bounded line, without the person's own name, address or phone."""
    require_valid(bool(reason.strip()), "a reason is required")
    require_valid(
        len(reason) <= ERASURE_REASON_MAX,
        f"a reason is at most {ERASURE_REASON_MAX} characters",
    )
    require_valid(
        all(c.isprintable() for c in reason), "a reason is one line of printable characters"
    )
    check_not_personal(reason, "a reason")
    folded = reason.casefold()
    words = set(re.findall(r"\w+", folded))
    for value in own_data:
        # The whole text anywhere; each part of a name as a word of its own ("Dag" is refused
        # in "Dag ba om det", not in "dager").
        parts = [] if "@" in value else re.findall(r"\w+", value.casefold())
        named = value.casefold() in folded or any(p in words for p in parts if len(p) > 1)
        require_valid(not named, "a reason may not contain the person's name or contact details")
