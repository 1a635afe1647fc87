"""Tests of the CP-SAT grouping backend (optimizer/solvers/cpsat.py).

The CP-SAT objective (recomputed exactly with ``evaluate``) must equal the HiGHS MILP
optimum on instances both solve to optimality; hand-made instances have their expected
plan derived in the comments.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import BEYOND, Status, evaluate, violations
from optimizer.solvers.cpsat import auto_cost_scale, solve_cpsat
from optimizer.solvers.milp import solve_milp

START = datetime(2027, 1, 1, tzinfo=UTC)
INF = np.inf


def instance(
    rng: np.random.Generator,
    n: int,
    n_t: int,
    *,
    n_k: int = 3,
    crew_choices: tuple[float, ...] = (4.0, 6.5, 10.0, 16.0, INF),
    cost_hi: float = 80.0,
) -> PlanningProblem:
    """Random capacitated instance (no pins: always feasible); fractional hours and costs."""
    n_s = 2
    return PlanningProblem(
        start=START,
        period_h=24.0,
        component_ids=tuple(f"C{i}" for i in range(n)),
        system_ids=tuple(f"S{k}" for k in range(n_k)),
        system_of=rng.integers(0, n_k, n),
        penalty=rng.uniform(0, cost_hi, (n, n_t)),
        penalty_beyond=rng.uniform(cost_hi / 2, 2 * cost_hi, n),
        allowed=rng.random((n, n_t)) < 0.8,
        opening_cost=rng.uniform(cost_hi / 4, cost_hi, (n_k, n_t)),
        open_allowed=rng.random((n_k, n_t)) < 0.9,
        duration_h=rng.choice([1.5, 2.0, 2.5, 3.25, 4.0, 6.0], n),
        skill_of=rng.integers(0, n_s, n),
        crew_qty=rng.integers(1, 3, n),
        skill_ids=("mech", "elec"),
        crew_hours=rng.choice(crew_choices, size=(n_s, n_t)),
        pinned_period=np.full(n, -1),
    )


def tiny(
    penalty: list[list[float]],
    opening: list[list[float]],
    *,
    duration_h: list[float] | None = None,
    crew_hours: float = INF,
    pinned: list[int] | None = None,
    open_allowed: np.ndarray | None = None,
    penalty_beyond: list[float] | None = None,
    crew_qty: list[int] | None = None,
    skill: str = "mech",
) -> PlanningProblem:
    pen = np.asarray(penalty, float)
    n, n_t = pen.shape
    return PlanningProblem(
        start=START,
        period_h=24.0,
        component_ids=tuple(f"C{i}" for i in range(n)),
        system_ids=("S0",),
        system_of=np.zeros(n, int),
        penalty=pen,
        penalty_beyond=np.asarray(
            np.full(n, 1000.0) if penalty_beyond is None else penalty_beyond, dtype=np.float64
        ),
        allowed=np.ones((n, n_t), bool),
        opening_cost=np.asarray(opening, float),
        open_allowed=np.ones((1, n_t), bool) if open_allowed is None else open_allowed,
        duration_h=np.asarray(
            np.full(n, 4.0) if duration_h is None else duration_h, dtype=np.float64
        ),
        skill_of=np.zeros(n, int),
        crew_qty=np.asarray(np.ones(n) if crew_qty is None else crew_qty, dtype=np.int64),
        skill_ids=(skill,),
        crew_hours=np.full((1, n_t), crew_hours),
        pinned_period=np.asarray(np.full(n, -1) if pinned is None else pinned, dtype=np.int64),
    )


# --------------------------------------------------------------------------------------
# hand-made instances
# --------------------------------------------------------------------------------------


def test_crew_split() -> None:
    # 6 h jobs, 8 h crew: only one per period.  C0@0 + C1@1 = 0 + 10 + 2 x 100 = 210
    # beats C1@0 + C0@1 = 220 and any deferral (>= 1100).
    p = tiny([[0, 20], [0, 10]], [[100, 100]], duration_h=[6, 6], crew_hours=8.0)
    plan = solve_cpsat(p)
    assert plan.status is Status.OPTIMAL
    assert_array_equal(plan.period, [0, 1])
    assert_allclose(plan.objective, 210.0)


def test_fractional_hours_fit_exactly() -> None:
    # Two 2.5 h jobs x 2 technicians = 10.0 technician-hours, capacity exactly 10.0 h:
    # both fit in period 0 (rounding must not reject an exactly full crew).
    # Together: 0 + 0 + 100 = 100; apart: 100 + 100 + 5.
    p = tiny(
        [[0, 5], [0, 5]], [[100, 100]], duration_h=[2.5, 2.5], crew_qty=[2, 2], crew_hours=10.0
    )
    assert_array_equal(solve_cpsat(p).period, [0, 0])
    # 0.001 h less and they must split: C0 (penalty 5 in period 1) moves rather than
    # C1 (6): 0 + 5 + 2 x 100 = 205.
    p2 = tiny(
        [[0, 5], [0, 6]], [[100, 100]], duration_h=[2.5, 2.5], crew_qty=[2, 2], crew_hours=9.999
    )
    plan2 = solve_cpsat(p2)
    assert_array_equal(plan2.period, [1, 0])
    assert_allclose(plan2.objective, 205.0)


def test_window_pin_and_opening_cost() -> None:
    # opening (100, 20, 100): both components meet in period 1 (4 + 3 + 20 = 27).
    p = tiny([[0, 4, 8], [6, 3, 0]], [[100, 20, 100]])
    plan = solve_cpsat(p)
    assert_array_equal(plan.period, [1, 1])
    assert_allclose(plan.objective, 27.0)
    # window: the system may only open in period 2 -> both there: 8 + 0 + 100 = 108
    # (beats deferring either one at 1000).
    ow = np.array([[False, False, True]])
    assert_array_equal(
        solve_cpsat(tiny([[0, 4, 8], [6, 3, 0]], [[100, 20, 100]], open_allowed=ow)).period, [2, 2]
    )
    # pin: C0 pinned to period 0 (0 + 100); C1 joins at 6 rather than opening in 1
    # (3 + 20 = 23 > 6).  Total 106.
    plan = solve_cpsat(tiny([[0, 4, 8], [6, 3, 0]], [[100, 20, 100]], pinned=[0, -1]))
    assert_array_equal(plan.period, [0, 0])
    assert_allclose(plan.objective, 106.0)
    # pinned beyond: C0 pays 1000, C1 alone at its cheapest: min(0 + 100, 3 + 20) = 23.
    plan = solve_cpsat(tiny([[0, 4, 8], [6, 3, 0]], [[100, 20, 100]], pinned=[-2, -1]))
    assert_array_equal(plan.period, [BEYOND, 1])
    assert_allclose(plan.objective, 1023.0)


# --------------------------------------------------------------------------------------
# CP-SAT == MILP
# --------------------------------------------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_cpsat_equals_milp_random(seed: int) -> None:
    p = instance(np.random.default_rng(seed), n=10, n_t=5)
    a = solve_milp(p, gap=0.0)
    c = solve_cpsat(p, gap=0.0)
    assert a.status is Status.OPTIMAL and c.status is Status.OPTIMAL
    assert violations(p, c.period) == []
    assert_allclose(c.objective, evaluate(p, c.period)["total"], rtol=1e-12)
    assert_allclose(c.objective, a.objective, rtol=1e-6)
    assert c.lower_bound <= c.objective
    assert_allclose(c.lower_bound, a.objective, rtol=1e-6)


@pytest.mark.parametrize("cost_hi", [1e-3, 1.0, 1e6])
def test_cpsat_equals_milp_across_cost_magnitudes(cost_hi: float) -> None:
    # auto scaling must keep CP-SAT exact whether costs are thousandths or millions
    p = instance(np.random.default_rng(int(cost_hi * 1000) % 97), n=12, n_t=6, cost_hi=cost_hi)
    a = solve_milp(p, gap=0.0)
    c = solve_cpsat(p, gap=0.0)
    assert_allclose(c.objective, a.objective, rtol=1e-6)


def test_auto_cost_scale() -> None:
    # sum |c| = 1100 -> 2**40 / 1100 = 9.99e8 -> largest power of ten below: 1e8
    assert auto_cost_scale(np.array([100.0, -1000.0])) == 1e8
    assert auto_cost_scale(np.zeros(3)) == 1e9


def test_coarse_scale_still_reports_exact_objective() -> None:
    # With cost_scale=1 (whole currency units) CP-SAT optimizes rounded costs, but the
    # reported objective is the exact cost of its plan and the bound stays valid.
    p = instance(np.random.default_rng(3), n=10, n_t=5)
    opt = solve_milp(p).objective
    c = solve_cpsat(p, cost_scale=1.0)
    assert_allclose(c.objective, evaluate(p, c.period)["total"])
    # each plan has <= 2n rounded terms of error <= 0.5
    assert opt - 1e-9 <= c.objective <= opt + 2 * p.n_components * 0.5
    assert c.lower_bound <= opt + 1e-9


# --------------------------------------------------------------------------------------
# time limit, warm start, infeasibility
# --------------------------------------------------------------------------------------


def test_time_limit() -> None:
    p = instance(np.random.default_rng(11), n=400, n_t=40, n_k=40, crew_choices=(6.0, 10.0))
    plan = solve_cpsat(p, time_limit_s=0.2)
    assert plan.status is Status.TIME_LIMIT
    assert np.isfinite(plan.objective) and np.isfinite(plan.gap)
    assert plan.lower_bound <= plan.objective
    assert violations(p, plan.period) == []


def test_hint_is_kept_when_optimal() -> None:
    p = tiny([[0, 4, 8], [6, 3, 0]], [[100, 20, 100]])
    plan = solve_cpsat(p, warm_start=np.array([1, 1]))
    assert_array_equal(plan.period, [1, 1])


def test_infeasible_pinned_crew_diagnosis() -> None:
    # 30 h + 2 x 8 h = 46 h pinned in period 1 (2027-01-02), 16 h of electrical crew.
    p = tiny(
        [[0, 0], [0, 0]],
        [[10, 10]],
        duration_h=[30, 8],
        crew_qty=[1, 2],
        crew_hours=16.0,
        pinned=[1, 1],
        skill="electrical",
    )
    plan = solve_cpsat(p)
    assert plan.status is Status.INFEASIBLE
    assert "skill electrical needs 46.0 h in period 1 (2027-01-02), has 16.0 h" in " ".join(
        plan.diagnosis
    )


def test_infeasible_must_do_reported_by_solver() -> None:
    # Two 10 h jobs that may not be deferred, 12 h of crew in each period, but the
    # system may open only in period 0: CP-SAT proves infeasibility; diagnosis names
    # the 20 h needed in period 0 against 12 h.
    ow = np.array([[True, False]])
    p = tiny(
        [[0, 0], [0, 0]],
        [[10, 10]],
        duration_h=[10, 10],
        crew_hours=12.0,
        open_allowed=ow,
        penalty_beyond=[INF, INF],
    )
    plan = solve_cpsat(p)
    assert plan.status is Status.INFEASIBLE
    assert "skill mech needs 20.0 h in period 0 (2027-01-01), has 12.0 h" in " ".join(
        plan.diagnosis
    )


def test_bad_arguments() -> None:
    p = tiny([[0, 1]], [[1, 1]])
    with pytest.raises(ValueError, match="cost_scale"):
        solve_cpsat(p, cost_scale=0.0)
    with pytest.raises(ValueError, match="num_workers"):
        solve_cpsat(p, num_workers=0)
    with pytest.raises(ValueError, match="gap"):
        solve_cpsat(p, gap=-0.1)
