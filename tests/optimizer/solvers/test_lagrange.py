"""Lagrangian decomposition: exact knapsacks, valid bounds, feasible plans, dispatch.

The bound is checked against the MILP optimum (HiGHS, gap 0) on small crew-coupled
instances; the knapsack against enumeration of every subset.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import optimizer.solvers as solvers
from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import Status, evaluate, violations
from optimizer.solvers import solve
from optimizer.solvers.dp import solve_dp
from optimizer.solvers.lagrange import (
    _evaluate_dual,
    _knapsacks,
    _reduced_milp,
    lagrangian_bound,
    pair_bounds,
    solve_lagrange,
    system_bound,
    system_terms,
)
from optimizer.solvers.milp import solve_milp
from optimizer.solvers.repair import prepare_pairs
from optimizer.solvers.stock import fold_holding


@settings(max_examples=40, deadline=None)
@given(
    items=st.lists(
        st.tuples(st.integers(0, 2), st.floats(-20, 5), st.integers(0, 6)), min_size=1, max_size=9
    ),
    caps=st.lists(st.integers(0, 10), min_size=3, max_size=3),
)
def test_knapsack_matches_enumeration(items: list[tuple[int, float, int]], caps: list[int]) -> None:
    grp = np.array([g for g, _, _ in items], dtype=np.int64)
    r = np.array([c for _, c, _ in items])
    w = np.array([x for _, _, x in items], dtype=np.int64)
    cap = np.array(caps, dtype=np.int64)
    val, pick = _knapsacks(r, grp, w, cap, 3)
    for g in range(3):
        idx = np.flatnonzero(grp == g)
        best = 0.0
        for k in range(len(idx) + 1):
            for sub in itertools.combinations(idx, k):
                s = list(sub)
                if w[s].sum() <= cap[g]:
                    best = min(best, float(r[s].sum()))
        assert_allclose(val[g], best, atol=1e-9)
        chosen = idx[pick[idx]]
        assert w[chosen].sum() <= cap[g]
        assert_allclose(r[chosen].sum(), best, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    items=st.lists(
        st.tuples(st.integers(0, 2), st.floats(-20, 5), st.integers(0, 6)), min_size=1, max_size=9
    ),
    caps=st.lists(st.integers(0, 10), min_size=3, max_size=3),
    need=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_knapsack_bounds_outside_need_are_below_the_optimum(
    items: list[tuple[int, float, int]], caps: list[int], need: list[bool]
) -> None:
    grp = np.array([g for g, _, _ in items], dtype=np.int64)
    r = np.array([c for _, c, _ in items])
    w = np.array([x for _, _, x in items], dtype=np.int64)
    cap = np.array(caps, dtype=np.int64)
    exact, _ = _knapsacks(r, grp, w, cap, 3)
    val, _ = _knapsacks(r, grp, w, cap, 3, need=np.array(need))
    for g in range(3):
        if need[g]:
            assert_allclose(val[g], exact[g], atol=1e-12)
        else:
            assert val[g] <= exact[g] + 1e-9
            # never weaker than the sum of the items that fit in any case
            assert val[g] >= float(r[(grp == g) & (r < 0)].sum()) - 1e-9


def _forced_optimum(pb: PlanningProblem, i: int, t: int) -> float:
    """Optimum over the plans that do component ``i`` in period ``t`` (inf: none)."""
    pin = pb.pinned_period.copy()
    pin[i] = t
    got = solve_milp(replace(pb, pinned_period=pin), gap=0.0)
    return got.objective if got.status is Status.OPTIMAL else np.inf


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), random_duals=st.booleans())
def test_pair_bounds_are_below_every_plan_using_the_pair(seed: int, random_duals: bool) -> None:
    # reduced-cost fixing: pair_bound[i, t] <= the optimum over plans with x[i,t] = 1,
    # at the best multipliers of the dual phase and at arbitrary ones
    from tests.optimizer.solvers.conftest import build_problem

    pb = build_problem(5, 2, 5, seed, capacitated=True, max_span=1 + seed % 2)
    if random_duals:
        rng = np.random.default_rng(seed)
        d = prepare_pairs(pb)
        v = rng.uniform(0.0, 2.0, pb.n_components) * np.median(pb.penalty)
        lam = rng.uniform(0.0, 30.0, d.cap.shape) * (rng.random(d.cap.shape) < 0.5)
        z = np.zeros_like(d.supply)
        dual = _evaluate_dual(pb, d, v, lam, z, z)
        pb_pairs = np.full((pb.n_components, pb.n_periods), np.inf)
        pb_pairs[d.pi, d.pt] = pair_bounds(d, dual)
    else:
        res = lagrangian_bound(pb, time_limit_s=2, finish_mip=False, mip_share=0.0)
        assert res.pair_bound is not None
        pb_pairs = res.pair_bound
    for i, t in zip(*np.nonzero(np.isfinite(pb_pairs)), strict=True):
        opt = _forced_optimum(pb, int(i), int(t))
        assert pb_pairs[i, t] <= opt + 1e-6 * max(1.0, abs(opt))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_reduced_milp_bound_below_optimum_below_plan(seed: int) -> None:
    # the MILP on the pairs left by reduced-cost fixing, from a poor plan (everything
    # deferred that may be): its bound is a bound of the unreduced problem
    from tests.optimizer.solvers.conftest import build_problem

    pb = build_problem(10, 3, 8, seed, capacitated=True)
    exact = solve_milp(pb, gap=0.0)
    assert exact.status is Status.OPTIMAL
    res = lagrangian_bound(pb, time_limit_s=2, finish_mip=False, mip_share=0.0)
    best = res.period
    if violations(pb, best):
        best = exact.period
    log: list[str] = []
    deadline = time.perf_counter() + 30.0
    out = _reduced_milp(pb, res, best, evaluate(pb, best)["total"], deadline, 0.0, log)
    assert out is not None
    plan, cost, bound = out
    tol = 1e-6 * max(1.0, abs(exact.objective))
    assert violations(pb, plan) == []
    assert_allclose(cost, evaluate(pb, plan)["total"], rtol=1e-9)
    assert res.bound - tol <= bound <= exact.objective + tol <= cost + 2 * tol
    assert "reduced-cost fixing keeps" in log[0]


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    pins=st.booleans(),
    max_span=st.integers(1, 2),
    from_exact=st.booleans(),
)
def test_system_bound_below_optimum(seed: int, pins: bool, max_span: int, from_exact: bool) -> None:
    # systems as Lagrangian blocks at the dual phase's crew prices: a bound of the
    # unreduced problem, never below the dual phase's own, from any feasible plan
    from tests.optimizer.solvers.conftest import build_problem

    pb = build_problem(12, 3, 8, seed, capacitated=True, pins=pins, max_span=max_span)
    exact = solve_milp(pb, gap=0.0)
    if exact.status is Status.INFEASIBLE:  # a pinned job longer than its period's crew
        assert solve(pb, method="lagrange", time_limit_s=5).status is Status.INFEASIBLE
        return
    assert exact.status is Status.OPTIMAL
    res = lagrangian_bound(pb, time_limit_s=2, finish_mip=False, mip_share=0.0)
    assert res.dual is not None and res.pairs is not None
    # the per-system terms add up to the Lagrangian value
    d, dual = res.pairs, res.dual
    rest = d.pinned_const - float(np.sum(dual.lam * (d.cap - d.pin_load)))
    assert_allclose(system_terms(pb, d, dual).sum() + rest, dual.value, rtol=1e-9, atol=1e-6)
    best = exact.period if from_exact or violations(pb, res.period) else res.period
    log: list[str] = []
    bound, plan, cost = system_bound(pb, res, best, time.perf_counter() + 30.0, log)
    tol = 1e-6 * max(1.0, abs(exact.objective))
    assert res.bound - tol <= bound <= exact.objective + tol
    # the plan: feasible, costed right, never worse than the one given
    assert violations(pb, plan) == []
    assert_allclose(cost, evaluate(pb, plan)["total"], rtol=1e-9)
    assert exact.objective - tol <= cost <= evaluate(pb, best)["total"] + tol
    assert "system subproblems at the crew prices" in log[0]


def test_system_bound_closes_an_opening_gap() -> None:
    # a single system: its subproblem with the local crew copy is the problem itself,
    # so where the opening-pattern bound leaves a gap the system bound is the optimum
    from tests.optimizer.solvers.conftest import build_problem

    for seed in range(40):
        pb = build_problem(8, 1, 6, seed, capacitated=True)
        exact = solve_milp(pb, gap=0.0)
        res = lagrangian_bound(pb, time_limit_s=2, finish_mip=False, mip_share=0.0)
        if exact.objective - res.bound > 1e-3 * exact.objective:
            break
    else:  # pragma: no cover - the generator always has such an instance
        raise AssertionError("no instance with a Dantzig-Wolfe gap")
    bound, _, _ = system_bound(pb, res, exact.period, time.perf_counter() + 30.0, [])
    assert_allclose(bound, exact.objective, rtol=1e-6)


@pytest.mark.parametrize(
    ("seed", "kw"),
    [
        (0, {}),
        (1, {"max_span": 2}),
        (2, {"pins": True}),
        (3, {"windows": True}),
        (4, {"shape": "weibull"}),
        (5, {"n_skills": 1}),
    ],
)
def test_bound_is_valid_and_plan_feasible(
    make_problem: Callable[..., PlanningProblem], seed: int, kw: dict[str, object]
) -> None:
    pb = make_problem(14, 4, 10, seed, capacitated=True, **kw)
    exact = solve_milp(pb, gap=0.0)
    assert exact.status is Status.OPTIMAL
    plan = solve_lagrange(pb, time_limit_s=10)
    assert plan.feasible
    assert violations(pb, plan.period) == []
    assert_allclose(plan.objective, evaluate(pb, plan.period)["total"], rtol=1e-9)
    assert plan.lower_bound <= exact.objective + 1e-6 * max(1.0, abs(exact.objective))
    assert plan.objective >= exact.objective - 1e-6 * max(1.0, abs(exact.objective))
    # the dual is at least as strong as the trivial bound and usually close
    assert plan.lower_bound >= 0.5 * exact.objective


def test_bound_not_above_uncapacitated_optimum(
    make_problem: Callable[..., PlanningProblem],
) -> None:
    pb = make_problem(20, 4, 12, 7)
    dp = solve_dp(pb)
    assert dp.status is Status.OPTIMAL
    res = lagrangian_bound(pb, time_limit_s=10)
    assert res.bound <= dp.objective + 1e-6 * dp.objective
    # column generation converges to the Dantzig-Wolfe bound, which is tight here
    assert res.bound >= 0.95 * dp.objective
    assert res.objective >= dp.objective - 1e-6


def test_auto_picks_the_decomposition_only_for_large_coupled_models(
    make_problem: Callable[..., PlanningProblem], monkeypatch: pytest.MonkeyPatch
) -> None:
    # small crew-coupled models keep the (exact) MILP; above AUTO_MILP_MAX_PAIRS
    # eligible pairs, auto picks the decomposition and says why
    pb = make_problem(14, 4, 10, 11, capacitated=True)
    assert solve(pb).method == "milp"
    monkeypatch.setattr(solvers, "AUTO_MILP_MAX_PAIRS", 0)
    plan = solve(pb, time_limit_s=5)
    assert plan.method == "lagrange"
    assert "picked lagrange" in plan.log[0] and "eligible pairs" in plan.log[0]
    assert violations(pb, plan.period) == []
    # uncoupled instances still go to the DP whatever their size
    free = make_problem(14, 4, 10, 11)
    assert solve(free).method == "dp"


def _two_site_problem(
    seed: int, n: int, on_hand: float, lead_days: float, sites: int = 2
) -> PlanningProblem:
    """Random crew-coupled instance split into two sites (two crew blocks) that share
    one spare-part pool per component kind (stock couples the sites); ``sites=1``: every
    system uses both crew pools (one block, whose master then holds the stock rows)."""

    from optimizer.problem.data import SpareParts
    from tests.optimizer.solvers.conftest import build_problem

    pb = build_problem(n, 4, 8, seed, capacitated=True, n_skills=2)
    rng = np.random.default_rng(seed)
    n_p = 2
    parts = SpareParts(
        part_ids=("P0", "P1"),
        warehouse=("W", "W"),
        part_of=rng.integers(-1, n_p, size=n),
        qty=rng.integers(1, 3, size=n),
        on_hand=np.full(n_p, on_hand),
        arrivals=np.zeros((n_p, pb.n_periods)),
        lead_time_days=np.full(n_p, lead_days),
        expedite_lead_time_days=np.full(n_p, np.inf),
        cost_unit=rng.uniform(100, 1000, size=n_p),
        holding_rate_per_year=np.full(n_p, 2.0),
        cost_order=np.full(n_p, 20.0),
        cost_expedite_premium=np.zeros(n_p),
    )
    if sites == 1:
        return replace(pb, parts=parts)
    # even systems use pool 0, odd ones pool 1: two independent crew blocks
    return replace(pb, skill_of=pb.system_of % 2, parts=parts)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(4, 10),
    on_hand=st.sampled_from([0.0, 2.0, 50.0]),
    lead_days=st.sampled_from([1.0, 3.0]),
    sites=st.sampled_from([1, 2]),
)
def test_coupled_bound_below_milp_optimum_below_plan(
    seed: int, n: int, on_hand: float, lead_days: float, sites: int
) -> None:
    # bound <= exact optimum (MILP, gap 0, crews and stock rows) <= lagrange plan cost,
    # with two crew blocks solved separately and stock folded/relaxed for the bound, or
    # one block whose master holds the stock rows
    pb = _two_site_problem(seed, n, on_hand, lead_days, sites)
    exact = solve_milp(pb, gap=0.0)
    assert exact.status is Status.OPTIMAL
    plan = solve_lagrange(pb, time_limit_s=10)
    assert plan.feasible
    assert violations(pb, plan.period) == []
    assert_allclose(plan.objective, evaluate(pb, plan.period)["total"], rtol=1e-9)
    tol = 1e-6 * max(1.0, abs(exact.objective))
    assert plan.lower_bound <= exact.objective + tol
    assert plan.objective >= exact.objective - tol
    assert (plan.status is Status.OPTIMAL) == (
        plan.objective - plan.lower_bound <= 1e-6 * max(abs(plan.objective), 1e-9)
    )


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), on_hand=st.sampled_from([0.0, 1.0, 3.0, 50.0]))
def test_folded_holding_bounds_purchasing(seed: int, on_hand: float) -> None:
    # for every plan: cost(original) >= cost(folded) + constant, equal when stock
    # cannot run short (independent check through evaluate / lot sizing)
    pb = _two_site_problem(seed, 8, on_hand, 3.0)
    folded, constant, exact = fold_holding(pb)
    rng = np.random.default_rng(seed)
    for _ in range(5):
        period = np.where(rng.random(8) < 0.3, -1, rng.integers(0, pb.n_periods, size=8))
        full = evaluate(pb, period)["total"]
        if not np.isfinite(full):
            continue
        relaxed = evaluate(folded, period)["total"] + constant
        assert relaxed <= full + 1e-7 * max(1.0, abs(full))
        if exact:
            assert_allclose(relaxed, full, rtol=1e-9)


def test_blocks_are_independent_and_parallel_workers_agree() -> None:
    from optimizer.solvers.lagrange import _merged_blocks, _restrict

    pb = _two_site_problem(3, 10, 50.0, 3.0)
    work, _, exact = fold_holding(pb)
    assert exact
    blocks = _merged_blocks(work)
    assert len(blocks) == 2
    rng = np.random.default_rng(0)
    period = rng.integers(-1, pb.n_periods, size=10)
    # the cost splits over the blocks (no shared opening, crew pool or stock row)
    parts = sum(evaluate(_restrict(work, b), period[b])["total"] for b in blocks)
    assert_allclose(parts, evaluate(work, period)["total"], rtol=1e-9)
    one = solve_lagrange(pb, time_limit_s=20)
    two = solve_lagrange(pb, time_limit_s=20, workers=2)
    assert_allclose(two.objective, one.objective, rtol=1e-9)
    assert_allclose(two.lower_bound, one.lower_bound, rtol=1e-9)
    assert violations(pb, two.period) == []


@pytest.mark.parametrize("seed", [0, 5, 6])
def test_stock_prices_keep_the_bound_valid(seed: int) -> None:
    # two blocks share the pools and stock binds: the rows are priced, not dropped;
    # for every plan, cost >= priced cost - price * supply (checked on random plans),
    # and the priced bound stays below the MILP optimum
    from optimizer.solvers.lagrange import _stock_prices

    pb = _two_site_problem(seed, 10, 1.0, 3.0)
    work, constant, exact = fold_holding(pb)
    assert not exact
    extra, shift = _stock_prices(pb, work)
    assert shift < 0.0 and (extra >= 0).all()
    priced = replace(work, penalty=work.penalty + extra)
    rng = np.random.default_rng(seed)
    for _ in range(30):
        period = rng.integers(-1, pb.n_periods, size=10)
        if violations(pb, period):
            continue
        full = evaluate(pb, period)["total"]
        assert evaluate(priced, period)["total"] + constant + shift <= full + 1e-7 * abs(full)
    exact_opt = solve_milp(pb, gap=0.0)
    plan = solve_lagrange(pb, time_limit_s=10)
    assert any("stock rows priced" in m for m in plan.log)
    assert plan.lower_bound <= exact_opt.objective + 1e-6 * max(1.0, abs(exact_opt.objective))
    assert plan.objective >= exact_opt.objective - 1e-6 * max(1.0, abs(exact_opt.objective))


@pytest.mark.parametrize(
    ("seed", "kw"),
    [(0, {}), (1, {"max_span": 2}), (2, {"pins": True}), (3, {"windows": True})],
)
def test_local_search_feasible_cheaper_and_one_move_optimal(
    make_problem: Callable[..., PlanningProblem], seed: int, kw: dict[str, object]
) -> None:
    # independent check by enumeration: after the local search no single job can move
    # to another period (or be deferred) with a feasible, cheaper plan
    import time

    from optimizer.problem.plan import BEYOND
    from optimizer.solvers.lagrange import _dp_seed, _local_search

    pb = make_problem(14, 4, 10, seed, capacitated=True, **kw)
    start, _ = _dp_seed(pb)
    assert start is not None
    better = _local_search(pb, start, time.perf_counter() + 30.0)
    assert violations(pb, better) == []
    cost = evaluate(pb, better)["total"]
    assert cost <= evaluate(pb, start)["total"] + 1e-9
    tol = 1e-7 * max(1.0, abs(cost))
    free = np.flatnonzero(pb.pinned_period == -1)
    for i in free.tolist():
        for t in [BEYOND, *range(pb.n_periods)]:
            if t == better[i]:
                continue
            moved = better.copy()
            moved[i] = t
            if violations(pb, moved):
                continue
            assert evaluate(pb, moved)["total"] >= cost - tol, (i, t)


def test_local_search_keeps_stock_feasibility() -> None:
    import time

    from optimizer.solvers.lagrange import _dp_seed, _improve

    for seed in range(4):
        pb = _two_site_problem(seed, 10, 1.0, 3.0)
        start, _ = _dp_seed(pb)
        if start is None:
            continue
        cost0 = evaluate(pb, start)["total"]
        log: list[str] = []
        got, cost = _improve(pb, start, cost0, time.perf_counter() + 30.0, log)
        assert violations(pb, got) == []
        assert_allclose(cost, evaluate(pb, got)["total"], rtol=1e-12)
        assert cost <= cost0 + 1e-9


def _one_opening(loads_h: list[float], cap_h: float) -> PlanningProblem:
    """One system, one period, one skill with ``cap_h`` hours; job ``i`` takes
    ``loads_h[i]`` hours, costs ``i`` to do and ``100 + 10 i`` to defer; opening 5."""
    from tests.optimizer.solvers.conftest import build_problem

    n = len(loads_h)
    pb = build_problem(n, 1, 1, 0, capacitated=True, n_skills=1)
    return replace(
        pb,
        penalty=np.arange(n, dtype=np.float64)[:, None],
        penalty_beyond=100.0 + 10.0 * np.arange(n),
        opening_cost=np.full((1, 1), 5.0),
        duration_h=np.array(loads_h, dtype=np.float64),
        crew_qty=np.ones(n, dtype=np.int64),
        skill_of=np.zeros(n, dtype=np.int64),
        crew_hours=np.full((1, 1), cap_h),
        span_periods=np.ones(n, dtype=np.int64),
    )


def _brute_one_opening(pb: PlanningProblem) -> float:
    """Optimum of :func:`_one_opening` by enumerating the subsets done (the others deferred)."""
    n = pb.n_components
    best = float(pb.penalty_beyond.sum())
    for mask in itertools.product([False, True], repeat=n):
        done = np.array(mask)
        if not done.any() or pb.duration_h[done].sum() > pb.crew_hours[0, 0] + 1e-6:
            continue
        cost = 5.0 + pb.penalty[done, 0].sum() + pb.penalty_beyond[~done].sum()
        best = min(best, float(cost))
    return best


def test_bound_exact_for_whole_hour_jobs_in_a_fractional_crew() -> None:
    # 6 + 6 + 1 = 13 h do not fit in 12.98 h: one job must be deferred.  The knapsack's
    # capacity unit used to be 12.98 / 64 h (weights rounded down), which let all three
    # in (bound 8: all done) and left the bound 100 below the optimum; with whole-hour
    # units (12 units of
    # capacity) the single-opening Lagrangian dual is exact (its master LP is integral)
    pb = _one_opening([6.0, 6.0, 1.0], 12.98)
    d = prepare_pairs(pb)
    assert_allclose(d.w_units, [6, 6, 1])
    assert_allclose(d.g_cap, [12])
    exact = _brute_one_opening(pb)
    assert_allclose(exact, 5.0 + 1.0 + 2.0 + 100.0)  # jobs 1 and 2 done, job 0 deferred
    assert_allclose(exact, solve_milp(pb, gap=0.0).objective, rtol=1e-9)
    res = lagrangian_bound(pb, time_limit_s=5, finish_mip=False, mip_share=0.0)
    assert_allclose(res.bound, exact, rtol=1e-6)


@settings(max_examples=30, deadline=None)
@given(
    loads=st.lists(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 6.0]), min_size=1, max_size=7),
    cap=st.floats(0.0, 14.0),
)
def test_knapsack_units_admit_exactly_the_subsets_that_fit(loads: list[float], cap: float) -> None:
    # loads are multiples of 0.5 h, the capacity any real: a subset fits the knapsack
    # (units) exactly when its hours fit the crew (within the checker's 1e-6 h), by
    # enumeration; and the single-opening bound is the brute-force optimum
    pb = _one_opening(loads, cap)
    d = prepare_pairs(pb)
    load = np.zeros(pb.n_components)
    w = np.zeros(pb.n_components)
    load[d.pi] = pb.load_per_period_h[d.pi]
    w[d.pi] = d.w_units
    g_cap = d.g_cap[0] if len(d.g_cap) else 0
    for mask in itertools.product([False, True], repeat=pb.n_components):
        m = np.array(mask)
        if not m.any() or not np.isin(np.flatnonzero(m), d.pi).all():
            continue
        assert (w[m].sum() <= g_cap) == (load[m].sum() <= cap + 1e-6)
    res = lagrangian_bound(pb, time_limit_s=5, finish_mip=False, mip_share=0.0)
    assert_allclose(res.bound, _brute_one_opening(pb), rtol=1e-6, atol=1e-6)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), frac=st.floats(0.01, 0.99))
def test_bound_valid_with_fractional_crew_hours(seed: int, frac: float) -> None:
    # crews with fractional hours (units: loads only), several systems sharing them:
    # bound <= optimum of the full MILP <= plan
    from tests.optimizer.solvers.conftest import build_problem

    pb = build_problem(12, 3, 8, seed, capacitated=True)
    pb = replace(pb, crew_hours=pb.crew_hours - frac)
    exact = solve_milp(pb, gap=0.0)
    assert exact.status is Status.OPTIMAL
    plan = solve_lagrange(pb, time_limit_s=5)
    tol = 1e-6 * max(1.0, abs(exact.objective))
    assert plan.lower_bound <= exact.objective + tol
    assert violations(pb, plan.period) == []
    assert plan.objective >= exact.objective - tol


@pytest.mark.parametrize(
    ("loads", "cap", "unit", "exact"),
    [
        ([1.0, 6.0, 2.0], [12.98, 3.02], 1.0, True),
        ([2.0, 4.0, 8.0], [100.0], 2.0, True),  # 100 whole hours: 50 units of 2 h
        ([0.5, 1.5], [3.3], 0.5, True),
        ([0.25, 1.0], [40.0], 40.0 / 64, False),  # 160 units of 0.25 h: over 64, rounded
        ([1.0 / 3.0], [2.0], 2.0 / 64, False),  # not on the 0.05 h grid
    ],
)
def test_capacity_unit_is_the_loads_common_divisor(
    loads: list[float], cap: list[float], unit: float, exact: bool
) -> None:
    from optimizer.solvers.repair import capacity_unit

    got = capacity_unit(np.array(loads), np.array([cap]))
    assert_allclose(got, unit, rtol=1e-12)
    steps = np.array(loads) / got
    assert np.allclose(steps, np.round(steps), atol=1e-9) == exact
