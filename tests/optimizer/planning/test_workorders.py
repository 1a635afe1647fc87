"""Work orders of a next-replacement plan, checked against values computed by hand.

The plan is fixed by hand on the conveyor scenario (daily periods from Monday
2027-01-04 06:00+01:00; mechanics 2 on shift 06:00-14:00, off on Sundays): the belt on
Monday (period 0), the head bearing on Sunday (period 6), the gearbox on Tuesday
2027-02-23 (period 50); every other component deferred.
"""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest
from numpy.testing import assert_allclose

from optimizer.planning.pipeline import plan_result
from optimizer.planning.shutdowns import ShutdownResult, walk_shifts
from optimizer.planning.workorders import (
    WORK_ORDER_FIELDS,
    Labor,
    Material,
    WorkOrder,
    reconcile,
    work_orders,
)
from optimizer.problem.build import BuiltProblem, build_problem
from optimizer.problem.plan import BEYOND, Plan, Status, evaluate
from optimizer.problem.purchasing import purchase_plan
from optimizer.scenario import Scenario

HORIZON_OP_H = 180 * 16.0  # 180 daily periods, the line runs 16 h a day


@pytest.fixture(scope="module")
def built(conveyor: Scenario) -> BuiltProblem:
    return build_problem(conveyor)


@pytest.fixture(scope="module")
def plan(built: BuiltProblem) -> Plan:
    pb = built.problem
    period = np.full(pb.n_components, BEYOND)
    ids = pb.component_ids
    period[ids.index("C1-BELT")] = 0
    period[ids.index("C1-BRG-HEAD")] = 6
    period[ids.index("C1-GBX")] = 50
    cost = evaluate(pb, period)["total"]
    return Plan(period, cost, cost, Status.FEASIBLE, "by hand", 0.0)


def _weibull_p(age_h: float, dt_h: float, shape: float, scale_h: float) -> float:
    """P(fail within dt | survived age) of a Weibull life, written out."""
    return 1.0 - math.exp((age_h / scale_h) ** shape - ((age_h + dt_h) / scale_h) ** shape)


def test_the_exported_field_list() -> None:
    # The order is the contract of work_orders.csv, work_orders.json and the API.
    assert WORK_ORDER_FIELDS == (
        "id",
        "asset_id",
        "site_id",
        "position_id",
        "component_id",
        "work_type",
        "scheduled_start",
        "scheduled_finish",
        "duration_h",
        "labor",
        "materials",
        "group_id",
        "expected_cost",
        "p_fail_before_start",
        "target_date",
        "pinned",
        "reasons",
    )
    assert [f.name for f in fields(WorkOrder)] == [*WORK_ORDER_FIELDS, "extra"]


def test_as_dict_keys_rounding_and_lines() -> None:
    wo = WorkOrder(
        id="PM-X-20270104",
        asset_id="U",
        site_id="S",
        position_id="P",
        component_id="X",
        work_type="PM",
        scheduled_start="2027-01-04T06:00+01:00",
        scheduled_finish="2027-01-04T08:00+01:00",
        duration_h=2.0,
        labor=(Labor("mech", 2, 2.0),),
        materials=(Material("BRG", 1, "2027-01-04"),),
        group_id="U@2027-01-04",
        expected_cost=1234.5678,
        p_fail_before_start=0.123456789,
        reasons=("first", "second"),
        extra={"shutdown_duration_h": 2.0},
    )
    d = wo.as_dict()
    assert tuple(d) == WORK_ORDER_FIELDS
    assert d["expected_cost"] == 1234.57
    assert d["p_fail_before_start"] == 0.123457
    assert d["labor"] == [{"skill": "mech", "qty": 2, "hours": 2.0}]
    assert d["materials"] == [{"part_id": "BRG", "qty": 1, "available_on": "2027-01-04"}]
    assert d["reasons"] == ["first", "second"]
    assert d["target_date"] is None and d["pinned"] is False


def test_walk_shifts_pauses_between_shifts() -> None:
    shifts = [(6.0, 14.0), (30.0, 38.0)]
    assert walk_shifts(shifts, 3.0) == (6.0, 9.0)
    # 10 h: 8 h on the first shift, 2 h on the next
    assert walk_shifts(shifts, 10.0) == (6.0, 32.0)
    assert walk_shifts(shifts, 16.0) == (6.0, 38.0)
    assert walk_shifts(shifts, 16.5) == (math.inf, math.inf)


def test_start_and_finish_follow_the_shifts(built: BuiltProblem, plan: Plan) -> None:
    res = plan_result(built, plan)
    wo = {w.component_id: w for w in res.orders}
    assert list(wo) == ["C1-BELT", "C1-BRG-HEAD", "C1-GBX"]  # sorted by start
    # belt, 8 h x 2 mechanics, Monday: the whole 06:00-14:00 shift
    assert wo["C1-BELT"].id == "PM-C1-BELT-20270104"
    assert wo["C1-BELT"].scheduled_start == "2027-01-04T06:00+01:00"
    assert wo["C1-BELT"].scheduled_finish == "2027-01-04T14:00+01:00"
    # head bearing, 2 h, planned on Sunday (no mechanic on shift): Monday 06:00-08:00
    assert wo["C1-BRG-HEAD"].id == "PM-C1-BRG-HEAD-20270110"
    assert wo["C1-BRG-HEAD"].group_id == "C1@2027-01-10"
    assert wo["C1-BRG-HEAD"].scheduled_start == "2027-01-11T06:00+01:00"
    assert wo["C1-BRG-HEAD"].scheduled_finish == "2027-01-11T08:00+01:00"
    assert res.shutdowns["C1@2027-01-10"].makespan_h == 26.0  # Sunday 06:00 -> Monday 08:00
    # gearbox, 6 h x 2 mechanics, Tuesday 2027-02-23
    assert wo["C1-GBX"].scheduled_start == "2027-02-23T06:00+01:00"
    assert wo["C1-GBX"].scheduled_finish == "2027-02-23T12:00+01:00"
    assert wo["C1-GBX"].labor == (Labor("mechanical@PLANT-A", 2, 6.0),)
    assert [g.group_id for g in res.groups] == ["C1@2027-01-04", "C1@2027-01-10", "C1@2027-02-23"]


def test_numbers_of_orders_and_deferred(built: BuiltProblem, plan: Plan) -> None:
    pb = built.problem
    res = plan_result(built, plan)
    ev = evaluate(pb, plan.period)
    done = plan.period >= 0
    # each job is alone in its shutdown: the whole opening + its penalty h_i(t)
    assert_allclose(
        [w.expected_cost for w in sorted(res.orders, key=lambda w: w.component_id)],
        [
            float(pb.penalty[i, plan.period[i]] + pb.opening_cost[pb.system_of[i], plan.period[i]])
            for i in sorted(np.flatnonzero(done), key=lambda i: pb.component_ids[i])
        ],
        rtol=1e-12,
    )
    assert_allclose(
        sum(w.expected_cost for w in res.orders),
        ev["setup"] + ev["production_loss"] + ev["penalty"],
        rtol=1e-12,
    )
    # orders + deferred risk + purchasing = the objective (issue #12: one cost language)
    rec = reconcile(res.orders, res.deferred, ev)
    assert_allclose(rec["total"], ev["total"], rtol=1e-12)
    gbx = next(w for w in res.orders if w.component_id == "C1-GBX")
    # gearbox: Weibull(2.5, 45,000 h) at 30,500 h, 50 days x 16 h later
    assert_allclose(gbx.p_fail_before_start, _weibull_p(30500, 800, 2.5, 45000), rtol=1e-9)
    tail = next(d for d in res.deferred if d.component_id == "C1-BRG-TAIL")
    # tail bearing: Weibull(2.0, 30,000 h) at 9,000 h, over the whole horizon
    assert_allclose(
        tail.p_fail_within_horizon, _weibull_p(9000, HORIZON_OP_H, 2.0, 30000), rtol=1e-9
    )
    assert tail.risk_cost == pytest.approx(float(pb.penalty_beyond[3]))
    assert {d.component_id for d in res.deferred} == {
        "C1-MOT",
        "C1-BRG-TAIL",
        "C1-TNS-A",
        "C1-TNS-B",
    }


def test_materials_dated_by_the_purchase_plan(built: BuiltProblem, plan: Plan) -> None:
    res = plan_result(built, plan)
    mat = {w.component_id: w.materials for w in res.orders}
    # belt and bearing from stock on hand; the gearbox from the order arriving 2027-02-15
    assert mat["C1-BELT"] == (Material("BELT-EP630", 1, "2027-01-04"),)
    assert mat["C1-BRG-HEAD"] == (Material("BRG-22210", 1, "2027-01-04"),)
    assert mat["C1-GBX"] == (Material("GBX-25", 1, "2027-02-15"),)
    assert res.purchases is not None and res.purchases.orders == ()
    assert res.purchase_orders == ()


def test_given_schedules_are_only_read(built: BuiltProblem, plan: Plan) -> None:
    """Without a schedule a job starts at its period's start and runs its duration;
    with one, its slot (hours from the period start) is the start and finish."""
    pb = built.problem
    bare, _ = work_orders(built, plan, shutdowns={}, purchases=None)
    belt = next(w for w in bare if w.component_id == "C1-BELT")
    assert (belt.scheduled_start, belt.scheduled_finish) == (
        "2027-01-04T06:00+01:00",
        "2027-01-04T14:00+01:00",
    )
    assert belt.materials == (Material("BELT-EP630", 1, None),)
    assert "shutdown_duration_h" not in belt.extra
    slot = ShutdownResult("C1@2027-01-04", {"C1-BELT": (2.5, 12.0)}, 12.0, "optimal")
    given, _ = work_orders(
        built,
        plan,
        shutdowns={"C1@2027-01-04": slot},
        purchases=purchase_plan(pb, plan.period),
    )
    belt = next(w for w in given if w.component_id == "C1-BELT")
    assert (belt.scheduled_start, belt.scheduled_finish) == (
        "2027-01-04T08:30+01:00",
        "2027-01-04T18:00+01:00",
    )
    assert belt.extra == {"shutdown_duration_h": 12.0}
