"""Service campaigns at given dates (issue 17)."""

from __future__ import annotations

import itertools
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from numpy.testing import assert_allclose
from pydantic import ValidationError

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import START, component, fixed, scenario, system

from optimizer.scenario import Scenario
from optimizer.sim.simulate import simulate


def _scn(campaign: dict[str, object]) -> Scenario:
    base = scenario(
        [
            system(
                "S",
                [
                    component("A", life=fixed(50_000.0), pm_h=2.0),
                    component("B", life=fixed(50_000.0), pm_h=2.0),
                ],
            )
        ]
    )
    data = base.model_dump(mode="json")
    data["campaigns"] = [campaign]
    return Scenario.model_validate(data)


def _hours(iso: str) -> float:
    t0 = datetime.fromisoformat(START.replace("Z", "+00:00"))
    return (datetime.fromisoformat(iso).replace(tzinfo=UTC) - t0).total_seconds() / 3600.0


def test_annual_campaign_replaces_its_components_at_each_date() -> None:
    camp = {
        "id": "spring",
        "components": ["A"],
        "dates": ["2027-03-01T06:00:00Z", "2027-09-01T06:00:00Z"],
        "repeat_annually": True,
    }
    res = simulate(
        _scn(camp),
        "run-to-failure",
        replications=1,
        seed=1,
        years=2.0,
        twin_accuracy="none",
        workers=1,
        keep_events=True,
    )
    ev = res.events
    rem = ev[ev.event == "removal"]
    assert set(rem.component) == {"A"}  # B is not in the campaign
    expect = [
        _hours(d)
        for d in ("2027-03-01T06:00", "2027-09-01T06:00", "2028-03-01T06:00", "2028-09-01T06:00")
    ]
    assert_allclose(rem.time_h.to_numpy(), expect)
    assert_allclose(res["preventive_replacements"].mean, 4.0)
    assert_allclose(res["openings"].mean, 4.0)
    assert_allclose(res["downtime_planned_h"].mean, 4 * 2.0)
    # each removed part was installed at the previous campaign (no ageing during the 2 h)
    ages = rem.value.to_numpy()
    assert_allclose(ages[1:], [b - a - 2.0 for a, b in itertools.pairwise(expect)])


def test_unknown_campaign_component_is_reported() -> None:
    with pytest.raises(ValidationError, match="unknown component 'Z'"):
        _scn({"id": "x", "components": ["Z"], "dates": ["2027-03-01T06:00:00Z"]})


@pytest.mark.parametrize("years", [0.1])
def test_campaign_after_the_horizon_is_ignored(years: float) -> None:
    camp = {"id": "late", "components": ["A", "B"], "dates": ["2027-06-01T00:00:00Z"]}
    res = simulate(_scn(camp), "run-to-failure", replications=1, seed=1, years=years, workers=1)
    assert res["preventive_replacements"].mean == 0.0
