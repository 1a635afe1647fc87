"""The independent plan checker (:mod:`optimizer.check`, issue #12 item 2).

(a) every solver's plan of every bundled scenario costs what the solver reports, and is
feasible for the checker -- except the planner bugs that issue #12 lists on plant.yaml,
which the checker must find; (b) hand-edited plans: each violation is found with the
right message; (c) a small case whose cost is computed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from optimizer.check import cheapest_orders, check_plan
from optimizer.cli import app
from optimizer.loading import load_scenario, load_text
from optimizer.planning.pipeline import PlanResult, plan_result, plan_scenario
from optimizer.problem.build import build_problem
from optimizer.problem.plan import BEYOND, Plan, Status, evaluate
from optimizer.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]
SCN = ROOT / "scenarios"


def _next_replacement(scn: Scenario) -> Scenario:
    """The scenario planned for the next replacement only (what the checker handles)."""
    if not scn.plan.repeated_replacements:
        return scn
    return scn.model_copy(
        update={"plan": scn.plan.model_copy(update={"repeated_replacements": False})}
    )


def _orders(res: Any) -> list[dict[str, Any]]:
    return [w.as_dict() for w in res.orders]


# --- (a) the solvers' plans ------------------------------------------------------------
@pytest.mark.parametrize("method", ["dp", "milp", "cpsat"])
@pytest.mark.parametrize("name", ["conveyor", "multiyear", "windfarm"])
def test_solver_plans_agree_and_are_feasible(name: str, method: str) -> None:
    scn = _next_replacement(load_scenario(SCN / f"{name}.yaml"))
    res = plan_scenario(scn, method=method, time_limit_s=30)
    assert res.plan.feasible
    chk = check_plan(scn, _orders(res))
    assert chk.cost["total"] == pytest.approx(res.plan.objective, rel=1e-6)
    for term, value in res.plan.cost_split.items():
        assert chk.cost[term] == pytest.approx(value, rel=1e-6, abs=1e-6), term
    assert chk.violations == ()
    assert chk.feasible
    assert chk.jobs == len(res.orders)
    assert set(chk.deferred) == {d.component_id for d in res.deferred}


# ``plant_plan``: the suite's shared plan of plant.yaml (tests/conftest.py), with the
# scenario's own settings (auto: the MILP, as crews can bind).


def test_plant_plan_cost_agrees(plant_plan: PlanResult) -> None:
    # Was a strict xfail (issue #12): the period model let a unit's opening run into its
    # next one (L1, L2 in August), whose hour-level work then started periods later and
    # cost 107.99 EUR more than the objective. Every opening now starts in its period.
    scn, res = plant_plan.built.scenario, plant_plan
    chk = check_plan(scn, _orders(res))
    assert chk.cost["total"] == pytest.approx(res.plan.objective, rel=1e-6)
    for term, value in res.plan.cost_split.items():
        assert chk.cost[term] == pytest.approx(value, rel=1e-6, abs=1e-6), term
    assert set(chk.deferred) == {d.component_id for d in res.deferred}


def test_plant_openings_start_in_their_period(plant_plan: PlanResult) -> None:
    res = plant_plan
    first: dict[str, str] = {}
    for w in res.orders:
        first[w.group_id] = min(first.get(w.group_id, w.scheduled_start), w.scheduled_start)
    assert all(a[:10] == g[-10:] for g, a in first.items()), first
    # the bound is the first model's, valid for every plan: never above the plan
    assert res.plan.lower_bound <= res.plan.objective


def test_plant_plan_has_no_violations(plant_plan: PlanResult) -> None:
    # window: the summer-shutdown group started 07:00, before the window opens at 14:00;
    # overlap: L2 opened twice at once; shift_time: a 48 h job given 24 h of shifts;
    # crew_at_once / crew_hours: L1-GBX-MAIN (3 mechanics x 48 h) worked through the late
    # and weekend shifts, which have 2 on shift (issue #12).
    scn, res = plant_plan.built.scenario, plant_plan
    assert [v.message for v in check_plan(scn, _orders(res)).violations] == []


def test_plant_press_gearbox_works_the_early_shifts() -> None:
    # 3 mechanics are on shift only on weekday early shifts (06:00-14:00): the 48 h job is
    # worked on 6 of them and pauses through the late and weekend shifts (it used to run
    # through them with 2 on shift: 3 booked at once while 2 are on shift). A plan by hand
    # (the gearbox alone, Monday 2027-08-02), so the test does not depend on the solver.
    scn = load_scenario(SCN / "plant.yaml")
    built = build_problem(scn)
    pb = built.problem
    period = np.full(pb.n_components, BEYOND)
    t = next(t for t in range(pb.n_periods) if f"{pb.local_period_start(t):%F}" == "2027-08-02")
    gbx_i = pb.component_ids.index("L1-GBX-MAIN")
    period[gbx_i] = t
    # parts that must be replaced in the horizon (life limits): their first period
    for i in np.flatnonzero(~np.isfinite(pb.penalty_beyond)):
        period[i] = int(np.flatnonzero(pb.allowed[i])[0])
    cost = evaluate(pb, period)["total"]
    res = plan_result(built, Plan(period, cost, cost, Status.FEASIBLE, "by hand", 0.0))
    gbx = next(w for w in res.orders if w.component_id == "L1-GBX-MAIN")
    assert (gbx.scheduled_start, gbx.scheduled_finish) == (
        "2027-08-02T06:00+02:00",
        "2027-08-09T14:00+02:00",  # Mon-Fri and the next Monday: 6 early shifts
    )
    assert any("L1-GBX-MAIN needs 3 mechanical" in r for r in gbx.reasons), gbx.reasons
    chk = check_plan(scn, _orders(res))
    assert [v.message for v in chk.violations if "L1-GBX-MAIN" in v.message] == []
    assert not [v for v in chk.violations if v.kind.startswith("crew")]


# --- (b) hand-edited plans --------------------------------------------------------------
CONVEYOR_JOB = {
    "component_id": "C1-BRG-HEAD",
    "scheduled_start": "2027-01-12T06:00+01:00",  # Tuesday
    "scheduled_finish": "2027-01-12T08:00+01:00",
    "group_id": "C1@2027-01-12",
}


def _job(**kw: str) -> dict[str, str]:
    return {**CONVEYOR_JOB, **kw}


def _kinds(chk: Any) -> list[str]:
    return [v.kind for v in chk.violations]


def test_clean_hand_plan_is_feasible(conveyor: Scenario) -> None:
    chk = check_plan(conveyor, [_job()])
    assert chk.violations == ()
    assert chk.jobs == 1
    assert len(chk.deferred) == 6


def test_job_on_a_day_off(conveyor: Scenario) -> None:
    sunday = _job(
        scheduled_start="2027-01-10T06:00+01:00",
        scheduled_finish="2027-01-10T08:00+01:00",
        group_id="C1@2027-01-10",
    )
    chk = check_plan(conveyor, [sunday])
    assert _kinds(chk) == ["shift_time"]
    msg = chk.violations[0].message
    assert msg.startswith(
        "C1-BRG-HEAD: 2027-01-10T06:00+01:00 .. 2027-01-10T08:00+01:00 holds 0.0 h"
    )
    assert "2027-01-10 is a day off or holiday of crew(s) MECH-DAY" in msg


def test_job_outside_the_shift_hours(conveyor: Scenario) -> None:
    evening = _job(
        scheduled_start="2027-01-12T15:00+01:00", scheduled_finish="2027-01-12T17:00+01:00"
    )
    chk = check_plan(conveyor, [evening])
    assert _kinds(chk) == ["shift_time"]
    assert (
        "holds 0.0 h of mechanical@PLANT-A shifts, the job needs 2 h" in chk.violations[0].message
    )


@pytest.fixture(scope="module")
def windows_only(conveyor_text: str) -> Scenario:
    text = conveyor_text.replace(
        "idle_ageing: false ", "open_only_in_windows: true\n          idle_ageing: false "
    )
    assert text != conveyor_text
    return load_text(text)


def test_job_in_no_window(windows_only: Scenario) -> None:
    chk = check_plan(windows_only, [_job()])
    assert _kinds(chk) == ["window"]
    assert chk.violations[0].message.startswith(
        "group C1@2027-01-12: unit C1 may open only in its maintenance windows"
    )
    inside = _job(
        scheduled_start="2027-04-03T06:00+02:00",  # Easter Saturday, inside the window
        scheduled_finish="2027-04-03T08:00+02:00",
        group_id="C1@2027-04-03",
    )
    assert check_plan(windows_only, [inside]).violations == ()


def test_group_leaves_its_window(conveyor: Scenario) -> None:
    # the Easter window ends 2027-04-06 00:00+02:00: it covers 18 h of the period
    # 04-05 06:00 .. 04-06 06:00 (Europe/Berlin, summer time), so an opening there is
    # priced at the window's factors, but this group runs past the window's end (the
    # checker reports local times: 01:00+01:00 is 02:00+02:00)
    late = _job(
        scheduled_start="2027-04-05T07:00+01:00",
        scheduled_finish="2027-04-06T01:00+01:00",
        group_id="C1@2027-04-05",
    )
    chk = check_plan(conveyor, [late])
    msgs = [v.message for v in chk.violations if v.kind == "window"]
    assert msgs == [
        "group C1@2027-04-05 (unit C1) ends 2027-04-06T02:00+02:00, after the window"
        " 'Easter shutdown' closes at 2027-04-06T00:00+02:00; its opening is priced at the"
        " window's factors (set-up x0.3, production x0)"
    ]


@pytest.fixture(scope="module")
def life_limited(conveyor_text: str) -> Scenario:
    text = conveyor_text.replace(
        "{id: C1-GBX, type: gearbox, age_h: 30500}",
        "{id: C1-GBX, type: gearbox, age_h: 30500, max_age_h: 31000}",
    )
    assert text != conveyor_text
    return load_text(text)


def test_job_past_its_life_limit(life_limited: Scenario) -> None:
    # 500 h left at 16 operating hours a day: the limit falls on 2027-02-04
    late = {
        "component_id": "C1-GBX",
        "scheduled_start": "2027-02-23T06:00+01:00",
        "scheduled_finish": "2027-02-23T12:00+01:00",
    }
    chk = check_plan(life_limited, [late])
    assert _kinds(chk) == ["life_limit"]
    assert chk.violations[0].message == (
        "C1-GBX: starts 2027-02-23T06:00+01:00 at age 31,300 h, past its life limit"
        " max_age_h 31,000 h"
    )
    deferred = check_plan(life_limited, [])
    assert [v.message for v in deferred.violations] == [
        "C1-GBX: not replaced in the horizon, but reaches its life limit max_age_h 31,000 h"
        " on 2027-02-04"
    ]
    ok = {
        **late,
        "scheduled_start": "2027-02-02T06:00+01:00",
        "scheduled_finish": "2027-02-02T12:00+01:00",
    }
    assert check_plan(life_limited, [ok]).violations == ()


def test_job_before_its_spare_arrives(conveyor: Scenario) -> None:
    # GBX-25: none on hand, one arriving 2027-02-15, expedited lead time 14 days (01-18)
    early = {
        "component_id": "C1-GBX",
        "scheduled_start": "2027-01-12T06:00+01:00",
        "scheduled_finish": "2027-01-12T12:00+01:00",
    }
    chk = check_plan(conveyor, [early])
    assert _kinds(chk) == ["stock"]
    assert chk.violations[0].message == (
        "part GBX-25 (warehouse main): C1-GBX starts 2027-01-12T06:00+01:00 and needs unit 1,"
        " but only 0 are on hand or delivered by then; the earliest new delivery (expedited"
        " lead time 14 days) is 2027-01-18T06:00+01:00"
    )
    in_time = {
        **early,
        "scheduled_start": "2027-01-19T06:00+01:00",
        "scheduled_finish": "2027-01-19T12:00+01:00",
    }
    assert check_plan(conveyor, [in_time]).violations == ()


def test_crew_double_booked(conveyor: Scenario) -> None:
    # gearbox and belt need 2 mechanics each; MECH-DAY has 2 on the 06:00-14:00 shift
    both = [
        {
            "component_id": "C1-GBX",
            "scheduled_start": "2027-02-16T06:00+01:00",
            "scheduled_finish": "2027-02-16T12:00+01:00",
            "group_id": "C1@2027-02-16",
        },
        {
            "component_id": "C1-BELT",
            "scheduled_start": "2027-02-16T08:00+01:00",
            "scheduled_finish": "2027-02-16T16:00+01:00",
            "group_id": "C1@2027-02-16",
        },
    ]
    chk = check_plan(conveyor, both)
    assert "crew_at_once" in _kinds(chk)
    at_once = next(v.message for v in chk.violations if v.kind == "crew_at_once")
    assert at_once == (
        "skill mechanical@PLANT-A on 2027-02-16: 4 technicians booked at once while 2 are on"
        " shift (between 2027-02-16T08:00+01:00 and 2027-02-16T12:00+01:00; jobs C1-BELT, C1-GBX)"
    )
    hours = next(v.message for v in chk.violations if v.kind == "crew_hours")
    assert hours == (
        "skill mechanical@PLANT-A on 2027-02-16: 24.0 technician-hours booked, 16.0 on shift"
    )
    # the belt also runs past the end of the shift: 6 h of its 8 h fit
    assert any(v.kind == "shift_time" and v.component == "C1-BELT" for v in chk.violations)


def test_unit_opened_twice(conveyor: Scenario) -> None:
    two = [
        _job(scheduled_finish="2027-01-12T12:00+01:00"),
        {
            "component_id": "C1-MOT",
            "scheduled_start": "2027-01-12T09:00+01:00",
            "scheduled_finish": "2027-01-12T12:00+01:00",
            "group_id": "C1@2027-01-12b",
        },
    ]
    chk = check_plan(conveyor, two)
    assert [v.message for v in chk.violations if v.kind == "overlap"] == [
        "unit C1 is opened twice at overlapping times: group C1@2027-01-12"
        " (2027-01-12T06:00+01:00 .. 2027-01-12T12:00+01:00) and group C1@2027-01-12b"
        " (2027-01-12T09:00+01:00 .. 2027-01-12T12:00+01:00)"
    ]
    # two openings are priced
    one = check_plan(conveyor, [two[0], {**two[1], "group_id": "C1@2027-01-12"}])
    for term in ("setup", "production_loss"):
        assert chk.cost[term] == pytest.approx(2 * one.cost[term])


@pytest.fixture(scope="module")
def pinned(conveyor_text: str) -> Scenario:
    text = conveyor_text.replace(
        "  gap: 0.0001\n",
        "  gap: 0.0001\n  frozen_until: 2027-01-11T06:00:00+01:00\n  open_work_orders:\n"
        "    - {id: WO-1, component: C1-MOT, status: released,"
        " scheduled_start: 2027-01-20T06:00:00+01:00}\n",
    )
    assert text != conveyor_text
    return load_text(text)


def test_pins_and_frozen_period(pinned: Scenario) -> None:
    frozen = _job(
        scheduled_start="2027-01-08T06:00+01:00", scheduled_finish="2027-01-08T08:00+01:00"
    )
    chk = check_plan(pinned, [frozen])
    assert sorted(_kinds(chk)) == ["frozen", "pin"]
    assert (
        "C1-MOT: work order WO-1 (released, scheduled 2027-01-20T06:00+01:00) is missing"
        " from the plan" in [v.message for v in chk.violations]
    )
    moved = {
        "component_id": "C1-MOT",
        "scheduled_start": "2027-01-21T06:00+01:00",
        "scheduled_finish": "2027-01-21T09:00+01:00",
    }
    msgs = [v.message for v in check_plan(pinned, [moved]).violations]
    assert msgs == [
        "C1-MOT: work order WO-1 (released) is fixed to 2027-01-20; the plan has it on"
        " 2027-01-21T06:00+01:00"
    ]
    kept = {
        **moved,
        "scheduled_start": "2027-01-20T06:00+01:00",
        "scheduled_finish": "2027-01-20T09:00+01:00",
    }
    assert check_plan(pinned, [kept]).violations == ()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"component_id": "NOPE", "scheduled_start": "2027-01-12T06:00"},
            r"work_orders\[0\]\.component_id: unknown component 'NOPE'",
        ),
        (
            {"component_id": "C1-MOT", "scheduled_start": "12/01/2027"},
            r"work_orders\[0\]\.scheduled_start: cannot parse '12/01/2027'",
        ),
        ({"component_id": "C1-MOT"}, r"work_orders\[0\]\.scheduled_start: expected an RFC 3339"),
        (
            {
                "component_id": "C1-MOT",
                "scheduled_start": "2027-01-12T06:00",
                "scheduled_finish": "2027-01-11T06:00",
            },
            r"work_orders\[0\]\.scheduled_finish: before scheduled_start",
        ),
    ],
)
def test_bad_input_names_the_field(conveyor: Scenario, row: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_plan(conveyor, [row])


def test_component_twice_is_refused(conveyor: Scenario) -> None:
    with pytest.raises(ValueError, match=r"work_orders\[1\]\.component_id: C1-BRG-HEAD already"):
        check_plan(conveyor, [_job(), _job()])


# --- (c) a cost computed by hand --------------------------------------------------------
HAND = """
schema_version: 1
name: hand
currency: EUR
calendar: {start: 2027-01-04T00:00:00+00:00, horizon_days: 10, period_days: 1}
fleet:
  sites:
    - id: S
      systems:
        - id: P
          production_value_per_h: 100
          operating_h_per_day: 24
          setup: {cost: 500, duration_h: 1}
          components:
            - id: A
              life: {distribution: exponential, mean_h: 1000}
              age_h: 0
              preventive: {duration_h: 2, cost: 1000}
              corrective: {duration_h: 4, cost: 5000}
              spare_part: X
              skill: mech
            - id: B
              life: {distribution: exponential, mean_h: 1000}
              age_h: 0
              preventive: {duration_h: 3, cost: 2000}
              corrective: {duration_h: 4, cost: 5000}
              spare_part: X
              skill: mech
crews:
  - {id: M, skills: [mech], headcount: 2, shifts: [{start: "00:00", end: "23:00"}],
     days_off: [], rate_per_h: 50}
inventory:
  parts:
    - {id: X, on_hand: 2, lead_time_days: 1, cost_unit: 876, holding_rate_per_year: 1.0,
       cost_order: 30}
"""


def test_cost_by_hand() -> None:
    # Exponential lives: the optimal policy is run to failure, g* = c_f / MTTF, so
    # c(t) = c_p S(t) + c_f F(t) - g* int_0^t S = c_p exp(-t / 1000): h(t) = c_p exp(-t/1000)
    # (its infimum 0 is at t -> inf), and deferring past the horizon costs
    # min_{t >= 240 h} h(t) = 0 (the limit t -> inf).
    scn = load_text(HAND)
    plan = [
        {
            "component_id": "A",
            "scheduled_start": "2027-01-05T00:00+00:00",
            "scheduled_finish": "2027-01-05T02:00+00:00",
            "group_id": "P@1",
        },
        {
            "component_id": "B",
            "scheduled_start": "2027-01-05T00:00+00:00",
            "scheduled_finish": "2027-01-05T03:00+00:00",
            "group_id": "P@1",
        },
    ]
    chk = check_plan(scn, plan)
    assert chk.violations == ()
    # both in period 1 (24 h): penalties; one opening: set-up 500 + 100 EUR/h x (1 h + 3 h);
    # two units on hand, both used in period 1: held at the end of period 0 only
    # (876 EUR x 1.0 / year x 24 h / 8760 h = 2.40 EUR per unit and day); no order.
    penalty = (1000 + 2000) * np.exp(-24 / 1000)
    opening = 500 + 100 * (1 + 3)
    holding = 2 * 876 * 24 / 8760
    assert chk.cost["penalty"] == pytest.approx(penalty, rel=1e-9)
    assert chk.cost["setup"] == pytest.approx(500.0, rel=1e-12)
    assert chk.cost["production_loss"] == pytest.approx(100 * (1 + 3), rel=1e-12)
    assert chk.purchasing == pytest.approx({"ordering": 0.0, "expediting": 0.0, "holding": holding})
    assert chk.cost["deferral"] == 0.0
    assert chk.cost["total"] == pytest.approx(penalty + opening + holding, rel=1e-9)
    # A alone in period 0: B deferred (risk 0, see above); one unit stays on the shelf
    # for all 10 periods, the other is used in period 0
    first = {
        **plan[0],
        "scheduled_start": "2027-01-04T00:00+00:00",
        "scheduled_finish": "2027-01-04T02:00+00:00",
    }
    alone = check_plan(scn, [first])
    assert alone.cost["penalty"] == pytest.approx(1000.0, rel=1e-9)
    assert alone.cost["deferral"] == pytest.approx(0.0, abs=1e-9)
    assert alone.deferred == ("B",)
    assert alone.cost["setup"] == pytest.approx(500.0)
    # the stop lasts set-up + A's 2 h (issue 13, cause 3: not the unit's longest, B's 3 h)
    assert alone.cost["production_loss"] == pytest.approx(100 * (1 + 2))
    assert alone.purchasing["holding"] == pytest.approx(10 * 876 * 24 / 8760)


def test_cheapest_orders_by_hand() -> None:
    # 1 unit short from period 2, 3 from period 5, T = 8; lead 3 periods, expedite from 1
    short = np.array([0, 0, 1, 1, 1, 3, 3, 3], dtype=float)
    # one order at 2 for 3 units: fee 10 + premium 2 x 3 + hold 1 x 3 x 6 = 34; two orders
    # (2: 1 unit, 5: 2 units): 10 + 2 + 6 + 10 + 0 + 6 = 34 -> tie; the first found wins
    # with hold 2: one order 10 + 6 + 36 = 52, two orders 10 + 2 + 12 + 10 + 12 = 46
    assert cheapest_orders(
        short, first=1, lead=3, cost_order=10, premium_unit=2, hold_unit_period=2
    ) == [
        (2, 1.0, True),
        (5, 2.0, False),
    ]
    assert cheapest_orders(
        short, first=1, lead=3, cost_order=100, premium_unit=2, hold_unit_period=2
    ) == [(2, 3.0, True)]
    # nothing short: no order
    assert (
        cheapest_orders(-short, first=0, lead=0, cost_order=1, premium_unit=0, hold_unit_period=1)
        == []
    )


# --- the command --------------------------------------------------------------------------
def test_cli_check(tmp_path: Path, conveyor: Scenario) -> None:
    runner = CliRunner()
    good = tmp_path / "good.json"
    good.write_text(json.dumps([_job()]))
    res = runner.invoke(app, ["check", str(SCN / "conveyor.yaml"), "--plan", str(good)])
    assert res.exit_code == 0, res.output
    assert "feasible" in res.output and "production_loss" in res.output
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            [
                _job(
                    scheduled_start="2027-01-10T06:00+01:00",
                    scheduled_finish="2027-01-10T08:00+01:00",
                    group_id="[bold]x[/]",
                )
            ]
        )
    )
    res = runner.invoke(app, ["check", str(SCN / "conveyor.yaml"), "--plan", str(bad), "--json"])
    assert res.exit_code == 4, res.output
    data = json.loads(res.output)
    assert data["feasible"] is False
    assert [v["kind"] for v in data["violations"]] == ["shift_time"]
    assert data["cost"]["total"] == pytest.approx(
        sum(v for k, v in data["cost"].items() if k != "total")
    )
    res = runner.invoke(app, ["check", str(SCN / "conveyor.yaml"), "--plan", str(bad)])
    assert res.exit_code == 4
    junk = tmp_path / "junk.json"
    junk.write_text(json.dumps([{"component_id": "NOPE", "scheduled_start": "2027-01-12T06:00"}]))
    res = runner.invoke(app, ["check", str(SCN / "conveyor.yaml"), "--plan", str(junk)])
    assert res.exit_code == 2
