"""End to end: plan a scenario, work orders and their reasons, CLI files."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from optimizer.planning.pipeline import (
    as_executed,
    late_openings,
    plan_scenario,
    refuse_openings,
)
from optimizer.planning.shutdowns import ShutdownResult, group_id
from optimizer.planning.workorders import WORK_ORDER_FIELDS
from optimizer.problem.build import build_problem
from optimizer.problem.plan import BEYOND, Plan, Status, evaluate, violations
from optimizer.scenario import Scenario

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def conveyor_plan(conveyor: Scenario):  # type: ignore[no-untyped-def]
    return plan_scenario(conveyor)


def test_plan_is_feasible_optimal_and_consistent(conveyor_plan) -> None:  # type: ignore[no-untyped-def]
    r = conveyor_plan
    pb = r.built.problem
    assert str(r.plan.status) == "optimal"
    assert violations(pb, r.plan.period) == []
    assert_allclose(evaluate(pb, r.plan.period)["total"], r.plan.objective, rtol=1e-9)
    assert r.plan.lower_bound <= r.plan.objective + 1e-6
    assert len(r.orders) + len(r.deferred) == pb.n_components


def test_work_orders_carry_numbers(conveyor_plan) -> None:  # type: ignore[no-untyped-def]
    r = conveyor_plan
    fm = r.built.fleet
    for wo in r.orders:
        i = r.built.problem.component_ids.index(wo.component_id)
        t = int(r.plan.period[i])
        # P(fail before start) is the residual-life cdf at the planned operating time.
        t_h = t * r.built.problem.period_h / 24 * fm.operating_h_per_day[i]
        assert_allclose(wo.p_fail_before_start, float(fm.residual[i].cdf(t_h)), rtol=1e-9)
        assert wo.reasons and all(re.search(r"\d", x) for x in wo.reasons)
        assert wo.scheduled_finish > wo.scheduled_start
        assert wo.group_id.startswith(wo.asset_id)
        assert wo.labor[0].hours == wo.duration_h
    grouped = [wo for wo in r.orders if "join the" in wo.reasons[0]]
    assert grouped, "the conveyor plan groups jobs into a shutdown"
    assert any("saves" in wo.reasons[0] and "P(fail)" in wo.reasons[0] for wo in grouped)


def test_group_rows_match_plan(conveyor_plan) -> None:  # type: ignore[no-untyped-def]
    r = conveyor_plan
    groups = r.groups
    assert sum(len(g.components) for g in groups) == len(r.orders)
    split = r.plan.cost_split
    assert_allclose(sum(g.opening_cost for g in groups), split["setup"] + split["production_loss"])


def test_same_input_same_plan(conveyor: Scenario, conveyor_plan) -> None:  # type: ignore[no-untyped-def]
    again = plan_scenario(conveyor)
    assert np.array_equal(again.plan.period, conveyor_plan.plan.period)
    assert again.as_dict()["work_orders"] == conveyor_plan.as_dict()["work_orders"]


@pytest.mark.parametrize("method", ["dp", "milp", "cpsat"])
def test_every_method_gives_a_plan(conveyor: Scenario, method: str) -> None:
    r = plan_scenario(conveyor, method=method, time_limit_s=20)
    assert r.plan.feasible
    assert violations(r.built.problem, r.plan.period) == []


def test_cli_plan_writes_files(tmp_path: Path) -> None:
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "optimizer",
            "plan",
            "scenarios/conveyor.yaml",
            "--out",
            str(tmp_path),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stderr
    payload = json.loads(res.stdout)  # stdout is pure JSON (no solver banner)
    assert payload["status"] == "optimal"
    on_disk = json.loads((tmp_path / "plan.json").read_text())
    assert on_disk["work_orders"] == payload["work_orders"]
    with (tmp_path / "work_orders.csv").open() as fh:
        assert tuple(next(csv.reader(fh))) == WORK_ORDER_FIELDS
    rows = list(csv.DictReader((tmp_path / "work_orders.csv").open()))
    assert [r["id"] for r in rows] == [w["id"] for w in payload["work_orders"]]
    assert all(tuple(w) == WORK_ORDER_FIELDS for w in payload["work_orders"])
    assert json.loads((tmp_path / "work_orders.json").read_text()) == payload["work_orders"]


def test_cli_plan_rejects_unknown_method() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "optimizer", "plan", "scenarios/conveyor.yaml", "--method", "magic"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert res.returncode == 2
    assert "magic" in res.stderr and "Traceback" not in res.stderr


def test_hour_level_schedule_respects_crew_and_shifts(conveyor_plan) -> None:  # type: ignore[no-untyped-def]
    """The C1 shutdown: gearbox (2 mechanics, 6 h) and head bearing (1 mechanic, 2 h)
    with 2 mechanics on a 06:00-14:00 shift: by hand the gearbox takes both, so the
    bearing follows it: 06:00-12:00 then 12:00-14:00, an 8 h shutdown."""
    from datetime import datetime

    orders = {w.component_id: w for w in conveyor_plan.orders}
    gbx, brg = orders["C1-GBX"], orders["C1-BRG-HEAD"]
    assert gbx.group_id == brg.group_id
    s = {k: datetime.fromisoformat(v.scheduled_start) for k, v in orders.items()}
    f = {k: datetime.fromisoformat(v.scheduled_finish) for k, v in orders.items()}
    assert (f["C1-GBX"] - s["C1-GBX"]).total_seconds() == 6 * 3600
    assert s["C1-BRG-HEAD"] >= f["C1-GBX"] or f["C1-BRG-HEAD"] <= s["C1-GBX"]
    assert gbx.extra["shutdown_duration_h"] == 8.0
    for w in (gbx, brg):
        start = datetime.fromisoformat(w.scheduled_start)
        finish = datetime.fromisoformat(w.scheduled_finish)
        assert start.hour >= 6 and (finish.hour, finish.minute) <= (14, 0)


def test_late_openings_are_refused_and_moved(conveyor: Scenario) -> None:
    # An opening whose hour-level work starts after its period (unit or crews busy) is
    # found, refused in the periods it could not use, and its jobs moved to the period
    # their work can start in (the warm start of the re-solve), issue #12.
    built = build_problem(conveyor)
    pb = built.problem
    period = np.full(pb.n_components, BEYOND)
    i = pb.component_ids.index("C1-BRG-HEAD")
    period[i] = 0
    cost = evaluate(pb, period)["total"]
    plan = Plan(period, cost, cost, Status.FEASIBLE, "by hand", 0.0)
    k = int(pb.system_of[i])
    gid = group_id(pb, k, 0)
    on_time = {gid: ShutdownResult(gid, {"C1-BRG-HEAD": (2.0, 4.0)}, 4.0, "optimal")}
    assert late_openings(built, plan, on_time) == []
    # work starting 30 h after the period start: in period 1, so periods 0 and 1 are lost
    late = {gid: ShutdownResult(gid, {"C1-BRG-HEAD": (30.0, 32.0)}, 32.0, "optimal")}
    assert late_openings(built, plan, late) == [(k, 0, 2)]
    cut = refuse_openings(built, [(k, 0, 2)])
    assert not cut.problem.open_allowed[k, :2].any()
    assert np.array_equal(cut.problem.open_allowed[k, 2:], pb.open_allowed[k, 2:])
    assert as_executed(cut, plan, [(k, 0, 2)])[i] == 2
    # an overbooked or missing schedule is late too: its own period is refused
    assert late_openings(built, plan, {}) == [(k, 0, 1)]


def test_conveyor_needs_no_hour_level_round(conveyor_plan) -> None:  # type: ignore[no-untyped-def]
    assert not any("hour-level round" in line for line in conveyor_plan.plan.log)


def test_round_budget_halves_what_is_left_and_the_last_round_takes_all() -> None:
    import time

    from optimizer.planning.pipeline import MAX_HOUR_ROUNDS, round_budget_s

    assert round_budget_s(None, 1) is None
    deadline = time.perf_counter() + 8.0
    first = round_budget_s(deadline, 1)
    last = round_budget_s(deadline, MAX_HOUR_ROUNDS)
    assert first is not None and last is not None
    assert_allclose(first, 4.0, atol=0.05)
    assert_allclose(last, 8.0, atol=0.05)
    assert round_budget_s(time.perf_counter() - 1.0, 1) == 0.0  # past the deadline


def test_time_limit_is_the_request_budget_and_check_agrees() -> None:
    """The time limit bounds the first solve and the hour-level rounds together (the
    first solve gets FIRST_SOLVE_SHARE of it, the rounds the rest; each round used to
    get the whole limit again, up to five times the limit in all).  With 10 s the plant
    plan ends within the limit plus HiGHS's abandonment grace, and its objective is what
    the independent checker computes from its work orders (no opening left late)."""
    import time

    from optimizer.check import check_plan
    from optimizer.loading import load_scenario

    scn = load_scenario(ROOT / "scenarios" / "plant.yaml")
    t0 = time.perf_counter()
    res = plan_scenario(scn, time_limit_s=10.0)
    wall = time.perf_counter() - t0
    assert res.timings_s["solve"] <= 10.0 + 3.0, res.timings_s
    assert wall <= res.timings_s["build"] + 10.0 + 3.0 + 5.0  # work orders etc. are fast
    assert res.plan.feasible
    assert not any("still cannot start" in m for m in res.plan.log), res.plan.log
    chk = check_plan(scn, [w.as_dict() for w in res.orders])
    assert_allclose(chk.cost["total"], res.plan.objective, rtol=1e-6)
