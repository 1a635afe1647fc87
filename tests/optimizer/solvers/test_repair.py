"""Greedy crew and stock repair (optimizer.solvers.repair), on a hand-computed instance."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from numpy.testing import assert_array_equal

from optimizer.problem.data import NO_PIN, PlanningProblem, SpareParts
from optimizer.problem.plan import violations
from optimizer.solvers.repair import make_stock_feasible


def _problem(crew_hours: float = np.inf) -> PlanningProblem:
    """Three jobs of one system, one unit of P1 each, 1 on hand, first delivery period 3.

    ``penalty[i, t] = 10 t + i``, opening 30 per period, deferral 100.
    """
    n, n_t = 3, 5
    parts = SpareParts(
        part_ids=("P1",),
        warehouse=("main",),
        part_of=np.zeros(n, dtype=np.int64),
        qty=np.ones(n, dtype=np.int64),
        on_hand=np.array([1.0]),
        arrivals=np.zeros((1, n_t)),
        lead_time_days=np.array([3.0]),
        expedite_lead_time_days=np.array([np.inf]),
        cost_unit=np.array([1000.0]),
        holding_rate_per_year=np.array([0.25]),
        cost_order=np.array([10.0]),
        cost_expedite_premium=np.array([0.0]),
    )
    return PlanningProblem(
        start=datetime(2027, 1, 4, tzinfo=UTC),
        period_h=24.0,
        component_ids=("C0", "C1", "C2"),
        system_ids=("S0",),
        system_of=np.zeros(n, dtype=np.int64),
        penalty=10.0 * np.arange(n_t)[None, :] + np.arange(n)[:, None],
        penalty_beyond=np.full(n, 100.0),
        allowed=np.ones((n, n_t), dtype=bool),
        opening_cost=np.full((1, n_t), 30.0),
        open_allowed=np.ones((1, n_t), dtype=bool),
        duration_h=np.full(n, 4.0),
        skill_of=np.zeros(n, dtype=np.int64),
        crew_qty=np.ones(n, dtype=np.int64),
        skill_ids=("mech",),
        crew_hours=np.full((1, n_t), crew_hours),
        pinned_period=np.full(n, NO_PIN, dtype=np.int64),
        parts=parts,
    )


def test_jobs_that_run_out_of_stock_move_to_the_first_delivery() -> None:
    pb = _problem()
    # C0 keeps period 0 (the unit on hand); C1 (gain 100 - 1) and C2 (100 - 12) find no
    # stock before period 3; there C1 costs 31 + 30 (opening) and C2 then 32 (S0 open)
    out = make_stock_feasible(pb, np.array([0, 0, 1]))
    assert_array_equal(out, [0, 3, 3])
    assert violations(pb, out) == []


def test_crew_room_is_respected_too() -> None:
    # 4 h of crew per period: the second job of period 3 goes to period 4 (42 + 30 < 100)
    pb = _problem(crew_hours=4.0)
    out = make_stock_feasible(pb, np.array([0, 0, 1]))
    assert_array_equal(out, [0, 3, 4])
    assert violations(pb, out) == []
