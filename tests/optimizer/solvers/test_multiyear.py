"""Repeated-replacement (multi-year) scheduler: paths, bound, repair, monolithic MILP."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import numpy as np
import pytest
from numpy.testing import assert_allclose

from optimizer.problem.data import NO_PIN, PlanningProblem
from optimizer.problem.multiyear import MultiYearProblem, continuation_cost, cycle_cost
from optimizer.problem.plan import BEYOND, Status
from optimizer.reliability import distributions as rul
from optimizer.reliability.penalty import age_replacement, penalty_curves
from optimizer.solvers.multiyear import (
    evaluate_multiyear,
    solve_multiyear,
    solve_multiyear_milp,
)

CP, CF = 1000.0, 8000.0


def make_instance(
    n: int,
    k: int,
    n_t: int,
    *,
    seed: int,
    step_h: float = 1000.0,
    opening: tuple[float, float] = (500.0, 3000.0),
    limit_share: float = 0.3,
) -> MultiYearProblem:
    """Random instance from the cost functions: Weibull lives, mixed ages, some limits."""
    rng = np.random.default_rng(seed)
    shape = rng.uniform(1.8, 3.5, n)
    scale = rng.uniform(4.0, 9.0, n) * step_h
    age = rng.uniform(0.0, 1.0, n) * scale
    system_of = np.arange(n) % k
    horizon = n_t * step_h
    t_h = np.arange(n_t) * step_h
    pen = np.zeros((n, n_t))
    beyond = np.zeros(n)
    allowed = np.ones((n, n_t), dtype=bool)
    w = np.zeros((n, n_t))
    end = np.zeros((n, n_t))
    limit = np.full(n, np.inf)
    t_star = np.zeros(n)
    for i in range(n):
        life = rul.Weibull(shape[i], scale[i])
        pol = age_replacement(life, cost_pm=CP, cost_cm=CF)
        t_star[i] = pol.t_star
        g = pol.cost_rate
        if rng.uniform() < limit_share:
            limit[i] = max(1.2 * step_h, rng.uniform(0.6, 1.0) * pol.t_star)
        cur = penalty_curves(
            [life.residual(age[i])],
            cost_pm=[CP],
            cost_cm=[CF],
            cost_rate=[g],
            t_h=t_h,
            horizon_h=horizon,
        )
        pen[i] = cur.penalty[0]
        beyond[i] = cur.penalty_beyond[0]
        if np.isfinite(limit[i]):
            left = limit[i] - age[i]
            allowed[i] = t_h <= max(left, 0.0)
            allowed[i, 0] = True
            if left < horizon:
                beyond[i] = np.inf
        d = np.arange(n_t) * step_h
        w[i] = cycle_cost(life, d[None, :], cost_pm=CP, cost_cm=CF, cost_rate=g)[0]
        w[i, d > limit[i]] = np.inf
        end[i] = continuation_cost(
            life, (horizon - d)[None, :], cost_pm=CP, cost_cm=CF, cost_rate=g, limit_h=limit[i]
        )[0]
    base = PlanningProblem(
        start=datetime(2027, 1, 1, tzinfo=UTC),
        period_h=step_h,
        component_ids=tuple(f"C{i}" for i in range(n)),
        system_ids=tuple(f"S{j}" for j in range(k)),
        system_of=system_of,
        penalty=pen,
        penalty_beyond=beyond,
        allowed=allowed,
        opening_cost=rng.uniform(*opening, (k, n_t)),
        open_allowed=np.ones((k, n_t), dtype=bool),
        duration_h=np.ones(n),
        skill_of=np.zeros(n, dtype=np.int64),
        crew_qty=np.ones(n, dtype=np.int64),
        skill_ids=("mech",),
        crew_hours=np.full((1, n_t), np.inf),
        pinned_period=np.full(n, NO_PIN),
    )
    return MultiYearProblem(
        base=base,
        interval_cost=w,
        end_cost=end,
        node_ok=np.ones((n, n_t), dtype=bool),
        limit_h=limit,
        period_op_h=np.full(n, step_h),
        t_star_h=t_star,
    )


def brute_force(mp: MultiYearProblem) -> float:
    """Optimum by enumeration: every opening pattern x every path of every position.

    Path costs are summed from the definition (first interval, intervals, end state or
    deferral), independently of the solver's shortest-path code.
    """
    pb = mp.base
    n, n_t = pb.n_components, pb.n_periods
    subsets = list(itertools.product([False, True], repeat=n_t))
    masks = np.array(subsets, dtype=bool)  # (2^T, T)
    path_cost = np.full((n, len(subsets)), np.inf)
    for i in range(n):
        for p, sub in enumerate(subsets):
            ts = [t for t in range(n_t) if sub[t]]
            if not ts:
                path_cost[i, p] = pb.penalty_beyond[i]
                continue
            if not pb.allowed[i, ts[0]]:
                continue
            c = pb.penalty[i, ts[0]]
            c += sum(mp.interval_cost[i, b - a] for a, b in itertools.pairwise(ts))
            path_cost[i, p] = c + mp.end_cost[i, ts[-1]]
    best = np.inf
    for k_pattern in itertools.product(range(len(subsets)), repeat=pb.n_systems):
        total = 0.0
        for kk, yp in enumerate(k_pattern):
            y = masks[yp]
            total += float(pb.opening_cost[kk, y].sum())
            inside = ~(masks & ~y).any(axis=1)  # paths using only opened periods
            for i in np.flatnonzero(pb.system_of == kk):
                total += float(path_cost[i, inside].min())
        best = min(best, total)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_bound_plan_milp_and_brute_force_agree(seed: int) -> None:
    mp = make_instance(3, 1, 7, seed=seed)
    opt = brute_force(mp)
    plan = solve_multiyear(mp, gap=1e-9, max_iter=200)
    milp = solve_multiyear_milp(mp, gap=1e-9)
    assert milp.status is Status.OPTIMAL
    assert_allclose(milp.objective, opt, rtol=1e-7, atol=1e-6)
    assert plan.lower_bound <= opt + 1e-6 * max(1.0, abs(opt))
    assert plan.objective >= opt - 1e-6 * max(1.0, abs(opt))
    # the plan's cost is what the definition says
    x = np.zeros((mp.n_components, mp.n_periods), dtype=bool)
    assert plan.replacements is not None
    x[plan.replacements[:, 0], plan.replacements[:, 1]] = True
    assert_allclose(evaluate_multiyear(mp, x)["total"], plan.objective)
    assert plan.gap >= 0


def test_two_systems_brute_force() -> None:
    mp = make_instance(4, 2, 5, seed=11)
    opt = brute_force(mp)
    plan = solve_multiyear(mp, gap=1e-9, max_iter=300)
    milp = solve_multiyear_milp(mp, gap=1e-9)
    assert_allclose(milp.objective, opt, rtol=1e-7)
    assert plan.lower_bound <= opt + 1e-6 and plan.objective >= opt - 1e-6


def test_medium_instance_milp_vs_decomposition() -> None:
    mp = make_instance(16, 3, 30, seed=5)
    milp = solve_multiyear_milp(mp, gap=1e-9)
    plan = solve_multiyear(mp, gap=1e-9, max_iter=300)
    assert milp.status is Status.OPTIMAL
    assert plan.lower_bound <= milp.objective + 1e-6 * abs(milp.objective)
    assert milp.lower_bound <= plan.objective + 1e-6 * abs(plan.objective)
    # the decomposition's plan is within 2% of the optimum and its bound is proven
    assert plan.objective <= 1.02 * milp.objective
    assert plan.gap <= 0.05


def test_life_limit_respected_by_every_interval() -> None:
    mp = make_instance(12, 3, 40, seed=3, limit_share=1.0)
    plan = solve_multiyear(mp, max_iter=50)
    assert plan.replacements is not None
    for i in range(mp.n_components):
        ts = plan.replacements[plan.replacements[:, 0] == i, 1]
        assert ts.size, "a life-limited part must be replaced within a 40-period horizon"
        gaps = np.diff(ts) * mp.period_op_h[i]
        assert (gaps <= mp.limit_h[i] + 1e-9).all()
        # the part left at the horizon end has not exceeded its limit either
        assert (mp.n_periods - ts[-1]) * mp.period_op_h[i] <= mp.limit_h[i] + 1e-9


def test_long_horizon_without_sharing_replaces_at_t_star() -> None:
    # One position per system and free openings: each path is the position's own
    # optimum, so interior intervals are the optimal age T* rounded to periods.
    step = 500.0
    mp = make_instance(5, 5, 120, seed=2, step_h=step, opening=(0.0, 0.0), limit_share=0.0)
    plan = solve_multiyear(mp, max_iter=5)
    assert plan.status is Status.OPTIMAL
    assert plan.replacements is not None
    for i in range(mp.n_components):
        ts = plan.replacements[plan.replacements[:, 0] == i, 1]
        interior = np.diff(ts)[1:-1]
        assert interior.size >= 3
        assert (np.abs(interior * step - mp.t_star_h[i]) <= step).all()
    # per-period cost tends to g*: the relative cost stays bounded (a few c_p)
    # while the horizon grows
    assert plan.objective <= 5 * 2 * CP


def test_deterministic_life_is_a_special_case() -> None:
    # A known life of 4.5 periods and costly failures: replace every 4 periods.
    n_t, step = 40, 1000.0
    mp = make_instance(1, 1, n_t, seed=0, step_h=step, opening=(100.0, 100.0), limit_share=0)
    life = rul.Deterministic(4500.0)
    g = 1100.0 / 4000.0
    d = np.arange(n_t) * step
    w = cycle_cost(life, d[None, :], cost_pm=CP, cost_cm=CF, cost_rate=g)
    e = continuation_cost(life, (n_t * step - d)[None, :], cost_pm=CP, cost_cm=CF, cost_rate=g)
    mp2 = MultiYearProblem(
        base=mp.base,
        interval_cost=w,
        end_cost=e,
        node_ok=mp.node_ok,
        limit_h=np.array([4500.0]),
        period_op_h=mp.period_op_h,
        t_star_h=np.array([4500.0]),
    )
    plan = solve_multiyear(mp2, max_iter=5)
    ts = plan.replacements[:, 1] if plan.replacements is not None else np.array([])
    assert (np.diff(ts) == 4).all()


def test_no_feasible_path_is_diagnosed() -> None:
    mp = make_instance(2, 1, 10, seed=1, limit_share=0.0)
    w = np.full((2, 10), np.inf)
    end = np.full((2, 10), np.inf)
    mp2 = MultiYearProblem(
        base=mp.base.__class__(**{**mp.base.__dict__, "penalty_beyond": np.full(2, np.inf)}),
        interval_cost=w,
        end_cost=end,
        node_ok=mp.node_ok,
        limit_h=mp.limit_h,
        period_op_h=mp.period_op_h,
        t_star_h=mp.t_star_h,
    )
    plan = solve_multiyear(mp2)
    assert plan.status is Status.INFEASIBLE
    assert "C0" in plan.diagnosis[0]
    assert (plan.period == BEYOND).all()


def test_life_limit_against_closed_windows_is_diagnosed() -> None:
    mp = make_instance(2, 1, 20, seed=4, limit_share=0.0)
    open_ok = np.ones((1, 20), dtype=bool)
    open_ok[0, 3:15] = False  # the system may not open for 12 weeks
    beyond = np.array(mp.base.penalty_beyond)
    beyond[0] = np.inf  # its installed part must be replaced in the horizon
    allowed = np.array(mp.base.allowed)
    allowed[0, 3:] = False  # the installed part reaches its limit in period 3
    base = mp.base.__class__(
        **{
            **mp.base.__dict__,
            "open_allowed": open_ok,
            "penalty_beyond": beyond,
            "allowed": allowed,
        }
    )
    limit = np.array([4000.0, np.inf])  # 4 periods of 1,000 h
    w = np.array(mp.interval_cost)
    w[0, 5:] = np.inf
    end = np.array(mp.end_cost)
    end[0, :16] = np.inf
    mp2 = MultiYearProblem(
        base=base,
        interval_cost=w,
        end_cost=end,
        node_ok=np.broadcast_to(open_ok, (2, 20)),
        limit_h=limit,
        period_op_h=mp.period_op_h,
        t_star_h=mp.t_star_h,
    )
    plan = solve_multiyear(mp2)
    assert plan.status is Status.INFEASIBLE
    assert len(plan.diagnosis) == 1
    assert "C0" in plan.diagnosis[0] and "4 periods" in plan.diagnosis[0]
    assert "12 consecutive periods" in plan.diagnosis[0]


def test_per_hour_cost_tends_to_the_long_run_rate() -> None:
    # Free openings, one position: lengthening the horizon adds, per period, exactly the
    # best per-period interval cost on the period grid, min_d w(d) / d (>= 0, 0 when T*
    # is a whole number of periods), so the expected cost per hour tends to
    # g* + min_d w(d Delta) / (d Delta) and to g* as the periods shrink.
    step = 500.0
    rel = []
    for n_t in (60, 240, 480):
        mp = make_instance(1, 1, n_t, seed=8, step_h=step, opening=(0.0, 0.0), limit_share=0)
        rel.append(solve_multiyear(mp, max_iter=3).objective)
    w = np.asarray(mp.interval_cost[0])
    d = np.arange(1, w.size)
    per_period = float(np.min(w[1:] / d))
    assert_allclose((rel[1] - rel[0]) / 180, per_period, rtol=1e-6)
    assert_allclose((rel[2] - rel[1]) / 240, per_period, rtol=1e-6)
    g = age_replacement(rul.Weibull(*_weibull_of(8)), cost_pm=CP, cost_cm=CF).cost_rate
    assert per_period < 0.05 * g * step  # within 5% of g* on this 500 h grid


def _weibull_of(seed: int) -> tuple[float, float]:
    """The (shape, scale) that make_instance draws for its first position."""
    rng = np.random.default_rng(seed)
    shape = rng.uniform(1.8, 3.5, 1)[0]
    scale = rng.uniform(4.0, 9.0, 1)[0] * 500.0
    return float(shape), float(scale)
