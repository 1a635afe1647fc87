"""Corrective work in crew shifts (``corrective_in_shifts``, issue 17)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import START, component, fixed, scenario, system

from optimizer.scenario import Scenario
from optimizer.sim.simulate import simulate

SATURDAY_22H = 5 * 24.0 + 22.0  # START is a Monday 00:00 (UTC)
MONDAY_07H = 7 * 24.0 + 7.0


def _scn(*, crew: bool, site: bool) -> Scenario:
    base = scenario(
        [system("S", [component("C", life=fixed(SATURDAY_22H), cm_h=5.0)], value=10.0)],
        shifts=[{"start": "07:00", "end": "15:00"}],
        days_off=["sat", "sun"],
        response_h=1.0,
        rate_per_h=100.0,
        callout=50.0,
        overtime=1.5,
    )
    data = base.model_dump(mode="json")
    data["crews"][0]["corrective_in_shifts"] = crew
    data["fleet"]["sites"][0]["corrective_in_shifts"] = site
    return Scenario.model_validate(data)


@pytest.mark.parametrize(("crew", "site"), [(True, False), (False, True)])
def test_saturday_night_failure_waits_for_monday_shift(crew: bool, site: bool) -> None:
    assert START.startswith("2027-01-04")
    res = simulate(
        _scn(crew=crew, site=site),
        "run-to-failure",
        replications=1,
        seed=1,
        years=200.0 / 8760.0,
        twin_accuracy="none",
        workers=1,
        keep_events=True,
    )
    ev = res.events
    start = ev[ev.event == "corrective_start"]
    assert_allclose(start.time_h.to_numpy(), [MONDAY_07H])  # Monday 07:00, not Saturday
    down = MONDAY_07H - SATURDAY_22H + 1.0 + 5.0  # wait, response, repair
    assert_allclose(res["downtime_unplanned_h"].mean, down)
    # 5 h inside the 8 h shift: regular rate, no call-out premium
    assert_allclose(res["cost_labour"].mean, 5.0 * 100.0)


def test_default_is_an_any_hour_call_out() -> None:
    res = simulate(
        _scn(crew=False, site=False),
        "run-to-failure",
        replications=1,
        seed=1,
        years=200.0 / 8760.0,
        twin_accuracy="none",
        workers=1,
        keep_events=True,
    )
    ev = res.events
    assert_allclose(ev[ev.event == "corrective_start"].time_h.to_numpy(), [SATURDAY_22H])
    assert_allclose(res["downtime_unplanned_h"].mean, 6.0)
    assert_allclose(res["cost_labour"].mean, 5.0 * 100.0 * 1.5 + 50.0)
