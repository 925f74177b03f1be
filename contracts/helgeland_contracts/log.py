"""Where the pipeline's log lives and how a consumer reads it, a page at a time.

A consumer (the notifications service) needs only the database URL: it reads the pipeline's
notification log through the `eventsourcing` library's recorder and decodes each event with
`codec.decode`, never with the pipeline's classes. A consumer that needs personal fields passes
a key lookup (`helgeland_platform.keystore.KeyStore.key_by_id`).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory
from eventsourcing.utils import Environment

from helgeland_contracts.codec import decode, event_type
from helgeland_contracts.events_v1 import ContactDetailsRecorded, Envelope
from helgeland_contracts.personal import KeyLookup

APPLICATION_NAME = "Pipeline"
# Events that carry personal data are not streamed: a consumer asks for one person's details
# when a message to that person needs them (`LogReader.contact_details`), and keeps none.
NOT_STREAMED = frozenset({"Candidate.ContactDetailsRecorded"})
_CONTACT_TOPIC_END = ":Candidate.ContactDetailsRecorded"


def eventsourcing_env(url: str, schema: str | None = None) -> dict[str, str]:
    """The `eventsourcing` settings for the store at `url` (sqlite:///PATH or postgresql://…)."""
    if not url.startswith(("postgresql:", "postgres:")):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    parts = urlsplit(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/"),
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_SCHEMA": schema or "",
        "POSTGRES_POOL_SIZE": "10",
        "POSTGRES_MAX_OVERFLOW": "10",
        "POSTGRES_LOCK_TIMEOUT": "10",
    }


class LogReader:
    """Reads the public events after a position, in log order."""

    def __init__(self, url: str, schema: str | None = None, keys: KeyLookup | None = None) -> None:
        self.keys = keys  # opens personal fields; without it they read as erased
        env = Environment(APPLICATION_NAME, eventsourcing_env(url, schema))
        self.factory = InfrastructureFactory.construct(env)
        self.recorder: ApplicationRecorder = self.factory.application_recorder()

    def read(self, after: int, limit: int) -> tuple[list[Envelope], int]:
        """Public events after `after`, and the position of the last event read (public or not)."""
        page = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        envelopes = [
            envelope
            for n in page
            if event_type(n.topic) not in NOT_STREAMED
            and (
                envelope := decode(
                    n.topic, n.state, n.id, n.originator_id, n.originator_version, self.keys
                )
            )
        ]
        return envelopes, (page[-1].id if page else after)

    def contact_details(self, candidate_id: str) -> ContactDetailsRecorded | None:
        """The candidate's contact details as the log holds them now, opened with the key
        lookup (None: none recorded, or the person is erased and their key destroyed)."""
        for stored in self.recorder.select_events(UUID(candidate_id), desc=True):
            if stored.topic.endswith(_CONTACT_TOPIC_END):
                found = decode(
                    stored.topic,
                    stored.state,
                    0,
                    stored.originator_id,
                    stored.originator_version,
                    self.keys,
                )
                if found is None or found.erased:
                    return None
                if isinstance(found.data, ContactDetailsRecorded):
                    return found.data
        return None

    def close(self) -> None:
        self.factory.close()
