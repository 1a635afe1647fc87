"""Purchase orders of a plan: lot sizing, FIFO availability, costs and the order table.

Every expected value is written out by hand from the definitions in
:mod:`optimizer.problem.purchasing` (stock ``I(t) = E(t) + Q(t) - U(t)``, holding on
the end-of-period stock, the expediting premium on orders arriving before the regular
lead time).  Enumeration of order sets and whole plans is in
``tests/optimizer/solvers/test_stock.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from numpy.testing import assert_allclose

from optimizer.problem.data import NO_PIN, PlanningProblem, SpareParts
from optimizer.problem.plan import BEYOND
from optimizer.problem.purchasing import (
    PurchaseOrder,
    lot_sizing,
    purchase_cost,
    purchase_orders_table,
    purchase_plan,
    stock_profile,
    stock_shortages,
)

N_T = 6


def _problem(*, on_hand: float = 1.0, parts: bool = True) -> PlanningProblem:
    """Three jobs on one unit, each using one P1; daily periods from Mon 2027-01-04.

    P1: regular lead time 4 days (4 periods), expedited 2 days at 50 per unit, 10 per
    order, unit value 1000 held at 36.5% a year, i.e. exactly 1.0 per unit and day.
    """
    n = 3
    spares = SpareParts(
        part_ids=("P1",),
        warehouse=("main",),
        part_of=np.zeros(n, dtype=np.int64),
        qty=np.ones(n, dtype=np.int64),
        on_hand=np.array([on_hand]),
        arrivals=np.zeros((1, N_T)),
        lead_time_days=np.array([4.0]),
        expedite_lead_time_days=np.array([2.0]),
        cost_unit=np.array([1000.0]),
        holding_rate_per_year=np.array([0.365]),
        cost_order=np.array([10.0]),
        cost_expedite_premium=np.array([50.0]),
    )
    return PlanningProblem(
        start=datetime(2027, 1, 4, tzinfo=UTC),
        period_h=24.0,
        component_ids=("A", "B", "C"),
        system_ids=("S",),
        system_of=np.zeros(n, dtype=np.int64),
        penalty=np.zeros((n, N_T)),
        penalty_beyond=np.full(n, 100.0),
        allowed=np.ones((n, N_T), dtype=bool),
        opening_cost=np.full((1, N_T), 30.0),
        open_allowed=np.ones((1, N_T), dtype=bool),
        duration_h=np.full(n, 2.0),
        skill_of=np.zeros(n, dtype=np.int64),
        crew_qty=np.ones(n, dtype=np.int64),
        skill_ids=("mech",),
        crew_hours=np.full((1, N_T), np.inf),
        pinned_period=np.full(n, NO_PIN, dtype=np.int64),
        parts=spares if parts else None,
    )


@pytest.mark.parametrize(
    ("hold", "expected"),
    [
        # one order at 1 for both: 10 + 3 units held 2 periods at 1 = 16 < two orders 20
        (1.0, [(1, 5.0, (1, 3))]),
        # holding 3: one order 10 + 18 = 28 > two orders 20
        (3.0, [(1, 2.0, (1,)), (3, 3.0, (3,))]),
    ],
)
def test_lot_sizing_by_hand(
    hold: float, expected: list[tuple[int, float, tuple[int, ...]]]
) -> None:
    demand = np.array([0.0, 2.0, 0.0, 3.0])
    assert lot_sizing(demand, 0, 0, 10.0, 0.0, hold) == expected


def test_lot_sizing_moves_early_demand_to_the_first_arrival() -> None:
    # 1 unit needed in period 0, before any order can arrive (period 2): served there
    assert lot_sizing(np.array([1.0, 0.0, 2.0, 0.0]), 2, 3, 5.0, 4.0, 0.0) == [(2, 3.0, (2,))]
    assert lot_sizing(np.zeros(4), 0, 0, 5.0, 0.0, 1.0) == []


def test_stock_profile_counts_cumulative_use() -> None:
    used, supply = stock_profile(_problem(), np.array([1, 3, BEYOND]))
    assert_allclose(used, [[0, 1, 1, 2, 2, 2]])
    assert_allclose(supply, [[1, 1, 1, 1, 1, 1]])


def test_purchase_plan_by_hand() -> None:
    """Jobs in periods 1, 3, 5 with one unit on hand.

    Requirement of new units: 1 from period 3, 2 from period 5.  One order for both
    arriving at 3 costs 10 + 2 x 50 (3 < lead 4: expedited) + 1 unit held 2 days = 112;
    two orders cost (10 + 50) + 10 = 70: the expedited one arrives at 3 (ordered
    3 - 2 = 1), the regular one at 5 (ordered 5 - 4 = 1).  End-of-day stock
    1, 0, 0, 0, 0, 0 -> holding 1.0.
    """
    pb = _problem()
    pp = purchase_plan(pb, np.array([1, 3, 5]))
    assert pp.orders == (
        PurchaseOrder(part=0, qty=1, order_period=1, arrival_period=3, expedited=True, serves=(1,)),
        PurchaseOrder(
            part=0, qty=1, order_period=1, arrival_period=5, expedited=False, serves=(2,)
        ),
    )
    assert_allclose(pp.stock, [[1, 0, 0, 0, 0, 0]])
    assert pp.cost == pytest.approx(
        {"ordering": 20.0, "expediting": 50.0, "holding": 1.0, "total": 71.0}
    )
    # first in, first out: A takes the unit on hand (period 0), B and C the new orders
    assert pp.available_period.tolist() == [0, 3, 5]
    assert pp.feasible and pp.shortages == ()
    assert purchase_cost(pb, np.array([1, 3, 5])) == pytest.approx(71.0)


def test_purchase_orders_table_by_hand() -> None:
    pb = _problem()
    rows = purchase_orders_table(pb, purchase_plan(pb, np.array([1, 3, 5])))
    assert rows == [
        {
            "part_id": "P1",
            "warehouse": "main",
            "qty": 1,
            "order_date": "2027-01-05",
            "arrival_date": "2027-01-07",
            "expedited": True,
            "serves": ["B"],
            "unit_price": 1000.0,
            "goods": 1000.0,
            "order_fee": 10.0,
            "expedite_fee": 50.0,
            "total": 1060.0,  # the unit 1000 + order fee 10 + premium 50
        },
        {
            "part_id": "P1",
            "warehouse": "main",
            "qty": 1,
            "order_date": "2027-01-05",
            "arrival_date": "2027-01-09",
            "expedited": False,
            "serves": ["C"],
            "unit_price": 1000.0,
            "goods": 1000.0,
            "order_fee": 10.0,
            "expedite_fee": 0.0,
            "total": 1010.0,
        },
    ]


def test_shortage_before_the_earliest_delivery() -> None:
    """B uses a unit on day 1; only the one on hand exists and the earliest new one
    arrives on day 2 (expedited): a stock-out no order can prevent."""
    pb = _problem()
    per = np.array([0, 1, BEYOND])
    assert stock_shortages(pb, per) == [
        "part P1 (warehouse main): 2 needed by 2027-01-05, 1 on hand or on order by then,"
        " lead time 4 days (expedited 2 days); the earliest new delivery is 2027-01-06"
    ]
    pp = purchase_plan(pb, per)
    assert not pp.feasible
    assert pp.available_period.tolist() == [0, 2, -1]  # B's part comes a day late
    assert stock_shortages(pb, np.array([0, 2, BEYOND])) == []


def test_no_parts_means_no_purchasing() -> None:
    pb = _problem(parts=False)
    per = np.array([1, 3, 5])
    assert purchase_cost(pb, per) == 0.0
    pp = purchase_plan(pb, per)
    assert pp.orders == () and pp.cost["total"] == 0.0
    assert pp.available_period.tolist() == [-1, -1, -1]
    assert purchase_orders_table(pb, pp) == []
    assert stock_shortages(pb, per) == []
