"""Tests of cost_models.spares: hand computations, brute-force EOQ, direct Poisson sums."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import integrate, optimize, stats

from cost_models.spares import (
    HOURS_PER_YEAR,
    base_stock_part_wait,
    eoq,
    eoq_annual_cost,
    expedite_cost,
    holding_cost,
    ordering_cost,
    stockout_probability_poisson,
)

FAST = settings(max_examples=50, deadline=None)


def test_holding_cost_hand_computed() -> None:
    assert HOURS_PER_YEAR == 365 * 24
    # 3 units worth 1000 at 20 %/year for half a year
    assert_allclose(holding_cost(3, 1000.0, 0.2, 4380.0), 300.0)
    assert_allclose(holding_cost([0, 1], 1000.0, 0.2, 8760.0), [0.0, 200.0])


def test_ordering_and_expedite_hand_computed() -> None:
    assert_allclose(ordering_cost(2, 75.0, 10, 120.0), 2 * 75 + 10 * 120)
    assert_allclose(expedite_cost([1, 3], 250.0), [250.0, 750.0])


@FAST
@given(
    q=st.integers(0, 100),
    c=st.floats(0.0, 1e4),
    r=st.floats(0.0, 1.0),
    d=st.floats(0.0, 1e4),
    k=st.integers(1, 5),
)
def test_costs_linear_in_quantity(q: int, c: float, r: float, d: float, k: int) -> None:
    assert_allclose(holding_cost(k * q, c, r, d), k * holding_cost(q, c, r, d), atol=1e-9)
    # holding for d1 then d2 equals holding for d1 + d2
    assert_allclose(
        holding_cost(q, c, r, d) + holding_cost(q, c, r, 2 * d),
        holding_cost(q, c, r, 3 * d),
        rtol=1e-12,
        atol=1e-9,
    )
    assert_allclose(expedite_cost(k * q, c), k * expedite_cost(q, c), atol=1e-9)
    assert ordering_cost(k, 10.0, q, c) >= 0.0


def annual_cost(q: float, d: float, k: float, c: float, h: float) -> float:
    """Independent annual cost: orders per year x order cost + average stock x holding."""
    orders_per_year = d / q
    average_stock = q / 2.0
    return orders_per_year * k + average_stock * c * h


@pytest.mark.parametrize(
    ("d", "k", "c", "h"),
    [(120.0, 50.0, 400.0, 0.25), (3.0, 500.0, 20000.0, 0.2), (1e4, 5.0, 1.0, 0.3)],
)
def test_eoq_matches_brute_force(d: float, k: float, c: float, h: float) -> None:
    q_star = float(eoq(d, k, c, h))
    grid = np.linspace(q_star * 0.2, q_star * 5.0, 200_001)
    costs = np.array([annual_cost(q, d, k, c, h) for q in grid[::100]])
    coarse = grid[::100][np.argmin(costs)]
    res = optimize.minimize_scalar(
        lambda q: annual_cost(q, d, k, c, h),
        bounds=(coarse * 0.9, coarse * 1.1),
        method="bounded",
        options={"xatol": 1e-10 * q_star},
    )
    assert_allclose(q_star, res.x, rtol=1e-4)
    assert_allclose(eoq_annual_cost(q_star, d, k, c, h), res.fun, rtol=1e-9)
    assert_allclose(eoq_annual_cost(q_star, d, k, c, h), math.sqrt(2 * d * k * c * h), rtol=1e-12)


@FAST
@given(
    d=st.floats(0.1, 1e4),
    k=st.floats(0.1, 1e3),
    c=st.floats(0.1, 1e5),
    h=st.floats(0.01, 1.0),
    factor=st.floats(0.1, 10.0),
)
def test_eoq_is_a_minimum(d: float, k: float, c: float, h: float, factor: float) -> None:
    q_star = float(eoq(d, k, c, h))
    best = annual_cost(q_star, d, k, c, h)
    assert annual_cost(q_star * factor, d, k, c, h) >= best * (1 - 1e-12)
    assert_allclose(
        eoq_annual_cost(q_star * factor, d, k, c, h), annual_cost(q_star * factor, d, k, c, h)
    )


def test_eoq_edge_cases_and_broadcasting() -> None:
    assert_allclose(eoq(0.0, 50.0, 100.0, 0.2), 0.0)
    assert_allclose(eoq([100.0, 400.0], 50.0, 100.0, 0.2), [math.sqrt(500.0), math.sqrt(2000.0)])


def poisson_tail(s: int, mu: float) -> float:
    """Direct sum: 1 - sum_{n <= s} e^-mu mu^n / n!."""
    return 1.0 - math.fsum(math.exp(-mu) * mu**n / math.factorial(n) for n in range(s + 1))


@pytest.mark.parametrize(
    ("s", "rate", "lt"), [(0, 0.001, 500.0), (2, 0.01, 200.0), (5, 0.002, 720.0)]
)
def test_stockout_matches_direct_sum(s: int, rate: float, lt: float) -> None:
    assert_allclose(
        stockout_probability_poisson(s, rate, lt), poisson_tail(s, rate * lt), rtol=1e-10
    )


@FAST
@given(s=st.integers(0, 20), mu=st.floats(0.0, 30.0))
def test_stockout_properties(s: int, mu: float) -> None:
    p = float(stockout_probability_poisson(s, mu / 100.0, 100.0))
    assert 0.0 <= p <= 1.0
    assert_allclose(p, poisson_tail(s, mu), atol=1e-12)
    assert float(stockout_probability_poisson(s + 1, mu / 100.0, 100.0)) <= p


def test_stockout_edge_cases() -> None:
    assert_allclose(stockout_probability_poisson([0, 3], 0.0, 100.0), [0.0, 0.0])
    assert_allclose(stockout_probability_poisson(0, 0.01, 100.0), 1.0 - math.exp(-1.0))
    # a fractional stock counts as its whole units
    assert_allclose(stockout_probability_poisson(2.7, 0.01, 100.0), poisson_tail(2, 1.0))
    got = stockout_probability_poisson(np.arange(3)[:, None], 0.01, [100.0, 200.0])
    assert got.shape == (3, 2)
    assert_allclose(got[2, 1], poisson_tail(2, 2.0))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: holding_cost(-1, 1.0, 0.2, 1.0), "qty"),
        (lambda: holding_cost(1, 1.0, float("nan"), 1.0), "holding_rate_per_year"),
        (lambda: holding_cost(1, 1.0, 0.2, -1.0), "duration_h"),
        (lambda: ordering_cost(-1, 1.0, 1, 1.0), "n_orders"),
        (lambda: ordering_cost(1, 1.0, 1, np.inf), "cost_unit"),
        (lambda: expedite_cost(1, -5.0), "premium"),
        (lambda: eoq(10.0, 5.0, 0.0, 0.2), "cost_unit"),
        (lambda: eoq(10.0, 5.0, 10.0, 0.0), "holding_rate_per_year"),
        (lambda: eoq(-10.0, 5.0, 10.0, 0.2), "demand_per_year"),
        (lambda: eoq_annual_cost(0.0, 10.0, 5.0, 10.0, 0.2), "qty"),
        (lambda: stockout_probability_poisson(-1, 0.1, 1.0), "stock"),
        (lambda: stockout_probability_poisson(1, float("nan"), 1.0), "demand_rate_per_h"),
        (lambda: stockout_probability_poisson(1, 0.1, np.inf), "lead_time_h"),
        (lambda: stockout_probability_poisson(np.ones(2), 0.1, np.ones(3)), "broadcast"),
        (lambda: base_stock_part_wait(-1, 0.1, 1.0), "base_stock"),
        (lambda: base_stock_part_wait(1, float("nan"), 1.0), "demand_rate_per_h"),
        (lambda: base_stock_part_wait(1, 0.1, -2.0), "lead_time_h"),
        (lambda: base_stock_part_wait(1, 0.1, 2.0, np.inf), "expedite_lead_time_h"),
    ],
)
def test_validation(call: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()  # type: ignore[operator]


@pytest.mark.parametrize("stock", [1, 2, 4])
@pytest.mark.parametrize("mu", [0.05, 0.8, 3.0])
def test_base_stock_wait_is_metric_backorders_over_demand(stock: int, mu: float) -> None:
    """Without expediting the mean wait of a demand is ``EBO(S) / lambda`` (Little's
    law on METRIC's expected backorders, ``sum_{x > S} (x - S) p(x)``, Sherbrooke ch. 2),
    and a demand finds the shelf empty with probability ``P(N >= S)`` (PASTA)."""
    lam, lead = mu / 500.0, 500.0
    x = np.arange(400)
    pmf = stats.poisson(mu).pmf(x)
    ebo = float(np.sum(np.maximum(x - stock, 0) * pmf))
    wait, p_out, p_exp = base_stock_part_wait(stock, lam, lead)
    assert_allclose(wait, ebo / lam, rtol=1e-9)
    assert_allclose(p_out, float(pmf[x >= stock].sum()), rtol=1e-9)
    assert p_exp == 0.0


@pytest.mark.parametrize("stock", [1, 3])
def test_base_stock_wait_with_expediting_by_quadrature(stock: int) -> None:
    """With ``n >= S`` orders out a demand waits for the ``(n - S + 1)``-th of ``n``
    uniform residual lead times, cut at the expedited lead time ``e``:
    ``E[min(e, L B)] = int_0^e P(L B > w) dw`` integrated numerically."""
    lam, lead, e = 0.004, 500.0, 120.0
    pois = stats.poisson(lam * lead)
    wait = p_exp = 0.0
    for n in range(stock, 60):
        k = n - stock + 1
        b = stats.beta(k, n + 1 - k)
        wait += pois.pmf(n) * integrate.quad(lambda w, b=b: b.sf(w / lead), 0.0, e)[0]
        p_exp += pois.pmf(n) * b.sf(e / lead)
    got = base_stock_part_wait(stock, lam, lead, e)
    assert_allclose(got[0], wait, rtol=1e-7)
    assert_allclose(got[2], p_exp, rtol=1e-7)
    # an expedited lead time no shorter than the normal one changes nothing
    assert_allclose(
        base_stock_part_wait(stock, lam, lead, lead), base_stock_part_wait(stock, lam, lead)
    )


def test_base_stock_wait_edge_cases() -> None:
    """No stock: every demand waits for its own order (expedited when quicker); no
    demand: no wait."""
    assert base_stock_part_wait(0, 0.01, 300.0) == (300.0, 1.0, 0.0)
    assert base_stock_part_wait(0, 0.0, 300.0, 48.0) == (48.0, 1.0, 1.0)
    assert base_stock_part_wait(2, 0.0, 300.0) == (0.0, 0.0, 0.0)
