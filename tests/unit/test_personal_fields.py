"""Every text field of every event is declared personal (sealed) or not, with a reason.

A new event, or a new field, that carries text fails here until someone decides: sealed with
the person's key (`privacy.fields.SEALED`) or plain, and why (`privacy.fields.PLAIN`).
"""

from __future__ import annotations

import pytest
from helgeland_pipeline.domain.common import InvalidInput
from helgeland_pipeline.domain.personal import check_erasure_reason, check_not_personal
from helgeland_pipeline.privacy.fields import PLAIN, SEALED, event_classes, fields_of

TEXT_TYPES = ("str", "dict", "Any")


def test_every_text_field_of_every_event_is_declared() -> None:
    undeclared = []
    for name, cls in sorted(event_classes().items()):
        sealed = {path.partition(".")[0] for path in SEALED.get(name, {})}
        plain = set(PLAIN.get(name, {}))
        for field, kind in fields_of(cls).items():
            if field == "stamp":
                continue  # the acting staff member and the times (`Stamp`), not a candidate's
            if any(t in kind for t in TEXT_TYPES) and field not in sealed | plain:
                undeclared.append(f"{name}.{field}: {kind}")
    assert undeclared == [], "declare these in privacy.fields (SEALED or PLAIN)"


def test_declarations_name_real_events_and_fields() -> None:
    classes = event_classes()
    stale = []
    for table in (SEALED, PLAIN):
        for name, fields in table.items():
            if name not in classes:
                stale.append(name)
                continue
            known = fields_of(classes[name])
            stale += [f"{name}.{f}" for f in fields if f.partition(".")[0] not in known]
    assert stale == []
    assert all(reason.strip() for fields in PLAIN.values() for reason in fields.values())


def test_a_field_is_never_both_sealed_and_plain() -> None:
    both = [
        f"{name}.{path}"
        for name, fields in SEALED.items()
        for path in fields
        if path in PLAIN.get(name, {})
    ]
    assert both == []


def test_the_known_personal_fields_are_sealed() -> None:
    assert set(SEALED["Candidate.ContactDetailsRecorded"]) == {"name", "email", "phone"}
    assert "notes" in SEALED["Candidate.Lis1InterviewHeld"]
    assert "reason" in SEALED["Candidate.ApplicationWithdrawn"]
    assert "terms.supervisor" in SEALED["ForumCandidacy.Lis3Offered"]
    assert "supervisor" in SEALED["Career.SupervisorAssigned"]
    assert "note" in SEALED["Career.Left"]


@pytest.mark.parametrize(
    "text",
    ["LIS1 kari@example.no", "LIS1 ring 912 34 567", "LIS1 +47 91234567", "LIS1 91.23.45.67"],
)
def test_organisation_text_refuses_contact_details(text: str) -> None:
    with pytest.raises(InvalidInput):
        check_not_personal(text, "a round's name")


@pytest.mark.parametrize("text", ["LIS1 høst 2027", "LIS1 vår 2027/2028", "Runde 12"])
def test_organisation_text_keeps_ordinary_names(text: str) -> None:
    check_not_personal(text, "a round's name")


@pytest.mark.parametrize(
    "reason",
    [
        "",
        "Kari ba om sletting",
        "sletting for kari nordmann",
        "se kari@example.no",
        "linje én\nlinje to",
        "x" * 301,
    ],
)
def test_an_erasure_reason_is_one_line_without_the_persons_data(reason: str) -> None:
    with pytest.raises(InvalidInput):
        check_erasure_reason(reason, ["Kari Nordmann", "kari@example.no"])


def test_an_erasure_reason_may_say_why() -> None:
    check_erasure_reason("Kandidaten ba om sletting, sak 2027/113", ["Kari Nordmann", "k@x.no"])
