"""Crews in the simulator: technicians per crew and per shift (issue 13, cause 9).

Each case is a tiny timeline worked out by hand (the reference schedule is written in
the test): a weekend crew alone on Saturday, a crew job needing more technicians than
are on shift, and a multi-skilled crew that cannot be in two jobs at once.  On the code
before this fix the pool held the peak headcount of all its crews at the cheapest rate
(weekend work got the weekday crew's technicians and rate) and a multi-skilled crew was
counted in full in each of its skill pools.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from numpy.testing import assert_allclose

sys.path.insert(0, str(Path(__file__).parent))
from sim_scenarios import START, component, fixed, scenario, system

from optimizer.scenario import Scenario
from optimizer.sim.simulate import simulate

DAY_SHIFT = [{"start": "08:00", "end": "16:00"}]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
WEEKEND = ["sat", "sun"]


def _crew(cid: str, skills: list[str], heads: int, rate: float, off: list[str]) -> dict[str, Any]:
    return {
        "id": cid,
        "skills": skills,
        "headcount": heads,
        "shifts": DAY_SHIFT,
        "days_off": off,
        "rate_per_h": rate,
        "response_delay_h": 0.0,
        "cost_callout": 0.0,
        "overtime_factor": 1.5,
    }


def _scn(comps: list[dict[str, Any]], crews: list[dict[str, Any]], when: str) -> Scenario:
    skills = {c["id"]: c["skill"] for c in comps}
    for c in comps:
        c["skill"] = "mech"  # the helper's crew; the real crews are set below
    data = scenario([system("S", comps, setup=0.0)]).model_dump(mode="json")
    for c in data["fleet"]["sites"][0]["systems"][0]["components"]:
        c["skill"] = skills[c["id"]]
    data["crews"] = crews
    data["campaigns"] = [{"id": "c", "components": [c["id"] for c in comps], "dates": [when]}]
    return Scenario.model_validate(data)


def _h(iso: str) -> float:
    t0 = datetime.fromisoformat(START.replace("Z", "+00:00"))
    return (datetime.fromisoformat(iso).replace(tzinfo=UTC) - t0).total_seconds() / 3600.0


def _run(scn: Scenario) -> Any:
    return simulate(
        scn,
        "run-to-failure",
        replications=1,
        seed=1,
        years=0.1,
        twin_accuracy="none",
        workers=1,
        keep_events=True,
    )


WEEK_CREWS = [
    _crew("W", ["mech"], 2, 50.0, WEEKEND),  # weekday crew: 2 technicians at 50/h
    _crew("E", ["mech"], 1, 80.0, WEEKDAYS),  # weekend crew: 1 technician at 80/h
]


def test_saturday_jobs_get_the_weekend_crew_and_its_rate() -> None:
    """Two 3 h one-technician jobs opened Saturday 08:00: only the weekend crew's single
    technician is on shift, so they run one after the other (08:00-11:00, 11:00-14:00),
    6 h of planned stop, paid 2 x 3 h x 80.  (Before: both at once with the weekday
    crew's headcount, 3 h, paid at the cheapest rate 50.)"""
    comps = [component(c, life=fixed(50_000.0), pm_h=3.0) for c in ("A", "B")]
    res = _run(_scn(comps, WEEK_CREWS, "2027-01-09T08:00:00Z"))  # a Saturday
    ev = res.events
    starts = sorted(ev[ev.event == "pm_start"].time_h.to_numpy())
    assert_allclose(starts, [_h("2027-01-09T08:00"), _h("2027-01-09T11:00")])
    assert_allclose(res["downtime_planned_h"].mean, 6.0)
    assert_allclose(res["cost_labour"].mean, 2 * 3.0 * 80.0)


def test_a_two_technician_job_waits_for_two_on_shift() -> None:
    """A 4 h job needing 2 technicians, opened Saturday 08:00: the weekend crew has one,
    so the job starts Monday 08:00 with the weekday crew, paid 2 x 4 h x 50.  (Before:
    it started on Saturday with technicians who were not at work.)"""
    comps = [component("A", life=fixed(50_000.0), pm_h=4.0, crew_size=2)]
    res = _run(_scn(comps, WEEK_CREWS, "2027-01-09T08:00:00Z"))
    ev = res.events
    assert_allclose(ev[ev.event == "pm_start"].time_h.to_numpy(), [_h("2027-01-11T08:00")])
    assert_allclose(res["cost_labour"].mean, 2 * 4.0 * 50.0)
    # the system is stopped from the opening (Saturday 08:00) to the end of the job
    assert_allclose(res["downtime_planned_h"].mean, _h("2027-01-11T12:00") - _h("2027-01-09T08:00"))


def test_a_multi_skilled_technician_is_in_one_job_at_a_time() -> None:
    """One technician with skills mech and elec; a mech job (3 h) and an elec job (2 h)
    opened together on Monday 08:00.  The two skill pools share him: the jobs run one
    after the other, 08:00-11:00 then 11:00-13:00, 5 h of stop (before: both at once,
    3 h, as if each pool had its own technician)."""
    comps = [
        component("A", life=fixed(50_000.0), pm_h=3.0),
        component("B", life=fixed(50_000.0), pm_h=2.0, skill="elec"),
    ]
    crews = [_crew("M", ["mech", "elec"], 1, 60.0, [])]
    res = _run(_scn(comps, crews, "2027-01-11T08:00:00Z"))
    ev = res.events
    starts = sorted(ev[ev.event == "pm_start"].time_h.to_numpy())
    assert_allclose(starts, [_h("2027-01-11T08:00"), _h("2027-01-11T11:00")])
    assert_allclose(res["downtime_planned_h"].mean, 5.0)
    assert_allclose(res["cost_labour"].mean, 5.0 * 60.0)
