"""Spare parts: holding, ordering and expediting costs, EOQ, lead-time stock-out risk.

References
----------
.. [1] F. W. Harris, "How many parts to make at once", Factory, The Magazine of
   Management 10 (1913) 135-136 (the economic order quantity).
.. [2] E. A. Silver, D. F. Pyke and D. J. Thomas, *Inventory and Production Management
   in Supply Chains*, 4th ed., CRC Press, 2017 (holding cost rates, Poisson lead-time
   demand for slow-moving spare parts).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from cost_models._checks import FloatArray, as_float_array, as_result, broadcast_shape

HOURS_PER_YEAR = 8760.0
"""Hours in a (365-day) year, used to turn annual holding rates into hourly ones."""


def holding_cost(
    qty: ArrayLike,
    cost_unit: ArrayLike,
    holding_rate_per_year: ArrayLike,
    duration_h: ArrayLike,
) -> FloatArray:
    """Cost of keeping ``qty`` units in stock for ``duration_h`` hours.

    ``cost = qty * cost_unit * holding_rate_per_year * duration_h / 8760``: the holding
    rate is the fraction of the unit value spent per year on capital, storage, insurance
    and obsolescence (typically 0.15-0.35), and a year is 8760 h (365 days; leap days are
    ignored).

    Parameters
    ----------
    qty : array_like
        Units held (>= 0).
    cost_unit : array_like
        Value of one unit, currency (>= 0).
    holding_rate_per_year : array_like
        Fraction of the unit value per year (>= 0).
    duration_h : array_like
        Holding time, hours (>= 0).

    Returns
    -------
    ndarray of float
        Holding cost, currency.

    Raises
    ------
    ValueError
        On NaN/inf, negative entries or shapes that do not broadcast.
    """
    q = as_float_array("qty", qty)
    c = as_float_array("cost_unit", cost_unit)
    r = as_float_array("holding_rate_per_year", holding_rate_per_year)
    d = as_float_array("duration_h", duration_h)
    broadcast_shape(qty=q, cost_unit=c, holding_rate_per_year=r, duration_h=d)
    return as_result(q * c * r * d / HOURS_PER_YEAR)


def ordering_cost(
    n_orders: ArrayLike, cost_per_order: ArrayLike, qty: ArrayLike, cost_unit: ArrayLike
) -> FloatArray:
    """Cost of purchasing: fixed cost per order plus the price of the units bought.

    ``cost = n_orders * cost_per_order + qty * cost_unit``.

    Parameters
    ----------
    n_orders : array_like
        Number of purchase orders placed (>= 0).
    cost_per_order : array_like
        Fixed cost of one order (administration, transport), currency (>= 0).
    qty : array_like
        Total units bought over those orders (>= 0).
    cost_unit : array_like
        Price of one unit, currency (>= 0).

    Returns
    -------
    ndarray of float
        Ordering cost, currency.

    Raises
    ------
    ValueError
        On NaN/inf, negative entries or shapes that do not broadcast.
    """
    n = as_float_array("n_orders", n_orders)
    k = as_float_array("cost_per_order", cost_per_order)
    q = as_float_array("qty", qty)
    c = as_float_array("cost_unit", cost_unit)
    broadcast_shape(n_orders=n, cost_per_order=k, qty=q, cost_unit=c)
    return as_result(n * k + q * c)


def expedite_cost(qty: ArrayLike, premium: ArrayLike) -> FloatArray:
    """Extra cost of expediting ``qty`` units: ``qty * premium``.

    Parameters
    ----------
    qty : array_like
        Units expedited (>= 0).
    premium : array_like
        Expediting premium per unit over the normal price, currency (>= 0).

    Returns
    -------
    ndarray of float
        Expediting cost, currency.

    Raises
    ------
    ValueError
        On NaN/inf, negative entries or shapes that do not broadcast.
    """
    q = as_float_array("qty", qty)
    p = as_float_array("premium", premium)
    broadcast_shape(qty=q, premium=p)
    return as_result(q * p)


def _eoq_inputs(
    demand_per_year: ArrayLike,
    cost_per_order: ArrayLike,
    cost_unit: ArrayLike,
    holding_rate_per_year: ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    d = as_float_array("demand_per_year", demand_per_year)
    k = as_float_array("cost_per_order", cost_per_order)
    c = as_float_array("cost_unit", cost_unit)
    r = as_float_array("holding_rate_per_year", holding_rate_per_year)
    broadcast_shape(demand_per_year=d, cost_per_order=k, cost_unit=c, holding_rate_per_year=r)
    if np.any(c <= 0):
        raise ValueError("cost_unit: must be > 0 for an economic order quantity")
    if np.any(r <= 0):
        raise ValueError("holding_rate_per_year: must be > 0 for an economic order quantity")
    return d, k, as_result(c * r)


def eoq(
    demand_per_year: ArrayLike,
    cost_per_order: ArrayLike,
    cost_unit: ArrayLike,
    holding_rate_per_year: ArrayLike,
) -> FloatArray:
    """Economic order quantity ``Q* = sqrt(2 D K / (h c))`` (Harris 1913).

    ``Q*`` minimizes the annual ordering + holding cost :func:`eoq_annual_cost`
    ``D K / Q + Q h c / 2`` under constant demand, no shortages and instant delivery.
    The result is continuous; round it for discrete parts.

    Parameters
    ----------
    demand_per_year : array_like
        Demand ``D``, units per year (>= 0).
    cost_per_order : array_like
        Fixed cost per order ``K``, currency (>= 0).
    cost_unit : array_like
        Unit value ``c``, currency (> 0).
    holding_rate_per_year : array_like
        Holding rate ``h``, fraction of the unit value per year (> 0).

    Returns
    -------
    ndarray of float
        Optimal order quantity, units.

    Raises
    ------
    ValueError
        On NaN/inf, negative entries, ``cost_unit <= 0`` or ``holding_rate_per_year <= 0``.

    References
    ----------
    .. [1] F. W. Harris, "How many parts to make at once", Factory, The Magazine of
       Management 10 (1913) 135-136.
    """
    d, k, hc = _eoq_inputs(demand_per_year, cost_per_order, cost_unit, holding_rate_per_year)
    return as_result(np.sqrt(2.0 * d * k / hc))


def eoq_annual_cost(
    qty: ArrayLike,
    demand_per_year: ArrayLike,
    cost_per_order: ArrayLike,
    cost_unit: ArrayLike,
    holding_rate_per_year: ArrayLike,
) -> FloatArray:
    """Annual ordering + holding cost of ordering ``qty`` units at a time.

    ``cost = D K / Q + Q h c / 2`` (the purchase price ``D c`` does not depend on ``Q``
    and is excluded); its minimum is ``sqrt(2 D K h c)`` at :func:`eoq`.

    Parameters
    ----------
    qty : array_like
        Order quantity ``Q``, units (> 0).
    demand_per_year : array_like
        Demand ``D``, units per year (>= 0).
    cost_per_order : array_like
        Fixed cost per order ``K``, currency (>= 0).
    cost_unit : array_like
        Unit value ``c``, currency (> 0).
    holding_rate_per_year : array_like
        Holding rate ``h``, fraction of the unit value per year (> 0).

    Returns
    -------
    ndarray of float
        Annual cost, currency per year.

    Raises
    ------
    ValueError
        On NaN/inf, negative entries, ``qty <= 0``, ``cost_unit <= 0`` or
        ``holding_rate_per_year <= 0``.
    """
    q = as_float_array("qty", qty)
    if np.any(q <= 0):
        raise ValueError("qty: must be > 0")
    d, k, hc = _eoq_inputs(demand_per_year, cost_per_order, cost_unit, holding_rate_per_year)
    broadcast_shape(qty=q, holding=hc, demand_per_year=d)
    return as_result(d * k / q + 0.5 * q * hc)


def stockout_probability_poisson(
    stock: ArrayLike, demand_rate_per_h: ArrayLike, lead_time_h: ArrayLike
) -> FloatArray:
    """Probability that Poisson demand during a lead time exceeds the stock.

    ``P(N > stock)`` with ``N ~ Poisson(demand_rate_per_h * lead_time_h)``: the chance
    that a part is missing when needed if ``stock`` units are on hand (or on order
    and arriving within the lead time) and replenishment takes ``lead_time_h``.
    A fractional ``stock`` counts as its integer part (demand is in whole units).

    Parameters
    ----------
    stock : array_like
        Units available (>= 0).
    demand_rate_per_h : array_like
        Mean demand, units per hour (>= 0), e.g. the sum of failure rates of the
        positions that use the part.
    lead_time_h : array_like
        Replenishment lead time, hours (>= 0).

    Returns
    -------
    ndarray of float
        Stock-out probability in ``[0, 1]``.

    Raises
    ------
    ValueError
        On NaN/inf, negative entries or shapes that do not broadcast.
    """
    s = as_float_array("stock", stock)
    lam = as_float_array("demand_rate_per_h", demand_rate_per_h)
    lt = as_float_array("lead_time_h", lead_time_h)
    broadcast_shape(stock=s, demand_rate_per_h=lam, lead_time_h=lt)
    return as_result(stats.poisson.sf(np.floor(s), lam * lt))
