"""Exact grouping DP: exactness boundary, crossing groups, pins, windows, diagnosis."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pytest
from numpy.testing import assert_allclose

from optimizer.problem.data import NO_PIN, PIN_BEYOND, PlanningProblem
from optimizer.problem.plan import BEYOND, Status, evaluate, violations
from optimizer.solvers import METHODS, solve
from optimizer.solvers.brute import solve_brute
from optimizer.solvers.dp import dp_is_exact, solve_dp


def one_system(
    penalty: list[list[float]],
    opening: list[float],
    *,
    beyond: float = 50.0,
    pinned: list[int] | None = None,
    open_allowed: list[bool] | None = None,
    crew_hours: float = np.inf,
    duration_h: float = 1.0,
) -> PlanningProblem:
    """A single-system instance written out by hand."""
    pen = np.asarray(penalty, dtype=float)
    n, n_t = pen.shape
    return PlanningProblem(
        start=datetime(2027, 1, 1, tzinfo=UTC),
        period_h=24.0,
        component_ids=tuple("ABCDEFGH"[:n]),
        system_ids=("line1",),
        system_of=np.zeros(n, dtype=np.int64),
        penalty=pen,
        penalty_beyond=np.full(n, beyond),
        allowed=np.isfinite(pen),
        opening_cost=np.asarray([opening], dtype=float),
        open_allowed=np.asarray([open_allowed if open_allowed else [True] * n_t]),
        duration_h=np.full(n, duration_h),
        skill_of=np.zeros(n, dtype=np.int64),
        crew_qty=np.ones(n, dtype=np.int64),
        skill_ids=("electrical",),
        crew_hours=np.full((1, n_t), crew_hours),
        pinned_period=np.asarray(pinned if pinned else [NO_PIN] * n, dtype=np.int64),
    )


def consecutive_blocks(problem: PlanningProblem) -> float:
    """Classic Wildeman-Dekker-Smit DP: blocks consecutive in the order of the individual
    optima, each block executed at its own best period (one opening per block)."""
    order = np.argsort(np.argmin(problem.penalty, axis=1), kind="stable")
    pen, oc = problem.penalty[order], problem.opening_cost[0]
    n = len(order)
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    for j in range(1, n + 1):
        for i in range(j):
            block = float(np.min(oc + pen[i:j].sum(axis=0)))
            best[j] = min(best[j], best[i] + block)
    return float(best[n])


# Crossing instance: openings are cheap in periods 0 and 3 only.  W and V want 0 and 3,
# X (optimum 1) is steep to the left and flat to the right, Y (optimum 2) the reverse.
# Optimum (by hand): open {0, 3}; W, Y at 0 (0 + 1.5), X, V at 3 (1.5 + 0), openings 2
# -> 5.  Consecutive blocks in optimum order W, X, Y, V cannot pair W with Y and X with
# V: the best block partition is four singletons (1 + 2.5 + 2.5 + 1) = 7.
CROSSING: tuple[list[list[float]], list[float]] = (
    [[0.0, 5, 5, 5], [10.0, 0, 1, 1.5], [1.5, 1, 0, 10], [5.0, 5, 5, 0]],
    [1.0, 100.0, 100.0, 1.0],
)


def test_time_varying_opening_cost_breaks_consecutive_blocks() -> None:
    problem = one_system(*CROSSING)
    assert dp_is_exact(problem)[0]
    plan = solve_dp(problem)
    brute = solve_brute(problem)
    assert_allclose(consecutive_blocks(problem), 7.0)
    assert_allclose(brute.objective, 5.0)
    assert_allclose(plan.objective, brute.objective)
    assert plan.status is Status.OPTIMAL
    assert_allclose(plan.lower_bound, plan.objective)
    np.testing.assert_array_equal(plan.period, [0, 3, 0, 3])


def test_non_unimodal_row_is_reported_and_not_claimed_optimal() -> None:
    # A = [0, 10, 1] has two separate cheap periods (0 and 2) within its cost window
    # (cap = solo cost 0 + 5 = 5), so it is not unimodal there.  B wants period 1.
    # True optimum (enumerate by hand): open {0, 1}: 0 + 0 + 10 = 10.
    # Minorant of A (suffix minimum after its optimum) = [0, 1, 1]: relaxed optimum
    # open {1}: 1 + 0 + 5 = 6, the DP's lower bound.
    problem = one_system([[0, 10, 1], [10, 0, 10]], [5.0, 5.0, 5.0], beyond=100.0)
    exact, why = dp_is_exact(problem)
    assert not exact
    assert "component A" in why and "unimodal" in why
    plan = solve_dp(problem)
    brute = solve_brute(problem)
    assert_allclose(brute.objective, 10.0)
    assert plan.status is Status.FEASIBLE
    assert_allclose(plan.lower_bound, 6.0)
    assert plan.lower_bound <= brute.objective <= plan.objective + 1e-12
    assert not violations(problem, plan.period)


def test_bump_outside_the_window_keeps_exactness() -> None:
    # A = [0, 1, 2, 90, 30] is not unimodal, but its cost window is {t : h(t) <= cap}
    # with cap = solo cost 0 + 4 = 4, i.e. periods 0..2, where it is monotone.
    problem = one_system([[0, 1, 2, 90, 30], [3, 2, 1, 0, 1]], [4.0] * 5)
    exact, _ = dp_is_exact(problem)
    assert exact
    assert_allclose(solve_dp(problem).objective, solve_brute(problem).objective)


def test_pins_force_openings_and_assignments() -> None:
    # X pinned to the expensive period 1 (by hand): forced opening 100 + X 0; then open
    # 0 and 3 for W and V (1 + 1) and let Y join period 1 (1): total 103.
    # V pinned beyond: it pays its deferral 50 instead; then (by hand) W at 0 (1 + 0),
    # Y at 1 (1): 100 + 1 + 0 + 1 + 50 = 152.
    pen, oc = CROSSING
    problem = one_system(pen, oc, pinned=[NO_PIN, 1, NO_PIN, NO_PIN])
    plan = solve_dp(problem)
    assert_allclose(plan.objective, 103.0)
    np.testing.assert_array_equal(plan.period, [0, 1, 1, 3])
    problem2 = one_system(pen, oc, pinned=[NO_PIN, 1, NO_PIN, PIN_BEYOND])
    plan2 = solve_dp(problem2)
    assert_allclose(plan2.objective, 152.0)
    assert plan2.period[3] == BEYOND
    for p in (problem, problem2):
        assert_allclose(solve_dp(p).objective, solve_brute(p).objective)


def test_windows_restrict_openings() -> None:
    # Period 0 closed: W goes to its next cheapest option; compare with enumeration.
    pen, oc = CROSSING
    problem = one_system(pen, oc, open_allowed=[False, True, True, True])
    plan = solve_dp(problem)
    assert not (plan.period == 0).any()
    assert_allclose(plan.objective, solve_brute(problem).objective)
    # Work not allowed in some periods (inf penalty there).
    problem2 = one_system([[np.inf, 0, 1, 2], [2, 1, 0, np.inf]], [3.0, 3.0, 3.0, 3.0])
    plan2 = solve_dp(problem2)
    assert_allclose(plan2.objective, solve_brute(problem2).objective)
    assert not violations(problem2, plan2.period)


def test_infeasible_pinned_crew_names_skill_hours_and_period() -> None:
    # Two 23 h jobs pinned to period 2: 46 h of electrical work against 16 h.
    problem = one_system(
        [[0, 1, 2], [2, 1, 0]], [1.0] * 3, pinned=[2, 2], crew_hours=16.0, duration_h=23.0
    )
    plan = solve_dp(problem)
    assert plan.status is Status.INFEASIBLE
    assert plan.objective == np.inf
    text = " ".join(plan.diagnosis)
    for piece in ("electrical", "46.0 h", "16.0 h", "period 2", "2027-01-03"):
        assert piece in text
    assert solve_brute(problem).status is Status.INFEASIBLE


def test_infeasible_pin_in_closed_period() -> None:
    problem = one_system(
        [[0, 1], [1, 0]], [1.0, 1.0], pinned=[1, NO_PIN], open_allowed=[True, False]
    )
    plan = solve_dp(problem)
    assert plan.status is Status.INFEASIBLE
    assert "line1" in plan.diagnosis[0] and "period 1" in plan.diagnosis[0]


def test_capacitated_plan_is_repaired_and_bounded() -> None:
    # Both jobs want period 1 but only one 8 h job fits per period.
    problem = one_system([[3, 0, 3], [3, 0, 3]], [1.0] * 3, crew_hours=8.0, duration_h=8.0)
    exact, why = dp_is_exact(problem)
    assert not exact and "crew capacity" in why
    plan = solve_dp(problem)
    brute = solve_brute(problem)
    assert not violations(problem, plan.period)
    assert plan.lower_bound <= brute.objective <= plan.objective
    assert_allclose(plan.lower_bound, 1.0)  # uncapacitated: both at 1, one opening
    assert_allclose(brute.objective, 5.0)  # one at 1, the other at 0 or 2: 1 + 1 + 3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_banded_and_dense_evaluations_agree(
    make_problem: Callable[..., PlanningProblem], seed: int
) -> None:
    problem = make_problem(300, 12, 60, seed, pins=True, windows=seed == 1)
    banded = solve_dp(problem, mode="banded")
    dense = solve_dp(problem, mode="dense")
    assert banded.status is Status.OPTIMAL
    assert_allclose(banded.objective, dense.objective, rtol=1e-12)
    assert_allclose(banded.objective, evaluate(problem, banded.period)["total"])


@pytest.mark.parametrize(("seed", "shape"), [(0, "quadratic"), (1, "weibull"), (2, "weibull")])
def test_hop_evaluation_agrees_with_dense_and_brute(
    make_problem: Callable[..., PlanningProblem], seed: int, shape: str
) -> None:
    # Few components per system over many periods: the simulator's re-planning shape.
    problem = make_problem(12, 3, 40, seed, shape=shape, windows=seed == 0)
    hops = solve_dp(problem, mode="hops")
    dense = solve_dp(problem, mode="dense")
    assert hops.status is Status.OPTIMAL
    assert_allclose(hops.objective, dense.objective, rtol=1e-12)
    assert_allclose(hops.objective, evaluate(problem, hops.period)["total"])
    small = make_problem(5, 2, 6, seed, shape=shape)
    assert_allclose(
        solve_dp(small, mode="hops").objective, solve_brute(small).objective, rtol=1e-12
    )


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_block_evaluation_agrees_with_dense_and_brute(
    make_problem: Callable[..., PlanningProblem], seed: int
) -> None:
    # auto mixes the two: systems with <= 4 active components by blocks, others by paths
    mixed = make_problem(60, 14, 30, seed, pins=True, windows=seed % 2 == 1)
    auto = solve_dp(mixed)
    dense = solve_dp(mixed, mode="dense")
    assert auto.status is Status.OPTIMAL
    assert_allclose(auto.objective, dense.objective, rtol=1e-12)
    assert_allclose(auto.objective, evaluate(mixed, auto.period)["total"])
    few = make_problem(40, 25, 30, seed, pins=True, shape="weibull")
    assert_allclose(
        solve_dp(few, mode="blocks").objective, solve_dp(few, mode="dense").objective, rtol=1e-12
    )
    small = make_problem(5, 2, 6, seed, pins=seed < 2)
    assert_allclose(
        solve_dp(small, mode="blocks").objective, solve_brute(small).objective, rtol=1e-12
    )
    with pytest.raises(ValueError, match="blocks"):
        solve_dp(make_problem(30, 1, 10, seed), mode="blocks")


def test_hop_evaluation_on_a_crossing_instance_and_refuses_pins() -> None:
    problem = one_system(*CROSSING)
    assert_allclose(solve_dp(problem, mode="hops").objective, 5.0)
    pinned = one_system([[0, 1], [1, 0]], [1.0, 1.0], pinned=[1, NO_PIN])
    with pytest.raises(ValueError, match="pinned"):
        solve_dp(pinned, mode="hops")


def test_weibull_rows_are_exact(make_problem: Callable[..., PlanningProblem]) -> None:
    problem = make_problem(40, 4, 30, 7, shape="weibull")
    assert dp_is_exact(problem)[0]
    assert solve_dp(problem).status is Status.OPTIMAL


def test_bad_inputs_raise() -> None:
    good = one_system([[0, 1], [1, 0]], [1.0, 1.0])
    with pytest.raises(ValueError, match="penalty"):
        solve_dp(one_system([[0, np.nan], [1, 0]], [1.0, 1.0]))
    with pytest.raises(ValueError, match="opening_cost"):
        solve_dp(one_system([[0, 1], [1, 0]], [-1.0, 1.0]))
    with pytest.raises(ValueError, match="pinned_period"):
        solve_dp(one_system([[0, 1], [1, 0]], [1.0, 1.0], pinned=[5, NO_PIN]))
    with pytest.raises(ValueError, match="warm_start"):
        solve_dp(good, warm_start=np.array([0]))
    with pytest.raises(ValueError, match="gap"):
        solve_dp(good, gap=-1.0)


def test_dispatch_auto_and_unknown_method() -> None:
    problem = one_system(*CROSSING)
    plan = solve(problem)
    assert plan.method == "dp" and plan.log[0].startswith("auto: picked dp")
    assert_allclose(plan.objective, 5.0)
    assert_allclose(solve(problem, "brute").objective, 5.0)
    with pytest.raises(ValueError, match="auto, dp, milp, cpsat, brute"):
        solve(problem, "simplex")
    assert set(METHODS) == {"auto", "dp", "milp", "cpsat", "brute"}


def test_auto_falls_back_to_milp_when_not_exact() -> None:
    problem = one_system([[0, 10, 1], [10, 0, 10]], [5.0, 5.0, 5.0], beyond=100.0)
    plan = solve(problem)
    assert plan.method != "dp"
    assert "not exact" in plan.log[0]
    assert_allclose(plan.objective, 10.0)


def test_warm_start_used_when_better() -> None:
    problem = one_system([[0, 10, 1], [10, 0, 10]], [5.0, 5.0, 5.0], beyond=100.0)
    plan = solve_dp(problem, warm_start=np.array([0, 1]))
    assert_allclose(plan.objective, 10.0)


def test_time_limit_stops_a_large_dp_with_a_valid_bound(
    make_problem: Callable[..., PlanningProblem],
) -> None:
    # Issue 18: the DP ignored its time limit (1,000 x 3,650 ran 30 s under a 5 s limit).
    problem = make_problem(300, 12, 1500, 3)
    full = solve_dp(problem)
    assert full.status is Status.OPTIMAL
    plan = solve(problem, "dp", time_limit_s=1e-4)
    assert plan.status is Status.TIME_LIMIT
    assert any("time limit" in line for line in plan.log)
    assert not violations(problem, plan.period)
    assert_allclose(plan.objective, evaluate(problem, plan.period)["total"])
    assert np.isfinite(plan.lower_bound)
    assert plan.lower_bound <= full.objective + 1e-9 <= plan.objective + 1e-9
    assert plan.runtime_s < full.runtime_s + 1.0
    auto = solve(problem, "auto", time_limit_s=1e-4)
    assert auto.method == "dp" and auto.status is Status.TIME_LIMIT


@pytest.mark.parametrize("seed", range(6))
def test_time_limit_bound_is_below_the_brute_force_optimum(
    make_problem: Callable[..., PlanningProblem], seed: int
) -> None:
    # a deadline already passed: every system gets the cheap bound and the solo plan
    small = make_problem(5, 2, 6, seed, pins=seed % 2 == 0, windows=seed % 3 == 0)
    brute = solve_brute(small)
    plan = solve_dp(small, time_limit_s=1e-12)
    assert plan.status in (Status.TIME_LIMIT, Status.OPTIMAL)
    assert not violations(small, plan.period)
    assert plan.lower_bound <= brute.objective + 1e-9 <= plan.objective + 1e-9
    if plan.status is Status.OPTIMAL:
        assert_allclose(plan.objective, brute.objective)
    # non-unimodal rows (relaxation path) and must-do work (infinite deferral)
    bumpy = one_system([[0, 10, 1], [10, 0, 10]], [5.0, 5.0, 5.0], beyond=np.inf)
    late = solve_dp(bumpy, time_limit_s=1e-12)
    assert late.lower_bound <= solve_brute(bumpy).objective <= late.objective
    assert np.isfinite(late.lower_bound)


def test_time_limit_stops_the_crew_repair_with_a_valid_plan_and_bound(
    make_problem: Callable[..., PlanningProblem],
) -> None:
    # The greedy crew repair ignored the time limit: a crew-bound instance whose repair
    # makes ~2,000 moves (each O(jobs x periods)) ran it to the end under any limit.
    problem = make_problem(3000, 300, 90, 0, capacitated=True)
    full = solve_dp(problem)
    assert any("crew repair moved" in line for line in full.log)
    limit_s = 0.05
    plan = solve_dp(problem, time_limit_s=limit_s)
    assert plan.status in (Status.TIME_LIMIT, Status.FEASIBLE)
    assert any("during the crew repair" in line for line in plan.log)
    assert not violations(problem, plan.period)
    assert_allclose(plan.objective, evaluate(problem, plan.period)["total"])
    # the bound is the (batched) uncapacitated DP value, at most the proven bound of the
    # full run (its exact uncapacitated optimum), hence below the capacitated optimum
    assert np.isfinite(plan.lower_bound)
    assert plan.lower_bound <= full.lower_bound + 1e-9 <= plan.objective + 1e-9
    # the limit stops the repair: what is left after it (assignment, one deferral pass,
    # the final check) is a small part of the full repair
    assert plan.runtime_s < 0.5 * full.runtime_s, (plan.runtime_s, full.runtime_s)


@pytest.mark.parametrize("seed", [0, 5, 6, 8])
def test_repair_cut_by_the_deadline_keeps_the_brute_force_bound(
    make_problem: Callable[..., PlanningProblem], seed: int
) -> None:
    # a deadline already passed: the repair defers whatever overloads the crew (these
    # seeds overload it; one skill)
    small = make_problem(6, 2, 5, seed, capacitated=True, n_skills=1)
    brute = solve_brute(small)
    plan = solve_dp(small, time_limit_s=1e-12)
    assert any("during the crew repair" in line for line in plan.log)
    assert plan.status in (Status.TIME_LIMIT, Status.OPTIMAL)
    assert not violations(small, plan.period)
    assert_allclose(plan.objective, evaluate(small, plan.period)["total"])
    assert plan.lower_bound <= brute.objective + 1e-9 <= plan.objective + 1e-9
