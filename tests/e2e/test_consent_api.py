"""Consent over HTTP: the texts, giving and withdrawing per purpose naming the version, and a
withdrawal seen at once in every view; and read models that hold names only where their
readers may see them."""

from __future__ import annotations

from typing import Any

from helgeland_pipeline.domain.common import Role
from helgeland_pipeline.readside.forum.tables import people
from sqlalchemy import select

from tests.e2e.api import PROBLEM, Api
from tests.factories import RANA, forum_list


def forum_people(api: Api) -> dict[str, Any]:
    with api.services.core.engine.connect() as conn:
        return {row.candidate_id: row for row in conn.execute(select(people)).all()}


async def test_every_signed_in_role_reads_the_consent_texts(api: Api) -> None:
    for role in (r for r in Role if r != Role.CANDIDATE):  # a candidate has no token
        municipality = RANA if role == Role.MUNICIPALITY else None
        answer = await api.client.get(
            "/consent-texts", headers=api.auth(role, municipality=municipality)
        )
        assert answer.status_code == 200, answer.text
        texts = answer.json()
        assert {(t["purpose"], t["version"]) for t in texts} >= {
            ("forum_sharing", 1),
            ("forum_sharing", 2),
            ("evaluation_contact", 1),
        }
        assert all(t["text"] and t["valid_from"] for t in texts)
    assert (await api.client.get("/consent-texts")).status_code == 401


async def test_a_version_that_does_not_exist_is_refused_and_nothing_is_written(api: Api) -> None:
    cid = await api.register("Kari Nordmann")
    before = api.log_position()
    for body in (
        {"purpose": "forum_sharing", "version": 9, "given": True},
        {"purpose": "evaluation_contact", "version": 3, "given": True},
        {"purpose": "nothing", "version": 1, "given": True},
        {"purpose": "forum_sharing", "version": 0, "given": True},
    ):
        answer = await api.post(f"/candidates/{cid}/consents", body)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == PROBLEM
    answer = await api.post(
        f"/candidates/{cid}/application",
        {
            "round_id": await api.open_round(),
            "preference": "hospital",
            "consent_to_share": True,
            "consent_text_version": 7,
        },
    )
    assert answer.status_code == 422, answer.text
    assert "version 7" in answer.json()["detail"]
    # A withdrawal of a consent not held is a conflict, not a write.
    answer = await api.post(
        f"/candidates/{cid}/consents",
        {"purpose": "evaluation_contact", "version": 1, "given": False},
    )
    assert answer.status_code == 409, answer.text
    assert api.log_position() == before + 1  # only the round


async def test_consents_per_purpose_show_in_the_recruiters_view_and_timeline(api: Api) -> None:
    rid = await api.open_round()
    cid = await api.register("Kari Nordmann")
    await api.apply(cid, rid, consent_text_version=1)
    shown = await api.read(f"/candidates/{cid}")
    assert shown["consent_to_share"] is True
    assert shown["consents"]["forum_sharing"]["version"] == 1

    await api.command(
        f"/candidates/{cid}/consents",
        {"purpose": "evaluation_contact", "version": 1, "given": True},
    )
    await api.command(
        f"/candidates/{cid}/consents", {"purpose": "forum_sharing", "version": 2, "given": True}
    )
    shown = await api.read(f"/candidates/{cid}")
    assert {p: c["version"] for p, c in shown["consents"].items()} == {
        "forum_sharing": 2,
        "evaluation_contact": 1,
    }
    await api.command(
        f"/candidates/{cid}/consents", {"purpose": "forum_sharing", "version": 2, "given": False}
    )
    shown = await api.read(f"/candidates/{cid}")
    assert shown["consent_to_share"] is False
    assert set(shown["consents"]) == {"evaluation_contact"}
    timeline = await api.read(f"/candidates/{cid}/timeline")
    consent_steps = [
        (e["event_type"], e["details"]["purpose"], e["details"]["version"])
        for e in timeline
        if e["event_type"].startswith("Consent")
    ]
    assert consent_steps == [
        ("ConsentGiven", "evaluation_contact", 1),
        ("ConsentGiven", "forum_sharing", 2),
        ("ConsentWithdrawn", "forum_sharing", 2),
    ]


async def test_withdrawal_is_seen_at_once_in_every_view_and_clears_the_forums_copy(
    api: Api,
) -> None:
    app = api.services.core.app
    fl = forum_list(app, shared=2)
    api.services.core.wait_for(fl.last)
    kari, ola = fl.shared
    municipality = api.auth(Role.MUNICIPALITY, municipality=RANA)
    rows = forum_people(api)
    # Minimisation: names and contact details only for the candidates currently shared.
    for cid in fl.not_shared:
        assert (rows[str(cid)].name, rows[str(cid)].email, rows[str(cid)].phone) == (None,) * 3
    assert rows[str(kari)].name is not None
    assert rows[str(kari)].email is not None
    kari_name = rows[str(kari)].name

    # The recruiter records the withdrawal of the consent given (to the text then in force).
    version = (await api.read(f"/candidates/{kari}"))["consents"]["forum_sharing"]["version"]
    await api.command(
        f"/candidates/{kari}/consents",
        {"purpose": "forum_sharing", "version": version, "given": False},
    )
    # No read model is asked to catch up here: the answer came once both had applied it.
    recruiter_view = await api.read(f"/candidates/{kari}")
    assert recruiter_view["consent_to_share"] is False
    coupling = {c["candidate_id"]: c for c in await api.read(f"/rounds/{fl.round_id}/coupling")}
    assert coupling[str(kari)]["consent_withdrawn"] is True
    listed = (await api.client.get("/forum/candidates", headers=municipality)).json()
    assert [c["candidate_id"] for c in listed] == [str(ola)]
    board = (await api.client.get("/forum/board", headers=municipality)).text
    assert str(kari) not in board
    assert kari_name not in board
    single = await api.client.get(f"/forum/candidates/{kari}", headers=municipality)
    assert single.status_code == 404
    row = forum_people(api)[str(kari)]
    assert (row.name, row.email, row.phone) == (None, None, None)
    # Sharing is not renewed behind the forum's back once the list was sent.
    again = await api.post(
        f"/candidates/{kari}/consents", {"purpose": "forum_sharing", "version": 2, "given": True}
    )
    assert again.status_code == 409, again.text


async def test_a_correction_reaches_the_forum_only_while_the_candidate_is_shared(
    api: Api,
) -> None:
    app = api.services.core.app
    fl = forum_list(app, shared=1)
    (kari,) = fl.shared
    for cid, name in ((kari, "Kari Rettet"), (fl.no_consent, "Aldri Delt")):
        answer = await api.client.put(
            f"/candidates/{cid}/contact-details",
            json={"name": name, "email": "ny@example.no"},
            headers=api.auth(),
        )
        assert answer.status_code == 200, answer.text
    api.services.core.catch_up()
    rows = forum_people(api)
    assert rows[str(kari)].name == "Kari Rettet"
    assert rows[str(fl.no_consent)].name is None
