"""The LP-guided start heuristic of the MILP (optimizer.solvers.lp_heuristic).

It must never change the optimum (it only supplies a starting incumbent), its plan must
be feasible, and its LP value must be a lower bound of the optimum.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.testing import assert_allclose

from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import Plan, Status, evaluate, violations
from optimizer.solvers import milp
from optimizer.solvers.lp_heuristic import opening_heuristic
from optimizer.solvers.model import build_direct_model

CASES = [
    # (n, K, T, seed, windows, pins, max_span)
    (14, 3, 25, 1, False, False, 1),
    (14, 3, 25, 2, True, True, 1),
    (12, 2, 20, 3, False, True, 3),
    (16, 4, 30, 4, True, False, 2),
    (10, 1, 15, 5, False, False, 1),
]


def _solve(problem: PlanningProblem, heuristic: bool) -> Plan:
    old = milp.HEURISTIC
    milp.HEURISTIC = heuristic
    try:
        return milp.solve_milp(problem, gap=1e-9, time_limit_s=60.0)
    finally:
        milp.HEURISTIC = old


@pytest.mark.parametrize(("n", "k", "t", "seed", "windows", "pins", "span"), CASES)
def test_heuristic_keeps_the_optimum(
    make_problem: Callable[..., PlanningProblem],
    n: int,
    k: int,
    t: int,
    seed: int,
    windows: bool,
    pins: bool,
    span: int,
) -> None:
    problem = make_problem(
        n, k, t, seed, capacitated=True, windows=windows, pins=pins, max_span=span
    )
    with_h = _solve(problem, True)
    without = _solve(problem, False)
    assert with_h.status is Status.OPTIMAL and without.status is Status.OPTIMAL
    assert any("LP heuristic" in line for line in with_h.log)
    assert not any("LP heuristic" in line for line in without.log)
    assert_allclose(with_h.objective, without.objective, rtol=1e-7)
    assert not violations(problem, with_h.period)


@pytest.mark.parametrize(("n", "k", "t", "seed", "windows", "pins", "span"), CASES)
def test_heuristic_plan_is_feasible_and_lp_is_a_bound(
    make_problem: Callable[..., PlanningProblem],
    n: int,
    k: int,
    t: int,
    seed: int,
    windows: bool,
    pins: bool,
    span: int,
) -> None:
    problem = make_problem(
        n, k, t, seed, capacitated=True, windows=windows, pins=pins, max_span=span
    )
    optimum = _solve(problem, False).objective
    model = build_direct_model(problem)
    heur = opening_heuristic(problem, model, time_limit_s=None, gap=1e-9)
    assert heur.lp_bound <= optimum + 1e-6 * max(1.0, abs(optimum))
    assert heur.col_value is not None
    period = model.period_from_columns(heur.col_value, problem.n_components)
    assert not violations(problem, period)
    # c'v may include an opening no job uses; the plan's exact cost cannot exceed it
    assert optimum - 1e-6 <= evaluate(problem, period)["total"] <= heur.objective + 1e-6


def test_cheaper_warm_start_is_kept(make_problem: Callable[..., PlanningProblem]) -> None:
    problem = make_problem(14, 3, 25, 1, capacitated=True)
    best = _solve(problem, False)
    plan = milp.solve_milp(problem, gap=1e-9, warm_start=best.period)
    assert any("kept the given warm start" in line for line in plan.log)
    assert_allclose(plan.objective, best.objective, rtol=1e-9)


def test_no_heuristic_without_crew_rows(make_problem: Callable[..., PlanningProblem]) -> None:
    problem = make_problem(10, 2, 12, 7, capacitated=False)
    plan = milp.solve_milp(problem, gap=1e-9)
    assert not any("LP heuristic" in line for line in plan.log)


def test_time_limit_still_returns_a_plan(make_problem: Callable[..., PlanningProblem]) -> None:
    problem = make_problem(16, 4, 30, 4, capacitated=True)
    plan = milp.solve_milp(problem, gap=1e-9, time_limit_s=1e-3)
    assert plan.feasible
    assert not violations(problem, plan.period)
    assert np.isfinite(plan.objective)
    assert plan.lower_bound <= plan.objective


def test_lp_stopped_by_the_time_limit_gives_no_bound(
    make_problem: Callable[..., PlanningProblem],
) -> None:
    # A simplex stopped early may hold a feasible, non-optimal point: its value is no
    # bound and must not be reported as one.
    problem = make_problem(40, 4, 60, 3, capacitated=True)
    model = build_direct_model(problem)
    heur = opening_heuristic(problem, model, time_limit_s=1e-6, gap=1e-9)
    assert heur.lp_bound == -np.inf
    assert heur.col_value is None
    assert "LP not solved" in heur.log
