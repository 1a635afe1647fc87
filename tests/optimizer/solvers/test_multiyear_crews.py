"""Crews in multi-year plans: priced in the bound, respected by the plan (issue 14)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.problem.multiyear import MultiYearProblem
from optimizer.problem.plan import Status
from optimizer.solvers.multiyear import solve_multiyear, solve_multiyear_milp

from .test_multiyear import make_instance


def with_crews(mp: MultiYearProblem, hours: float, duration_h: list[float]) -> MultiYearProblem:
    """The instance with one skill pool of ``hours`` per period and the given jobs."""
    pb = mp.base
    pb2 = replace(
        pb,
        duration_h=np.asarray(duration_h, dtype=np.float64),
        crew_hours=np.full((1, pb.n_periods), hours),
    )
    return replace(mp, base=pb2)


def crew_hours_used(mp: MultiYearProblem, replacements: np.ndarray) -> np.ndarray:
    """Technician-hours per period counted job by job (independent of the solver)."""
    pb = mp.base
    used = np.zeros(pb.n_periods)
    for i, t in replacements:
        for c in range(int(t), min(int(t) + int(pb.span_periods[i]), pb.n_periods)):
            used[c] += pb.duration_h[i] * pb.crew_qty[i] / pb.span_periods[i]
    return used


def brute_force_crews(mp: MultiYearProblem) -> float:
    """Optimum by enumeration of every position's replacement set, crews checked."""
    pb = mp.base
    n, n_t = pb.n_components, pb.n_periods
    options: list[list[tuple[float, tuple[int, ...]]]] = []
    for i in range(n):
        opts = []
        for sub in itertools.product([False, True], repeat=n_t):
            ts = tuple(t for t in range(n_t) if sub[t])
            if not ts:
                c = float(pb.penalty_beyond[i])
            elif not pb.allowed[i, ts[0]]:
                continue
            else:
                c = float(pb.penalty[i, ts[0]] + mp.end_cost[i, ts[-1]])
                c += sum(float(mp.interval_cost[i, b - a]) for a, b in itertools.pairwise(ts))
            if np.isfinite(c):
                opts.append((c, ts))
        options.append(opts)
    best = np.inf
    for combo in itertools.product(*options):
        used = np.zeros(n_t)
        y = np.zeros((pb.n_systems, n_t), dtype=bool)
        total = 0.0
        for i, (c, ts) in enumerate(combo):
            total += c
            for t in ts:
                used[t] += pb.duration_h[i] * pb.crew_qty[i]
                y[pb.system_of[i], t] = True
        if (used > pb.crew_hours[0] + 1e-9).any():
            continue
        best = min(best, total + float(pb.opening_cost[y].sum()))
    return best


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    hours=st.sampled_from([1.0, 2.0, 3.0]),
    dur=st.lists(st.sampled_from([1.0, 2.0]), min_size=3, max_size=3),
)
def test_bound_optimum_plan_with_tight_crews(seed: int, hours: float, dur: list[float]) -> None:
    mp = with_crews(make_instance(3, 2, 5, seed=seed, limit_share=0.0), hours, dur)
    opt = brute_force_crews(mp)
    milp = solve_multiyear_milp(mp, gap=1e-9)
    plan = solve_multiyear(mp, gap=1e-9, max_iter=150)
    if not np.isfinite(opt):
        assert milp.status is Status.INFEASIBLE or not np.isfinite(milp.objective)
        # no plan; the decomposition cannot prove it, so it does not say "infeasible"
        assert not plan.feasible and plan.status is not Status.OPTIMAL
        return
    tol = 1e-6 * max(1.0, abs(opt))
    assert abs(milp.objective - opt) <= tol
    assert plan.feasible
    assert plan.lower_bound <= opt + tol
    assert plan.objective >= opt - tol
    for p in (plan, milp):
        assert p.replacements is not None
        assert (crew_hours_used(mp, p.replacements) <= mp.base.crew_hours[0] + 1e-9).all()


def test_crews_that_bind_change_the_plan_and_keep_the_bound() -> None:
    mp0 = make_instance(6, 2, 9, seed=3)
    free = solve_multiyear_milp(mp0, gap=1e-9)
    assert free.replacements is not None
    used0 = crew_hours_used(with_crews(mp0, np.inf, [1.0] * 6), free.replacements)
    cap = max(1.0, float(used0.max()) - 1.0)  # one technician-hour less than the peak
    mp = with_crews(mp0, cap, [1.0] * 6)
    milp = solve_multiyear_milp(mp, gap=1e-9)
    plan = solve_multiyear(mp, gap=1e-9, max_iter=300)
    assert milp.status is Status.OPTIMAL and plan.replacements is not None
    assert milp.objective > free.objective  # the crews bind
    assert plan.lower_bound <= milp.objective + 1e-6 * abs(milp.objective)
    assert plan.objective >= milp.objective - 1e-6 * abs(milp.objective)
    assert (crew_hours_used(mp, plan.replacements) <= cap + 1e-9).all()
    # within 5% of the optimum on this instance
    assert plan.objective <= milp.objective + 0.05 * abs(milp.objective)


def test_spanning_jobs_load_every_period_they_cover() -> None:
    mp0 = make_instance(3, 1, 6, seed=5, limit_share=0.0)
    pb = replace(
        mp0.base,
        span_periods=np.full(3, 2, dtype=np.int64),
        duration_h=np.full(3, 2.0),
        crew_hours=np.full((1, 6), 1.0),
    )
    mp = replace(mp0, base=pb)
    plan = solve_multiyear(mp, gap=1e-9, max_iter=150)
    milp = solve_multiyear_milp(mp, gap=1e-9)
    for p in (plan, milp):
        if not p.feasible:
            continue
        assert p.replacements is not None
        assert (crew_hours_used(mp, p.replacements) <= 1.0 + 1e-9).all()
    if milp.status is Status.OPTIMAL:
        assert plan.lower_bound <= milp.objective + 1e-6 * abs(milp.objective)
