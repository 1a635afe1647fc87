"""Preventive, corrective and set-up costs, and the expected cost of one failure.

``expected_failure_cost`` is the ``c_f`` of the age-replacement cost rate
``g(T) = (c_p S(T) + c_f F(T)) / integral_0^T S(u) du`` (Barlow and Proschan 1965) and of
the penalty curves (:mod:`optimizer.reliability.penalty`); ``setup_cost`` is the opening
cost ``S_k(t)`` that grouping shares among components (Wildeman, Dekker and Smit 1997).

References
----------
.. [1] R. E. Barlow and F. Proschan, *Mathematical Theory of Reliability*, Wiley, 1965.
.. [2] R. E. Wildeman, R. Dekker and A. C. J. M. Smit, "A dynamic policy for grouping
   maintenance activities", European Journal of Operational Research 99 (1997) 530-551.
"""

from __future__ import annotations

from numpy.typing import ArrayLike

from cost_models._checks import (
    FloatArray,
    as_float_array,
    as_result,
    broadcast_shape,
    check_at_most,
)
from cost_models.downtime import downtime_cost
from cost_models.labour import labour_cost
from cost_models.profile import ValueProfile


def preventive_cost(
    cost_parts: ArrayLike, cost_labour: ArrayLike, cost_other: ArrayLike = 0.0
) -> FloatArray:
    """Direct cost of a planned (preventive) replacement: parts + labour + other.

    Set-up and shutdown costs are not included: they are paid once per opening of the
    system (:func:`setup_cost`), whatever number of components share it.

    Parameters
    ----------
    cost_parts : array_like
        Spare parts consumed, currency (>= 0).
    cost_labour : array_like
        Labour, currency (>= 0), e.g. from :func:`cost_models.labour.labour_cost`.
    cost_other : array_like, default 0.0
        Consumables, tools, contractors, disposal, currency (>= 0).

    Returns
    -------
    ndarray of float
        Direct preventive cost, currency.

    Raises
    ------
    ValueError
        On NaN/inf, negative entries or shapes that do not broadcast.
    """
    parts = as_float_array("cost_parts", cost_parts)
    labour = as_float_array("cost_labour", cost_labour)
    other = as_float_array("cost_other", cost_other)
    broadcast_shape(cost_parts=parts, cost_labour=labour, cost_other=other)
    return as_result(parts + labour + other)


def corrective_cost(
    cost_parts: ArrayLike,
    cost_labour: ArrayLike,
    cost_secondary_damage: ArrayLike,
    cost_downtime: ArrayLike,
) -> FloatArray:
    """Cost of one realized failure: parts + labour + secondary damage + lost production.

    Parameters
    ----------
    cost_parts : array_like
        Spare parts consumed, expediting premium included if paid, currency (>= 0).
    cost_labour : array_like
        Corrective labour including call-out premium, currency (>= 0).
    cost_secondary_damage : array_like
        Collateral damage caused by the failure, currency (>= 0).
    cost_downtime : array_like
        Production lost during the unplanned stop, currency (>= 0), e.g. from
        :func:`cost_models.downtime.downtime_cost`.

    Returns
    -------
    ndarray of float
        Corrective cost, currency.

    Raises
    ------
    ValueError
        On NaN/inf, negative entries or shapes that do not broadcast.
    """
    parts = as_float_array("cost_parts", cost_parts)
    labour = as_float_array("cost_labour", cost_labour)
    damage = as_float_array("cost_secondary_damage", cost_secondary_damage)
    down = as_float_array("cost_downtime", cost_downtime)
    broadcast_shape(
        cost_parts=parts, cost_labour=labour, cost_secondary_damage=damage, cost_downtime=down
    )
    return as_result(parts + labour + damage + down)


def setup_cost(
    cost_fixed: ArrayLike,
    shutdown_h: ArrayLike,
    value_profile: ValueProfile,
    start_h: ArrayLike,
    *,
    loss_fraction: ArrayLike = 1.0,
) -> FloatArray:
    """Cost of opening a system: fixed set-up cost + production lost while it is open.

    ``cost = cost_fixed + loss_fraction * integral_{start}^{start + shutdown} value(t) dt``.
    Vectorized over ``start_h``, so one call prices every candidate period of a plan.

    Parameters
    ----------
    cost_fixed : array_like
        Shutdown, mobilization, permits and start-up per opening, currency (>= 0).
    shutdown_h : array_like
        Time the system is stopped, hours (>= 0).
    value_profile : ValueProfile
        Production value of the running system, currency per hour.
    start_h : array_like
        Time the system is stopped, hours from the plan start.
    loss_fraction : array_like, default 1.0
        Share of the production value lost while stopped, in ``[0, 1]``.

    Returns
    -------
    ndarray of float
        Opening cost, currency, broadcast shape of the arguments.

    Raises
    ------
    ValueError
        On NaN/inf, negative costs or durations, ``loss_fraction`` outside ``[0, 1]``,
        or shapes that do not broadcast.
    """
    fixed = as_float_array("cost_fixed", cost_fixed)
    shutdown = as_float_array("shutdown_h", shutdown_h)
    lost = downtime_cost(value_profile, start_h, shutdown, loss_fraction=loss_fraction)
    broadcast_shape(cost_fixed=fixed, lost_production=lost)
    return as_result(fixed + lost)


def expected_failure_cost(
    *,
    cost_parts: ArrayLike,
    repair_mean_h: ArrayLike,
    crew_qty: ArrayLike,
    corrective_rate_per_h: ArrayLike,
    production_value_per_h: ArrayLike,
    response_mean_h: ArrayLike = 0.0,
    callout_premium: ArrayLike = 0.0,
    cost_secondary_damage: ArrayLike = 0.0,
    stockout_probability: ArrayLike = 0.0,
    part_wait_h: ArrayLike = 0.0,
    cost_expedite: ArrayLike = 0.0,
) -> FloatArray:
    """Expected cost of one failure (``c_f``), all consequences included.

    With ``p = stockout_probability``::

        c_f = cost_parts + p * cost_expedite
            + crew_qty * corrective_rate_per_h * repair_mean_h + callout_premium
            + cost_secondary_damage
            + production_value_per_h * (response_mean_h + repair_mean_h + p * part_wait_h)

    The stop is response, then (if the part is missing) waiting for it, then the repair;
    technicians are paid for the repair time (put travel into the call-out premium).  The
    production value is a constant rate: for a time-varying profile pass its mean over
    the relevant horizon (the simulator prices realized failures with
    :func:`cost_models.downtime.downtime_cost` instead).

    Parameters
    ----------
    cost_parts : array_like
        Parts consumed by the repair at normal price, currency (>= 0).
    repair_mean_h : array_like
        Mean repair time, hours (>= 0).
    crew_qty : array_like
        Technicians working on the repair (>= 0).
    corrective_rate_per_h : array_like
        Cost of one technician-hour for corrective work (e.g. regular rate x overtime
        factor when failures are handled outside shifts), currency per hour (>= 0).
    production_value_per_h : array_like
        Production value lost per hour of stop, currency per hour (>= 0).
    response_mean_h : array_like, default 0.0
        Mean call-out, travel and mobilization delay, hours (>= 0).
    callout_premium : array_like, default 0.0
        Fixed premium per call-out, currency (>= 0).
    cost_secondary_damage : array_like, default 0.0
        Expected collateral damage, currency (>= 0).
    stockout_probability : array_like, default 0.0
        Probability that the part is out of stock at failure, in ``[0, 1]``, e.g. from
        :func:`cost_models.spares.stockout_probability_poisson`.
    part_wait_h : array_like, default 0.0
        Waiting time for the part when it is out of stock (expedited lead time), hours.
    cost_expedite : array_like, default 0.0
        Expediting premium for the repair's parts when out of stock, currency (>= 0),
        e.g. from :func:`cost_models.spares.expedite_cost`.

    Returns
    -------
    ndarray of float
        Expected failure cost, currency, broadcast shape of the arguments.

    Raises
    ------
    ValueError
        On NaN/inf, negative entries, ``stockout_probability > 1`` or shapes that do not
        broadcast.

    References
    ----------
    .. [1] R. E. Barlow and F. Proschan, *Mathematical Theory of Reliability*, Wiley, 1965.
    """
    parts = as_float_array("cost_parts", cost_parts)
    repair = as_float_array("repair_mean_h", repair_mean_h)
    value = as_float_array("production_value_per_h", production_value_per_h)
    response = as_float_array("response_mean_h", response_mean_h)
    damage = as_float_array("cost_secondary_damage", cost_secondary_damage)
    p = as_float_array("stockout_probability", stockout_probability)
    check_at_most("stockout_probability", p, 1.0, "1")
    wait = as_float_array("part_wait_h", part_wait_h)
    expedite = as_float_array("cost_expedite", cost_expedite)
    # Validated here so that errors name this function's arguments.
    crew = as_float_array("crew_qty", crew_qty)
    rate = as_float_array("corrective_rate_per_h", corrective_rate_per_h)
    callout = as_float_array("callout_premium", callout_premium)
    broadcast_shape(
        cost_parts=parts,
        repair_mean_h=repair,
        crew_qty=crew,
        corrective_rate_per_h=rate,
        callout_premium=callout,
        production_value_per_h=value,
        response_mean_h=response,
        cost_secondary_damage=damage,
        stockout_probability=p,
        part_wait_h=wait,
        cost_expedite=expedite,
    )
    labour = labour_cost(repair, crew, rate, callout_premium=callout)
    down_h = response + repair + p * wait
    return as_result(parts + p * expedite + labour + damage + value * down_h)
