"""Helpers every backend shares (optimizer.solvers.common): the one pinned-work diagnosis,
eligibility, crews that can bind, and the plan without search (infeasible or empty)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import BEYOND, Status
from optimizer.solvers import BACKENDS, solve
from optimizer.solvers.common import (
    binding_crew_cells,
    eligible_mask,
    eligible_pairs,
    period_date,
    pinned_diagnosis,
    presolved_plan,
)

START = datetime(2027, 1, 1, tzinfo=UTC)


def problem(
    *,
    pinned: list[int],
    penalty_beyond: list[float] | None = None,
    allowed: np.ndarray | None = None,
    open_allowed: np.ndarray | None = None,
    duration_h: list[float] | None = None,
    crew_hours: float = 8.0,
    period_h: float = 24.0,
) -> PlanningProblem:
    """Three components A, B, C of one system S over three periods, one skill."""
    n, n_t = 3, 3
    return PlanningProblem(
        start=START,
        period_h=period_h,
        component_ids=("A", "B", "C"),
        system_ids=("S",),
        system_of=np.zeros(n, dtype=np.int64),
        penalty=np.array([[1.0, 2.0, 3.0]] * n),
        penalty_beyond=np.asarray(penalty_beyond or [50.0] * n, dtype=float),
        allowed=np.ones((n, n_t), bool) if allowed is None else allowed,
        opening_cost=np.full((1, n_t), 10.0),
        open_allowed=np.ones((1, n_t), bool) if open_allowed is None else open_allowed,
        duration_h=np.asarray(duration_h or [4.0] * n, dtype=float),
        skill_of=np.zeros(n, dtype=np.int64),
        crew_qty=np.ones(n, dtype=np.int64),
        skill_ids=("mech",),
        crew_hours=np.full((1, n_t), crew_hours),
        pinned_period=np.asarray(pinned, dtype=np.int64),
    )


def test_feasible_pins_give_no_diagnosis() -> None:
    assert pinned_diagnosis(problem(pinned=[0, 1, -1])) == []


def test_pin_to_a_period_where_the_work_is_not_allowed() -> None:
    allowed = np.ones((3, 3), bool)
    allowed[0, 1] = False
    assert pinned_diagnosis(problem(pinned=[1, -1, -1], allowed=allowed)) == [
        "component A is pinned to period 1 (2027-01-02) but its work is not allowed then"
    ]


def test_pin_to_a_period_where_the_system_may_not_open() -> None:
    open_allowed = np.array([[True, True, False]])
    assert pinned_diagnosis(problem(pinned=[-1, 2, -1], open_allowed=open_allowed)) == [
        "system S must open in period 2 (2027-01-03) for pinned work on B but may not open then"
    ]


def test_pinned_beyond_but_may_not_be_deferred() -> None:
    pb = problem(pinned=[-1, -1, -2], penalty_beyond=[50.0, 50.0, np.inf])
    assert pinned_diagnosis(pb) == [
        "component C is pinned beyond the horizon but may not be deferred (penalty_beyond is inf)"
    ]


def test_pinned_crew_load_over_capacity_names_the_jobs() -> None:
    pb = problem(pinned=[0, 0, -1], duration_h=[5.0, 6.0, 1.0])
    assert pinned_diagnosis(pb) == [
        "skill mech needs 11.0 h in period 0 (2027-01-01), has 8.0 h (pinned work on A, B)"
    ]


def test_must_do_work_without_any_period() -> None:
    allowed = np.ones((3, 3), bool)
    allowed[2] = False
    pb = problem(pinned=[-1, -1, -1], allowed=allowed, penalty_beyond=[50.0, 50.0, np.inf])
    assert pinned_diagnosis(pb) == [
        "component C must be replaced within the horizon (penalty_beyond is inf) but has no"
        " period where its work is allowed and its system S may open"
    ]


def test_period_date_shows_the_time_for_sub_day_periods() -> None:
    assert period_date(problem(pinned=[-1] * 3), 2) == "2027-01-03"
    assert period_date(problem(pinned=[-1] * 3, period_h=8.0), 2) == "2027-01-01T16:00+00:00"


def test_eligible_pairs_apply_pins_and_the_crew_filter() -> None:
    allowed = np.ones((3, 3), bool)
    allowed[1, 0] = False
    pb = problem(pinned=[2, -2, -1], allowed=allowed, duration_h=[4.0, 4.0, 9.0])
    assert_array_equal(eligible_mask(pb), allowed)
    assert_array_equal(
        eligible_pairs(pb, crew_filter=False),
        [[False, False, True], [False, False, False], [True, True, True]],
    )
    # C alone needs 9 h > 8 h of crew in every period
    assert_array_equal(
        eligible_pairs(pb, crew_filter=True),
        [[False, False, True], [False, False, False], [False, False, False]],
    )


def test_binding_crew_cells_count_each_job_once_per_cell() -> None:
    # A pinned to period 0 (4 h), B and C free everywhere (4 h each): 12 h could
    # reach period 0 and 8 h periods 1 and 2 (capacity 8 h)
    assert binding_crew_cells(problem(pinned=[0, -1, -1])) == [(0, 0, 12.0)]
    assert binding_crew_cells(problem(pinned=[0, -1, -1], crew_hours=12.0)) == []


def test_presolved_plan_is_infeasible_with_pins_kept() -> None:
    pb = problem(pinned=[0, 0, -1], duration_h=[5.0, 6.0, 1.0])
    plan = presolved_plan(pb, method="milp", t0=0.0, log=("note",))
    assert plan is not None
    assert plan.status is Status.INFEASIBLE and not plan.feasible
    assert plan.objective == np.inf and plan.lower_bound == np.inf
    assert_array_equal(plan.period, [0, 0, BEYOND])
    assert plan.method == "milp" and plan.log == ("note",)
    assert plan.diagnosis == tuple(pinned_diagnosis(pb))
    assert presolved_plan(problem(pinned=[0, 1, -1]), method="milp", t0=0.0) is None


@pytest.mark.parametrize("method", sorted(BACKENDS))
def test_every_backend_reports_the_same_pinned_diagnosis(method: str) -> None:
    pb = problem(pinned=[1, 1, -1], duration_h=[5.0, 6.0, 1.0])
    plan = solve(pb, method)
    assert plan.status is Status.INFEASIBLE
    assert plan.method == method
    assert plan.diagnosis == (
        "skill mech needs 11.0 h in period 1 (2027-01-02), has 8.0 h (pinned work on A, B)",
    )
    assert_array_equal(plan.period, [1, 1, BEYOND])
