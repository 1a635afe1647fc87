"""The exact presolve keeps every optimal plan (proof in optimizer/solvers/presolve.py).

Checked by brute force on random instances with and without binding crews, windows,
pins and multi-period jobs: the optimum of the pruned problem equals the optimum of the
full one, and so does feasibility.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from numpy.testing import assert_allclose

from optimizer.problem.plan import BEYOND, Status, evaluate
from optimizer.solvers import solve
from optimizer.solvers.brute import solve_brute
from optimizer.solvers.presolve import prune_exact

from .conftest import build_problem


@pytest.mark.parametrize("seed", range(40))
def test_pruned_problem_has_the_full_optimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    problem = build_problem(
        n=int(rng.integers(3, 6)),
        K=int(rng.integers(1, 3)),
        T=int(rng.integers(3, 6)),
        seed=seed,
        capacitated=bool(seed % 2),
        windows=bool(seed % 3 == 0),
        pins=bool(seed % 5 == 0),
        shape="weibull" if seed % 4 else "quadratic",
        max_span=2 if seed % 7 == 0 else 1,
    )
    pruned = prune_exact(problem)
    full = solve_brute(problem)
    red = solve_brute(pruned.problem)
    assert (full.status is Status.INFEASIBLE) == (red.status is Status.INFEASIBLE)
    if full.feasible:
        assert_allclose(red.objective, full.objective, rtol=1e-9, atol=1e-9)
    assert pruned.pairs_after <= pruned.pairs_before


def test_uncoupled_instance_is_pruned_hard_and_exactly() -> None:
    # no crews, no stock: every component is movable and its dear periods go
    problem = build_problem(n=6, K=2, T=6, seed=3, shape="weibull")
    pruned = prune_exact(problem)
    assert pruned.movable.all()
    assert pruned.pairs_after < 0.6 * pruned.pairs_before
    assert_allclose(
        solve_brute(pruned.problem).objective, solve_brute(problem).objective, rtol=1e-12
    )


def test_binding_crews_keep_every_period_of_the_jobs_they_serve() -> None:
    # one skill, capacity 8 h per period, jobs of 8 h: any two jobs in one period
    # exceed it, so no crew cell is safe and nothing movable has a period target
    problem = build_problem(n=4, K=1, T=4, seed=1, capacitated=True, n_skills=1)
    problem = replace(
        problem,
        crew_hours=np.full((1, 4), 8.0),
        duration_h=np.full(4, 8.0),
        crew_qty=np.ones(4, dtype=np.int64),
        penalty_beyond=np.full(4, np.inf),  # no deferral target either
    )
    pruned = prune_exact(problem)
    assert not pruned.movable.any()
    assert np.array_equal(pruned.problem.allowed, problem.allowed)


def test_repair_moves_a_dropped_pair_to_a_target_that_costs_no_more() -> None:
    problem = build_problem(n=6, K=2, T=6, seed=11, shape="weibull")
    pruned = prune_exact(problem)
    dropped = np.argwhere(problem.allowed & ~pruned.problem.allowed)
    assert len(dropped)
    i, t = dropped[0]
    plan = np.full(problem.n_components, BEYOND, dtype=np.int64)
    plan[i] = t
    fixed = pruned.repair(plan)
    assert fixed[i] != t
    assert evaluate(problem, fixed)["total"] < evaluate(problem, plan)["total"]


def test_solve_logs_the_presolve() -> None:
    problem = build_problem(n=6, K=2, T=6, seed=3, shape="weibull")
    plan = solve(problem, "milp")
    assert any(line.startswith("presolve:") for line in plan.log)
    assert_allclose(plan.objective, solve_brute(problem).objective, rtol=1e-7)
