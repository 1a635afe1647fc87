"""A worked grouping example in the model of Wildeman, Dekker and Smit (1997).

Reference: R. E. Wildeman, R. Dekker, A. C. J. M. Smit, "A dynamic policy for grouping
maintenance activities", European Journal of Operational Research 99 (1997) 530-551.
In their model every activity ``i`` has an individually optimal execution time ``t_i``
and a convex penalty ``h_i`` for executing it at another time; a group executed
together pays the set-up cost ``S`` once, at the time minimising the sum of its
members' penalties.  The numerical tables of that paper (and of Vu, Do Van, Barros and
Berenguer 2014, RESS 132:233-249) could not be retrieved for this repository, so this
test reproduces a worked example whose answer is derived by hand below, from the
paper's formulas, with quadratic penalties ``h_i(t) = a_i (t - t_i)^2`` (the
second-order approximation of any smooth penalty around its minimum).

Hand derivation.  For quadratic penalties a group ``G`` is best executed at the
``a``-weighted mean ``t_G = sum a_i t_i / sum a_i`` and costs
``sum_G a_i (t_G - t_i)^2``; for a pair this is ``a_1 a_2 / (a_1 + a_2) (t_1 - t_2)^2``.
Data: ``a = (1, 3, 1)`` per day^2, ``t = (10, 14, 30)`` days, periods of half a day.

* {1, 2}: t = (10 + 42) / 4 = 13 d (period 26), penalty 3/4 * 4^2 = 12;
* {2, 3}: t = (42 + 30) / 4 = 18 d, penalty 3/4 * 16^2 = 192;
* {1, 3}: t = 20 d, penalty 1/2 * 20^2 = 200;
* {1, 2, 3}: continuous optimum 82/5 = 16.4 d, on the half-day grid 16.5 d (period 33):
  1 * 6.5^2 + 3 * 2.5^2 + 1 * 13.5^2 = 243.25 (16.0 d gives 244).

With ``S = 20``: singletons 60, {1,2}{3} 12 + 40 = 52, {1}{2,3} 232, {1,3}{2} 240,
{1,2,3} 263.25 -> optimum 52, saving 8 against individual execution.
With ``S = 300``: singletons 900, {1,2}{3} 612, {1}{2,3} 792, {1,3}{2} 800, {1,2,3}
543.25 -> optimum 543.25, everything at 16.5 d.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from optimizer.problem.data import NO_PIN, PlanningProblem
from optimizer.problem.plan import Status
from optimizer.solvers.dp import solve_dp


def wds_example(setup: float) -> PlanningProblem:
    step_days = 0.5
    t_days = np.arange(0.0, 40.0 + step_days, step_days)
    a = np.array([1.0, 3.0, 1.0])
    t_opt = np.array([10.0, 14.0, 30.0])
    penalty = a[:, None] * (t_days[None, :] - t_opt[:, None]) ** 2
    n, n_t = penalty.shape
    return PlanningProblem(
        start=datetime(2027, 1, 1, tzinfo=UTC),
        period_h=24.0 * step_days,
        component_ids=("bearing", "seal", "coupling"),
        system_ids=("pump",),
        system_of=np.zeros(n, dtype=np.int64),
        penalty=penalty,
        penalty_beyond=np.full(n, 1e6),
        allowed=np.ones((n, n_t), dtype=bool),
        opening_cost=np.full((1, n_t), setup),
        open_allowed=np.ones((1, n_t), dtype=bool),
        duration_h=np.ones(n),
        skill_of=np.zeros(n, dtype=np.int64),
        crew_qty=np.ones(n, dtype=np.int64),
        skill_ids=("mechanical",),
        crew_hours=np.full((1, n_t), np.inf),
        pinned_period=np.full(n, NO_PIN, dtype=np.int64),
    )


@pytest.mark.parametrize(
    ("setup", "total", "periods", "penalty"),
    [
        (20.0, 52.0, [26, 26, 60], 12.0),  # groups {bearing, seal} at 13 d, {coupling} at 30 d
        (300.0, 543.25, [33, 33, 33], 243.25),  # one group at 16.5 d
    ],
)
def test_wildeman_style_worked_example(
    setup: float, total: float, periods: list[int], penalty: float
) -> None:
    plan = solve_dp(wds_example(setup))
    assert plan.status is Status.OPTIMAL
    assert_array_equal(plan.period, periods)
    assert_allclose(plan.objective, total)
    assert_allclose(plan.cost_split["penalty"], penalty)
    assert_allclose(plan.cost_split["opening"], setup * len(set(periods)))


def test_saving_against_individual_execution() -> None:
    problem = wds_example(20.0)
    plan = solve_dp(problem)
    individual = 3 * 20.0  # each activity at its own optimum, one set-up each
    assert_allclose(individual - plan.objective, 8.0)
