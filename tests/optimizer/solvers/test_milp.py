"""Tests of the Pyomo / direct HiGHS grouping MILP (optimizer/solvers/milp.py).

Expected plans of the hand-made instances are derived in the comments; random instances
are checked against an exhaustive enumeration written here (independent of the solver).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import BEYOND, Status, evaluate, violations
from optimizer.solvers.common import fallback_period
from optimizer.solvers.milp import root_lp_bound, solve_milp
from optimizer.solvers.model import build_direct_model

START = datetime(2027, 1, 1, tzinfo=UTC)
INF = np.inf


def problem(
    penalty: list[list[float]] | np.ndarray,
    opening: list[list[float]] | np.ndarray,
    *,
    system_of: list[int] | None = None,
    penalty_beyond: list[float] | None = None,
    allowed: np.ndarray | None = None,
    open_allowed: np.ndarray | None = None,
    duration_h: list[float] | None = None,
    skill_of: list[int] | None = None,
    crew_qty: list[int] | None = None,
    crew_hours: np.ndarray | float = INF,
    pinned: list[int] | None = None,
    skill_ids: tuple[str, ...] = ("mech",),
    system_ids: tuple[str, ...] | None = None,
) -> PlanningProblem:
    """Small instance with daily periods starting 2027-01-01."""
    pen = np.asarray(penalty, dtype=float)
    n, n_t = pen.shape
    oc = np.asarray(opening, dtype=float)
    n_k = oc.shape[0]
    n_s = len(skill_ids)
    return PlanningProblem(
        start=START,
        period_h=24.0,
        component_ids=tuple(f"C{i}" for i in range(n)),
        system_ids=system_ids or tuple(f"S{k}" for k in range(n_k)),
        system_of=np.asarray(np.zeros(n) if system_of is None else system_of, dtype=np.int64),
        penalty=pen,
        penalty_beyond=np.asarray(
            np.full(n, 1000.0) if penalty_beyond is None else penalty_beyond, dtype=np.float64
        ),
        allowed=np.ones((n, n_t), bool) if allowed is None else allowed,
        opening_cost=oc,
        open_allowed=np.ones((n_k, n_t), bool) if open_allowed is None else open_allowed,
        duration_h=np.asarray(
            np.full(n, 4.0) if duration_h is None else duration_h, dtype=np.float64
        ),
        skill_of=np.asarray(np.zeros(n) if skill_of is None else skill_of, dtype=np.int64),
        crew_qty=np.asarray(np.ones(n) if crew_qty is None else crew_qty, dtype=np.int64),
        skill_ids=skill_ids,
        crew_hours=np.broadcast_to(crew_hours, (n_s, n_t)).astype(float),
        pinned_period=np.asarray(np.full(n, -1) if pinned is None else pinned, dtype=np.int64),
    )


def random_problem(
    rng: np.random.Generator, n: int = 5, n_t: int = 3, *, pins: bool = True
) -> PlanningProblem:
    """Random small capacitated instance: 2 systems, 2 skills, windows, one pin maybe.

    Without pins the instance is always feasible (everything may be deferred).
    """
    n_k, n_s = 2, 2
    pinned = np.full(n, -1)
    if pins and rng.random() < 0.3:
        pinned[rng.integers(n)] = rng.integers(-2, n_t)
    return PlanningProblem(
        start=START,
        period_h=168.0,
        component_ids=tuple(f"C{i}" for i in range(n)),
        system_ids=("S0", "S1"),
        system_of=rng.integers(0, n_k, n),
        penalty=rng.uniform(0, 60, (n, n_t)),
        penalty_beyond=rng.uniform(30, 120, n),
        allowed=rng.random((n, n_t)) < 0.85,
        opening_cost=rng.uniform(10, 80, (n_k, n_t)),
        open_allowed=rng.random((n_k, n_t)) < 0.9,
        duration_h=rng.integers(1, 7, n).astype(float),
        skill_of=rng.integers(0, n_s, n),
        crew_qty=rng.integers(1, 3, n),
        skill_ids=("mech", "elec"),
        crew_hours=rng.choice([4.0, 8.0, 12.0, INF], size=(n_s, n_t)),
        pinned_period=pinned,
    )


def brute_force(p: PlanningProblem) -> float:
    """Minimum of ``evaluate`` over all feasible assignments (``violations`` empty)."""
    best = np.inf
    for combo in itertools.product(range(-1, p.n_periods), repeat=p.n_components):
        period = np.array(combo, dtype=np.int64)
        if not np.isfinite(p.penalty_beyond[period == BEYOND]).all():
            continue
        if violations(p, period):
            continue
        best = min(best, evaluate(p, period)["total"])
    return float(best)


# --------------------------------------------------------------------------------------
# each constraint family binds
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["direct", "pyomo"])
def test_crew_capacity_forces_split(backend: str) -> None:
    # Two 6 h jobs, one skill with 8 h per period, one system opening at 100 per period.
    # Uncapacitated both go to period 0 (cost 100).  With 8 h only one fits per period:
    #   C0@0, C1@1: 0 + 10 + 200 = 210;  C1@0, C0@1: 0 + 20 + 200 = 220;
    #   deferring one: >= 100 + 1000.  So C1 moves to period 1, objective 210.
    p = problem([[0, 20], [0, 10]], [[100, 100]], duration_h=[6, 6], crew_hours=8.0)
    plan = solve_milp(p, backend=backend)  # type: ignore[arg-type]
    assert plan.status is Status.OPTIMAL
    assert_array_equal(plan.period, [0, 1])
    assert_allclose(plan.objective, 210.0)
    assert_allclose(plan.lower_bound, 210.0, rtol=1e-6)
    # same instance, uncapacitated: grouped in period 0
    free = problem([[0, 20], [0, 10]], [[100, 100]], duration_h=[6, 6])
    assert_array_equal(solve_milp(free, backend=backend).period, [0, 0])  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["direct", "pyomo"])
def test_window_forces_shift(backend: str) -> None:
    # Penalty 0, 5, 8, 30 in periods 0..3; the system may open only in 2 and 3;
    # opening 50; deferral 100.  Period 2 costs 8 + 50 = 58 < 30 + 50 < 100.
    open_allowed = np.array([[False, False, True, True]])
    p = problem(
        [[0, 5, 8, 30]], [[50, 50, 50, 50]], open_allowed=open_allowed, penalty_beyond=[100]
    )
    plan = solve_milp(p, backend=backend)  # type: ignore[arg-type]
    assert_array_equal(plan.period, [2])
    assert_allclose(plan.objective, 58.0)
    assert plan.cost_split == {"penalty": 8.0, "deferral": 0.0, "opening": 50.0}


@pytest.mark.parametrize("backend", ["direct", "pyomo"])
def test_component_window_forces_shift(backend: str) -> None:
    # Same curve, but the *component* is not allowed in periods 0 and 1.
    allowed = np.array([[False, False, True, True]])
    p = problem([[0, 5, 8, 30]], [[50, 50, 50, 50]], allowed=allowed, penalty_beyond=[100])
    assert_array_equal(solve_milp(p, backend=backend).period, [2])  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["direct", "pyomo"])
def test_pin_forces_period_and_attracts_group(backend: str) -> None:
    # C0 is pinned to period 3 (penalty 30) although period 0 is its best.  The opening
    # in period 3 is paid anyway (50), so C1 (penalty 0, 5, 8, 10) joins it for 10
    # instead of opening alone (0 + 50).  Total 30 + 50 + 10 = 90.
    p = problem([[0, 5, 8, 30], [0, 5, 8, 10]], [[50] * 4], pinned=[3, -1])
    plan = solve_milp(p, backend=backend)  # type: ignore[arg-type]
    assert_array_equal(plan.period, [3, 3])
    assert_allclose(plan.objective, 90.0)


@pytest.mark.parametrize("backend", ["direct", "pyomo"])
def test_pin_beyond(backend: str) -> None:
    # C0 would cost 0 + 50 in period 0, but it is pinned beyond the horizon: it pays its
    # deferral 70; C1 alone: 0 + 50.  Total 120.
    p = problem([[0, 9], [0, 9]], [[50, 50]], pinned=[-2, -1], penalty_beyond=[70, 1000])
    plan = solve_milp(p, backend=backend)  # type: ignore[arg-type]
    assert_array_equal(plan.period, [BEYOND, 0])
    assert_allclose(plan.objective, 120.0)


@pytest.mark.parametrize("backend", ["direct", "pyomo"])
def test_time_varying_opening_cost_pulls_group(backend: str) -> None:
    # Penalties (0, 4, 8) and (6, 3, 0); opening (100, 20, 100).
    #   together in 1: 4 + 3 + 20 = 27;  together in 0: 0 + 6 + 100 = 106;
    #   apart at own minima: 0 + 0 + 200.  Optimum: both in period 1, 27.
    p = problem([[0, 4, 8], [6, 3, 0]], [[100, 20, 100]])
    plan = solve_milp(p, backend=backend)  # type: ignore[arg-type]
    assert_array_equal(plan.period, [1, 1])
    assert_allclose(plan.objective, 27.0)


def test_deferral_when_cheaper() -> None:
    # Doing it costs at least 0 + 50; deferring costs 40.
    p = problem([[0, 5]], [[50, 50]], penalty_beyond=[40])
    plan = solve_milp(p)
    assert_array_equal(plan.period, [BEYOND])
    assert_allclose(plan.objective, 40.0)


def test_systems_are_independent() -> None:
    # Two systems: C0 in S0 (opening 10 / 90), C1 in S1 (opening 90 / 10), zero
    # penalties: C0 -> 0, C1 -> 1, total 20 (no shared opening across systems).
    p = problem([[0, 0], [0, 0]], [[10, 90], [90, 10]], system_of=[0, 1])
    plan = solve_milp(p)
    assert_array_equal(plan.period, [0, 1])
    assert_allclose(plan.objective, 20.0)


# --------------------------------------------------------------------------------------
# random instances: brute force, Pyomo == direct
# --------------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_direct_matches_brute_force(seed: int) -> None:
    p = random_problem(np.random.default_rng(seed))
    best = brute_force(p)
    plan = solve_milp(p)
    if not np.isfinite(best):
        assert plan.status is Status.INFEASIBLE
        assert plan.diagnosis
        return
    assert plan.status is Status.OPTIMAL
    assert violations(p, plan.period) == []
    assert_allclose(plan.objective, best, rtol=1e-6)
    assert plan.lower_bound <= plan.objective + 1e-9
    assert_allclose(plan.lower_bound, best, rtol=1e-5)


@pytest.mark.parametrize("seed", range(6))
def test_pyomo_equals_direct(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    p = random_problem(rng, n=14, n_t=6, pins=seed % 2 == 0)
    a = solve_milp(p, backend="direct")
    b = solve_milp(p, backend="pyomo")
    assert a.status is b.status
    if a.status is Status.OPTIMAL:
        assert_allclose(a.objective, b.objective, rtol=1e-6)
        assert violations(p, b.period) == []
    else:
        assert a.diagnosis == b.diagnosis


@pytest.mark.parametrize("strengthen", [True, False])
def test_strengthening_does_not_change_optimum(strengthen: bool) -> None:
    p = random_problem(np.random.default_rng(7), n=5, n_t=3)
    assert_allclose(solve_milp(p, strengthen=strengthen).objective, brute_force(p), rtol=1e-6)


# --------------------------------------------------------------------------------------
# LP bound of the strengthened formulation
# --------------------------------------------------------------------------------------


def test_root_lp_bound_hand_computed() -> None:
    # One period, one system (opening 1000), two 6 h jobs, 8 h of crew, deferral 600 each.
    # MILP: doing one costs 1000 + 600 > deferring both (1200): optimum 1200.
    # Plain LP: x0 = x1 = y = v with 12 v <= 8 -> v = 2/3: 1000 v + 600 (2 - 2 v) = 1066.67.
    # Strengthened row 6 x0 + 6 x1 <= 8 y gives y >= 1.5 v: cost >= 1200 + 300 v -> 1200.
    p = problem([[0], [0]], [[1000]], duration_h=[6, 6], crew_hours=8.0, penalty_beyond=[600, 600])
    assert_allclose(solve_milp(p).objective, 1200.0)
    assert_allclose(root_lp_bound(p, strengthen=False), 1000 * 2 / 3 + 600 * (2 - 4 / 3))
    assert_allclose(root_lp_bound(p, strengthen=True), 1200.0)


@pytest.mark.parametrize("seed", range(4))
def test_root_lp_bounds_are_valid_and_ordered(seed: int) -> None:
    p = random_problem(np.random.default_rng(50 + seed), n=12, n_t=5, pins=False)
    opt = solve_milp(p)
    assert opt.status is Status.OPTIMAL
    strong = root_lp_bound(p, strengthen=True)
    weak = root_lp_bound(p, strengthen=False)
    assert weak <= strong + 1e-7
    assert strong <= opt.objective + 1e-7


def test_direct_model_is_sparse() -> None:
    # Only eligible pairs get columns: C0 allowed in {0, 2}, C1 in {1}; the system may
    # not open in 2 -> x columns (0,0), (1,1) only; y columns (S0,0), (S0,1).
    allowed = np.array([[True, False, True], [False, True, False]])
    open_allowed = np.array([[True, True, False]])
    p = problem([[1, 2, 3], [1, 2, 3]], [[5, 5, 5]], allowed=allowed, open_allowed=open_allowed)
    m = build_direct_model(p)
    assert_array_equal(m.index.x_comp, [0, 1])
    assert_array_equal(m.index.x_period, [0, 1])
    assert_array_equal(m.index.y_period, [0, 1])
    # uncapacitated: no crew rows; a job longer than its period's capacity gets no column
    assert m.n_rows_by_family["crew"] == 0
    p2 = problem([[1, 2]], [[5, 5]], duration_h=[10], crew_hours=np.array([[8.0, 12.0]]))
    assert_array_equal(build_direct_model(p2).index.x_period, [1])


# --------------------------------------------------------------------------------------
# time limit, warm start
# --------------------------------------------------------------------------------------


def fleet(rng: np.random.Generator, n: int, n_t: int, crew_h: float) -> PlanningProblem:
    """Larger instance: convex penalty around each component's best period, tight crews."""
    n_k = max(1, n // 8)
    t = np.arange(n_t)
    best = rng.integers(0, n_t, n)
    d = t[None, :] - best[:, None]
    early, late = rng.uniform(5, 20, n), rng.uniform(0.5, 3, n)
    pen = np.where(d < 0, -d * early[:, None], late[:, None] * np.abs(d) ** 1.5)
    return PlanningProblem(
        start=START,
        period_h=24.0,
        component_ids=tuple(f"C{i}" for i in range(n)),
        system_ids=tuple(f"S{k}" for k in range(n_k)),
        system_of=rng.integers(0, n_k, n),
        penalty=pen,
        penalty_beyond=late * np.maximum(n_t - best, 1) ** 1.5 + 2000,
        allowed=np.abs(d) <= 10,
        opening_cost=rng.uniform(500, 3000, n_k)[:, None] * np.where(t % 7 >= 5, 0.6, 1.0),
        open_allowed=np.ones((n_k, n_t), bool),
        duration_h=rng.uniform(2, 10, n),
        skill_of=rng.integers(0, 2, n),
        crew_qty=rng.integers(1, 3, n),
        skill_ids=("mech", "elec"),
        crew_hours=np.full((2, n_t), crew_h),
        pinned_period=np.full(n, -1),
    )


def test_time_limit_returns_plan_with_bound() -> None:
    p = fleet(np.random.default_rng(0), 300, 60, 10.0)
    plan = solve_milp(p, time_limit_s=0.3)
    assert plan.status is Status.TIME_LIMIT
    assert np.isfinite(plan.objective)
    assert np.isfinite(plan.gap) and 0 <= plan.gap < 1
    assert plan.lower_bound <= plan.objective
    assert violations(p, plan.period) == []
    assert_allclose(plan.objective, evaluate(p, plan.period)["total"])


def test_time_limit_with_warm_start_is_never_worse() -> None:
    # The deferral plan is feasible; as a warm start it is HiGHS's first incumbent (or
    # the fallback if the limit strikes first), so the result can only be better.
    p = fleet(np.random.default_rng(1), 300, 60, 10.0)
    ws = np.full(p.n_components, BEYOND)
    plan = solve_milp(p, time_limit_s=0.01, warm_start=ws)
    assert plan.status is Status.TIME_LIMIT
    assert plan.objective <= evaluate(p, ws)["total"] + 1e-6
    assert violations(p, plan.period) == []
    assert np.isfinite(plan.gap)


def test_fallback_prefers_feasible_warm_start() -> None:
    p = problem([[0, 5], [0, 5]], [[50, 50]], pinned=[1, -1])
    assert_array_equal(fallback_period(p, np.array([1, 1])), [1, 1])
    # infeasible warm start (pin violated) -> pinned at pin, the rest deferred
    assert_array_equal(fallback_period(p, np.array([0, 0])), [1, BEYOND])


@pytest.mark.parametrize("backend", ["direct", "pyomo"])
def test_warm_start_does_not_change_optimum(backend: str) -> None:
    # optimum [1, 1] (27, see the opening-cost test); a worse start [0, 2] (0 + 0 + 200)
    # and the optimal start both lead to it
    p = problem([[0, 4, 8], [6, 3, 0]], [[100, 20, 100]])
    for ws in ([1, 1], [0, 2], [BEYOND, BEYOND]):
        plan = solve_milp(p, warm_start=np.array(ws), backend=backend)  # type: ignore[arg-type]
        assert_array_equal(plan.period, [1, 1])
        assert_allclose(plan.objective, 27.0)


# --------------------------------------------------------------------------------------
# infeasibility diagnosis
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["direct", "pyomo"])
def test_pinned_crew_overload_diagnosis(backend: str) -> None:
    # Two jobs pinned to period 1 (2027-01-02): 30 h x 1 + 8 h x 2 = 46 h of electrical
    # work, 16 h available.
    p = problem(
        [[0, 0], [0, 0]],
        [[10, 10]],
        duration_h=[30, 8],
        crew_qty=[1, 2],
        crew_hours=16.0,
        pinned=[1, 1],
        skill_ids=("electrical",),
    )
    plan = solve_milp(p, backend=backend)  # type: ignore[arg-type]
    assert plan.status is Status.INFEASIBLE
    assert not plan.feasible
    text = " ".join(plan.diagnosis)
    assert "skill electrical needs 46.0 h in period 1 (2027-01-02), has 16.0 h" in text


def test_pinned_closed_system_diagnosis() -> None:
    open_allowed = np.ones((1, 8), bool)
    open_allowed[0, 5] = False
    p = problem(
        [[0] * 8] * 8,
        [[10] * 8],
        open_allowed=open_allowed,
        pinned=[-1] * 7 + [5],
        system_ids=("LINE2",),
    )
    plan = solve_milp(p)
    assert plan.status is Status.INFEASIBLE
    assert (
        "system LINE2 must open in period 5 (2027-01-06) for pinned work on C7"
        " but may not open then"
    ) in plan.diagnosis


def test_must_do_crew_infeasible_diagnosis_from_elastic_model() -> None:
    # Two 10 h jobs that may not be deferred (infinite deferral cost) and are allowed
    # only in period 0, where 12 h of crew exist: HiGHS proves infeasibility; the
    # elastic model places both and reports 20 h needed vs 12 h.
    allowed = np.array([[True, False], [True, False]])
    p = problem(
        [[0, 0], [0, 0]],
        [[10, 10]],
        allowed=allowed,
        duration_h=[10, 10],
        crew_hours=12.0,
        penalty_beyond=[INF, INF],
    )
    for plan in (solve_milp(p, backend="direct"), solve_milp(p, backend="pyomo")):
        assert plan.status is Status.INFEASIBLE
        assert "skill mech needs 20.0 h in period 0 (2027-01-01), has 12.0 h" in " ".join(
            plan.diagnosis
        )


def test_must_do_without_any_period() -> None:
    p = problem([[0, 0]], [[1, 1]], allowed=np.zeros((1, 2), bool), penalty_beyond=[INF])
    plan = solve_milp(p)
    assert plan.status is Status.INFEASIBLE
    assert "C0 must be replaced within the horizon" in plan.diagnosis[0]


def test_empty_problem() -> None:
    p = problem(np.zeros((0, 3)), [[1, 1, 1]])
    plan = solve_milp(p)
    assert plan.status is Status.OPTIMAL
    assert plan.objective == 0.0


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------


def test_bad_arguments_raise() -> None:
    p = problem([[0, 1]], [[1, 1]])
    with pytest.raises(ValueError, match="gap"):
        solve_milp(p, gap=-1)
    with pytest.raises(ValueError, match="time_limit_s"):
        solve_milp(p, time_limit_s=0)
    with pytest.raises(ValueError, match="warm_start"):
        solve_milp(p, warm_start=np.array([0, 0]))
    with pytest.raises(ValueError, match="warm_start"):
        solve_milp(p, warm_start=np.array([5]))
    with pytest.raises(ValueError, match="backend"):
        solve_milp(p, backend="cplex")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pinned_period"):
        solve_milp(problem([[0, 1]], [[1, 1]], pinned=[7]))
    with pytest.raises(ValueError, match="penalty"):
        solve_milp(problem([[np.nan, 1]], [[1, 1]]))
