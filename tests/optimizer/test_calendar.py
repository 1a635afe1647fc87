"""The one crew calendar: hand-computed hours, and planner and simulator agreeing on them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optimizer.calendar import (
    calendar_add,
    crew_hours,
    crew_intervals,
    hours_between,
    plan_zone,
    skill_pools,
)
from optimizer.loading import load_scenario
from optimizer.problem.build import build_problem, period_edges
from optimizer.scenario import Crew, Scenario
from optimizer.sim.model import HOURS_PER_YEAR, compile_model

MON = datetime(2027, 1, 4, tzinfo=UTC)  # a Monday


def crew(cid: str, **kw: Any) -> Crew:
    spec: dict[str, Any] = {"id": cid, "skills": ["mech"], "headcount": 1, "rate_per_h": 50}
    spec.update(kw)
    return Crew.model_validate(spec)


def days(n: int, start: datetime = MON) -> list[datetime]:
    return [start + timedelta(days=d) for d in range(n + 1)]


WEEKDAY = crew(
    "WEEKDAY", site="A", headcount=2, shifts=[{"start": "06:00", "end": "14:00"}]
)  # Mon-Fri (default days off sat, sun)
WEEKEND = crew(
    "WEEKEND",
    site="A",
    shifts=[{"start": "06:00", "end": "18:00"}],
    days_off=["mon", "tue", "wed", "thu", "fri"],
)


# --------------------------------------------------------------------------------------
# hand-computed cases
# --------------------------------------------------------------------------------------
def test_weekday_crew_and_weekend_crew() -> None:
    pools, pool_of = skill_pools([WEEKDAY, WEEKEND], [("mech", "A")])
    (pool,) = pools
    assert pool.key == "mech@A" and pool_of.tolist() == [0]
    assert pool.shares == (1.0, 1.0)
    # Mon-Fri 2 x 8 h, Sat and Sun 1 x 12 h
    assert_allclose(pool.hours(days(7), UTC), [16, 16, 16, 16, 16, 12, 12])
    # On shift: 2 technicians on weekdays 06-14, 1 at weekends 06-18.
    seg, heads = pool.on_shift(MON, MON + timedelta(days=7), UTC)
    assert_allclose(seg[:2], [[6, 14], [30, 38]])
    assert_allclose(seg[-2:], [[126, 138], [150, 162]])
    assert heads.tolist() == [2] * 5 + [1] * 2
    # On Monday only the weekday crew works.
    seg, heads = pool.on_shift(MON, MON + timedelta(days=1), UTC)
    assert_allclose(seg, [[6, 14]])
    assert heads.tolist() == [2]


def test_holiday_is_a_day_off() -> None:
    c = crew("C", headcount=2, holidays=[date(2027, 1, 6)])  # default 07:00-15:00
    assert_allclose(crew_hours(c, days(7), UTC), [16, 16, 0, 16, 16, 0, 0])


def test_night_shift_over_midnight_belongs_to_its_start_day() -> None:
    c = crew("N", headcount=3, shifts=[{"start": "22:00", "end": "06:00"}])
    # Sunday's shift is off, so Monday holds only 22-24; Friday's shift ends Saturday 06:00.
    assert_allclose(crew_hours(c, days(7), UTC), [6, 24, 24, 24, 24, 18, 0])
    iv = crew_intervals(c, MON, MON + timedelta(days=7), UTC)
    assert_allclose(iv[0], [22, 30])
    assert_allclose(iv[-1], [4 * 24 + 22, 5 * 24 + 6])


def test_shift_under_way_at_the_origin_is_cut() -> None:
    c = crew("C", days_off=[])
    origin = MON + timedelta(hours=10)
    iv = crew_intervals(c, origin, origin + timedelta(days=1), UTC)
    assert_allclose(iv, [[0, 5], [21, 24]])


def test_roaming_crew_shared_with_a_site_crew_is_not_counted_twice() -> None:
    site = crew("SITE", site="A", headcount=2)
    roam = crew("ROAM", site=None, headcount=4)
    pools, pool_of = skill_pools([site, roam], [("mech", "A"), ("mech", "B"), ("mech", "C")])
    # A: its own crew and the roaming one; B and C only the roaming crew: one pool.
    assert [p.key for p in pools] == ["mech@A", "mech"]
    assert pool_of.tolist() == [0, 1, 1]
    assert pools[0].shares == (1.0, 0.5) and pools[1].shares == (0.5,)
    h = np.array([p.hours(days(7), UTC) for p in pools])
    assert_allclose(h[0], [16 + 16] * 5 + [0, 0])  # 2 x 8 + half of 4 x 8
    assert_allclose(h[1], [16] * 5 + [0, 0])
    # Together the pools hold exactly what the crews work.
    assert_allclose(h.sum(axis=0), crew_hours(site, days(7), UTC) + crew_hours(roam, days(7), UTC))


def test_multi_skilled_crew_split_between_its_skills() -> None:
    mech = crew("M", site="A", headcount=3)
    elec = crew("E", site="A", skills=["elec"], headcount=1)
    both = crew("W", site="A", skills=["mech", "elec", "hv"], headcount=2, days_off=[])
    demands = [("mech", "A"), ("elec", "A"), ("mech", "A")]
    # Without workloads: evenly. "hv" has no component: no share.
    pools, pool_of = skill_pools([mech, elec, both], demands)
    assert [p.key for p in pools] == ["mech@A", "elec@A"] and pool_of.tolist() == [0, 1, 0]
    h = np.array([p.hours(days(7), UTC) for p in pools])
    assert_allclose(h[0], [24 + 8] * 5 + [8, 8])
    assert_allclose(h[1], [8 + 8] * 5 + [8, 8])
    # With workloads (mech 30 technician-hours, elec 10): W gives 3/4 to mech, 1/4 to elec.
    pools, _ = skill_pools([mech, elec, both], demands, [20.0, 10.0, 10.0])
    assert pools[0].shares == (1.0, 0.75) and pools[1].shares == (1.0, 0.25)
    h = np.array([p.hours(days(7), UTC) for p in pools])
    assert_allclose(h[0], [24 + 12] * 5 + [12, 12])
    assert_allclose(h[1], [8 + 4] * 5 + [4, 4])
    assert_allclose(h.sum(axis=0), [48] * 5 + [16, 16])  # what the three crews work
    # The shared technicians are on shift for either skill (the headcount is not split).
    _, heads = pools[1].on_shift(MON, MON + timedelta(days=1), UTC)
    assert heads.tolist() == [3]


def test_no_serving_crew_is_an_error() -> None:
    with pytest.raises(ValueError, match="no crew with skill 'mech' serves site 'B'"):
        skill_pools([WEEKDAY], [("mech", "B")])


# --------------------------------------------------------------------------------------
# planner, simulator and work orders on scenarios
# --------------------------------------------------------------------------------------
def test_planner_and_simulator_see_the_same_hours(bundled: Scenario) -> None:
    built = build_problem(bundled, parts=False)
    pb = built.problem
    cal = bundled.calendar
    edges = period_edges(bundled)
    tz = plan_zone(cal)
    # the simulator's horizon in real hours: the planner's (a spring change takes an hour)
    model = compile_model(bundled, years=hours_between(edges[0], edges[-1]) / HOURS_PER_YEAR)
    # the same pool for every component
    sim_keys = [model.pools[p].key for p in model.pool_of]
    assert sim_keys == [pb.skill_ids[s] for s in pb.skill_of]
    assert [p.key for p in model.pools] == list(pb.skill_ids)
    # the same technician-hours per pool and day
    daily = [calendar_add(cal.start, d, tz) for d in range(cal.horizon_days + 1)]
    per_day = np.array([p.calendar.hours(daily, tz) for p in model.pools])
    day_of_period = np.searchsorted(edges[1:], daily[:-1], "right")
    summed = np.zeros_like(pb.crew_hours)
    np.add.at(summed.T, day_of_period, per_day.T)
    assert_allclose(summed, pb.crew_hours, atol=1e-9)
    assert_allclose([p.available_h for p in model.pools], pb.crew_hours.sum(axis=1))
    assert pb.crew_hours.sum() > 0


def test_plant_weekend_crew_counted_once(scenario_dir: Path) -> None:
    plant = load_scenario(scenario_dir / "plant.yaml")
    built = build_problem(plant, parts=False)
    pb = built.problem
    mech = pb.skill_ids.index("mechanical@PLANT-WS")
    elec = pb.skill_ids.index("electrical@PLANT-WS")
    sat = next(t for t in range(pb.n_periods) if pb.period_start(t).weekday() == 5)
    # WEEKEND (2 x 06-18, mechanical and electrical) is split between the two skills by
    # their preventive workload: 925 and 160 technician-hours.
    share = 925.0 / (925.0 + 160.0)
    assert pb.crew_hours[mech, sat] == pytest.approx(24.0 * share)
    assert pb.crew_hours[elec, sat] == pytest.approx(24.0 * (1 - share))
    assert pb.crew_hours[mech, sat - 5] == pytest.approx(3 * 8 + 2 * 8)  # Monday
    # The simulator holds the most technicians on shift together: 3 (early shift),
    # not the 7 mechanical technicians of all three crews.
    model = compile_model(plant, years=0.1)
    caps = {p.key: p.capacity for p in model.pools}
    assert caps["mechanical@PLANT-WS"] == 3
    assert caps["electrical@PLANT-WS"] == 2


def _system_with(windows: list[dict[str, Any]]) -> Any:
    from optimizer.scenario import System

    return System.model_validate(
        {
            "id": "S",
            "production_value_per_h": 10.0,
            "setup": {"cost": 1.0},
            "windows": windows,
            "components": [
                {
                    "id": "C",
                    "life": {"distribution": "weibull", "shape": 2.0, "scale_h": 1000.0},
                    "preventive": {"duration_h": 1.0, "cost_other": 1.0},
                    "corrective": {"duration_h": 1.0, "cost_other": 1.0},
                    "skill": "mech",
                }
            ],
        }
    )


def test_yearly_windows_repeat_on_the_same_dates() -> None:
    from optimizer.calendar import windows_until

    tz = timedelta(hours=2)
    sys_ = _system_with(
        [
            {
                "start": "2027-07-31T14:00:00+02:00",
                "end": "2027-08-16T06:00:00+02:00",
                "repeat_yearly": True,
            },
            {
                "start": "2028-02-29T00:00:00+00:00",
                "end": "2028-03-02T00:00:00+00:00",
                "repeat_yearly": True,
            },
            {"start": "2027-04-02T00:00:00+02:00", "end": "2027-04-06T00:00:00+02:00"},
        ]
    )
    until = datetime(2030, 8, 1, tzinfo=UTC)
    got = [(w.start, w.end) for w in windows_until(sys_, until)]
    from datetime import timezone

    cest = timezone(tz)
    summer = [
        (datetime(y, 7, 31, 14, tzinfo=cest), datetime(y, 8, 16, 6, tzinfo=cest))
        for y in (2027, 2028, 2029, 2030)
    ]
    leap = [
        (datetime(2028, 2, 29, tzinfo=UTC), datetime(2028, 3, 2, tzinfo=UTC)),
        (datetime(2029, 2, 28, tzinfo=UTC), datetime(2029, 3, 2, tzinfo=UTC)),
        (datetime(2030, 2, 28, tzinfo=UTC), datetime(2030, 3, 2, tzinfo=UTC)),
    ]
    easter = [(datetime(2027, 4, 2, tzinfo=cest), datetime(2027, 4, 6, tzinfo=cest))]
    assert got == summer + leap + easter


def test_yearly_window_must_be_shorter_than_a_year() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="shorter than 365 days"):
        _system_with(
            [
                {
                    "start": "2027-01-01T00:00:00Z",
                    "end": "2028-01-01T00:00:00Z",
                    "repeat_yearly": True,
                }
            ]
        )


def test_simulator_sees_every_yearly_window(bundled: Scenario) -> None:
    # Issue #13 cause 7: windows were dated in the first year only, so a window-only
    # unit got no preventive work after year 1.  The bundled plant and wind farm state
    # their shutdowns/seasons as yearly: a 3-year model (2027-01-04 to 2030-01-03) has
    # three occurrences of each (summer 2027-2029, Christmas 2027-2029, May 2027-2029).
    model = compile_model(bundled, years=3.0)
    for k, sid in enumerate(model.system_ids):
        system = next(s for _, s in bundled.systems() if s.id == sid)
        yearly = sum(w.repeat_yearly for w in system.windows)
        once = len(system.windows) - yearly
        assert model.windows[k].shape == (once + 3 * yearly, 3), sid


def test_window_only_unit_is_maintained_every_year() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "sim"))
    from sim_scenarios import component, scenario, system, weibull

    from optimizer.sim.simulate import simulate

    unit = system("S", [component("A", life=weibull(4.0, 6000.0), cost_cm_other=5000.0)])
    unit["open_only_in_windows"] = True
    unit["windows"] = [
        {"start": "2027-06-01T00:00:00Z", "end": "2027-06-15T00:00:00Z", "repeat_yearly": True}
    ]
    res = simulate(
        scenario([unit]),
        "prescriptive",
        replications=1,
        seed=2,
        years=3.0,
        workers=1,
        keep_events=True,
        twin_accuracy="none",  # the age-based policy: due every year in June
    )
    pm = res.events[res.events.event == "pm_start"].time_h.to_numpy()
    years = sorted({int(h // HOURS_PER_YEAR) for h in pm})
    assert years == [0, 1, 2], pm


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31)),
    length_h=st.floats(min_value=1.0, max_value=8000.0),
    repeat=st.booleans(),
    years=st.integers(min_value=0, max_value=12),
)
def test_checker_expands_yearly_windows_as_the_calendar_does(
    start: datetime, length_h: float, repeat: bool, years: int
) -> None:
    # the independent checker has its own expansion; both must list the same windows
    from optimizer.calendar import windows_until
    from optimizer.check import _occurrences

    a = start.replace(tzinfo=UTC)
    sys_ = _system_with(
        [
            {
                "start": a.isoformat(),
                "end": (a + timedelta(hours=length_h)).isoformat(),
                "repeat_yearly": repeat,
            }
        ]
    )
    until = a + timedelta(days=365.25 * years + 1.0)
    mine = [(w.start, w.end) for w in windows_until(sys_, until)]
    theirs = [(w.start, w.end) for w in _occurrences(sys_, until)]
    assert mine == theirs
    # n calendar years on lie within 365.25 n + 0.75 days, so occurrences 0..years count
    assert len(mine) == (years + 1 if repeat else 1)


# --------------------------------------------------------------------------------------
# staffable starts (a job worked only on the shifts with its crew on shift, issue #12)
# --------------------------------------------------------------------------------------
def test_staffable_counts_only_shifts_with_the_whole_crew() -> None:
    # WEEKDAY has 2 on shift Mon-Fri 06-14, WEEKEND 1 on Sat/Sun 06-18.
    pools, _ = skill_pools([WEEKDAY, WEEKEND], [("mech", "A")])
    (pool,) = pools
    edges = days(7)
    # a 2-person job of 16 h: two weekday shifts within the reach of 2 days
    ok = pool.staffable(edges, UTC, duration_h=16, crew_qty=2, reach_days=2)
    # Mon..Thu: today and tomorrow are weekdays; Fri: Fri + Sat holds 8 h; Sat/Sun: 0 / 8 h
    assert ok.tolist() == [True, True, True, True, False, False, False]
    # with a week of reach every start works (the weekend shifts are skipped, not worked)
    assert pool.staffable(edges, UTC, duration_h=16, crew_qty=2, reach_days=7).all()
    # 3 technicians are never on shift together: never staffable
    assert not pool.staffable(edges, UTC, duration_h=1, crew_qty=3, reach_days=7).any()
    # a 1-person job of 20 h within 2 days: Fri 8 + Sat 12, Sat 12 + Sun 12, Sun 12 + Mon 8
    one = pool.staffable(edges, UTC, duration_h=20, crew_qty=1, reach_days=2)
    assert one.tolist() == [False, False, False, False, True, True, True]


def test_plant_press_gearbox_is_staffable() -> None:
    # L1-GBX-MAIN needs 3 mechanics for 48 h; only the weekday early shift has 3 on shift,
    # so it takes 6 early shifts: staffable from every period with 6 weekdays ahead in 14 days.
    scn = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "plant.yaml")
    built = build_problem(scn)
    pb = built.problem
    i = pb.component_ids.index("L1-GBX-MAIN")
    first = int(np.flatnonzero(pb.allowed[i])[0])
    assert pb.allowed[i, first:].all()
