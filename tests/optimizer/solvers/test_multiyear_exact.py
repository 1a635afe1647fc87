"""Exact search over a system's opening sets: optimum and bounds against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optimizer.solvers import multiyear
from optimizer.solvers.multiyear import _data, solve_multiyear
from optimizer.solvers.multiyear_exact import system_search

from .test_multiyear import brute_force, make_instance

_SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _search_args(mp, lam_scale: float, seed: int):  # type: ignore[no-untyped-def]
    """Arrays of the only system of ``mp`` and random multipliers (any ``lambda >= 0``)."""
    data = _data(mp)
    pb = mp.base
    rng = np.random.default_rng(seed)
    s_cost = np.where(pb.open_allowed, pb.opening_cost, np.inf)[0]
    lam = rng.uniform(0.0, lam_scale, (mp.n_components, mp.n_periods)) * s_cost.max()
    return data, (data.first, data.interval, data.end, data.beyond, data.node_ok, s_cost, lam)


def _cost_of_openings(mp, opens: np.ndarray) -> float:  # type: ignore[no-untyped-def]
    """Cost of one system opening in ``opens``, from the definitions (as brute_force)."""
    pb = mp.base
    total = float(np.sum(mp.offset)) + float(pb.opening_cost[0, opens].sum())
    for i in range(mp.n_components):
        best = float(pb.penalty_beyond[i])
        for r in range(1, 2 ** len(opens)):
            ts = [int(t) for b, t in enumerate(opens) if r >> b & 1]
            if not pb.allowed[i, ts[0]]:
                continue
            c = pb.penalty[i, ts[0]] + mp.end_cost[i, ts[-1]]
            c += sum(mp.interval_cost[i, b - a] for a, b in itertools.pairwise(ts))
            best = min(best, float(c))
        total += best
    return total


@_SETTINGS
@given(
    seed=st.integers(0, 10_000),
    m=st.integers(1, 4),
    n_t=st.integers(3, 7),
    lam_scale=st.sampled_from([0.0, 0.3, 1.0]),
    dominance=st.booleans(),
)
def test_search_finds_the_brute_force_optimum(
    seed: int, m: int, n_t: int, lam_scale: float, dominance: bool
) -> None:
    """Complete search: the brute-force optimum, proven, for any multipliers."""
    mp = make_instance(m, 1, n_t, seed=seed, opening=(200.0, 6000.0))
    opt = brute_force(mp)
    const = float(np.sum(mp.offset))
    _, args = _search_args(mp, lam_scale, seed)
    res = system_search(*args, dominance=dominance)
    assert res.proven
    assert res.openings is not None
    assert_allclose(res.cost + const, opt, rtol=1e-9, atol=1e-6)
    assert_allclose(res.lower_bound, res.cost, rtol=1e-9, atol=1e-6)
    # the openings returned give that cost (each position's cheapest path through them)
    assert_allclose(_cost_of_openings(mp, res.openings), opt, rtol=1e-9, atol=1e-6)


@_SETTINGS
@given(
    seed=st.integers(0, 10_000),
    n_t=st.integers(4, 7),
    max_nodes=st.integers(1, 6),
    tol=st.sampled_from([0.0, 300.0, 3000.0]),
    lam_scale=st.sampled_from([0.0, 0.5, 2.0]),
    n_sets=st.integers(1, 2),
)
def test_bound_at_any_stop_stays_below_the_optimum(
    seed: int, n_t: int, max_nodes: int, tol: float, lam_scale: float, n_sets: int
) -> None:
    """Node limit or tolerance: the bound stays a bound, the plan above the optimum.

    ``n_sets = 2``: two sets of multipliers (the bound is the larger of the two).
    """
    mp = make_instance(3, 1, n_t, seed=seed, opening=(200.0, 6000.0))
    opt = brute_force(mp)
    const = float(np.sum(mp.offset))
    _, args = _search_args(mp, lam_scale, seed)
    if n_sets == 2:
        _, other = _search_args(mp, 3.0 * lam_scale + 0.1, seed + 1)
        args = (*args[:-1], np.stack([args[-1], other[-1]]))
    res = system_search(*args, tol=tol, max_nodes=max_nodes)
    scale = 1e-6 * max(1.0, abs(opt))
    assert res.lower_bound + const <= opt + scale
    if res.openings is not None:
        assert res.cost + const >= opt - scale
    if res.proven:
        assert res.cost - res.lower_bound <= tol + scale


def test_a_known_plan_as_upper_bound_is_kept_when_nothing_beats_it() -> None:
    """``ub`` below the optimum: no plan returned, the bound capped by ``ub``."""
    mp = make_instance(3, 1, 6, seed=3, opening=(200.0, 6000.0))
    opt = brute_force(mp) - float(np.sum(mp.offset))
    _, args = _search_args(mp, 0.5, 3)
    res = system_search(*args, ub=opt - 100.0)
    assert res.openings is None
    assert res.proven
    assert_allclose(res.lower_bound, opt - 100.0)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_solve_multiyear_proves_small_systems(seed: int) -> None:
    """Two small systems: the decomposition + search proves the brute-force optimum."""
    mp = make_instance(4, 2, 6, seed=seed, opening=(200.0, 6000.0))
    opt = brute_force(mp)
    plan = solve_multiyear(mp, gap=1e-9, max_iter=30)
    assert_allclose(plan.objective, opt, rtol=1e-9, atol=1e-6)
    assert_allclose(plan.lower_bound, opt, rtol=1e-9, atol=1e-6)
    assert plan.status.value == "optimal"


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), k=st.just(2), max_iter=st.sampled_from([1, 5, 60]))
def test_system_by_system_bound_below_optimum_below_plan(seed: int, k: int, max_iter: int) -> None:
    """Per-system subgradient (forced on small fleets): bound <= brute force <= plan.

    Each system's Lagrangian value is checked against that system's optimum (the complete
    search at zero multipliers, itself checked against brute force above) at any stop;
    the fleet bound, their sum, against the brute-force optimum of the whole instance.
    """
    mp = make_instance(2 * k, k, 5, seed=seed, opening=(200.0, 6000.0))
    opt = brute_force(mp)
    scale = 1e-7 * max(1.0, abs(opt))
    with pytest.MonkeyPatch.context() as mpatch:
        mpatch.setattr(multiyear, "_SYS_MIN_N", 0)
        plan = solve_multiyear(mp, gap=1e-9, max_iter=max_iter)
    assert plan.lower_bound <= opt + scale
    assert plan.objective >= opt - scale
    assert any("system by system" in line for line in plan.log)
    # each system's bound against its own optimum
    data = _data(mp)
    pb = mp.base
    s_cost = np.where(pb.open_allowed, pb.opening_cost, np.inf)
    lam0 = np.zeros((mp.n_components, mp.n_periods))
    ub_b = np.full(pb.n_systems, np.inf)
    lb_b, lam, _, _ = multiyear._system_lagrange(mp, data, lam0, ub_b, np.inf, 0.0, max_iter, [])
    assert (lam >= 0.0).all()
    total = 0.0
    for kk in range(pb.n_systems):
        rows = np.flatnonzero(pb.system_of == kk)
        args = (data.first, data.interval, data.end, data.beyond, data.node_ok)
        res = system_search(*(a[rows] for a in args), s_cost[kk], lam0[rows])
        assert res.proven
        assert lb_b[kk] <= res.cost + 1e-7 * max(1.0, abs(res.cost))
        total += res.cost
    assert_allclose(total + float(np.sum(mp.offset)), opt, rtol=1e-9, atol=1e-6)
    assert lb_b.sum() <= opt - float(np.sum(mp.offset)) + scale
