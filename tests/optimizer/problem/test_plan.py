"""The plan object and the plan arithmetic every backend shares: openings, cost by
category, crew load of spanning jobs, and the constraint check.

Expected values are computed by hand on a three-job instance, or by brute force over
the definition (range minima).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optimizer.problem.data import NO_PIN, PIN_BEYOND, PlanningProblem, SpareParts
from optimizer.problem.plan import (
    BEYOND,
    Plan,
    Status,
    crew_load_h,
    evaluate,
    opened,
    span_cells,
    spanned_min,
    violations,
)

N_T = 4
PENALTY = np.array(
    [
        [0.0, 5.0, 9.0, 20.0],  # A
        [7.0, 1.0, 0.0, 4.0],  # B
        [3.0, 2.0, 6.0, 8.0],  # C
    ]
)
OPENING = np.array([[100.0, 110.0, 120.0, 130.0], [50.0, 55.0, 60.0, 65.0]])


def _problem(**changes: object) -> PlanningProblem:
    """A and B on unit S0, C on unit S1; one mechanic pool with 16 h a day (8 h on day 2).

    Jobs: A 4 h x 1, B 6 h x 2, C 10 h x 1 spread over 2 periods.
    """
    pb = PlanningProblem(
        start=datetime(2027, 1, 4, tzinfo=UTC),
        period_h=24.0,
        component_ids=("A", "B", "C"),
        system_ids=("S0", "S1"),
        system_of=np.array([0, 0, 1]),
        penalty=PENALTY,
        penalty_beyond=np.array([40.0, 30.0, 25.0]),
        allowed=np.ones((3, N_T), dtype=bool),
        opening_cost=OPENING,
        open_allowed=np.ones((2, N_T), dtype=bool),
        duration_h=np.array([4.0, 6.0, 10.0]),
        skill_of=np.zeros(3, dtype=np.int64),
        crew_qty=np.array([1, 2, 1]),
        skill_ids=("mech",),
        crew_hours=np.array([[16.0, 16.0, 8.0, 16.0]]),
        pinned_period=np.full(3, NO_PIN, dtype=np.int64),
        span_periods=np.array([1, 1, 2]),
    )
    return replace(pb, **changes) if changes else pb  # type: ignore[arg-type]


def test_plan_gap_feasible_and_frozen_arrays() -> None:
    p = Plan(np.array([1, 1, 2]), 200.0, 150.0, Status.TIME_LIMIT, "milp", 1.0)
    assert p.gap == pytest.approx(0.25)  # (200 - 150) / 200
    assert p.feasible
    with pytest.raises(ValueError, match="read-only"):
        p.period[0] = 3
    # a bound above the objective (rounding) is no negative gap
    assert Plan(np.zeros(3), 100.0, 100.5, Status.OPTIMAL, "dp", 0.0).gap == 0.0
    none = Plan(np.full(3, BEYOND), np.inf, 10.0, Status.TIME_LIMIT, "milp", 1.0)
    assert none.gap == np.inf and not none.feasible
    assert not Plan(np.zeros(3), 5.0, 5.0, Status.INFEASIBLE, "milp", 0.0).feasible
    rep = Plan(np.array([0, 1, 2]), 1.0, 1.0, Status.OPTIMAL, "m", 0.0, replacements=[0, 0, 0, 3])
    assert rep.replacements is not None and rep.replacements.tolist() == [[0, 0], [0, 3]]


def test_opened_and_evaluate_by_hand() -> None:
    pb = _problem()
    per = np.array([1, 1, 2])
    y = opened(pb, per)
    assert y.tolist() == [[False, True, False, False], [False, False, True, False]]
    # penalty A@1 5 + B@1 1 + C@2 6; openings S0@1 110 + S1@2 60 (A and B share one)
    assert evaluate(pb, per) == pytest.approx(
        {"penalty": 12.0, "deferral": 0.0, "opening": 170.0, "total": 182.0}
    )
    # A deferred: its 40 instead of its penalty; B opens S0 alone
    assert evaluate(pb, np.array([BEYOND, 1, 2])) == pytest.approx(
        {"penalty": 7.0, "deferral": 40.0, "opening": 170.0, "total": 217.0}
    )


def test_evaluate_adds_purchasing() -> None:
    """One P1 for C, none on hand, delivered the day it is ordered: one order fee (10),
    nothing held (used the day it arrives)."""
    parts = SpareParts(
        part_ids=("P1",),
        warehouse=("main",),
        part_of=np.array([-1, -1, 0]),
        qty=np.array([0, 0, 1]),
        on_hand=np.array([0.0]),
        arrivals=np.zeros((1, N_T)),
        lead_time_days=np.array([0.0]),
        expedite_lead_time_days=np.array([np.inf]),
        cost_unit=np.array([1000.0]),
        holding_rate_per_year=np.array([0.25]),
        cost_order=np.array([10.0]),
        cost_expedite_premium=np.array([0.0]),
    )
    cost = evaluate(_problem(parts=parts), np.array([1, 1, 2]))
    assert cost["ordering"] == pytest.approx(10.0)
    assert cost["expediting"] == 0.0 and cost["holding"] == 0.0
    assert "purchasing" not in cost
    assert cost["total"] == pytest.approx(192.0)
    assert sum(v for k, v in cost.items() if k != "total") == pytest.approx(cost["total"])


def test_span_cells_by_hand() -> None:
    job, cell = span_cells(np.array([0, 2, 3]), np.array([2, 3, 1]), 4)
    # job 1 is clipped at the horizon end: periods 2 and 3 only
    assert job.tolist() == [0, 0, 1, 1, 2]
    assert cell.tolist() == [0, 1, 2, 3, 3]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.lists(st.floats(-5, 5, allow_nan=False), min_size=7, max_size=7),
        min_size=1,
        max_size=3,
    ),
    jobs=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 9)), min_size=1, max_size=5),
)
def test_spanned_min_is_the_window_minimum(
    values: list[list[float]], jobs: list[tuple[int, int]]
) -> None:
    v = np.array(values)
    row = np.array([r % len(values) for r, _ in jobs])
    span = np.array([s for _, s in jobs])
    got = spanned_min(v, row, span)
    n_t = v.shape[1]
    want = [
        [min(v[r, t : min(t + s, n_t)]) for t in range(n_t)] for r, s in zip(row, span, strict=True)
    ]
    assert_allclose(got, want)


def test_crew_load_spreads_spanning_jobs() -> None:
    pb = _problem()
    # A 4 h + B 6 h x 2 on day 1; C 10 h over days 2 and 3 (5 h each)
    assert_allclose(crew_load_h(pb, np.array([1, 1, 2])), [[0.0, 16.0, 5.0, 5.0]])
    # C started on the last day: its second half lies beyond the horizon
    assert_allclose(crew_load_h(pb, np.array([BEYOND, 0, 3])), [[12.0, 0.0, 0.0, 5.0]])


def test_violations_by_hand() -> None:
    pb = _problem()
    assert violations(pb, np.array([1, 1, 2])) == []
    # A and B on day 2 need 4 + 12 = 16 h, the crew has 8 (C is deferred)
    assert violations(pb, np.array([2, 2, BEYOND])) == [
        "skill mech needs 16.0 h in period 2, has 8.0 h"
    ]
    allowed = np.ones((3, N_T), dtype=bool)
    allowed[0, 0] = False
    open_allowed = np.ones((2, N_T), dtype=bool)
    open_allowed[1, 3] = False
    pins = np.array([NO_PIN, 0, PIN_BEYOND])
    pb2 = _problem(allowed=allowed, open_allowed=open_allowed, pinned_period=pins)
    assert violations(pb2, np.array([0, 1, 3])) == [
        "A: period 0 is not allowed",
        "C: system S1 may not open in period 3",
        "B: pinned to period 0, planned 1",
        "C: pinned beyond the horizon",
    ]
