"""The exact presolve keeps every optimal plan (proof in optimizer/solvers/presolve.py).

Checked by brute force on random instances with and without binding crews, windows,
pins and multi-period jobs: the optimum of the pruned problem equals the optimum of the
full one, and so does feasibility.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
from numpy.testing import assert_allclose

from optimizer.problem.data import NO_PIN, PlanningProblem, SpareParts
from optimizer.problem.plan import BEYOND, Status, evaluate, violations
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


def _stock_problem(seed: int) -> PlanningProblem:
    """Tiny random instance whose spare-part pools can run short (stock-bound jobs)."""
    rng = np.random.default_rng(seed)
    n, n_t, n_p = int(rng.integers(3, 5)), int(rng.integers(4, 6)), 2
    part_of = rng.integers(-1, n_p, size=n)
    part_of[0] = 0  # pool 0 has a user
    parts = SpareParts(
        part_ids=tuple(f"P{p}" for p in range(n_p)),
        warehouse=("main",) * n_p,
        part_of=part_of.astype(np.int64),
        qty=rng.integers(1, 3, size=n).astype(np.int64),
        on_hand=rng.integers(0, 2, size=n_p).astype(np.float64),
        arrivals=np.zeros((n_p, n_t)),
        lead_time_days=rng.uniform(1.0, 4.0, size=n_p),
        expedite_lead_time_days=np.where(rng.random(n_p) < 0.5, 0.5, np.inf),
        cost_unit=rng.uniform(500.0, 5000.0, size=n_p),
        holding_rate_per_year=np.full(n_p, 0.25),
        cost_order=rng.uniform(0.0, 40.0, size=n_p),
        cost_expedite_premium=rng.uniform(0.0, 60.0, size=n_p),
    )
    allowed = rng.random((n, n_t)) < 0.8
    allowed[:, 0] = True
    return PlanningProblem(
        start=datetime(2027, 1, 4, tzinfo=UTC),
        period_h=24.0,
        component_ids=tuple(f"C{i}" for i in range(n)),
        system_ids=("S0", "S1"),
        system_of=np.arange(n) % 2,
        # dear periods on both sides, so that deferral beats some of them
        penalty=rng.uniform(0.0, 300.0, size=(n, n_t)),
        penalty_beyond=np.where(rng.random(n) < 0.8, rng.uniform(50.0, 200.0, size=n), np.inf),
        allowed=allowed,
        opening_cost=rng.uniform(0.0, 40.0, size=(2, n_t)),
        open_allowed=np.ones((2, n_t), dtype=bool),
        duration_h=np.full(n, 2.0),
        skill_of=np.zeros(n, dtype=np.int64),
        crew_qty=np.ones(n, dtype=np.int64),
        skill_ids=("mech",),
        crew_hours=np.full((1, n_t), 4.0 if seed % 2 else np.inf),
        pinned_period=np.full(n, NO_PIN, dtype=np.int64),
        parts=parts,
    )


def _enumerate(problem: PlanningProblem) -> float:
    """Cheapest feasible plan by enumerating every assignment, costed by ``evaluate``."""
    best = np.inf
    for combo in itertools.product(range(-1, problem.n_periods), repeat=problem.n_components):
        per = np.array(combo, dtype=np.int64)
        if not violations(problem, per):
            best = min(best, evaluate(problem, per)["total"])
    return float(best)


@pytest.mark.parametrize("seed", range(16))
def test_stock_bound_deferral_pruning_keeps_the_optimum(seed: int) -> None:
    """Pairs of jobs on short pools dearer than deferral plus the extra holding go
    (module docstring); the enumerated optimum of the pruned problem (purchasing
    included) equals the full one's."""
    problem = _stock_problem(seed)
    pruned = prune_exact(problem)
    full = _enumerate(problem)
    red = _enumerate(pruned.problem)
    assert np.isfinite(full) == np.isfinite(red)
    if np.isfinite(full):
        assert_allclose(red, full, rtol=1e-9, atol=1e-9)


def test_stock_bound_pairs_are_dropped_and_repaired_to_deferral() -> None:
    dropped = 0
    for seed in range(16):
        problem = _stock_problem(seed)
        pruned = prune_exact(problem)
        if pruned.stock_bound is None:
            continue  # no pool of this instance can run short
        gone = np.argwhere(problem.allowed & ~pruned.problem.allowed & pruned.stock_bound[:, None])
        dropped += len(gone)
        for i, t in gone:
            plan = np.full(problem.n_components, BEYOND, dtype=np.int64)
            plan[i] = t
            if violations(problem, plan) or not np.isfinite(evaluate(problem, plan)["total"]):
                continue  # not a plan (crew, stock-out)
            fixed = pruned.repair(plan)
            assert fixed[i] == BEYOND
            assert evaluate(problem, fixed)["total"] < evaluate(problem, plan)["total"]
    assert dropped > 0  # the random instances do exercise the rule
