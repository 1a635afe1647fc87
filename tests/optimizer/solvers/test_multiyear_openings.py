"""Multi-year plans: opening search, per-system dual blocks (bound validity vs brute force)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optimizer.solvers.multiyear import (
    _data,
    _opening_search,
    _repair,
    _sparse_via,
    _system_costs,
    _via,
    evaluate_multiyear,
    shortest_paths,
    solve_multiyear,
)

from .test_multiyear import brute_force, make_instance


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_t=st.integers(4, 24))
def test_via_is_the_shortest_path_with_one_more_free_period(seed: int, n_t: int) -> None:
    """``min(cost, via[t])`` equals the shortest path with ``t`` freed, dense and sparse."""
    mp = make_instance(4, 2, n_t, seed=seed)
    data = _data(mp, prune=False)
    rng = np.random.default_rng(seed)
    n = mp.n_components
    free = rng.uniform(size=(n, n_t)) < 0.4
    node = np.where(free, 0.0, np.inf)
    cost, via = _via(data.first, data.interval, data.end, data.beyond, data.node_ok, node)
    ref = shortest_paths(data.first, data.interval, data.end, data.beyond, data.node_ok, node)
    assert_allclose(cost, ref.cost)
    for t in range(n_t):
        nd = node.copy()
        nd[:, t] = 0.0
        one = shortest_paths(data.first, data.interval, data.end, data.beyond, data.node_ok, nd)
        assert_allclose(np.minimum(cost, via[:, t]), one.cost)
    # sparse: each row's free periods as a node list, every other period a target
    pos = np.arange(n)
    n_l = max(1, int(free.sum(axis=1).max()))
    nodes = np.full((n, n_l), -1, dtype=np.int64)
    targets = np.full((n, n_t), -1, dtype=np.int64)
    for i in range(n):
        f_i = np.flatnonzero(free[i])
        nodes[i, : f_i.size] = f_i
        o_i = np.flatnonzero(~free[i])
        targets[i, : o_i.size] = o_i
    c_s, v_s = _sparse_via(data, pos, nodes, targets)
    assert_allclose(c_s, ref.cost)
    for i in range(n):
        for m, t in enumerate(targets[i]):
            if t >= 0:
                assert_allclose(min(c_s[i], v_s[i, m]), min(cost[i], via[i, t]))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_opening_search_improves_and_stays_above_the_optimum(seed: int) -> None:
    mp = make_instance(4, 2, 5, seed=seed)
    opt = brute_force(mp)
    data = _data(mp)
    n, n_t = mp.n_components, mp.n_periods
    free = shortest_paths(
        data.first, data.interval, data.end, data.beyond, data.node_ok, np.zeros((n, n_t))
    )
    x0, c0 = _repair(mp, data, free.x, np.inf)
    x1 = _opening_search(mp, data, x0, np.inf)
    c1 = float(_system_costs(mp, data, x1).sum())
    const = float(np.sum(mp.offset))
    assert c1 <= c0 + 1e-9 * max(1.0, abs(c0))
    assert c1 + const >= opt - 1e-6 * max(1.0, abs(opt))
    assert_allclose(evaluate_multiyear(mp, x1)["total"], c1 + const)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), k=st.integers(2, 3))
def test_per_system_bounds_stay_below_the_brute_force_optimum(seed: int, k: int) -> None:
    """The sum of the systems' best dual values is a bound of the whole problem."""
    mp = make_instance(k + 1, k, 4, seed=seed, opening=(200.0, 6000.0))
    opt = brute_force(mp)
    plan = solve_multiyear(mp, gap=1e-9, max_iter=120)
    scale = 1e-6 * max(1.0, abs(opt))
    assert plan.lower_bound <= opt + scale
    assert plan.objective >= opt - scale
    x = np.zeros((mp.n_components, mp.n_periods), dtype=bool)
    assert plan.replacements is not None
    x[plan.replacements[:, 0], plan.replacements[:, 1]] = True
    assert_allclose(evaluate_multiyear(mp, x)["total"], plan.objective)
