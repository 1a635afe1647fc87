"""``on_incumbent``: each improved feasible plan is reported while the solver works.

Checked against an independent costing (:func:`optimizer.problem.plan.evaluate` and
:func:`optimizer.problem.plan.violations` of each reported assignment), for the MILP and CP-SAT
backends directly and through :func:`optimizer.solvers.solve` (including the
stock paths that map the backend's plans back onto the problem with parts).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from optimizer.loading import parse_scenario
from optimizer.problem.build import build_problem as build_scenario_problem
from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import Plan, Status, evaluate, violations
from optimizer.solvers import milp, solve, stock_can_bind
from optimizer.solvers.cpsat import solve_cpsat
from optimizer.solvers.milp import solve_milp

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from fleetgen import make_scenario


def _check_sequence(pb: PlanningProblem, seen: list[Plan], final: Plan, at_least: int = 2) -> None:
    """Incumbents are feasible, exactly costed, strictly improving; final is no worse."""
    assert len(seen) >= at_least, "expected several incumbents on this instance"
    for p in seen:
        assert p.status is Status.FEASIBLE
        assert not violations(pb, p.period)
        assert_allclose(p.objective, evaluate(pb, p.period)["total"], rtol=1e-12)
        assert p.lower_bound <= p.objective + 1e-9
    objs = np.array([p.objective for p in seen])
    assert (np.diff(objs) < 0).all(), objs
    assert final.objective <= objs[-1] * (1 + 1e-12) + 1e-9
    assert_allclose(final.objective, evaluate(pb, final.period)["total"], rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 2])
def test_milp_reports_improving_incumbents(make_problem, seed: int, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """HiGHS's own incumbents (the LP start heuristic, which often finds the optimum at
    once, is switched off so that the callback sequence is exercised)."""
    monkeypatch.setattr(milp, "HEURISTIC", False)
    pb = make_problem(40, 6, 30, seed, capacitated=True, windows=True)
    seen: list[Plan] = []
    final = solve_milp(pb, time_limit_s=20, gap=1e-6, on_incumbent=seen.append)
    _check_sequence(pb, seen, final)
    if final.status is Status.OPTIMAL:
        # the optimum is the last incumbent HiGHS found
        assert_allclose(final.objective, seen[-1].objective, rtol=1e-12)
        np.testing.assert_array_equal(final.period, seen[-1].period)


@pytest.mark.parametrize("seed", [0, 2])
def test_milp_reports_its_start_heuristic(make_problem, seed: int) -> None:  # type: ignore[no-untyped-def]
    """With the LP start heuristic the first incumbent is its plan, even when the full
    MILP is then skipped because the LP bound already proves it within the gap."""
    pb = make_problem(40, 6, 30, seed, capacitated=True, windows=True)
    seen: list[Plan] = []
    final = solve_milp(pb, time_limit_s=20, gap=1e-6, on_incumbent=seen.append)
    _check_sequence(pb, seen, final, at_least=1)
    assert seen[0].log == ("incumbent (start heuristic)",)


@pytest.mark.parametrize("seed", [0, 1])
def test_cpsat_reports_improving_incumbents(make_problem, seed: int) -> None:  # type: ignore[no-untyped-def]
    pb = make_problem(40, 6, 30, seed, capacitated=True, windows=True)
    seen: list[Plan] = []
    final = solve_cpsat(pb, time_limit_s=1.0, gap=1e-6, num_workers=1, on_incumbent=seen.append)
    _check_sequence(pb, seen, final)


def test_no_callback_same_plan(make_problem) -> None:  # type: ignore[no-untyped-def]
    """Listening changes nothing about the search (deterministic single-thread HiGHS)."""
    pb = make_problem(40, 6, 30, 0, capacitated=True, windows=True)
    quiet = solve_milp(pb, time_limit_s=20, gap=1e-6)
    loud = solve_milp(pb, time_limit_s=20, gap=1e-6, on_incumbent=lambda _p: None)
    np.testing.assert_array_equal(quiet.period, loud.period)
    assert_allclose(quiet.objective, loud.objective, rtol=1e-12)


def test_dp_reports_its_final_plan_once(make_problem) -> None:  # type: ignore[no-untyped-def]
    pb = make_problem(12, 3, 20, 4)
    seen: list[Plan] = []
    final = solve(pb, "dp", on_incumbent=seen.append)
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0].period, final.period)
    assert_allclose(seen[0].objective, final.objective, rtol=1e-12)


def test_solve_maps_incumbents_onto_the_problem_with_stock() -> None:
    """Ample stock (holding folded into the penalties): each reported plan is costed on
    the problem with parts, purchasing included, not on the folded problem."""
    pb = build_scenario_problem(
        parse_scenario(make_scenario(40, 4, seed=5, crews="tight", stock="ample"))
    ).problem
    assert pb.has_parts and not stock_can_bind(pb)
    seen: list[Plan] = []
    final = solve(pb, "milp", time_limit_s=20, on_incumbent=seen.append)
    assert seen
    for p in seen:
        assert_allclose(p.objective, evaluate(pb, p.period)["total"], rtol=1e-12)
        assert {"ordering", "expediting", "holding"} <= set(p.cost_split)
        assert_allclose(sum(p.cost_split.values()), p.objective, rtol=1e-12)
    objs = np.array([p.objective for p in seen])
    assert (np.diff(objs) < 0).all()
    assert final.objective <= objs[-1] * (1 + 1e-12)


def test_a_raising_callback_surfaces(make_problem) -> None:  # type: ignore[no-untyped-def]
    """An error in the caller's callback is raised by solve, not swallowed by the solver."""
    pb = make_problem(40, 6, 30, 0, capacitated=True, windows=True)

    def boom(_p: Plan) -> None:
        raise RuntimeError("callback failed")

    for fn in (solve_milp, solve_cpsat):
        with pytest.raises(RuntimeError, match="callback failed"):
            fn(pb, time_limit_s=5, on_incumbent=boom)
