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
from scipy import special, stats

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


def base_stock_part_wait(
    base_stock: int,
    demand_rate_per_h: float,
    lead_time_h: float,
    expedite_lead_time_h: float | None = None,
) -> tuple[float, float, float]:
    """Mean wait of a demand for a part kept at a base stock, and its stock-out odds.

    An order-on-use (base-stock ``S``) policy orders one unit per unit taken, delivered
    ``lead_time_h`` later.  With Poisson demand of rate ``lambda`` the orders outstanding
    form an M/D/infinity queue: ``N ~ Poisson(lambda L)`` (Palm's theorem) and, given
    ``N = n``, their residual lead times are ``n`` independent uniforms on ``(0, L)``.
    A demand arriving (PASTA) with ``n >= S`` orders outstanding finds the shelf empty and
    waits, FIFO, for the ``k = n - S + 1``-th of them: ``W = L B``, ``B ~ Beta(k,
    n + 1 - k)``, so ``E[W | n] = L k / (n + 1)``.  Its expectation equals METRIC's
    ``EBO(S) / lambda`` (Little's law; Sherbrooke [3]_ ch. 2).  When an expedited
    delivery of ``e < L`` hours is possible the shortfall is expedited if that is quicker
    than the covering order: ``W = min(e, L B)``, with
    ``E[min(x, B)] = k / (n + 1) I_x(k + 1, n + 1 - k) + x (1 - I_x(k, n + 1 - k))``,
    ``x = e / L``.  (The pipeline law keeps the normal lead time: expedited orders make
    it shorter, so the wait is slightly overstated.)

    Parameters
    ----------
    base_stock : int
        Inventory position kept by the policy (on hand + on order), units (>= 0).
    demand_rate_per_h : float
        Poisson demand rate, units per calendar hour (>= 0).
    lead_time_h : float
        Normal replenishment lead time, calendar hours (>= 0).
    expedite_lead_time_h : float, optional
        Expedited lead time, hours (>= 0); ``None``: no expediting.

    Returns
    -------
    tuple of float
        ``(mean_wait_h, stockout_probability, expedite_probability)``: the mean wait of
        a demand, hours; the probability that it finds the shelf empty,
        ``P(N >= S)``; the probability that its shortfall is expedited.

    Raises
    ------
    ValueError
        On NaN/inf or negative arguments.

    References
    ----------
    .. [3] C. C. Sherbrooke, *Optimal Inventory Modeling of Systems: Multi-Echelon
       Techniques*, 2nd ed., Kluwer, 2004, ch. 2 (Palm's theorem, expected backorders).
    """
    s_arr = as_float_array("base_stock", base_stock)
    lam = float(as_float_array("demand_rate_per_h", demand_rate_per_h))
    lt = float(as_float_array("lead_time_h", lead_time_h))
    e = (
        None
        if expedite_lead_time_h is None
        else float(as_float_array("expedite_lead_time_h", expedite_lead_time_h))
    )
    s = int(np.floor(float(s_arr)))
    fast = e is not None and e < lt
    if s == 0:  # every demand waits for its own order (expedited when quicker)
        wait = min(e, lt) if e is not None else lt
        return float(wait), 1.0, 1.0 if fast else 0.0
    mu = lam * lt
    if mu <= 0.0:
        return 0.0, 0.0, 0.0
    pois = stats.poisson(mu)
    n_max = max(int(pois.isf(1e-15)) + 1, s)
    n = np.arange(s, n_max + 1)
    p = pois.pmf(n)
    k = n - s + 1
    if not fast:
        cond = lt * k / (n + 1.0)
        p_exp = np.zeros_like(p)
    else:
        assert e is not None
        x = e / lt
        cond = lt * (
            k / (n + 1.0) * special.betainc(k + 1, n + 1 - k, x)
            + x * (1.0 - special.betainc(k, n + 1 - k, x))
        )
        p_exp = 1.0 - special.betainc(k, n + 1 - k, x)
    return float(np.sum(p * cond)), float(pois.sf(s - 1)), float(np.sum(p * p_exp))
