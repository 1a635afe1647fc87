"""Jobs that span several planning periods (``PlanningProblem.span_periods``).

A job started in period ``t`` with span ``n`` puts ``d q / n`` technician-hours into
each of the periods ``t .. t + n - 1`` inside the horizon.  The reference semantics
(:func:`optimizer.problem.plan.crew_load_h`) is checked against plain loops written here; every
backend is checked on hand-made instances whose optimum is derived in the comments,
and the MILP rows against :func:`crew_load_h` on random plans.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import (
    BEYOND,
    Plan,
    Status,
    crew_load_h,
    span_cells,
    spanned_min,
    violations,
)
from optimizer.solvers.brute import solve_brute
from optimizer.solvers.common import pinned_diagnosis
from optimizer.solvers.cpsat import solve_cpsat
from optimizer.solvers.dp import dp_is_exact, solve_dp
from optimizer.solvers.milp import root_lp_bound, solve_milp
from optimizer.solvers.model import build_direct_model, grouping_index

INF = np.inf
START = datetime(2027, 1, 1, tzinfo=UTC)


def tiny(
    penalty: list[list[float]],
    *,
    duration_h: list[float],
    span: list[int] | None,
    crew_hours: float | list[float],
    penalty_beyond: list[float] | None = None,
    opening: list[list[float]] | None = None,
    system_of: list[int] | None = None,
    skill_of: list[int] | None = None,
    pinned: list[int] | None = None,
    allowed: np.ndarray | None = None,
) -> PlanningProblem:
    """Small instance, one crew skill, daily periods."""
    pen = np.asarray(penalty, dtype=float)
    n, n_t = pen.shape
    oc = np.ones((1, n_t)) if opening is None else np.asarray(opening, dtype=float)
    n_k = oc.shape[0]
    n_s = 1 + (max(skill_of) if skill_of else 0)
    # omitting span_periods must give the default (one period per job)
    extra: dict[str, Any] = {} if span is None else {"span_periods": np.asarray(span)}
    return PlanningProblem(
        start=START,
        period_h=24.0,
        component_ids=tuple(f"C{i}" for i in range(n)),
        system_ids=tuple(f"S{k}" for k in range(n_k)),
        system_of=np.asarray(system_of or [0] * n, dtype=np.int64),
        penalty=pen,
        penalty_beyond=np.asarray(penalty_beyond or [50.0] * n, dtype=float),
        allowed=np.ones((n, n_t), bool) if allowed is None else allowed,
        opening_cost=oc,
        open_allowed=np.ones((n_k, n_t), bool),
        duration_h=np.asarray(duration_h, dtype=float),
        skill_of=np.asarray(skill_of or [0] * n, dtype=np.int64),
        crew_qty=np.ones(n, dtype=np.int64),
        skill_ids=tuple(f"skill{s}" for s in range(n_s)),
        crew_hours=np.broadcast_to(np.asarray(crew_hours, dtype=float), (n_s, n_t)).copy(),
        pinned_period=np.asarray(pinned or [-1] * n, dtype=np.int64),
        **extra,
    )


def _milp_pyomo(p: PlanningProblem, **kw: object) -> Plan:
    return solve_milp(p, backend="pyomo", **kw)  # type: ignore[arg-type]


ALL: dict[str, Callable[..., Plan]] = {
    "brute": solve_brute,
    "dp": solve_dp,
    "milp": solve_milp,
    "milp_pyomo": _milp_pyomo,
    "cpsat": solve_cpsat,
}
EXACT = ("brute", "milp", "milp_pyomo", "cpsat")


# --------------------------------------------------------------------------------------
# the problem field
# --------------------------------------------------------------------------------------


def test_span_defaults_to_one_and_is_frozen() -> None:
    p = tiny([[0, 1]], duration_h=[4], span=None, crew_hours=8.0)
    assert_array_equal(p.span_periods, [1])
    assert p.span_periods.dtype == np.int64
    assert not p.span_periods.flags.writeable
    q = tiny([[0, 1]], duration_h=[6], span=[3], crew_hours=8.0)
    assert_allclose(q.load_per_period_h, [2.0])
    # integral floats are accepted (e.g. from np.ceil in the problem builder)
    assert_array_equal(replace(q, span_periods=np.array([2.0])).span_periods, [2])


@pytest.mark.parametrize(
    "bad",
    [np.array([0]), np.array([-1]), np.array([1.5]), np.array([1, 1]), np.array([np.nan])],
)
def test_bad_span_raises(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="span_periods"):
        tiny([[0, 1]], duration_h=[4], span=bad.tolist(), crew_hours=8.0)


# --------------------------------------------------------------------------------------
# reference semantics and helpers, against loops
# --------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_crew_load_matches_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, n_t, n_s = int(rng.integers(0, 8)), int(rng.integers(1, 9)), int(rng.integers(1, 3))
    duration = rng.uniform(0, 40, n)
    qty = rng.integers(1, 4, n)
    span = rng.integers(1, 6, n)
    skill = rng.integers(0, n_s, n)
    period = rng.integers(-1, n_t, n)
    p = PlanningProblem(
        start=START,
        period_h=24.0,
        component_ids=tuple(f"C{i}" for i in range(n)),
        system_ids=("S0",),
        system_of=np.zeros(n, dtype=np.int64),
        penalty=np.zeros((n, n_t)),
        penalty_beyond=np.zeros(n),
        allowed=np.ones((n, n_t), bool),
        opening_cost=np.zeros((1, n_t)),
        open_allowed=np.ones((1, n_t), bool),
        duration_h=duration,
        skill_of=skill,
        crew_qty=qty,
        skill_ids=tuple(f"s{j}" for j in range(n_s)),
        crew_hours=np.full((n_s, n_t), INF),
        pinned_period=np.full(n, -1),
        span_periods=span,
    )
    ref = np.zeros((n_s, n_t))
    for i in range(n):
        if period[i] < 0:
            continue
        for t in range(period[i], period[i] + span[i]):
            if t < n_t:
                ref[skill[i], t] += duration[i] * qty[i] / span[i]
    assert_allclose(crew_load_h(p, period), ref, rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_span_cells_and_spanned_min_match_loops(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_r, n_t, m = int(rng.integers(1, 4)), int(rng.integers(1, 30)), int(rng.integers(0, 7))
    values = rng.uniform(0, 10, (n_r, n_t))
    values[rng.random((n_r, n_t)) < 0.1] = INF
    row = rng.integers(0, n_r, m)
    span = rng.integers(1, 40, m)
    start = rng.integers(0, n_t, m)
    job, cell = span_cells(start, span, n_t)
    ref = [(j, t) for j in range(m) for t in range(start[j], min(start[j] + span[j], n_t))]
    assert list(zip(job.tolist(), cell.tolist(), strict=True)) == ref
    out = spanned_min(values, row, span)
    want = np.array(
        [[values[row[j], t : t + span[j]].min() for t in range(n_t)] for j in range(m)]
    ).reshape(m, n_t)
    assert_array_equal(out, want)


def test_violations_report_spanned_period() -> None:
    # Two 16 h jobs of span 2 (8 h per day), 8 h crew: starts 0 and 1 overlap on day 1.
    p = tiny([[0, 0, 0], [0, 0, 0]], duration_h=[16, 16], span=[2, 2], crew_hours=8.0)
    assert_allclose(crew_load_h(p, np.array([0, 1])), [[8.0, 16.0, 8.0]])
    msgs = violations(p, np.array([0, 1]))
    assert len(msgs) == 1 and "period 1" in msgs[0] and "16.0 h" in msgs[0]
    assert violations(p, np.array([0, 2])) == []


# --------------------------------------------------------------------------------------
# hand-made instances, every backend
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALL))
def test_thirty_hour_job_fits_with_span_three_not_two(name: str) -> None:
    # One 30 h job, 10 h of crew per day, penalty 0/5/10 on days 0/1/2, opening 1,
    # deferral 50.  Span 3: 10 h per day fits from day 0 -> cost 0 + 1 = 1.
    # Span 2: 15 h per day never fits (nor does the clipped start on day 2) -> defer, 50.
    # Span 1 (today's model): 30 h > 10 h -> defer, 50.
    solve = ALL[name]
    pen = [[0.0, 5.0, 10.0]]
    p3 = tiny(pen, duration_h=[30], span=[3], crew_hours=10.0)
    plan = solve(p3)
    assert plan.status is Status.OPTIMAL
    assert_array_equal(plan.period, [0])
    assert_allclose(plan.objective, 1.0)
    assert_allclose(crew_load_h(p3, plan.period), [[10.0, 10.0, 10.0]])
    for span in (2, 1):
        p = tiny(pen, duration_h=[30], span=[span], crew_hours=10.0)
        plan = solve(p)
        assert_array_equal(plan.period, [BEYOND])
        assert_allclose(plan.objective, 50.0)
    # must-do with span 2: no plan exists
    must = tiny(pen, duration_h=[30], span=[2], crew_hours=10.0, penalty_beyond=[INF])
    plan = solve(must)
    if name in EXACT:
        assert plan.status is Status.INFEASIBLE
        assert plan.diagnosis
    else:
        assert not plan.feasible


@pytest.mark.parametrize("name", sorted(ALL))
def test_load_beyond_the_horizon_is_not_counted(name: str) -> None:
    # Two days, penalty 10/0, one 30 h job of span 3.  Started on day 1 it loads only
    # day 1 with 10 h (days 2, 3 lie beyond the horizon): crew 10/10 -> day 1, cost 1.
    # Crew 10/9: day 1 gets 10 h > 9 from either start -> deferred, cost 50.
    solve = ALL[name]
    p = tiny([[10.0, 0.0]], duration_h=[30], span=[3], crew_hours=[10.0, 10.0])
    plan = solve(p)
    assert_array_equal(plan.period, [1])
    assert_allclose(plan.objective, 1.0)
    assert_allclose(crew_load_h(p, plan.period), [[0.0, 10.0]])
    q = tiny([[10.0, 0.0]], duration_h=[30], span=[3], crew_hours=[10.0, 9.0])
    plan = solve(q)
    assert_array_equal(plan.period, [BEYOND])
    assert_allclose(plan.objective, 50.0)


@pytest.mark.parametrize("name", sorted(ALL))
def test_overlapping_spans_are_separated(name: str) -> None:
    # Two 16 h jobs of span 2 (8 h per day) on separate systems (opening 0), 8 h crew,
    # both with penalty t on day t, deferral 100.  They may not share a day: one starts
    # on day 0 (cost 0), the other on day 2 at the earliest (day 1 overlaps) -> cost 2.
    solve = ALL[name]
    p = tiny(
        [[0, 1, 2, 3], [0, 1, 2, 3]],
        duration_h=[16, 16],
        span=[2, 2],
        crew_hours=8.0,
        penalty_beyond=[100, 100],
        opening=[[0] * 4, [0] * 4],
        system_of=[0, 1],
    )
    plan = solve(p)
    assert plan.feasible
    assert sorted(plan.period.tolist()) == [0, 2]
    assert_allclose(plan.objective, 2.0)
    if name != "dp":
        assert plan.status is Status.OPTIMAL


# --------------------------------------------------------------------------------------
# DP exactness test and diagnosis
# --------------------------------------------------------------------------------------


def test_dp_is_exact_counts_spread_load() -> None:
    # 30 h over 3 days into 10 h crews: at most 10 h per day, crews cannot bind.
    p = tiny([[0, 1, 2]], duration_h=[30], span=[3], crew_hours=10.0)
    assert dp_is_exact(p)[0]
    # Two such jobs could both cover a day (20 h > 10 h): crews may bind.
    q = tiny([[0, 1, 2], [0, 1, 2]], duration_h=[30, 30], span=[3, 3], crew_hours=10.0)
    exact, why = dp_is_exact(q)
    assert not exact and "crew capacity can bind" in why
    # A span-2 job allowed only on day 0 covers days 0-1; a one-day job allowed only
    # on day 2 covers day 2: never together, 10 h per day at most -> exact.
    allowed = np.array([[True, False, False], [False, False, True]])
    r = tiny(
        [[0, 1, 2], [2, 1, 0]], duration_h=[20, 10], span=[2, 1], crew_hours=10.0, allowed=allowed
    )
    assert dp_is_exact(r)[0]
    # ... but with span 3 it reaches day 2 too: 20 h potential there.
    assert not dp_is_exact(
        replace(r, span_periods=np.array([3, 1]), duration_h=np.array([30.0, 10.0]))
    )[0]


def test_pinned_spanning_job_overload_is_diagnosed() -> None:
    # C0 (48 h over 3 days = 16 h/day) pinned to day 0; C1 (16 h, one day) pinned to
    # day 2; crew 24 h/day: day 2 carries 16 + 16 = 32 h > 24 h.
    p = tiny(
        [[0, 0, 0], [0, 0, 0]], duration_h=[48, 16], span=[3, 1], crew_hours=24.0, pinned=[0, 2]
    )
    diag = pinned_diagnosis(p)
    assert len(diag) == 1
    assert "32.0 h in period 2" in diag[0] and "C0" in diag[0] and "C1" in diag[0]
    for name in EXACT:
        assert ALL[name](p).status is Status.INFEASIBLE
    assert solve_dp(p).status is Status.INFEASIBLE


# --------------------------------------------------------------------------------------
# MILP model structure on random instances
# --------------------------------------------------------------------------------------


def random_spanned(seed: int, n: int = 6, n_t: int = 5) -> PlanningProblem:
    """Random capacitated instance with spans 1..4 and long jobs."""
    rng = np.random.default_rng(seed)
    n_k, n_s = 2, 2
    span = rng.integers(1, 5, n)
    return PlanningProblem(
        start=START,
        period_h=24.0,
        component_ids=tuple(f"C{i}" for i in range(n)),
        system_ids=("S0", "S1"),
        system_of=rng.integers(0, n_k, n),
        penalty=rng.uniform(0, 60, (n, n_t)),
        penalty_beyond=rng.uniform(30, 120, n),
        allowed=rng.random((n, n_t)) < 0.85,
        opening_cost=rng.uniform(10, 80, (n_k, n_t)),
        open_allowed=rng.random((n_k, n_t)) < 0.9,
        duration_h=(rng.integers(1, 7, n) * span * 2).astype(np.float64),
        skill_of=rng.integers(0, n_s, n),
        crew_qty=rng.integers(1, 3, n),
        skill_ids=("mech", "elec"),
        crew_hours=rng.choice([4.0, 8.0, 12.0, INF], size=(n_s, n_t)),
        pinned_period=np.full(n, -1),
        span_periods=span,
    )


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_columns_and_crew_rows_match_reference_load(seed: int) -> None:
    p = random_spanned(seed)
    idx = grouping_index(p)
    # a free pair has a column iff its share fits every spanned period (loop reference)
    share = p.duration_h * p.crew_qty / p.span_periods
    has = np.zeros((p.n_components, p.n_periods), bool)
    has[idx.x_comp, idx.x_period] = True
    for i in range(p.n_components):
        for t in range(p.n_periods):
            k, s = p.system_of[i], p.skill_of[i]
            cells = range(t, min(t + p.span_periods[i], p.n_periods))
            fits = all(share[i] <= p.crew_hours[s, u] for u in cells)
            assert has[i, t] == (bool(p.allowed[i, t] and p.open_allowed[k, t]) and fits)
    # crew-row activity of random plans over existing columns equals crew_load_h
    model = build_direct_model(p)
    rng = np.random.default_rng(seed)
    # rows: assignment, linking (not for members of clique rows), crew, ...
    base = p.n_components + model.n_rows_by_family["linking"]
    rows = slice(base, base + len(idx.crew_cap_h))
    for _ in range(10):
        period = np.full(p.n_components, BEYOND)
        for i in range(p.n_components):
            own = idx.x_period[idx.x_comp == i]
            if len(own) and rng.random() < 0.8:
                period[i] = rng.choice(own)
        act = model.matrix[rows] @ model.columns_from_period(period)
        ref = crew_load_h(p, period)[idx.crew_skill, idx.crew_period]
        assert_allclose(act, ref, rtol=1e-12, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_every_feasible_plan_satisfies_all_rows(seed: int) -> None:
    # Validity of the crew and strengthening rows: any plan that passes `violations`
    # (the reference) is a feasible column vector of the direct model.
    p = random_spanned(seed)
    model = build_direct_model(p, strengthen=True)
    rng = np.random.default_rng(seed)
    checked = 0
    # Random plans are often infeasible on tight instances: include the MILP's own
    # optimum (feasible whenever the instance is) among the candidates.
    from optimizer.solvers.milp import solve_milp

    best = solve_milp(p)
    candidates = [best.period] if best.feasible else []
    candidates += [
        np.where(rng.random(p.n_components) < 0.6, rng.integers(0, p.n_periods), BEYOND)
        for _ in range(200)
    ]
    for period in candidates:
        if violations(p, period):
            continue
        checked += 1
        act = model.matrix @ model.columns_from_period(period)
        assert (act >= model.row_lb - 1e-9).all()
        assert (act <= model.row_ub + 1e-9).all()
    assert checked > 0 or not best.feasible


@pytest.mark.parametrize("seed", range(4))
def test_milp_variants_agree_with_brute_force_on_spans(seed: int) -> None:
    p = random_spanned(100 + seed, n=6, n_t=4)
    brute = solve_brute(p)
    plans = [
        solve_milp(p, strengthen=True),
        solve_milp(p, strengthen=False),
        solve_milp(p, backend="pyomo"),
        solve_cpsat(p),
    ]
    for plan in plans:
        assert plan.status is brute.status
        if brute.status is Status.OPTIMAL:
            assert_allclose(plan.objective, brute.objective, rtol=1e-9, atol=1e-9)
            assert violations(p, plan.period) == []
    if brute.status is Status.OPTIMAL:
        weak = root_lp_bound(p, strengthen=False)
        strong = root_lp_bound(p, strengthen=True)
        assert weak <= strong + 1e-7
        assert strong <= brute.objective + 1e-7


# --------------------------------------------------------------------------------------
# CP-SAT integer scaling
# --------------------------------------------------------------------------------------


def test_cpsat_thirds_fill_a_crew_exactly() -> None:
    # Three 10 h jobs of span 3 put 10/3 h per day each: 3 x 10/3 = 10 h fills the 10 h
    # crew exactly, so all three start on day 0 (penalty 0/50/50, opening 100): 100.
    # Rounding each share up to 3.334 h would forbid this (10.002 h > 10 h).
    pen = [[0.0, 50.0, 50.0]] * 3
    p = tiny(pen, duration_h=[10, 10, 10], span=[3, 3, 3], crew_hours=10.0, opening=[[100] * 3])
    for plan in (solve_brute(p), solve_milp(p), solve_cpsat(p)):
        assert plan.status is Status.OPTIMAL
        assert_array_equal(plan.period, [0, 0, 0])
        assert_allclose(plan.objective, 100.0)


def test_cpsat_falls_back_to_rounded_shares_when_spans_are_diverse() -> None:
    # Spans = the primes up to 47: their lcm (6.1e17) would overflow the scaled rows,
    # so shares are rounded up; 1 h per day per job, 15 jobs, 15 h crew: all fit on day
    # 0 even rounded (an exact 1 h share rounds to itself) -> same optimum as the MILP.
    primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47]
    n = len(primes)
    p = tiny(
        [[0.0, 5.0, 9.0]] * n,
        duration_h=[float(x) for x in primes],
        span=primes,
        crew_hours=15.0,
        opening=[[20.0] * 3],
        penalty_beyond=[40.0] * n,
    )
    plan = solve_cpsat(p)
    assert any("rounded up" in line for line in plan.log)
    assert plan.status is Status.OPTIMAL
    assert_allclose(plan.objective, solve_milp(p).objective)
    assert_allclose(plan.objective, 20.0)
    assert violations(p, plan.period) == []
