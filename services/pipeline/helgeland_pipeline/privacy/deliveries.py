"""The notifications service's deliveries about a person, fetched from its own API.

The notifications service keeps its own tables; the pipeline never reads them. It asks the
service's `GET /deliveries/about/{candidate_id}` with its own bearer token (admin role), so
each service stays the only reader of its store.
"""

from __future__ import annotations

from uuid import UUID

import httpx
from helgeland_contracts.privacy_v1 import Deliveries


class DeliveriesUnavailable(Exception):
    """The notifications service is configured but did not answer (maps to 503)."""


class DeliveriesClient:
    def __init__(
        self, url: str | None, token: str | None, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.url = url.rstrip("/") if url else None
        self.token = token
        self.transport = transport

    async def about(self, candidate_id: UUID) -> Deliveries:
        if self.url is None or self.token is None:
            return Deliveries(
                available=False,
                reason="no notifications service configured (HELGELAND_NOTIFICATIONS_URL, "
                "HELGELAND_NOTIFICATIONS_TOKEN)",
            )
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            async with httpx.AsyncClient(transport=self.transport, timeout=10.0) as client:
                answer = await client.get(
                    f"{self.url}/deliveries/about/{candidate_id}", headers=headers
                )
        except httpx.HTTPError as error:
            msg = f"the notifications service did not answer ({type(error).__name__})"
            raise DeliveriesUnavailable(msg) from None
        if answer.status_code != httpx.codes.OK:
            msg = f"the notifications service answered {answer.status_code}"
            raise DeliveriesUnavailable(msg)
        return Deliveries(available=True, items=list(answer.json()))
