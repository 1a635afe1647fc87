"""An opening is priced by the jobs actually in it (issue 13, cause 3), against brute force.

A line with one long job (a 16 h clutch) and one short job (2 h): the stop of an opening
lasts the set-up plus its longest job, so the short job alone must not be priced at
16 h.  Every assignment of the two jobs to the periods (or beyond the horizon) is priced
here from first principles -- penalty curves ``h_i(t)``, deferral risks and one opening
per period used: ``setup + value x (setup_h + longest job in it)`` -- and the planning
model must price each the same and find the cheapest.  (Before: every opening cost
``setup + value x (setup_h + 16 h)``, so the short job alone paid for the clutch.)
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
from numpy.testing import assert_allclose

sys.path.insert(0, str(Path(__file__).parents[1] / "sim"))
from sim_scenarios import component, scenario, system, weibull

from optimizer.check import check_plan
from optimizer.problem.build import build_problem
from optimizer.problem.plan import BEYOND, evaluate
from optimizer.scenario import Scenario
from optimizer.solvers import solve

VALUE, SETUP, SETUP_H = 1000.0, 500.0, 1.0
DUR = {"CLUTCH": 16.0, "BRG": 2.0}


def _line(clutch_age_h: float, bearing_age_h: float) -> Scenario:
    comps = [
        component(
            "CLUTCH",
            life=weibull(3.0, 6000.0),
            age_h=clutch_age_h,
            pm_h=16.0,
            cost_pm_other=2000.0,
            cost_cm_other=40_000.0,
        ),
        component(
            "BRG",
            life=weibull(2.5, 3000.0),
            age_h=bearing_age_h,
            pm_h=2.0,
            cost_pm_other=200.0,
            cost_cm_other=20_000.0,
        ),
    ]
    line = system("L1", comps, value=VALUE, setup=SETUP, setup_h=SETUP_H)
    return scenario([line])


def _true_cost(built: object, period: tuple[int, int]) -> float:
    """The cost of an assignment from first principles (no value profile, no windows)."""
    curves = built.curves  # type: ignore[attr-defined]
    pb = built.problem  # type: ignore[attr-defined]
    ids = pb.component_ids
    cost = 0.0
    used: dict[int, float] = {}
    for i, t in enumerate(period):
        if t == BEYOND:
            cost += float(curves.penalty_beyond[i])
        else:
            cost += float(curves.penalty[i, t])
            used[t] = max(used.get(t, 0.0), DUR[ids[i]])
    return cost + sum(SETUP + VALUE * (SETUP_H + longest) for longest in used.values())


def test_every_assignment_is_priced_by_the_jobs_in_its_openings() -> None:
    for ages in [(1000.0, 2900.0), (4500.0, 500.0), (5200.0, 2600.0)]:
        built = build_problem(_line(*ages))
        pb = built.problem
        t_count = pb.penalty.shape[1]
        choices = [BEYOND, *range(t_count)]
        best = np.inf
        for period in itertools.product(choices, repeat=2):
            if any(t != BEYOND and not pb.allowed[i, t] for i, t in enumerate(period)):
                continue
            truth = _true_cost(built, period)
            got = evaluate(pb, np.array(period, dtype=np.int64))["total"]
            assert_allclose(got, truth, rtol=1e-9, err_msg=f"ages {ages}, periods {period}")
            best = min(best, truth)
        plan = solve(pb, "milp", gap=1e-9)
        assert_allclose(plan.objective, best, rtol=1e-7, err_msg=f"ages {ages}")


def test_the_short_job_alone_is_not_priced_at_the_long_one() -> None:
    """Worn bearing, young clutch: the bearing is replaced alone, and its opening costs
    ``setup + value x (setup_h + 2 h)`` = 3,500, not 17,500."""
    built = build_problem(_line(500.0, 3000.0))
    pb = built.problem
    plan = solve(pb, "milp", gap=1e-9)
    brg, clutch = pb.component_ids.index("BRG"), pb.component_ids.index("CLUTCH")
    assert plan.period[brg] != BEYOND and plan.period[clutch] == BEYOND
    terms = evaluate(pb, plan.period)
    assert_allclose(terms["setup"] + terms["production_loss"], SETUP + VALUE * (SETUP_H + 2.0))


def test_checker_prices_the_openings_the_same_way() -> None:
    """The independent checker (work orders -> cost) agrees with the planner."""
    from optimizer.planning.pipeline import plan_scenario

    scn = _line(5200.0, 2600.0)
    res = plan_scenario(scn)
    chk = check_plan(scn, [w.as_dict() for w in res.orders])
    assert not chk.violations, chk.violations
    assert_allclose(chk.cost["total"], res.plan.objective, rtol=1e-6)
