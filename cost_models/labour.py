"""Labour: crew cost at regular and overtime rates, call-out premium, overtime split."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from cost_models._checks import (
    FloatArray,
    as_float_array,
    as_result,
    broadcast_shape,
    check_at_most,
)


def split_overtime(
    hours: ArrayLike, regular_available_h: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Split work hours into regular time and overtime.

    Work is done in regular time first; what exceeds ``regular_available_h`` is overtime.

    Parameters
    ----------
    hours : array_like
        Work hours per technician (>= 0).
    regular_available_h : array_like
        Regular (straight-time) hours available for the work, >= 0; ``inf`` = unlimited.

    Returns
    -------
    regular_h : ndarray of float
        ``min(hours, regular_available_h)``.
    overtime_h : ndarray of float
        ``max(hours - regular_available_h, 0)``; ``regular_h + overtime_h == hours``.

    Raises
    ------
    ValueError
        On NaN, negative entries, infinite ``hours`` or shapes that do not broadcast.
    """
    h = as_float_array("hours", hours)
    avail = as_float_array("regular_available_h", regular_available_h, allow_inf=True)
    broadcast_shape(hours=h, regular_available_h=avail)
    regular = np.minimum(h, avail)
    return as_result(regular), as_result(h - regular)


def labour_cost(
    hours: ArrayLike,
    crew_qty: ArrayLike,
    rate_per_h: ArrayLike,
    *,
    overtime_h: ArrayLike = 0.0,
    overtime_factor: ArrayLike = 1.5,
    callout_premium: ArrayLike = 0.0,
) -> FloatArray:
    """Cost of a crew doing a job.

    ``cost = crew_qty * rate_per_h * ((hours - overtime_h) + overtime_factor * overtime_h)
    + callout_premium``.

    Parameters
    ----------
    hours : array_like
        Duration of the job per technician, hours (>= 0), overtime included.
    crew_qty : array_like
        Number of technicians working simultaneously (>= 0; fractional values are
        allowed for averaged crews).
    rate_per_h : array_like
        Regular cost of one technician-hour, currency per hour (>= 0).
    overtime_h : array_like, default 0.0
        Part of ``hours`` worked in overtime (``0 <= overtime_h <= hours``), e.g. from
        :func:`split_overtime`.
    overtime_factor : array_like, default 1.5
        Overtime rate as a multiple of ``rate_per_h`` (>= 1).
    callout_premium : array_like, default 0.0
        Fixed premium per call-out (per job, not per technician), currency (>= 0);
        0 for planned work.

    Returns
    -------
    ndarray of float
        Labour cost, currency, broadcast shape of the arguments.

    Raises
    ------
    ValueError
        On NaN/inf, negative entries, ``overtime_h > hours``, ``overtime_factor < 1`` or
        shapes that do not broadcast.
    """
    h = as_float_array("hours", hours)
    crew = as_float_array("crew_qty", crew_qty)
    rate = as_float_array("rate_per_h", rate_per_h)
    ot = as_float_array("overtime_h", overtime_h)
    factor = as_float_array("overtime_factor", overtime_factor)
    callout = as_float_array("callout_premium", callout_premium)
    broadcast_shape(
        hours=h,
        crew_qty=crew,
        rate_per_h=rate,
        overtime_h=ot,
        overtime_factor=factor,
        callout_premium=callout,
    )
    check_at_most("overtime_h", ot, h, "hours")
    if np.any(factor < 1.0):
        raise ValueError(f"overtime_factor: must be >= 1, got {float(np.min(factor))}")
    paid_h = (h - ot) + factor * ot
    return as_result(crew * rate * paid_h + callout)
