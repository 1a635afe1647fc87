"""Piecewise-constant, optionally periodic, time-varying rates (e.g. production value).

A :class:`ValueProfile` maps time ``t`` in hours from the plan start to a rate (currency
per hour for production value).  The rate is constant on ``[b_j, b_{j+1})`` between
breakpoints (right-continuous), and either holds its last value forever or repeats with
period ``period_h`` (a weekly shift pattern, an annual monthly profile).  Integrals over
any interval are exact: a cumulative table at the breakpoints, ``np.searchsorted``, and
for periodic profiles a count of whole periods plus the remainder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike

from cost_models._checks import FloatArray, as_float_array, as_result, broadcast_shape

HOURS_PER_DAY = 24.0
HOURS_PER_WEEK = 168.0
FOUR_YEAR_CYCLE_H = 1461.0 * HOURS_PER_DAY
"""Four Gregorian years (one leap day), hours: the period of :meth:`ValueProfile.monthly`."""

_COMMENSURATE_RTOL = 1e-9


def _frozen(a: FloatArray) -> FloatArray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class ValueProfile:
    """Piecewise-constant rate over time, optionally periodic.

    The rate is ``values_per_h[j]`` on ``[breakpoints_h[j], breakpoints_h[j + 1])``.
    Without a period the last value holds for ever and times must be ``>= 0``; with
    ``period_h`` the pattern on ``[0, period_h)`` repeats in both directions, so any
    finite time is valid.

    Parameters
    ----------
    breakpoints_h : ndarray of float, shape (m,)
        Segment starts, hours from the plan start: ``breakpoints_h[0] == 0``, strictly
        increasing, and ``< period_h`` when periodic.
    values_per_h : ndarray of float, shape (m,)
        Rate on each segment, currency per hour (finite, >= 0).
    period_h : float or None, default None
        Period of the pattern, hours, or ``None`` for a non-repeating profile.

    Raises
    ------
    ValueError
        On NaN, negative or infinite values, unsorted breakpoints, a first breakpoint
        other than 0, mismatched lengths, or a period not beyond the last breakpoint.

    Examples
    --------
    Two shifts a day, night shift at half value, repeating daily:

    >>> p = ValueProfile(np.array([0.0, 6.0, 22.0]), np.array([50.0, 100.0, 50.0]), 24.0)
    >>> float(p.integral(0.0, 48.0))
    4000.0
    """

    breakpoints_h: FloatArray
    values_per_h: FloatArray
    period_h: float | None = None
    _cum: FloatArray = field(init=False, repr=False)
    _period_integral: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        b = as_float_array("breakpoints_h", self.breakpoints_h)
        v = as_float_array("values_per_h", self.values_per_h)
        if b.ndim != 1 or b.size == 0:
            raise ValueError(f"breakpoints_h: expected a non-empty 1-D array, got shape {b.shape}")
        if v.shape != b.shape:
            raise ValueError(
                f"values_per_h: expected shape {b.shape} like breakpoints_h, got {v.shape}"
            )
        if b[0] != 0.0:
            raise ValueError(f"breakpoints_h: must start at 0 (the plan start), got {b[0]}")
        if np.any(np.diff(b) <= 0):
            raise ValueError("breakpoints_h: must be strictly increasing")
        period: float | None = None
        if self.period_h is not None:
            period = float(as_float_array("period_h", self.period_h))
            if period <= b[-1]:
                raise ValueError(f"period_h: must exceed the last breakpoint {b[-1]}, got {period}")
        # cum[j] = integral of the rate over [0, b_j]; exact sums of rectangles.
        cum = np.concatenate(([0.0], np.cumsum(v[:-1] * np.diff(b))))
        period_integral = (
            float(cum[-1] + v[-1] * (period - b[-1])) if period is not None else float("inf")
        )
        object.__setattr__(self, "breakpoints_h", _frozen(b))
        object.__setattr__(self, "values_per_h", _frozen(v))
        object.__setattr__(self, "period_h", period)
        object.__setattr__(self, "_cum", _frozen(cum))
        object.__setattr__(self, "_period_integral", period_integral)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def constant(cls, value_per_h: float) -> ValueProfile:
        """Profile with the same rate at every time.

        Parameters
        ----------
        value_per_h : float
            Rate, currency per hour (finite, >= 0).

        Returns
        -------
        ValueProfile
            Non-periodic single-segment profile.
        """
        v = float(as_float_array("value_per_h", value_per_h))
        return cls(np.zeros(1), np.array([v]))

    @classmethod
    def periodic_uniform(
        cls, values_per_h: ArrayLike, step_h: float, phase_h: float = 0.0
    ) -> ValueProfile:
        """Periodic profile of equal-length steps, e.g. 168 hourly values for a week.

        Parameters
        ----------
        values_per_h : array_like, shape (n,)
            Rate on each step of the pattern, currency per hour.
        step_h : float
            Length of one step, hours (> 0); the period is ``n * step_h``.
        phase_h : float, default 0.0
            Position in the pattern at the plan start, hours (the plan starts
            ``phase_h`` hours after the pattern's own origin).

        Returns
        -------
        ValueProfile
            Periodic profile ``rate(t) = pattern(t + phase_h)``.
        """
        v = as_float_array("values_per_h", values_per_h)
        if v.ndim != 1 or v.size == 0:
            raise ValueError(f"values_per_h: expected a non-empty 1-D array, got shape {v.shape}")
        step = float(as_float_array("step_h", step_h))
        if step <= 0:
            raise ValueError(f"step_h: must be > 0, got {step}")
        base = cls(np.arange(v.size, dtype=np.float64) * step, v, v.size * step)
        return base.shifted(phase_h)

    @classmethod
    def weekly(cls, values_per_h: ArrayLike, start: datetime) -> ValueProfile:
        """Weekly profile of daily rates Monday..Sunday, aligned with the plan start.

        Days follow ``start``'s wall clock (daylight-saving shifts are not modelled).

        Parameters
        ----------
        values_per_h : array_like, shape (7,)
            Rate on Monday, Tuesday, ..., Sunday, currency per hour.
        start : datetime
            Plan start (``t = 0``).

        Returns
        -------
        ValueProfile
            Periodic profile with period 168 h.
        """
        v = as_float_array("values_per_h", values_per_h)
        if v.shape != (7,):
            raise ValueError(f"values_per_h: a weekly profile needs 7 values, got shape {v.shape}")
        midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
        phase_h = start.weekday() * HOURS_PER_DAY + (start - midnight).total_seconds() / 3600.0
        return cls.periodic_uniform(v, HOURS_PER_DAY, phase_h)

    @classmethod
    def monthly(cls, values_per_h: ArrayLike, start: datetime) -> ValueProfile:
        """Annual profile of monthly rates January..December, aligned with the plan start.

        Month boundaries are the calendar's (28-31 days, leap years included): the
        profile is periodic over four Gregorian years (1461 days), which is exact for
        plans between 1901 and 2099.  Boundaries follow ``start``'s wall clock
        (daylight-saving shifts are not modelled).

        Parameters
        ----------
        values_per_h : array_like, shape (12,)
            Rate in January, ..., December, currency per hour.
        start : datetime
            Plan start (``t = 0``).

        Returns
        -------
        ValueProfile
            Periodic profile with period ``FOUR_YEAR_CYCLE_H``.
        """
        v = as_float_array("values_per_h", values_per_h)
        if v.shape != (12,):
            raise ValueError(
                f"values_per_h: a monthly profile needs 12 values, got shape {v.shape}"
            )
        m0 = start.month - 1
        bounds: list[float] = [0.0]
        vals: list[float] = [float(v[m0])]
        for i in range(1, 49):
            year, month0 = divmod(start.year * 12 + m0 + i, 12)
            boundary = start.replace(
                year=year, month=month0 + 1, day=1, hour=0, minute=0, second=0, microsecond=0
            )
            t_h = (boundary - start).total_seconds() / 3600.0
            if 0.0 < t_h < FOUR_YEAR_CYCLE_H:
                bounds.append(t_h)
                vals.append(float(v[month0]))
        return cls(np.array(bounds), np.array(vals), FOUR_YEAR_CYCLE_H)

    # ------------------------------------------------------------------ evaluation
    @property
    def periodic(self) -> bool:
        """Whether the pattern repeats with ``period_h``."""
        return self.period_h is not None

    @property
    def period_integral(self) -> float:
        """Integral of the rate over one period, currency (``inf`` if not periodic)."""
        return self._period_integral

    def _times(self, name: str, t_h: ArrayLike) -> FloatArray:
        # Periodic profiles are defined for all t; others only from the plan start on.
        return as_float_array(name, t_h, nonnegative=not self.periodic)

    def _reduce(self, t_h: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Split ``t`` into whole periods ``k`` and remainder ``r`` in ``[0, period]``."""
        if self.period_h is None:
            return np.zeros_like(t_h), t_h
        period = self.period_h
        k = np.floor(t_h / period)
        # Rounding can push r a hair outside [0, P]; F(P) == one period, so clipping is exact.
        r = np.clip(t_h - k * period, 0.0, period)
        return k, r

    def _segment(self, r_h: FloatArray) -> FloatArray:
        idx = np.searchsorted(self.breakpoints_h, r_h, side="right") - 1
        return np.clip(idx, 0, self.breakpoints_h.size - 1)

    def _cumulative_in_period(self, r_h: FloatArray) -> FloatArray:
        j = self._segment(r_h)
        return as_result(self._cum[j] + self.values_per_h[j] * (r_h - self.breakpoints_h[j]))

    def rate_at(self, t_h: ArrayLike) -> FloatArray:
        """Rate in force at time ``t_h`` (right-continuous at breakpoints).

        Parameters
        ----------
        t_h : array_like
            Hours from the plan start (>= 0 unless periodic).

        Returns
        -------
        ndarray of float
            Rate, currency per hour, same shape as ``t_h``.

        Raises
        ------
        ValueError
            If ``t_h`` has NaN/inf, or negative entries for a non-periodic profile.
        """
        t = self._times("t_h", t_h)
        _, r = self._reduce(t)
        return as_result(self.values_per_h[self._segment(r)])

    def integral(self, start_h: ArrayLike, duration_h: ArrayLike) -> FloatArray:
        """Exact integral of the rate over ``[start_h, start_h + duration_h]``.

        Parameters
        ----------
        start_h : array_like
            Interval start, hours from the plan start (>= 0 unless periodic).
        duration_h : array_like
            Interval length, hours (finite, >= 0); broadcast against ``start_h``.

        Returns
        -------
        ndarray of float
            Integral, currency (rate units x hours), broadcast shape.

        Raises
        ------
        ValueError
            On NaN/inf, negative durations, negative starts of a non-periodic profile,
            or shapes that do not broadcast.
        """
        start = self._times("start_h", start_h)
        duration = as_float_array("duration_h", duration_h)
        broadcast_shape(start_h=start, duration_h=duration)
        k_a, r_a = self._reduce(start)
        k_b, r_b = self._reduce(start + duration)
        # Whole periods are counted, not accumulated from t = 0, so long horizons keep
        # full relative precision.
        whole = (k_b - k_a) * self._period_integral if self.periodic else 0.0
        total = whole + self._cumulative_in_period(r_b) - self._cumulative_in_period(r_a)
        # The exact integral of a non-negative rate is >= 0; remove rounding residue.
        return as_result(np.maximum(total, 0.0))

    # ------------------------------------------------------------------ transformations
    def _rebuild(
        self,
        candidates_h: FloatArray,
        rate: Callable[[FloatArray], FloatArray],
        period_h: float | None,
        tail_h: float,
    ) -> ValueProfile:
        """Profile with breakpoints ``{0} U candidates`` and values ``rate`` at segment mids.

        Evaluating at midpoints (never at a breakpoint) makes the values immune to
        rounding of shifted or unrolled breakpoints.  ``tail_h`` is a point inside the
        last segment beyond the last breakpoint (for non-periodic results; it is moved
        past the last breakpoint if needed).
        """
        upper = np.inf if period_h is None else period_h
        c = candidates_h[(candidates_h > 0.0) & (candidates_h < upper)]
        b = np.unique(np.concatenate(([0.0], c)))
        if period_h is not None:
            last = 0.5 * (b[-1] + period_h)
        else:
            last = tail_h if tail_h > b[-1] else b[-1] + 1.0
        mids = np.append(0.5 * (b[:-1] + b[1:]), last)
        v = rate(mids)
        # Merge neighbours with equal rates so repeated transformations stay small.
        keep = np.concatenate(([True], v[1:] != v[:-1]))
        return ValueProfile(b[keep], v[keep], period_h)

    def shifted(self, offset_h: float) -> ValueProfile:
        """Profile seen from a later origin: ``new.rate_at(t) == self.rate_at(t + offset_h)``.

        Use it to re-base a profile at a rolling-horizon re-planning instant.

        Parameters
        ----------
        offset_h : float
            New origin, hours on the current time axis (>= 0 unless periodic).

        Returns
        -------
        ValueProfile
            Profile with the same period.
        """
        off = float(self._times("offset_h", offset_h))
        if self.period_h is not None:
            off = off % self.period_h
            cand = np.mod(self.breakpoints_h - off, self.period_h)
        else:
            cand = self.breakpoints_h - off
        tail = float(np.max(cand, initial=0.0)) + 1.0
        return self._rebuild(cand, lambda t: self.rate_at(t + off), self.period_h, tail)

    def scaled(self, factor: float) -> ValueProfile:
        """Profile with every rate multiplied by ``factor`` (>= 0), e.g. multiplier x value.

        Parameters
        ----------
        factor : float
            Non-negative multiplier.

        Returns
        -------
        ValueProfile
            Same breakpoints and period.
        """
        f = float(as_float_array("factor", factor))
        return ValueProfile(self.breakpoints_h, self.values_per_h * f, self.period_h)

    def _unrolled_breakpoints(self, horizon_h: float) -> FloatArray:
        if self.period_h is None:
            return self.breakpoints_h
        n = int(np.ceil(horizon_h / self.period_h))
        starts = np.arange(n, dtype=np.float64)[:, None] * self.period_h
        return (starts + self.breakpoints_h[None, :]).ravel()

    def unrolled(self, horizon_h: float) -> ValueProfile:
        """Non-periodic copy, identical on ``[0, horizon_h]``.

        Beyond ``horizon_h`` the rate in force at ``horizon_h`` holds.

        Parameters
        ----------
        horizon_h : float
            End of the range to reproduce, hours (> 0).

        Returns
        -------
        ValueProfile
            Non-periodic profile (``self`` if already non-periodic).
        """
        h = float(as_float_array("horizon_h", horizon_h))
        if h <= 0:
            raise ValueError(f"horizon_h: must be > 0, got {h}")
        if self.period_h is None:
            return self
        cand = self._unrolled_breakpoints(h)
        cand = cand[cand < h]
        tail = 0.5 * (float(cand.max()) + h)
        return self._rebuild(cand, self.rate_at, None, tail)

    def product(self, other: ValueProfile, horizon_h: float | None = None) -> ValueProfile:
        """Pointwise product of two profiles, e.g. a value profile x outage-window factors.

        Two periodic profiles whose periods are integer multiples of each other give a
        periodic result with the longer period; two non-periodic profiles give a
        non-periodic result.  Any other combination needs ``horizon_h``: both are
        unrolled and the (non-periodic) result is exact on ``[0, horizon_h]``.

        Parameters
        ----------
        other : ValueProfile
            Second factor.
        horizon_h : float, optional
            Range on which the product must be exact, hours.

        Returns
        -------
        ValueProfile
            ``rate(t) = self.rate_at(t) * other.rate_at(t)``.

        Raises
        ------
        ValueError
            If the combination needs ``horizon_h`` and none is given.
        """

        def rate(t: FloatArray) -> FloatArray:
            return as_result(self.rate_at(t) * other.rate_at(t))

        p1, p2 = self.period_h, other.period_h
        if p1 is not None and p2 is not None and horizon_h is None:
            long_p, short_p = max(p1, p2), min(p1, p2)
            ratio = long_p / short_p
            if abs(ratio - round(ratio)) > _COMMENSURATE_RTOL * ratio:
                raise ValueError(
                    f"horizon_h: periods {p1} h and {p2} h are not multiples of each other; "
                    "give horizon_h to unroll them"
                )
            cand = np.concatenate(
                (self._unrolled_breakpoints(long_p), other._unrolled_breakpoints(long_p))
            )
            return self._rebuild(cand, rate, long_p, long_p)
        if p1 is None and p2 is None and horizon_h is None:
            cand = np.concatenate((self.breakpoints_h, other.breakpoints_h))
            return self._rebuild(cand, rate, None, float(cand.max()) + 1.0)
        if horizon_h is None:
            raise ValueError("horizon_h: required to multiply a periodic by a non-periodic profile")
        a, b = self.unrolled(horizon_h), other.unrolled(horizon_h)
        cand = np.concatenate((a.breakpoints_h, b.breakpoints_h))
        h = float(horizon_h)
        cand = cand[cand < h]
        tail = 0.5 * (float(cand.max()) + h)
        return self._rebuild(cand, lambda t: as_result(a.rate_at(t) * b.rate_at(t)), None, tail)
