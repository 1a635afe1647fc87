"""A digital twin of configurable accuracy, for simulation ("twin in the loop").

At any decision instant the simulator knows the true remaining operating life ``R`` of
every installed part.  The twin does not report ``R``; it reports a residual-life
*distribution* whose centre is near ``R`` and whose error shrinks as failure approaches.

Model
-----
For a twin of accuracy ``sigma`` (``perfect`` 0, ``good`` 0.15, ``poor`` 0.5) and a part
whose new-part mean life is ``M``:

* spread ``s(R) = sigma * max(sqrt(2 R / (R + M)), f)``: ``sigma`` for a new part
  (``R ~ M``), shrinking like ``sqrt(R)`` as the part nears failure (the degradation
  signal grows stronger) down to the error floor ``f sigma`` (:data:`ERROR_FLOOR`
  ``f = 0.35``: a prognostic is never exact, so a ``poor`` twin keeps a log-error of
  0.175 and a ``good`` one 0.05 in the last weeks instead of becoming perfect), and at
  most ``sigma * sqrt(2)`` for very long lives;
* error ``z ~ N(0, 1)``, drawn once per (component, life) from that component's random
  stream, so the twin is consistently optimistic or pessimistic about one part (a biased
  estimate that converges, not fresh noise at every look) and every strategy sees the
  same twin for the same part (common random numbers);
* report: ``Lognormal(median = R exp(s(R) z), sigma = s(R))``.  Given the report, the
  truth is ``R = median exp(-s z)``, i.e. lognormal around the reported median with the
  reported spread: the twin is calibrated.  The absolute error ``|median - R|`` shrinks
  like ``R^1.5`` and, at the floor, like ``R``.  Not modelled (stated): missed
  detections and a bias common to a whole fleet.
* ``perfect``: the point mass at ``R``;  ``none``: no twin, the population residual life
  given the part's age (the same information an age-based plan has).

The reported ``q``-quantile ``Q(R) = R exp(s(R) (z + Phi^-1(q)))`` increases with ``R``
whenever ``0.28 sigma |z + Phi^-1(q)| < 1`` (true for every draw that matters at the
accuracies above), so "the quantile falls below a threshold" happens at a single true
residual life ``R_c``, found by :meth:`Twin.crossing`.

References
----------
.. [1] K. Goebel, M. Daigle, A. Saxena et al., *Prognostics: The Science of Making
   Predictions*, 2017, ch. 7 (uncertainty of RUL predictions shrinking towards end of
   life; lognormal/normal RUL reports).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special as sc

from optimizer._typing import FloatArray
from optimizer.reliability import distributions as rul

TWIN_SIGMA: dict[str, float | None] = {"perfect": 0.0, "good": 0.15, "poor": 0.5, "none": None}
"""Accuracy levels: spread ``sigma`` of the twin's log-error for a new part."""

ERROR_FLOOR = 0.35
"""Smallest spread of a twin's log-error, as a fraction of its nominal ``sigma``."""

TWIN_ACCURACIES: tuple[str, ...] = ("none", "poor", "good", "perfect")
"""The accuracy levels from worst to best."""


@functools.lru_cache(maxsize=64)
def _normal_quantile(q: float) -> float:
    """``Phi^-1(q)`` (cached: one quantile level per strategy, asked at every install)."""
    return float(sc.ndtri(q))


@dataclass(frozen=True)
class Twin:
    """A twin of one accuracy level (see the module docstring).

    Parameters
    ----------
    accuracy : {"perfect", "good", "poor", "none"}
        Accuracy level.

    Raises
    ------
    ValueError
        On an unknown accuracy.
    """

    accuracy: str

    def __post_init__(self) -> None:
        if self.accuracy not in TWIN_SIGMA:
            raise ValueError(
                f"twin_accuracy must be one of {sorted(TWIN_SIGMA)}, got {self.accuracy!r}"
            )

    @property
    def sigma(self) -> float | None:
        """Log-error spread for a new part (``None`` when there is no twin)."""
        return TWIN_SIGMA[self.accuracy]

    @property
    def informative(self) -> bool:
        """Whether the twin sees the individual part (anything but ``none``)."""
        return self.sigma is not None

    def spread(self, r_h: ArrayLike, mean_life_h: ArrayLike) -> FloatArray:
        """``s(R) = sigma max(sqrt(2 R / (R + M)), ERROR_FLOOR)`` (0 for ``perfect``).

        Parameters
        ----------
        r_h : array_like
            True remaining life, operating hours (>= 0).
        mean_life_h : array_like
            Mean life of a new part ``M``, hours (> 0).

        Returns
        -------
        ndarray
        """
        sig = self.sigma
        if sig is None:
            raise ValueError("twin_accuracy 'none' has no spread: use the population residual")
        r = np.maximum(np.asarray(r_h, dtype=np.float64), 0.0)
        m = np.asarray(mean_life_h, dtype=np.float64)
        shape = np.maximum(np.sqrt(2.0 * r / (r + m)), ERROR_FLOOR)
        return np.asarray(sig * shape, dtype=np.float64)

    def report(
        self, r_h: ArrayLike, z: ArrayLike, mean_life_h: ArrayLike
    ) -> tuple[FloatArray, FloatArray]:
        """Median and log-spread of the reported residual life.

        Parameters
        ----------
        r_h : array_like
            True remaining life, operating hours.
        z : array_like
            The part's standard normal error.
        mean_life_h : array_like
            New-part mean life, hours.

        Returns
        -------
        median_h, sigma : ndarray
            Reported ``Lognormal(median_h, sigma)`` (``sigma = 0``: point mass).
        """
        s = self.spread(r_h, mean_life_h)
        r = np.maximum(np.asarray(r_h, dtype=np.float64), 0.0)
        return np.asarray(r * np.exp(s * np.asarray(z)), dtype=np.float64), s

    def quantile(
        self, q: float, r_h: ArrayLike, z: ArrayLike, mean_life_h: ArrayLike
    ) -> FloatArray:
        """Reported ``q``-quantile of the residual life, operating hours."""
        med, s = self.report(r_h, z, mean_life_h)
        return np.asarray(med * np.exp(s * float(sc.ndtri(q))), dtype=np.float64)

    def distribution(self, r_h: float, z: float, mean_life_h: float) -> rul.LifeDistribution:
        """The reported residual life as a :mod:`~optimizer.reliability.distributions` object."""
        med, s = self.report(r_h, z, mean_life_h)
        if float(s) <= 0.0 or float(med) <= 0.0:
            return rul.Deterministic(max(float(med), 1e-9))
        return rul.Lognormal(float(med), float(s))

    def crossing(
        self, q: float, threshold_h: float, r0_h: float, z: float, mean_life_h: float
    ) -> float:
        """True remaining life at which the reported ``q``-quantile falls to a threshold.

        Parameters
        ----------
        q : float
            Quantile level in ``(0, 1)``.
        threshold_h : float
            Threshold, operating hours (> 0).
        r0_h : float
            True remaining life now (the largest value to consider).
        z : float
            The part's error.
        mean_life_h : float
            New-part mean life, hours.

        Returns
        -------
        float
            ``R_c`` in ``[0, r0_h]``: the quantile is above the threshold for
            ``R > R_c``; ``r0_h`` when it is already at or below it now.
        """
        sig = self.sigma
        if sig is None:
            raise ValueError("twin_accuracy 'none': use the population residual instead")
        w = z + _normal_quantile(q)
        m = mean_life_h
        log_t = math.log(threshold_h)
        log, exp, sqrt, floor = math.log, math.exp, math.sqrt, ERROR_FLOOR
        # f(r) = log(r) + sig max(sqrt(2 r / (r + m)), floor) w - log_t, inlined (the
        # simulator's hot path; ``g = max(g, floor)`` as an ``if``: the same float)
        if r0_h <= 0.0:
            return max(r0_h, 0.0)
        hi = log(r0_h)
        g = sqrt(2.0 * r0_h / (r0_h + m))
        if g < floor:
            g = floor
        if hi + sig * g * w - log_t <= 0.0:
            return r0_h
        # f(e^lo) < 0 without evaluating it: sig g w >= -sqrt(2) |sig w| (g < sqrt(2)),
        # so f(e^lo) <= -2 - (2 - sqrt(2)) |sig w| < 0
        lo = log_t - 2.0 * abs(sig * w) - 2.0
        # Speed-up that leaves the result unchanged to the last bit: when
        # F(x) = f(e^x) has slope >= 1/2 in x = log r (|dg/dx| <= 0.2722 for
        # g = sqrt(2 r / (r + m)), so 0.28 |sig w| <= 1/2 suffices), an estimate x_n of
        # its root with |x_n - root| < 3e-13 tells the sign of F at every bisection
        # midpoint more than 1e-12 from x_n (|F| > 3.5e-13 there, far above the
        # rounding of F's evaluation, < 1e-14 for |log r| < 40); only the midpoints
        # inside that band are evaluated.  The estimate: where the root lies in the
        # error floor (g < floor, the common case near failure), F is
        # x + sig floor w - log_t there and the root is x_c = log_t - sig floor w (to
        # the rounding of that expression); else a Newton estimate (|x_n - root| <=
        # 2 |F(x_n)| < 3e-13 once the step is < 1e-13).  Without either the band is
        # the whole line: every midpoint is evaluated.
        band_lo, band_hi = -math.inf, math.inf
        sw = sig * w
        if 0.28 * abs(sw) <= 0.5:
            x = log_t - sw * floor
            r = exp(x)
            if lo < x < hi and sqrt(2.0 * r / (r + m)) < floor * (1.0 - 1e-9):
                band_lo, band_hi = x - 1e-12, x + 1e-12
            else:
                x = hi
                for _ in range(20):
                    r = exp(x)
                    g = sqrt(2.0 * r / (r + m))
                    if g < floor:
                        g, dg = floor, 0.0
                    else:
                        dg = 0.5 * g * m / (r + m)
                    step = (x + sw * g - log_t) / (1.0 + sw * dg)
                    x = min(max(x - step, lo), hi)
                    if abs(step) < 1e-13:
                        band_lo, band_hi = x - 1e-12, x + 1e-12
                        break
        for _ in range(48):  # bisection in log r; f inlined (the simulator's hot path)
            mid = 0.5 * (lo + hi)
            if mid > band_hi:  # F(mid) > 0
                hi = mid
                continue
            if mid < band_lo:  # F(mid) < 0
                lo = mid
                continue
            r = exp(mid)
            g = sqrt(2.0 * r / (r + m))
            if g < floor:  # (max(g, floor), the same float)
                g = floor
            if log(r) + sig * g * w - log_t > 0.0:
                hi = mid
            else:
                lo = mid
        return math.exp(lo)
