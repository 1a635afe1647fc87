"""Downtime: lost production while a system is stopped, and expected downtime per failure."""

from __future__ import annotations

from numpy.typing import ArrayLike

from cost_models._checks import (
    FloatArray,
    as_float_array,
    as_result,
    broadcast_shape,
    check_at_most,
)
from cost_models.profile import ValueProfile


def downtime_cost(
    value_profile: ValueProfile,
    start_h: ArrayLike,
    duration_h: ArrayLike,
    *,
    loss_fraction: ArrayLike = 1.0,
) -> FloatArray:
    """Production value lost while a system is stopped from ``start_h`` for ``duration_h``.

    ``cost = loss_fraction * integral_{start}^{start + duration} value(t) dt``.

    Parameters
    ----------
    value_profile : ValueProfile
        Production value of the running system over time, currency per hour.
    start_h : array_like
        Stop time, hours from the plan start.
    duration_h : array_like
        Length of the stop, hours (>= 0).
    loss_fraction : array_like, default 1.0
        Share of the production value lost while stopped, in ``[0, 1]`` (e.g. 0.5 when
        a redundant unit carries half the load).

    Returns
    -------
    ndarray of float
        Lost production, currency, broadcast shape of the arguments.

    Raises
    ------
    ValueError
        On NaN/inf, negative durations, ``loss_fraction`` outside ``[0, 1]``, negative
        start of a non-periodic profile, or shapes that do not broadcast.
    """
    frac = as_float_array("loss_fraction", loss_fraction)
    check_at_most("loss_fraction", frac, 1.0, "1")
    lost = value_profile.integral(start_h, duration_h)
    broadcast_shape(loss_fraction=frac, integral=lost)
    return as_result(frac * lost)


def expected_downtime_h(
    response_mean_h: ArrayLike,
    repair_mean_h: ArrayLike,
    part_wait_mean_h: ArrayLike,
) -> FloatArray:
    """Expected duration of an unplanned stop: response + repair + waiting for parts.

    The three phases are taken as consecutive (crew arrives, the part is waited for if
    it is missing, then the repair), so by linearity of expectation the expected stop is
    the sum of the three means whatever their distributions.  ``part_wait_mean_h`` is
    an unconditional mean: e.g. ``P(stock-out) x expedited lead time``.

    Parameters
    ----------
    response_mean_h : array_like
        Mean call-out, travel and mobilization delay, hours (>= 0).
    repair_mean_h : array_like
        Mean repair (replacement) time, hours (>= 0).
    part_wait_mean_h : array_like
        Mean time waiting for spare parts, hours (>= 0).

    Returns
    -------
    ndarray of float
        Expected downtime, hours.

    Raises
    ------
    ValueError
        On NaN/inf, negative entries or shapes that do not broadcast.
    """
    resp = as_float_array("response_mean_h", response_mean_h)
    rep = as_float_array("repair_mean_h", repair_mean_h)
    wait = as_float_array("part_wait_mean_h", part_wait_mean_h)
    broadcast_shape(response_mean_h=resp, repair_mean_h=rep, part_wait_mean_h=wait)
    return as_result(resp + rep + wait)
