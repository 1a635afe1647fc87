"""Crew-aware multi-year plans: time limit honoured, prices of the opening search (issue 14)."""

from __future__ import annotations

import itertools
import time

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optimizer.problem.plan import Status
from optimizer.solvers import multiyear as my
from optimizer.solvers.multiyear import solve_multiyear

from .test_multiyear import make_instance
from .test_multiyear_crews import crew_hours_used, with_crews


def test_a_small_time_limit_is_honoured_with_binding_crews() -> None:
    """The crew repair stops at the limit; a plan, if any, fits and carries its gap."""
    mp = with_crews(make_instance(150, 15, 40, seed=1), 6.0, [1.0] * 150)
    assert my.crews_can_bind(mp)
    limit_s = 1.0
    t0 = time.perf_counter()
    plan = solve_multiyear(mp, time_limit_s=limit_s)
    wall_s = time.perf_counter() - t0
    assert wall_s <= limit_s + 3.0
    assert plan.status is not Status.OPTIMAL or plan.feasible
    if plan.feasible:
        assert plan.replacements is not None
        assert (crew_hours_used(mp, plan.replacements) <= 6.0 + 1e-9).all()
        assert plan.lower_bound <= plan.objective + 1e-6 * abs(plan.objective)


def brute_priced_system(
    mp: my.MultiYearProblem, data: my._Data, price: np.ndarray, k: int
) -> float:
    """Least priced cost of system ``k`` by enumeration of its sets of openings."""
    pb = mp.base
    pos = np.flatnonzero(pb.system_of == k)
    best = np.inf
    for mask in itertools.product([False, True], repeat=pb.n_periods):
        y = np.asarray(mask)
        node = np.where(y[None, :], price[pos], np.inf)
        p = my.shortest_paths(
            data.first[pos],
            data.interval[pos],
            data.end[pos],
            data.beyond[pos],
            data.node_ok[pos],
            node,
        )
        best = min(best, float(p.cost.sum() + pb.opening_cost[k, y].sum()))
    return best


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), scale=st.sampled_from([0.0, 50.0, 400.0]))
def test_sparse_via_with_prices_equals_shortest_paths(seed: int, scale: float) -> None:
    """Priced forward/backward sweep over the free nodes = shortest path with one more."""
    mp = make_instance(3, 1, 7, seed=seed)
    data = my._data(mp, prune=False)
    rng = np.random.default_rng(seed)
    price = rng.uniform(0.0, scale, (3, 7))
    nodes = np.array([[1, 4, -1], [0, 3, 5], [2, -1, -1]])
    targets = np.array([[0, 2, 6], [1, 4, -1], [3, 5, 6]])
    pos = np.arange(3)
    cost, via = my._sparse_via(data, pos, nodes, targets, price)
    for r in range(3):
        free = nodes[r][nodes[r] >= 0]
        node = np.full(7, np.inf)
        node[free] = price[r, free]
        one = my.shortest_paths(
            data.first[r : r + 1],
            data.interval[r : r + 1],
            data.end[r : r + 1],
            data.beyond[r : r + 1],
            data.node_ok[r : r + 1],
            node[None, :],
        )
        assert_allclose(cost[r], one.cost[0], rtol=1e-9)
        for j, t in enumerate(targets[r].tolist()):
            if t < 0:
                assert via[r, j] == np.inf
                continue
            n2 = node.copy()
            n2[t] = price[r, t]
            two = my.shortest_paths(
                data.first[r : r + 1],
                data.interval[r : r + 1],
                data.end[r : r + 1],
                data.beyond[r : r + 1],
                data.node_ok[r : r + 1],
                n2[None, :],
            )
            # a path through t, or not: min(cost, via) is the path with t free
            assert_allclose(min(cost[r], via[r, j]), two.cost[0], rtol=1e-9)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), scale=st.sampled_from([0.0, 100.0, 1000.0]))
def test_priced_opening_search_stays_above_the_priced_optimum(seed: int, scale: float) -> None:
    """The priced search returns paths no cheaper than the enumerated priced optimum."""
    mp = make_instance(3, 1, 6, seed=seed)
    data = my._data(mp, prune=False)
    price = np.random.default_rng(seed).uniform(0.0, scale, (3, 6))
    free = my.shortest_paths(
        data.first, data.interval, data.end, data.beyond, data.node_ok, np.zeros((3, 6))
    )
    x = my._opening_search(mp, data, free.x, np.inf, price=price)
    opt = brute_priced_system(mp, data, price, 0)
    got = float(my._position_costs(mp, data, x).sum() + (price * x).sum())
    got += float(mp.base.opening_cost[0, x.any(axis=0)].sum())
    assert got >= opt - 1e-6 * max(1.0, abs(opt))
    # and the start plan's priced cost, after the search, does not rise
    y0 = free.x.any(axis=0)
    start = my.shortest_paths(
        data.first,
        data.interval,
        data.end,
        data.beyond,
        data.node_ok,
        np.where(y0[None, :], price, np.inf),
    )
    start_c = float(start.cost.sum() + mp.base.opening_cost[0, y0].sum())
    assert got <= start_c + 1e-6 * max(1.0, abs(start_c))


def plan_cost(mp: my.MultiYearProblem, x: np.ndarray) -> float:
    """Cost of a plan counted replacement by replacement (relative, no offsets)."""
    pb = mp.base
    total = 0.0
    for i in range(pb.n_components):
        ts = np.flatnonzero(x[i])
        if ts.size == 0:
            total += float(pb.penalty_beyond[i])
            continue
        total += float(pb.penalty[i, ts[0]] + mp.end_cost[i, ts[-1]])
        total += sum(float(mp.interval_cost[i, b - a]) for a, b in itertools.pairwise(ts))
    y = np.zeros((pb.n_systems, pb.n_periods), dtype=bool)
    ii, tt = np.nonzero(x)
    y[pb.system_of[ii], tt] = True
    return total + float(pb.opening_cost[y].sum())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    hours=st.sampled_from([1.0, 2.0, 3.0]),
    dur=st.lists(st.sampled_from([1.0, 2.0]), min_size=3, max_size=3),
    a=st.integers(0, 3),
)
def test_window_replan_is_exact_and_never_worse(
    seed: int, hours: float, dur: list[float], a: int
) -> None:
    """Whole horizon: the brute-force optimum; any window: cheaper, within the crews."""
    from optimizer.solvers.multiyear_crews import window_replan

    from .test_multiyear_crews import brute_force_crews

    mp = with_crews(make_instance(3, 2, 5, seed=seed, limit_share=0.0), hours, dur)
    opt = brute_force_crews(mp)
    if not np.isfinite(opt):
        return
    data = my._data(mp, prune=False)
    # start: each position's own cheapest path, fitted to the crews job by job
    free = my.shortest_paths(
        data.first, data.interval, data.end, data.beyond, data.node_ok, np.zeros((3, 5))
    )
    x, ok = my._crew_fit(mp, data, free.x, np.inf, passes=0)
    if not ok:
        return
    args = (mp, data.first, data.interval, data.end, data.beyond, data.node_ok)
    whole = window_replan(*args, x, 0, 5, 30.0)
    best = whole if whole is not None else x
    assert_allclose(plan_cost(mp, best), opt, rtol=1e-9, atol=1e-6)
    assert (crew_hours_used(mp, np.argwhere(best)) <= hours + 1e-6).all()
    part = window_replan(*args, x, a, a + 2, 30.0)
    if part is not None:
        assert plan_cost(mp, part) < plan_cost(mp, x)
        assert plan_cost(mp, part) >= opt - 1e-6 * max(1.0, abs(opt))
        assert (part[:, :a] == x[:, :a]).all() and (part[:, a + 2 :] == x[:, a + 2 :]).all()
        assert (crew_hours_used(mp, np.argwhere(part)) <= hours + 1e-6).all()
    some = window_replan(*args, x, a, a + 2, 30.0, np.array([0, 2]))
    if some is not None:
        assert (some[1] == x[1]).all()  # position 1 is not re-planned
        assert plan_cost(mp, some) < plan_cost(mp, x)
        assert (crew_hours_used(mp, np.argwhere(some)) <= hours + 1e-6).all()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    hours=st.sampled_from([1.0, 2.0, 3.0]),
    dur=st.lists(st.sampled_from([1.0, 2.0]), min_size=3, max_size=3),
)
def test_greedy_construction_fits_the_crews(seed: int, hours: float, dur: list[float]) -> None:
    """Position-by-position plan: within the crews, no cheaper than the optimum."""
    from .test_multiyear_crews import brute_force_crews

    mp = with_crews(make_instance(3, 2, 5, seed=seed, limit_share=0.0), hours, dur)
    opt = brute_force_crews(mp)
    data = my._data(mp, prune=False)
    free = my.shortest_paths(
        data.first, data.interval, data.end, data.beyond, data.node_ok, np.zeros((3, 5))
    )
    x, ok = my._crew_greedy(mp, data, free.x, np.inf)
    if not ok:
        return
    assert (crew_hours_used(mp, np.argwhere(x)) <= hours + 1e-6).all()
    assert plan_cost(mp, x) >= opt - 1e-6 * max(1.0, abs(opt))
    assert_allclose(
        plan_cost(mp, x), float(my._system_costs(mp, data, x).sum()), rtol=1e-9, atol=1e-6
    )
