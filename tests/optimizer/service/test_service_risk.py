"""``POST /v1/risk``: the CLI's answer over HTTP, 422 with pointers on bad input."""

from __future__ import annotations

from typing import Any

import pytest
from numpy.testing import assert_allclose

from optimizer.loading import parse_scenario
from optimizer.risk import system_risk


def test_risk_matches_the_core(api: Any, conveyor_input: dict[str, Any]) -> None:
    r = api.client.post(
        "/v1/risk", json={"config": {"days": 45}, "input": conveyor_input}, headers=api.auth()
    )
    assert r.status_code == 200, r.text
    body = r.json()
    ref = system_risk(parse_scenario(conveyor_input), 45)
    (s,) = body["systems"]
    assert s["system_id"] == ref.systems[0].system_id
    assert_allclose(s["p_down"], ref.systems[0].p_down, rtol=1e-12)
    assert_allclose(s["expected_loss"], ref.systems[0].expected_loss, rtol=1e-12)
    assert {d["component_id"] for d in s["drivers"]} == {
        d.component_id for d in ref.systems[0].drivers
    }
    assert all("importance" in d for d in s["drivers"])


def test_risk_needs_a_key(api: Any, conveyor_input: dict[str, Any]) -> None:
    r = api.client.post("/v1/risk", json={"input": conveyor_input})
    assert r.status_code == 401


def test_bad_input_is_422_with_every_pointer(api: Any, conveyor_input: dict[str, Any]) -> None:
    conveyor_input["currency"] = "euro"
    r = api.client.post(
        "/v1/risk",
        json={"config": {"days": 0, "bogus": 1}, "input": conveyor_input},
        headers=api.auth(),
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    pointers = {e["pointer"] for e in r.json()["errors"]}
    assert {"/config/days", "/config/bogus", "/input/currency"} <= pointers


def test_missing_input_and_simulation_cap_are_422(
    api: Any, conveyor_input: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("optimizer.service.routes.risk.MAX_SIMULATED_DRAWS", 7 * 1000)
    r = api.client.post("/v1/risk", json={"config": {}}, headers=api.auth())
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/input"
    r = api.client.post(
        "/v1/risk",
        json={"config": {"repair": True, "replications": 1001}, "input": conveyor_input},
        headers=api.auth(),
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["pointer"] == "/config/replications"


def test_not_json_is_400(api: Any) -> None:
    r = api.client.post(
        "/v1/risk",
        content=b"{not json",
        headers={**api.auth(), "content-type": "application/json"},
    )
    assert r.status_code == 400
