"""Bounds and plans are those of the scenario's FULL problem (issue #12, "valid bounds").

The planner may drop periods from the model only where no optimal plan of the full
problem uses them. These tests could have caught the wave-1 pruning bug: for small
fleets with spare parts (lead times, arrivals, expediting on and off), tight crews,
life limits and windows, every method's reported bound is at most the optimum of the
UNPRUNED model (its MILP solved to proof), which is at most the reported plan; a plan is
called infeasible only when the unpruned model is infeasible.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.planning.pipeline import plan_scenario
from optimizer.problem.build import build_problem
from optimizer.problem.plan import Status
from optimizer.scenario import Scenario
from optimizer.solvers import solve
from optimizer.solvers.milp import solve_milp

ROOT = Path(__file__).resolve().parents[3]
CONVEYOR: dict[str, Any] = yaml.safe_load((ROOT / "scenarios" / "conveyor.yaml").read_text())
REL = 1e-6


def _optimum_unpruned(scn: Scenario) -> tuple[Status, float]:
    """The optimum of the unpruned model, proven by the MILP (gap 1e-9)."""
    # brute force is out of reach with spare parts; the MILP has the stock rows
    full = build_problem(scn).problem  # the problem as built: every allowed period
    plan = solve_milp(full, time_limit_s=120, gap=1e-9)  # no presolve: the full model
    assert plan.status in (Status.OPTIMAL, Status.INFEASIBLE), plan.log
    return plan.status, plan.objective


def _assert_bracketed(plan_status: Status, obj: float, bound: float, scn: Scenario) -> None:
    ref_status, ref = _optimum_unpruned(scn)
    if ref_status is Status.INFEASIBLE:
        assert plan_status is Status.INFEASIBLE
        return
    assert plan_status is not Status.INFEASIBLE, "called infeasible, but a plan exists"
    assert bound <= ref + REL * max(1.0, abs(ref)), f"bound {bound} above the optimum {ref}"
    assert obj >= ref - REL * max(1.0, abs(ref)), f"plan {obj} below the optimum {ref}?"


# --------------------------------------------------------------------------------------
# the two cases seen by users (regressions)
# --------------------------------------------------------------------------------------
def test_windfarm_main_bearing_is_replaced_when_its_spare_arrives(scenario_dir: Path) -> None:
    from optimizer.loading import load_scenario

    scn = load_scenario(scenario_dir / "windfarm.yaml")
    res = plan_scenario(scn)
    # The unpruned MILP's proven optimum (gap 1e-9): 147,088.56 in issue #12; re-derived
    # with ``solve_milp(build_problem(scn).problem, gap=1e-9)`` for issue #13: 154,563.08
    # once failures pay the part wait of shared stock (cause 8), 145,850.67 once an
    # opening is priced by the jobs in it (cause 3).
    optimum = 145_850.67
    gap = scn.plan.gap
    assert res.plan.lower_bound <= optimum * (1 + REL)
    assert res.plan.objective <= optimum * (1 + gap) + 1.0
    assert res.plan.status in (Status.OPTIMAL, Status.FEASIBLE)
    mb = res.built.problem.component_ids.index("WF-HEIDE-T03-MB")
    assert res.plan.period[mb] >= 0, "the main bearing (79% failure risk) must not be deferred"


def _conveyor_life_limited_no_spare() -> Scenario:
    d = copy.deepcopy(CONVEYOR)
    d["component_types"]["gearbox"]["max_age_h"] = 31000
    for p in d["inventory"]["parts"]:
        if p["id"] == "GBX-25":
            p["lead_time_days"] = 20
            for k in ("expedite_lead_time_days", "cost_expedite_premium", "on_order"):
                p.pop(k, None)
    return Scenario.model_validate(d)


def test_conveyor_life_limit_before_the_spare_arrives_has_a_plan() -> None:
    scn = _conveyor_life_limited_no_spare()
    res = plan_scenario(scn)
    assert res.plan.status is not Status.INFEASIBLE, res.plan.diagnosis
    _assert_bracketed(res.plan.status, res.plan.objective, res.plan.lower_bound, scn)
    # the unpruned MILP's optimum (gap 1e-9), re-derived for issue #13: 10,516.29 before,
    # 10,512.30 with the part wait of shared stock (cause 8), 10,152.30 with openings
    # priced by their jobs (cause 3)
    np.testing.assert_allclose(res.plan.objective, 10_152.30, rtol=max(scn.plan.gap, 1e-4))


def test_conveyor_bound_is_not_above_the_full_optimum(conveyor: Scenario) -> None:
    res = plan_scenario(conveyor)
    _assert_bracketed(res.plan.status, res.plan.objective, res.plan.lower_bound, conveyor)


# --------------------------------------------------------------------------------------
# property: random small fleets with parts, crews, life limits and windows
# --------------------------------------------------------------------------------------
@st.composite
def small_fleets(draw: st.DrawFn) -> Scenario:
    d = copy.deepcopy(CONVEYOR)
    d["calendar"]["horizon_days"] = draw(st.sampled_from([28, 42, 56]))
    d["calendar"]["period_days"] = 7
    d["plan"]["time_limit_s"] = 30
    comps = d["fleet"]["sites"][0]["systems"][0]["components"]
    for c in comps:
        c["age_h"] = draw(st.integers(0, 60_000))
        c.pop("prognostics", None)
    if draw(st.booleans()):  # a life limit that may fall inside the horizon
        gbx_age = next(c["age_h"] for c in comps if c["type"] == "gearbox")
        d["component_types"]["gearbox"]["max_age_h"] = gbx_age + draw(st.integers(50, 2_000))
    for p in d["inventory"]["parts"]:
        p["on_hand"] = draw(st.integers(0, 2))
        p["lead_time_days"] = draw(st.integers(1, 60))
        if not draw(st.booleans()):
            p.pop("expedite_lead_time_days", None)
            p.pop("cost_expedite_premium", None)
        elif "expedite_lead_time_days" in p:
            p["expedite_lead_time_days"] = min(p["expedite_lead_time_days"], p["lead_time_days"])
        if draw(st.booleans()):
            p.pop("on_order", None)
    for crew in d["crews"]:  # tight crews: short shifts, few working days
        crew["shifts"] = [{"start": "06:00", "end": draw(st.sampled_from(["09:00", "14:00"]))}]
        crew["days_off"] = draw(
            st.sampled_from([["sun"], ["sat", "sun"], ["mon", "tue", "wed", "sat", "sun"]])
        )
    if not draw(st.booleans()):
        d["fleet"]["sites"][0]["systems"][0].pop("windows", None)
    return Scenario.model_validate(d)


@pytest.mark.parametrize("method", ["auto", "dp", "milp", "cpsat"])
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scn=small_fleets())
def test_every_method_brackets_the_unpruned_optimum(method: str, scn: Scenario) -> None:
    plan = solve(build_problem(scn).problem, method, time_limit_s=30, gap=1e-6)
    obj = plan.objective if math.isfinite(plan.objective) else math.inf
    _assert_bracketed(plan.status, obj, plan.lower_bound, scn)


def test_multiyear_status_is_not_optimal_above_the_requested_gap(scenario_dir: Path) -> None:
    from optimizer.loading import load_scenario

    scn = load_scenario(scenario_dir / "multiyear.yaml")
    res = plan_scenario(scn, time_limit_s=5)
    plan = res.plan
    rel = (plan.objective - plan.lower_bound) / abs(plan.objective)
    assert plan.lower_bound <= plan.objective
    if rel > scn.plan.gap:
        assert plan.status is not Status.OPTIMAL, (rel, plan.status)
