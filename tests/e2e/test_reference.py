"""A new user finds the municipality numbers and unit codes that requests use."""

from __future__ import annotations

from helgeland_pipeline.domain.common import Role

from tests.e2e.api import Api


async def test_municipality_numbers_and_unit_codes_are_listed(api: Api) -> None:
    municipalities = await api.read("/reference/municipalities")
    assert len(municipalities) == 18
    rana = next(m for m in municipalities if m["number"] == "1833")
    assert rana["name"] == "Rana"
    units = {u["code"] for u in await api.read("/reference/units")}
    assert {"rana", "mosjoen"} <= units
    # The codes listed are the ones commands take.
    await api.command(
        "/rounds",
        {
            "name": "LIS1 vår 2031",
            "positions": dict.fromkeys(sorted(units)[:2], 1),
            "coupled_positions": 1,
            "application_deadline": "2030-12-01",
        },
        expected=201,
    )
    evaluator = api.auth(Role.EVALUATOR, person="e", organisation="NSDM")
    assert (await api.client.get("/reference/units", headers=evaluator)).status_code == 200
    assert (await api.client.get("/reference/units")).status_code == 401
