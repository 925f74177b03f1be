"""Which event fields carry personal data, declared per event class.

Every text field of every event is declared here: either `SEALED` (stored encrypted with the
key of the person the event is about; what readers see once that person is erased) or `PLAIN`
(with the reason it is not personal data). A test fails when an event has a text field that is
in neither, so a new event cannot slip personal data into the log in the clear.

A field inside a dictionary is named with a dot (`terms.supervisor`).
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, DomainEvent
from helgeland_contracts.personal import ERASED

from helgeland_pipeline.domain.candidates import Candidate
from helgeland_pipeline.domain.career import Career
from helgeland_pipeline.domain.forum import ForumCandidacy
from helgeland_pipeline.domain.gp_posts import GpPosts
from helgeland_pipeline.domain.placements import PlacementCapacity
from helgeland_pipeline.domain.rounds import Lis1Round
from helgeland_pipeline.domain.webhooks import WebhookSubscription

AGGREGATES: tuple[type[Aggregate], ...] = (
    Candidate,
    ForumCandidacy,
    Career,
    Lis1Round,
    PlacementCapacity,
    WebhookSubscription,
    GpPosts,
)

TEXT, OPTIONAL = ERASED, None  # erased: the marker for a text, nothing for an optional one

# event -> field -> what a reader gets once the person is erased
SEALED: dict[str, dict[str, str | None]] = {
    "Candidate.ContactDetailsRecorded": {"name": TEXT, "email": TEXT, "phone": OPTIONAL},
    "Candidate.Lis1InterviewHeld": {"interviewer": TEXT, "notes": TEXT},
    "Candidate.ApplicationWithdrawn": {"reason": TEXT},
    "ForumCandidacy.Lis3Offered": {"terms.supervisor": TEXT, "terms.supervision_group": TEXT},
    "Career.SupervisorAssigned": {"supervisor": TEXT},
    "Career.SupervisionGroupJoined": {"group": TEXT},
    "Career.Left": {"note": TEXT},
    "Career.DroppedOut": {"note": TEXT},
    "ForumCandidacy.DroppedOutBeforeLis3": {"note": TEXT},
    # A corrected supervisor or supervision group (a name), and the correction's free text.
    "Career.MilestoneCorrected": {"value": OPTIONAL, "reason": TEXT},
}

_CODE = "a code from a fixed list"
_ID = "an identifier (a pseudonym, not a name)"
_MUNICIPALITY = "a municipality's number"
_UNIT = "a hospital unit's code"
_POSTS = "a municipality's count of GP posts: an organisation-level number, about no person"

# event -> field -> why it is not personal data
PLAIN: dict[str, dict[str, str]] = {
    "Candidate.StudentContacted": {"kind": _CODE, "municipality": _MUNICIPALITY},
    "Candidate.Lis1ApplicationSubmitted": {
        "round_id": _ID,
        "preference": _CODE,
        "local_connection": "codes from a fixed list (facts kept for evaluation)",
    },
    "Candidate.Lis1Offered": {"unit": _UNIT},
    "Candidate.ConsentGiven": {"purpose": _CODE},
    "Candidate.ConsentWithdrawn": {"purpose": _CODE},
    "Candidate.Erased": {
        "reason": "one line, refused when it holds an e-mail, a phone number or the person's "
        "own name or contact details (`domain.personal.check_erasure_reason`)",
        "basis": _CODE,
    },
    "ForumCandidacy.Shared": {"candidate_id": _ID, "round_id": _ID},
    "ForumCandidacy.InvitationSent": {
        "invitation_id": _ID,
        "municipality": _MUNICIPALITY,
        "kind": _CODE,
        "location": "an office's address (organisation-level); refused when it holds an "
        "e-mail or a phone number (`domain.personal.check_not_personal`)",
    },
    "ForumCandidacy.InvitationAnswered": {"invitation_id": _ID, "answer": _CODE},
    "ForumCandidacy.MeetingHeld": {"invitation_id": _ID},
    "ForumCandidacy.Lis3Offered": {
        "offer_id": _ID,
        "municipality": _MUNICIPALITY,
        "terms": "numbers and codes; its texts (supervisor, supervision_group) are SEALED",
    },
    "ForumCandidacy.Lis3OfferWithdrawn": {"offer_id": _ID},
    "ForumCandidacy.Lis3OfferDeclined": {"offer_id": _ID},
    "ForumCandidacy.Lis3OfferAccepted": {
        "offer_id": _ID,
        "municipality": _MUNICIPALITY,
        "closed_offers": _ID,
    },
    "Career.Lis1Started": {"candidate_id": _ID, "unit": _UNIT},
    "Career.Lis1PartStarted": {"part": _CODE},
    "Career.Lis1PartCompleted": {"part": _CODE},
    "Career.Lis3Started": {"municipality": _MUNICIPALITY},
    "Career.MovedWithinHelgeland": {
        "from_municipality": _MUNICIPALITY,
        "to_municipality": _MUNICIPALITY,
    },
    "Career.Left": {"municipality": _MUNICIPALITY, "reason": _CODE, "destination": _CODE},
    "Career.Returned": {"municipality": _MUNICIPALITY},
    "Career.DroppedOut": {"phase": _CODE, "reason": _CODE},
    "ForumCandidacy.DroppedOutBeforeLis3": {
        "offer_id": _ID,
        "municipality": _MUNICIPALITY,
        "reason": _CODE,
    },
    "Career.MilestoneCorrected": {"kind": "the corrected milestone's event type"},
    "Lis1Round.Opened": {
        "name": "organisation-level; refused when it holds an e-mail or a phone number "
        "(`domain.personal.check_not_personal`)",
        "positions": "unit codes and numbers",
    },
    "PlacementCapacity.Registered": {"municipality": _MUNICIPALITY},
    "PlacementCapacity.CapacityRecorded": {"municipality": _MUNICIPALITY},
    "Lis1Round.Advanced": {"status": _CODE},
    "Lis1Round.OfferHeld": {"candidate_id": _ID, "unit": _UNIT},
    "Lis1Round.OfferConfirmed": {"candidate_id": _ID},
    "Lis1Round.OfferReleased": {"candidate_id": _ID},
    "Lis1Round.ListSentToForum": {"candidate_ids": _ID},
    "GpPosts.Started": {"municipality": _MUNICIPALITY},
    "GpPosts.PostsReported": {
        "municipality": _MUNICIPALITY,
        "as_of": "the date the counts describe",
        "total": _POSTS,
        "vacant": _POSTS,
        "held_by_locums": _POSTS,
        "retirements_expected": _POSTS,
        "corrects_earlier": "whether an earlier report for the same date is corrected",
    },
    "WebhookSubscription.Subscribed": {
        "organisation": "the subscribing organisation, from its token",
        "role": _CODE,
        "municipality": _MUNICIPALITY,
        "url": "an organisation's receiver",
        "event_types": _CODE,
        "sealed_secret": "sealed with the webhook sealing key (`helgeland_contracts.sealing`)",
    },
}

# Fields every event of the library has; none holds personal data.
LIBRARY_FIELDS = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})


def event_classes() -> dict[str, type[DomainEvent]]:
    """Every event class of every aggregate, as `Aggregate.Event`."""
    found: dict[str, type[DomainEvent]] = {}
    for aggregate in AGGREGATES:
        for name, value in vars(aggregate).items():
            if (
                isinstance(value, type)
                and issubclass(value, DomainEvent)
                and value.__qualname__ == f"{aggregate.__name__}.{name}"
                and name not in {"Event", "Created"}
            ):
                found[f"{aggregate.__name__}.{name}"] = value
    return found


def fields_of(event_class: type[Any]) -> dict[str, str]:
    """An event class's fields and their annotations (as written), the library's left out."""
    annotations: dict[str, str] = {}
    for cls in reversed(event_class.__mro__):
        for name, kind in getattr(cls, "__annotations__", {}).items():
            annotations[name] = str(kind)
    return {
        name: kind
        for name, kind in annotations.items()
        if name not in LIBRARY_FIELDS and not kind.startswith("ClassVar")
    }


def sealed_by_class() -> dict[type[Any], dict[str, str | None]]:
    classes = event_classes()
    return {classes[name]: fields for name, fields in SEALED.items()}


def person_of(aggregate: object) -> str | None:
    """Whose personal data an aggregate's events carry: the candidate's id."""
    if isinstance(aggregate, Candidate):
        return str(aggregate.id)
    if isinstance(aggregate, ForumCandidacy | Career):
        return str(aggregate.candidate_id)
    return None
