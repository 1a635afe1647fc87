"""Opening knapsacks of the multi-year crew bound (optimizer.solvers.multiyear_crews)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optimizer.problem.plan import Status
from optimizer.solvers.multiyear import solve_multiyear, solve_multiyear_milp
from optimizer.solvers.multiyear_crews import opening_knapsacks, opening_terms_knapsack

from .test_multiyear import make_instance
from .test_multiyear_crews import brute_force_crews, crew_hours_used, with_crews


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    hours=st.sampled_from([1.0, 2.5, 3.0, 4.0, np.inf]),
    dur=st.lists(st.sampled_from([0.5, 1.0, 1.5, 2.0]), min_size=5, max_size=5),
)
def test_opening_terms_equal_enumeration(seed: int, hours: float, dur: list[float]) -> None:
    """Each opening collects the most multipliers of a subset within the crew (brute force)."""
    mp = with_crews(make_instance(5, 2, 4, seed=seed, limit_share=0.0), hours, dur)
    pb = mp.base
    rng = np.random.default_rng(seed)
    lam = rng.uniform(0.0, 1000.0, (5, 4)) * (rng.uniform(size=(5, 4)) < 0.8)
    usable = np.ones((5, 4), dtype=bool)
    s_cost = pb.opening_cost
    kn = opening_knapsacks(mp, usable)
    slack, xp = opening_terms_knapsack(mp, kn, lam, s_cost)
    load = np.asarray(dur)
    for k in range(pb.n_systems):
        mem = np.flatnonzero(pb.system_of == k)
        for t in range(pb.n_periods):
            best = 0.0
            for sub in itertools.product([False, True], repeat=mem.size):
                z = mem[np.asarray(sub, dtype=bool)]
                if load[z].sum() <= hours + 1e-9:
                    best = max(best, float(lam[z, t].sum()))
            assert_allclose(slack[k, t], s_cost[k, t] - best, rtol=1e-12, atol=1e-9)
            picked = mem[xp[mem, t]]
            if slack[k, t] < 0.0:  # opened: the copy is an optimal subset that fits
                assert load[picked].sum() <= hours + 1e-9
                assert_allclose(lam[picked, t].sum(), best, rtol=1e-12, atol=1e-9)
            else:
                assert picked.size == 0


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), hours=st.sampled_from([1.0, 2.0, 3.0]))
def test_bound_optimum_plan_one_system_expensive_openings(seed: int, hours: float) -> None:
    """One system, openings dearer than the parts: batches the crews cannot hold.

    The opening knapsacks matter most here (without them one opening collects every
    position's multiplier); the bound must stay below the brute-force optimum and the
    plan above it, within the crews.
    """
    mp0 = make_instance(3, 1, 5, seed=seed, opening=(4000.0, 9000.0), limit_share=0.0)
    mp = with_crews(mp0, hours, [1.0, 2.0, 1.0])
    opt = brute_force_crews(mp)
    plan = solve_multiyear(mp, gap=1e-9, max_iter=200)
    if not np.isfinite(opt):
        assert not plan.feasible and plan.status is not Status.OPTIMAL
        return
    tol = 1e-6 * max(1.0, abs(opt))
    assert plan.feasible and plan.replacements is not None
    assert plan.lower_bound <= opt + tol
    assert plan.objective >= opt - tol
    assert (crew_hours_used(mp, plan.replacements) <= mp.base.crew_hours[0] + 1e-9).all()


def test_knapsack_bound_beats_the_lp_bound_of_the_crew_rows() -> None:
    """Without the knapsacks the Lagrangian tends to the arc LP bound with crew rows
    (HiGHS, ``relax``); with them the bound closes most of the gap to the optimum."""
    mp0 = make_instance(3, 1, 5, seed=3, opening=(4000.0, 9000.0), limit_share=0.0)
    mp = with_crews(mp0, 2.0, [1.0, 1.0, 1.0])
    opt = brute_force_crews(mp)
    lp = solve_multiyear_milp(mp, relax=True)
    milp = solve_multiyear_milp(mp, gap=1e-9)
    plan = solve_multiyear(mp, gap=1e-9, max_iter=400)
    assert_allclose(milp.objective, opt, rtol=1e-9)
    assert lp.lower_bound < opt - 1e-3 * abs(opt)  # the crew rows' LP is weak here
    assert plan.lower_bound <= opt + 1e-6 * abs(opt)
    assert plan.lower_bound > lp.lower_bound + 0.5 * (opt - lp.lower_bound)


def test_fractional_crew_hours_keep_the_bound_valid() -> None:
    """Crews of 2.98 h with whole-hour jobs: two jobs do not fit (the unit must be exact)."""
    mp0 = make_instance(3, 1, 4, seed=7, opening=(4000.0, 9000.0), limit_share=0.0)
    mp = with_crews(mp0, 2.98, [1.0, 1.0, 1.0])
    kn = opening_knapsacks(mp, np.ones((3, 4), dtype=bool))
    lam = np.full((3, 4), 100.0)
    slack, _ = opening_terms_knapsack(mp, kn, lam, np.zeros((1, 4)))
    assert_allclose(slack, -200.0)  # two 1 h jobs in 2.98 h, not three
    opt = brute_force_crews(mp)
    plan = solve_multiyear(mp, gap=1e-9, max_iter=200)
    assert plan.lower_bound <= opt + 1e-6 * abs(opt) <= plan.objective + 2e-6 * abs(opt)


def test_uncapacitated_skill_is_collected_whole() -> None:
    """Without finite crews nothing is a knapsack: every multiplier is collected."""
    mp = make_instance(3, 1, 4, seed=2, limit_share=0.0)
    pb = replace(mp.base, crew_hours=np.full((1, 4), np.inf))
    mp = replace(mp, base=pb)
    kn = opening_knapsacks(mp, np.ones((3, 4), dtype=bool))
    assert kn.n_g == 0
    lam = np.arange(12.0).reshape(3, 4)
    slack, xp = opening_terms_knapsack(mp, kn, lam, np.full((1, 4), 10.0))
    assert_allclose(slack[0], 10.0 - lam.sum(axis=0))
    assert (xp == (slack[0] < 0.0)[None, :]).all()
