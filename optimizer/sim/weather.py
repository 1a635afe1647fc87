"""Access weather: seasonal two-state (calm/rough) spell series and calm-window search.

A site's weather alternates calm and rough spells.  A spell's length is exponential with
the mean of the calendar month in which it begins (``mean_calm_h[m]``,
``mean_rough_h[m]``), so without seasonality the weather is the stationary two-state
continuous-time Markov chain with rates ``1/a`` (calm -> rough) and ``1/b`` (rough ->
calm), ``a``, ``b`` the mean spells.  The state at the start is drawn from the stationary
law of the start month, ``P(calm) = a / (a + b)``; with exponential spells the chain is
then stationary from ``t = 0``.

Work that needs calm starts at the earliest instant ``t >= now`` with calm throughout
``[t, t + d]`` (``d``: the job's duration, see :func:`next_calm`); it never stops once
started.

Closed form (stationary chain, used by the tests).  From a random instant, the expected
wait for a calm window of length ``>= d`` is, with ``q = exp(-d / a)``,

``E[W] = (a + b) (1 - q) / q - d + b**2 / (a + b)``.

Proof: from the start of a calm spell (or any calm instant: memoryless) the wait ``U``
satisfies ``U = E[C; C < d] + (1 - q) (b + U)`` with ``C ~ Exp(mean a)`` and
``E[C; C < d] = a (1 - q) - d q``, so ``U = (a + b)(1 - q) / q - d``; from a rough instant
one first waits the residual rough spell (mean ``b``), so
``E[W] = U + P(rough) b = U + b**2 / (a + b)``.  See :func:`expected_wait_h`.

Work that stops in rough weather (``weather_interruptible``) instead starts at the first
calm instant and ends once it has had ``d`` calm hours (:func:`calm_finish`); its expected
elapsed time from a random instant is ``b**2 / (a + b) + d (a + b) / a``
(:func:`expected_elapsed_h`).

Times are hours from the plan start.
"""

from __future__ import annotations

import bisect
import math
from datetime import datetime

import numpy as np

from optimizer._typing import FloatArray


def month_starts_h(start: datetime, horizon_h: float) -> tuple[FloatArray, FloatArray]:
    """Starts of the calendar months overlapping ``[0, horizon_h)`` and their month index.

    Parameters
    ----------
    start : datetime
        Plan start (its own clock decides the calendar month).
    horizon_h : float
        Simulated horizon, h.

    Returns
    -------
    starts_h : ndarray, shape (m,)
        ``0`` then the start of every following month before the horizon, h.
    month : ndarray, shape (m,)
        Month of each (0 = January), as float.
    """
    starts = [0.0]
    months = [float(start.month - 1)]
    y, m = start.year, start.month
    while True:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        t = (datetime(y, m, 1, tzinfo=start.tzinfo) - start).total_seconds() / 3600.0
        if t >= horizon_h:
            break
        starts.append(t)
        months.append(float(m - 1))
    return np.asarray(starts), np.asarray(months)


def calm_spells(
    mean_calm_h: FloatArray,
    mean_rough_h: FloatArray,
    starts_h: FloatArray,
    month: FloatArray,
    horizon_h: float,
    rng: np.random.Generator,
) -> FloatArray:
    """One weather series: the calm spells of ``[0, horizon_h)``.

    Vectorised per month: the spells beginning in one month are drawn at once (a batch
    of exponentials, cumulated), so the loop runs once per calendar month, not per spell.

    Parameters
    ----------
    mean_calm_h, mean_rough_h : ndarray, shape (12,)
        Mean calm / rough spell of each month, h.
    starts_h, month : ndarray, shape (m,)
        Month starts and month index (:func:`month_starts_h`).
    horizon_h : float
        Horizon, h.
    rng : numpy.random.Generator
        The site's own stream.

    Returns
    -------
    ndarray, shape (s, 2)
        Disjoint sorted calm intervals ``[start, end)``, h; the last may end past the
        horizon (it is then extended to infinity: the weather after the horizon never
        blocks work).
    """
    m0 = int(month[0])
    a0, b0 = float(mean_calm_h[m0]), float(mean_rough_h[m0])
    calm = bool(rng.random() < a0 / (a0 + b0))
    t = 0.0
    bounds: list[FloatArray] = []  # state switch instants
    first_calm = calm
    ends = np.append(starts_h[1:], horizon_h)
    for k in range(starts_h.size):
        mk = int(month[k])
        a, b = float(mean_calm_h[mk]), float(mean_rough_h[mk])
        end = float(ends[k])
        while t < end:
            # batch sized for the month (alternating means), plus a margin
            nb = int((end - t) / (a + b) * 2.0) + 8
            means = np.where(np.arange(nb) % 2 == 0, a if calm else b, b if calm else a)
            sw = t + np.cumsum(rng.exponential(1.0, nb) * means)
            cut = int(np.searchsorted(sw, end, side="left"))  # first switch >= end
            take = sw[: min(cut + 1, nb)]
            bounds.append(take)
            t = float(take[-1])
            if take.size % 2 == 1:
                calm = not calm
    sw_all = np.concatenate([np.zeros(1), *bounds]) if bounds else np.zeros(1)
    # sw_all[j] .. sw_all[j+1] is a spell; spell 0 is calm iff first_calm
    lo = 0 if first_calm else 1
    begins = sw_all[lo::2]
    finish = np.append(sw_all[lo + 1 :: 2], math.inf)[: begins.size]
    spells = np.column_stack([begins, finish])
    spells = spells[spells[:, 0] < horizon_h]
    if spells.size:
        spells[-1, 1] = math.inf if spells[-1, 1] >= horizon_h else spells[-1, 1]
    if not spells.size or spells[-1, 1] < horizon_h:
        spells = np.vstack([spells.reshape(-1, 2), [[horizon_h, math.inf]]])
    return spells


def next_calm(begins_h: list[float], ends_h: list[float], t: float, d: float) -> float:
    """Earliest instant ``>= t`` with calm throughout ``[s, s + d]``.

    Parameters
    ----------
    begins_h, ends_h : list of float
        Starts and ends of the calm intervals (:func:`calm_spells`; the last is
        open-ended), as lists (bisected without numpy overhead).
    t : float
        Earliest start, h.
    d : float
        Job duration, h (``>= 0``).

    Returns
    -------
    float
    """
    j = bisect.bisect_right(ends_h, t)  # first spell ending after t
    while True:
        s = max(begins_h[j], t)
        if ends_h[j] - s >= d:
            return s
        j += 1


def calm_finish(
    begins_h: list[float], ends_h: list[float], cum_h: list[float], s: float, d: float
) -> float:
    """End of work of ``d`` calm hours started at ``s`` that stops in rough weather.

    Parameters
    ----------
    begins_h, ends_h : list of float
        Calm intervals (:func:`calm_spells`).
    cum_h : list of float
        Calm hours before each interval (``cum_h[0] = 0``).
    s : float
        Start, h.
    d : float
        Calm hours of work, h.

    Returns
    -------
    float
        The instant the ``d``-th calm hour after ``s`` ends, h.
    """
    if d <= 0.0:
        return s
    j = bisect.bisect_right(ends_h, s)  # spell containing s, or the next one
    done = cum_h[j] + max(0.0, s - begins_h[j])  # calm hours before s
    k = bisect.bisect_left(cum_h, done + d) - 1
    return begins_h[k] + (done + d - cum_h[k])


def expected_elapsed_h(mean_calm_h: float, mean_rough_h: float, d: float) -> float:
    """Closed-form expected time from a random instant to the end of ``d`` calm hours of
    work that stops in rough weather (stationary chain with exponential spells), h:
    ``b**2 / (a + b) + d (a + b) / a`` (the wait for calm, then ``d`` calm hours and a
    rough spell of mean ``b`` per calm-spell end, which come at rate ``1/a`` per calm
    hour)."""
    a, b = mean_calm_h, mean_rough_h
    return b * b / (a + b) + d * (a + b) / a


def expected_wait_h(mean_calm_h: float, mean_rough_h: float, d: float) -> float:
    """Closed-form expected wait from a random instant for a calm window of ``d`` hours
    in the stationary chain with exponential spells (module docstring), h."""
    a, b = mean_calm_h, mean_rough_h
    q = math.exp(-d / a)
    return (a + b) * (1.0 - q) / q - d + b * b / (a + b)
