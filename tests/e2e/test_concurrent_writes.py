"""Concurrent commands on one candidate: the losers get 409 "Concurrent write", never a 500."""

from __future__ import annotations

import asyncio
from uuid import UUID

from helgeland_pipeline.domain.candidates import Candidate

from tests.e2e.api import PROBLEM, Api

WRITERS = 10
ATTEMPTS = 5


async def test_concurrent_interviews_are_saved_or_refused_with_409(api: Api) -> None:
    round_id = await api.open_round()
    cid = await api.register()
    await api.apply(cid, round_id)
    before = await api.read(f"/candidates/{cid}/timeline")

    statuses: list[int] = []
    for attempt in range(ATTEMPTS):
        # The routes are sync and run in the thread pool, so these requests truly race.
        requests = [
            api.post(
                f"/candidates/{cid}/interviews",
                {"interviewer": f"Overlege {attempt}-{n}", "primary_care_interest": 1 + n % 5},
            )
            for n in range(WRITERS)
        ]
        responses = await asyncio.gather(*requests)
        for response in responses:
            assert response.status_code in {200, 409}, response.text
            if response.status_code == 409:
                assert response.headers["content-type"] == PROBLEM
                problem = response.json()
                assert problem["title"] == "Concurrent write"
                assert problem["status"] == 409
                assert problem["detail"]
        statuses += [r.status_code for r in responses]
        if 409 in statuses:
            break
    assert 200 in statuses
    assert 409 in statuses, f"{ATTEMPTS} rounds of {WRITERS} racing writers never collided"

    saved = statuses.count(200)
    after = await api.read(f"/candidates/{cid}/timeline")
    interviews = [e for e in after if e["event_type"] == "Lis1InterviewHeld"]
    assert len(interviews) == saved
    assert len(after) == len(before) + saved
    candidate = await api.read(f"/candidates/{cid}")
    assert candidate["interviews"] == saved
    assert candidate["stage"] == "interviewed"
    # The event store agrees with the read model.
    aggregate: Candidate = api.services.core.app.repository.get(UUID(cid))
    assert isinstance(aggregate, Candidate)
    assert len(aggregate.interview_scores) == saved
