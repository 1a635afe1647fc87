"""``WorkSpec.stops_system``: a failure that stops its system only when the repair starts,
a preventive opening only when its crews are there (NREL WOMBAT's
``operation_reduction: 0``; issue 17).  Closed forms on one component
with deterministic life, a campaign resource with a fixed mobilisation delay (trigger
``n = 1``), crews around the clock and no response delay."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from numpy.testing import assert_allclose

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import component, fixed, scenario, system

from optimizer.scenario import Scenario
from optimizer.sim.simulate import SimulationResult, simulate

H_PER_YEAR = 8760.0
D_H, JOB_H, LIFE_H = 48.0, 5.0, 100.0


def _scn(stops: str | None, *, preventive_stops: str | None = None) -> Scenario:
    cm: dict[str, Any] = {"duration_h": JOB_H, "cost_other": 1000.0, "resource": "V"}
    if stops is not None:
        cm["stops_system"] = stops
    pm: dict[str, Any] = {"duration_h": 1.0, "cost_other": 100.0}
    if preventive_stops is not None:
        pm["stops_system"] = preventive_stops
    comp = component("A", life=fixed(LIFE_H), corrective=cm, preventive=pm)
    vessel = {"id": "V", "kind": "vessel", "mobilisation_delay_h": D_H}
    return scenario([system("S", [comp])], resources=[vessel])


def _run(scn: Scenario, horizon_h: float) -> SimulationResult:
    return simulate(
        scn,
        "run-to-failure",
        replications=1,
        seed=1,
        years=horizon_h / H_PER_YEAR,
        twin_accuracy="none",
        workers=1,
        keep_events=True,
    )


@pytest.mark.parametrize(
    ("stops", "down_h"),
    [(None, D_H + JOB_H), ("at_failure", D_H + JOB_H), ("at_work_start", JOB_H)],
)
def test_one_failure_downtime(stops: str | None, down_h: float) -> None:
    """One failure at 100 h: down from the failure (default: mobilisation ``d`` + job) or
    from the start of the repair (the job only); the wait for the vessel is the same."""
    res = _run(_scn(stops), horizon_h=175.0)
    assert_allclose(res["failures"].mean, 1.0)
    assert_allclose(res["downtime_unplanned_h"].mean, down_h)
    assert_allclose(res["resource_wait_h"].mean, D_H)
    assert_allclose(res["availability_fleet"].mean, 1.0 - down_h / 175.0)


def test_part_clock_stops_at_failure_and_system_fails_once_per_repair() -> None:
    """The failed part's own clock is stopped from its failure (the system runs on): the
    second failure comes ``life`` after the first repair ends, at ``2 life + d + job``;
    each repair is one system failure, down ``job`` hours."""
    horizon = 2 * LIFE_H + 2 * (D_H + JOB_H) + 10.0  # two failures, both repaired
    res = _run(_scn("at_work_start"), horizon_h=horizon)
    ev = res.events
    fails = ev[ev.event == "failure"].time_h.to_numpy()
    assert_allclose(fails, [LIFE_H, 2 * LIFE_H + D_H + JOB_H])
    assert_allclose(res["downtime_unplanned_h"].mean, 2 * JOB_H)
    assert_allclose(res["system_failures"].mean, 2.0)


@pytest.mark.parametrize("pm_stops", [None, "at_failure", "at_work_start"])
def test_preventive_opening_stops_when_its_crew_is_there(pm_stops: str | None) -> None:
    """Two one-part systems serviced by a campaign at 96 h (10 h jobs), one technician
    on shift around the clock.  Hand-derived: S is served 96-106, T 106-116.  By default
    both openings stop their system at 96 h (T waits down for the technician: planned
    downtime 10 + 20 h); with ``at_work_start`` T stops at 106 h (10 + 10 h), its job
    and its end unchanged."""
    pm: dict[str, Any] = {"duration_h": 10.0, "cost_other": 100.0}
    if pm_stops is not None:
        pm["stops_system"] = pm_stops
    systems = [system(s, [component(s + "1", life=fixed(1e6), preventive=pm)]) for s in ("S", "T")]
    data = scenario(systems, headcount=1).model_dump(mode="json")
    data["campaigns"] = [{"id": "c", "components": ["S1", "T1"], "dates": ["2027-01-08T00:00:00Z"]}]
    res = _run(Scenario.model_validate(data), horizon_h=200.0)
    ev = res.events
    removals = ev[ev.event == "removal"].sort_values("time_h")
    late = pm_stops == "at_work_start"
    assert_allclose(removals.time_h.to_numpy(), [96.0, 106.0 if late else 96.0])
    assert list(removals.component) == ["S1", "T1"]
    closings = ev[ev.event == "closing"].time_h.to_numpy()
    assert_allclose(sorted(closings), [106.0, 116.0])
    assert_allclose(res["downtime_planned_h"].mean, 20.0 if late else 30.0)
    assert_allclose(res["preventive_replacements"].mean, 2.0)
