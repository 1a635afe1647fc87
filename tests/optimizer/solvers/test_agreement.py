"""Agreement of every backend with the brute-force oracle on small random instances."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import Plan, Status, crew_load_h, violations
from optimizer.solvers.brute import solve_brute
from optimizer.solvers.dp import dp_is_exact, solve_dp

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

sizes = st.tuples(
    st.integers(1, 6),  # components
    st.integers(1, 2),  # systems
    st.integers(1, 6),  # periods
    st.integers(0, 2**31 - 1),  # seed
)


def small(
    make: Callable[..., PlanningProblem], n: int, k: int, t: int, seed: int, **kw: object
) -> PlanningProblem:
    """A generated instance small enough to enumerate (else the example is rejected)."""
    problem = make(n, k, t, seed, **kw)
    sizes_ = (problem.allowed & problem.open_allowed[problem.system_of]).sum(axis=1) + 1
    assume(float(np.prod(sizes_.astype(float))) <= 50_000)
    return problem


@SETTINGS
@given(sizes, st.booleans(), st.sampled_from(["quadratic", "weibull"]))
def test_dp_equals_brute_force_uncapacitated(
    make_problem: Callable[..., PlanningProblem],
    dims: tuple[int, int, int, int],
    windows: bool,
    shape: str,
) -> None:
    problem = small(make_problem, *dims, windows=windows, pins=dims[3] % 2 == 0, shape=shape)
    brute = solve_brute(problem)
    plan = solve_dp(problem)
    assert dp_is_exact(problem)[0]
    if brute.status is Status.INFEASIBLE:
        assert plan.status is Status.INFEASIBLE
        return
    assert plan.status is Status.OPTIMAL
    assert_allclose(plan.objective, brute.objective, rtol=1e-9, atol=1e-9)
    assert_allclose(plan.lower_bound, plan.objective)
    assert not violations(problem, plan.period)


@SETTINGS
@given(st.integers(0, 2**31 - 1))
def test_dp_on_arbitrary_rows_is_exact_or_bounded(seed: int) -> None:
    # Integer penalty rows of any shape, random eligibility, windows, pins, must-do work.
    rng = np.random.default_rng(seed)
    n, n_k, n_t = int(rng.integers(1, 6)), int(rng.integers(1, 3)), int(rng.integers(1, 6))
    beyond = rng.integers(0, 40, size=n).astype(float)
    beyond[rng.random(n) < 0.15] = np.inf
    pin = np.full(n, -1)
    if rng.random() < 0.3:
        pin[rng.integers(0, n)] = rng.integers(-2, n_t)
    problem = PlanningProblem(
        start=datetime(2027, 1, 1, tzinfo=UTC),
        period_h=24.0,
        component_ids=tuple(f"c{i}" for i in range(n)),
        system_ids=tuple(f"s{k}" for k in range(n_k)),
        system_of=rng.integers(0, n_k, size=n),
        penalty=rng.integers(0, 20, size=(n, n_t)).astype(float),
        penalty_beyond=beyond,
        allowed=rng.random((n, n_t)) < 0.85,
        opening_cost=rng.integers(0, 25, size=(n_k, n_t)).astype(float),
        open_allowed=rng.random((n_k, n_t)) < 0.8,
        duration_h=np.ones(n),
        skill_of=np.zeros(n, dtype=np.int64),
        crew_qty=np.ones(n, dtype=np.int64),
        skill_ids=("electrical",),
        crew_hours=np.full((1, n_t), np.inf),
        pinned_period=pin,
    )
    brute = solve_brute(problem)
    plan = solve_dp(problem)
    if brute.status is Status.INFEASIBLE:
        assert plan.status is Status.INFEASIBLE
        return
    assert not violations(problem, plan.period)
    if dp_is_exact(problem)[0]:
        assert plan.status is Status.OPTIMAL
        assert_allclose(plan.objective, brute.objective, rtol=1e-9, atol=1e-9)
    else:
        assert plan.lower_bound <= brute.objective + 1e-9
        assert brute.objective <= plan.objective + 1e-9
        if plan.status is Status.OPTIMAL:
            assert_allclose(plan.objective, brute.objective, rtol=1e-6)


def check_against_brute(problem: PlanningProblem, plan: Plan) -> Plan:
    """Assert ``plan`` is consistent with the enumerated optimum; return the latter."""
    brute = solve_brute(problem)
    if brute.status is Status.INFEASIBLE:
        assert plan.status is Status.INFEASIBLE or not plan.feasible
        return brute
    assert plan.feasible
    assert not violations(problem, plan.period)
    assert plan.lower_bound <= brute.objective + 1e-6 * max(1.0, abs(brute.objective))
    assert brute.objective <= plan.objective + 1e-9
    if plan.status is Status.OPTIMAL:
        assert_allclose(plan.objective, brute.objective, rtol=1e-6, atol=1e-6)
    return brute


@SETTINGS
@given(sizes, st.booleans(), st.booleans(), st.booleans())
def test_backend_matches_brute_force_when_optimal(
    make_problem: Callable[..., PlanningProblem],
    method: Callable[..., Plan],
    dims: tuple[int, int, int, int],
    capacitated: bool,
    windows: bool,
    pins: bool,
) -> None:
    problem = small(make_problem, *dims, capacitated=capacitated, windows=windows, pins=pins)
    check_against_brute(problem, method(problem, time_limit_s=20.0))


@SETTINGS
@given(sizes, st.booleans(), st.booleans(), st.integers(2, 4))
def test_backend_matches_brute_force_with_spans(
    make_problem: Callable[..., PlanningProblem],
    method: Callable[..., Plan],
    dims: tuple[int, int, int, int],
    windows: bool,
    pins: bool,
    max_span: int,
) -> None:
    # Jobs spanning 1..max_span periods on 8/16/24 h crews: spread loads overlap and
    # bind.  The MILP and CP-SAT prove optimality, so they must equal the enumeration.
    problem = small(
        make_problem, *dims, capacitated=True, windows=windows, pins=pins, max_span=max_span
    )
    plan = method(problem, time_limit_s=20.0)
    brute = check_against_brute(problem, plan)
    if plan.method in ("milp", "cpsat") and brute.status is not Status.INFEASIBLE:
        assert plan.status is Status.OPTIMAL
    if plan.method == "dp" and dp_is_exact(problem)[0] and brute.status is not Status.INFEASIBLE:
        assert plan.status is Status.OPTIMAL


@SETTINGS
@given(sizes, st.booleans(), st.integers(2, 4), st.sampled_from([1.0, 2.0, 4.0, 8.0]))
def test_dp_exact_with_spans_only_when_crews_cannot_bind(
    make_problem: Callable[..., PlanningProblem],
    dims: tuple[int, int, int, int],
    windows: bool,
    max_span: int,
    crew_factor: float,
) -> None:
    # Larger crews make `dp_is_exact` hold on some instances; when it does, removing the
    # crews must not change the enumerated optimum (crews truly cannot bind) and the DP
    # must be optimal.
    base = small(make_problem, *dims, capacitated=True, windows=windows, max_span=max_span)
    problem = replace(base, crew_hours=base.crew_hours * crew_factor)
    exact, why = dp_is_exact(problem)
    brute = solve_brute(problem)
    plan = solve_dp(problem)
    if not exact:
        assert "crew capacity can bind" in why
        check_against_brute(problem, plan)
        return
    free = solve_brute(replace(problem, crew_hours=np.full_like(problem.crew_hours, np.inf)))
    assert_allclose(brute.objective, free.objective, rtol=1e-12)
    assert plan.status is Status.OPTIMAL
    assert_allclose(plan.objective, brute.objective, rtol=1e-9, atol=1e-9)
    assert not violations(problem, plan.period)


@SETTINGS
@given(st.integers(0, 2**31 - 1))
def test_dp_crew_verdict_matches_worst_case_load_with_spans(seed: int) -> None:
    # Sparse random eligibility (gaps matter: a spanning job covers the periods after
    # each eligible start only) and tight integer crews.  Crews can bind iff some cell
    # can receive more than its capacity, i.e. iff the sum over components of their
    # largest load there (each component alone at each of its admissible periods,
    # loads by `crew_load_h`) exceeds it.
    rng = np.random.default_rng(seed)
    n, n_t = int(rng.integers(1, 6)), int(rng.integers(1, 7))
    span = rng.integers(1, 5, size=n)
    problem = PlanningProblem(
        start=datetime(2027, 1, 1, tzinfo=UTC),
        period_h=24.0,
        component_ids=tuple(f"c{i}" for i in range(n)),
        system_ids=("s0", "s1"),
        system_of=rng.integers(0, 2, size=n),
        penalty=np.abs(np.arange(n_t)[None, :] - rng.integers(0, n_t, size=(n, 1))) * 1.0,
        penalty_beyond=np.full(n, 10.0),
        allowed=rng.random((n, n_t)) < 0.5,
        opening_cost=np.ones((2, n_t)),
        open_allowed=rng.random((2, n_t)) < 0.8,
        duration_h=(rng.integers(1, 4, size=n) * span).astype(np.float64),
        skill_of=np.zeros(n, dtype=np.int64),
        crew_qty=np.ones(n, dtype=np.int64),
        skill_ids=("electrical",),
        crew_hours=rng.integers(1, 7, size=(1, n_t)).astype(float),
        pinned_period=np.full(n, -1),
        span_periods=span,
    )
    worst = np.zeros((1, n_t))
    ok_open = problem.open_allowed[problem.system_of]
    for i in range(n):
        best_i = np.zeros((1, n_t))
        for t in np.flatnonzero(problem.allowed[i] & ok_open[i]):
            alone = np.full(n, -1)
            alone[i] = t
            best_i = np.maximum(best_i, crew_load_h(problem, alone))
        worst += best_i
    can_bind = bool((worst > problem.crew_hours + 1e-9).any())
    exact, why = dp_is_exact(problem)
    assert ("crew capacity can bind" in why) == can_bind
    if exact:
        check_against_brute(problem, solve_dp(problem))
