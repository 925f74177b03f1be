"""Whatever a client sends, the API refuses it and writes nothing, or every read model holds it.

Properties over the HTTP API, on SQLite and on PostgreSQL: a valid command with one of its
free fields replaced by a generated value (a time of any year and odd offset, text of any code
point with control characters and lone surrogates, an integer far beyond any column) is
answered either 4xx with the log unchanged, or 2xx and then every read model catches up.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.settings import Settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.api import Api

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@dataclass(frozen=True)
class Command:
    """A request. In the path, `{candidate}` is the pipeline's applicant and `{fresh}` a
    candidate registered for this command alone."""

    method: str
    path: str
    body: dict[str, Any]

    def with_field(self, name: str, value: Any) -> Command:
        return Command(self.method, self.path, {**self.body, name: value})


KARI = {"name": "Kari Nordmann", "email": "kari@example.no", "phone": "+47 900 00 000"}
REGISTER = Command("POST", "/candidates", KARI)
DETAILS = Command("PUT", "/candidates/{candidate}/contact-details", KARI)
CONTACT = Command(
    "POST", "/candidates/{candidate}/contacts", {"kind": "placement", "municipality": "1833"}
)
INTERVIEW = Command(
    "POST",
    "/candidates/{candidate}/interviews",
    {"interviewer": "Overlege Hansen", "primary_care_interest": 4, "notes": "God samtale"},
)
WITHDRAW = Command("POST", "/candidates/{fresh}/withdraw", {"reason": "valgte Tromsø"})
ROUND = Command(
    "POST",
    "/rounds",
    {
        "name": "LIS1 høst 2030",
        "positions": {"rana": 2, "mosjoen": 2},
        "coupled_positions": 2,
        "application_deadline": "2030-03-01",
        "lis1_starts_on": "2030-09-01",
    },
)
SUBSCRIBE = Command(
    "POST",
    "/webhooks/subscriptions",
    {"url": "https://kommune.example:8443/hook", "event_types": ["forum_list_sent"]},
)

# --- generated values ---------------------------------------------------------------------------

ZONES = st.sampled_from(
    [UTC, *(timezone(timedelta(minutes=m)) for m in (840, -720, 1439, -1439, 345))]
)
MOMENT = st.one_of(
    st.just("0001-01-01T00:00:00+14:00"),  # the attack: UTC conversion overflows
    st.sampled_from(
        [
            "9999-12-31T23:59:59-14:00",
            "1950-01-01T00:00:00Z",
            "1949-12-31T23:59:59.999999Z",
            "2024-02-29T12:00:00+14:00",
            "2024-06-30T23:59:00",
            "",
        ]
    ),
    st.datetimes(timezones=ZONES).map(datetime.isoformat),  # year 1 to 9999
    st.datetimes(datetime(1949, 12, 31), datetime(2025, 1, 1), timezones=ZONES).map(
        datetime.isoformat
    ),
)
DAY = st.one_of(
    st.sampled_from(["0001-01-01", "9999-12-31", "1950-01-01", "1949-12-31", "2030-02-30"]),
    st.dates().map(date.isoformat),
    st.dates(date(1949, 12, 25), date(2040, 1, 1)).map(date.isoformat),
)
CONTROL = "\x00\x01\x1b\t\n\r\x7f\x85\x9f"
TEXT = st.one_of(
    st.just("Kari\x00Nordmann"),  # the attack: PostgreSQL text cannot hold a NUL
    st.text(st.sampled_from(f"{CONTROL}aé "), min_size=1, max_size=8),
    st.text(st.sampled_from("\ud800\udbff\udc00\udfff\ufeffa"), min_size=1, max_size=4),
    st.text(st.characters(exclude_categories=()), max_size=40),  # any code point
    st.text("ab", min_size=195, max_size=205),
)
INTEGER = st.one_of(
    st.just(99999999999),  # the attack: beyond PostgreSQL's integer
    st.integers(-2, 6),
    st.integers(-(2**70), 2**70),
    st.sampled_from([1000, 1001, 2**31 - 1, 2**31, -(2**31) - 1, 2**63]),
)


def replaced(
    commands: list[Command], fields: list[str], values: st.SearchStrategy[Any]
) -> st.SearchStrategy[Command]:
    """One of `commands` with one of its `fields` set to a generated value."""
    return st.builds(
        lambda c, name, value: c.with_field(name, value),
        st.sampled_from(commands),
        st.sampled_from(fields),
        values,
    )


TIMES = st.one_of(
    replaced([REGISTER, CONTACT, INTERVIEW, WITHDRAW, ROUND], ["occurred_at"], MOMENT),
    replaced([ROUND], ["application_deadline", "lis1_starts_on"], DAY),
)
TEXTS = st.one_of(
    replaced([REGISTER, DETAILS], ["name", "email", "phone"], TEXT),
    replaced([REGISTER, DETAILS], ["email"], st.builds("{}@example.no".format, TEXT)),
    replaced([INTERVIEW], ["interviewer", "notes"], TEXT),
    replaced([WITHDRAW], ["reason"], TEXT),
    replaced([CONTACT], ["municipality"], TEXT),
    replaced([ROUND], ["name"], TEXT),
    replaced([ROUND], ["positions"], st.dictionaries(TEXT, st.just(2), min_size=1, max_size=2)),
    replaced([SUBSCRIBE], ["url"], st.builds("https://kommune.example:8443/{}".format, TEXT)),
)
INTEGERS = st.one_of(
    # As many positions as the coupling needs, so the programme's rule does not refuse it.
    st.builds(
        lambda n: ROUND.with_field("positions", {"rana": 2 * abs(n)}).with_field(
            "coupled_positions", n
        ),
        INTEGER,
    ),
    replaced(
        [ROUND.with_field("coupled_positions", 0)],
        ["positions"],
        INTEGER.map(lambda n: {"rana": n}),
    ),
    replaced([INTERVIEW], ["primary_care_interest"], INTEGER),
)

# --- the pipeline under test -------------------------------------------------------------------


@dataclass
class Pipeline:
    """The app over HTTP, with an open round and a candidate who applied to it."""

    api: Api
    candidate_id: str

    async def send(self, command: Command) -> None:
        """Send `command`; it is refused and writes nothing, or every read model holds it."""
        api = self.api
        fresh = await api.register() if "{fresh}" in command.path else ""
        path = command.path.format(candidate=self.candidate_id, fresh=fresh)
        before = api.log_position()
        # Escaped JSON text: a lone surrogate travels as `\ud800`, as any client may send it.
        content = json.dumps(command.body).encode()
        headers = api.auth() | {"content-type": "application/json"}
        response = await api.client.request(command.method, path, content=content, headers=headers)
        assert response.status_code < 500, response.text
        if not response.is_success:
            assert api.log_position() == before, f"refused ({response.status_code}) but written"
            assert response.json()["status"] == response.status_code
            return
        assert api.log_position() > before
        # Nothing accepted stops the read side: a new candidate is readable at once (201, not
        # 202: the hospital's read model showed it within the read-your-writes time-out).
        probe = await api.client.post(
            "/candidates",
            json={"name": "Ny Kandidat", "email": "ny@example.no"},
            headers=api.auth(),
        )
        assert probe.status_code == 201, probe.text
        shown = await api.client.get(f"/candidates/{probe.json()['id']}", headers=api.auth())
        assert shown.status_code == 200, shown.text
        services = api.services.core
        # Raises if a projection cannot apply what was written. In a thread, as a request's
        # work would be: the runners' own threads share the store.
        await asyncio.to_thread(services.catch_up)
        end = api.log_position()
        for runner in services.runners:
            assert runner.position() == end, runner.projection.name


@pytest.fixture
async def pipeline(settings: Settings) -> AsyncIterator[Pipeline]:
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            api = Api(app, client, settings)
            round_id = await api.open_round()
            candidate_id = await api.register()
            await api.apply(candidate_id, round_id)
            yield Pipeline(api, candidate_id)


@EXAMPLES
@given(command=TIMES)
async def test_any_time_or_day_is_refused_or_held_by_every_read_model(
    pipeline: Pipeline, command: Command
) -> None:
    await pipeline.send(command)


@EXAMPLES
@given(command=TEXTS)
async def test_any_text_is_refused_or_held_by_every_read_model(
    pipeline: Pipeline, command: Command
) -> None:
    await pipeline.send(command)


@EXAMPLES
@given(command=INTEGERS)
async def test_any_integer_is_refused_or_held_by_every_read_model(
    pipeline: Pipeline, command: Command
) -> None:
    await pipeline.send(command)
