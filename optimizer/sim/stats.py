"""Monte Carlo statistics: means with confidence intervals and paired differences.

Replications are independent, so a KPI's sample mean has the Student-t confidence
interval ``mean +- t_{1 - alpha/2, n - 1} s / sqrt(n)``.  Two strategies simulated with
common random numbers are compared through the *paired* differences of their
replications (same replication index = same random numbers), whose variance is
``var(A) + var(B) - 2 cov(A, B)``: much smaller than for independent runs when the
strategies face the same failures.

:class:`RunningStats` accumulates a vector of KPIs one replication at a time (Welford's
update), so memory does not grow with the number of replications, and the result does
not depend on how replications were batched or parallelised as long as they are added
in replication order.

Quantities that cannot be negative (costs, counts, hours) or exceed one (availability)
get the t interval intersected with their range, ``[max(lo, mean - h), min(hi, mean + h)]``.
Intersecting a confidence set with the parameter space never lowers its coverage (the true
mean always lies in the range, so it is in the intersection whenever it is in the interval),
and it removes the impossible "68 [-26, 162]" of a skewed cost with few replications. The
t interval is kept (not a bootstrap) so that the streaming, batch-independent accumulation
stays possible; with few replications of a heavily skewed KPI its coverage is approximate,
as for any CLT-based interval [2]_.

References
----------
.. [1] B. P. Welford, "Note on a method for calculating corrected sums of squares and
   products", Technometrics 4(3) (1962) 419-420.
.. [2] A. M. Law, *Simulation Modeling and Analysis*, 5th ed., McGraw-Hill, 2015,
   sections 9.4 (confidence intervals) and 10.2 (paired-t comparison, common random
   numbers).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as sps

from optimizer._typing import FloatArray

__all__ = ["Estimate", "RunningStats", "mean_ci", "paired_ci", "ratio_ci", "t_quantile"]


def t_quantile(confidence: float, n: int) -> float:
    """Two-sided Student-t critical value ``t_{(1 + confidence) / 2, n - 1}``.

    Parameters
    ----------
    confidence : float
        Confidence level in ``(0, 1)``, e.g. 0.95.
    n : int
        Number of observations (``>= 2``).

    Returns
    -------
    float
        The critical value.

    Raises
    ------
    ValueError
        If ``confidence`` is not in ``(0, 1)`` or ``n < 2``.
    """
    if not (0.0 < confidence < 1.0):
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    if n < 2:
        raise ValueError(f"n must be >= 2 for a confidence interval, got {n}")
    return float(sps.t.ppf(0.5 * (1.0 + confidence), n - 1))


@dataclass(frozen=True)
class Estimate:
    """A mean with its confidence interval.

    Parameters
    ----------
    mean : float
        Sample mean.
    ci_low, ci_high : float
        Confidence interval bounds (``nan`` with fewer than 2 observations).
    sd : float
        Sample standard deviation (``nan`` with fewer than 2 observations).
    n : int
        Number of observations.
    confidence : float
        Confidence level of the interval.
    """

    mean: float
    ci_low: float
    ci_high: float
    sd: float
    n: int
    confidence: float = 0.95

    @property
    def half_width(self) -> float:
        """Half-width of the confidence interval."""
        return 0.5 * (self.ci_high - self.ci_low)

    def within(self, low: float, high: float) -> Estimate:
        """The interval intersected with the range ``[low, high]`` the quantity lives in.

        Parameters
        ----------
        low, high : float
            Range of the estimated mean (e.g. ``0, inf`` for a cost or a count).

        Returns
        -------
        Estimate
            The same estimate with ``ci_low >= low`` and ``ci_high <= high`` (``nan``
            bounds stay ``nan``).
        """
        lo = self.ci_low if not self.ci_low < low else low
        hi = self.ci_high if not self.ci_high > high else high
        return Estimate(self.mean, float(lo), float(hi), self.sd, self.n, self.confidence)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serializable form (``nan`` becomes ``None``)."""

        def clean(x: float) -> float | None:
            return None if not math.isfinite(x) else float(x)

        return {
            "mean": clean(self.mean),
            "ci_low": clean(self.ci_low),
            "ci_high": clean(self.ci_high),
            "sd": clean(self.sd),
            "n": int(self.n),
            "confidence": float(self.confidence),
        }


def _estimate(mean: float, var: float, n: int, confidence: float) -> Estimate:
    if n < 2:
        return Estimate(mean, math.nan, math.nan, math.nan, n, confidence)
    sd = math.sqrt(max(var, 0.0))
    half = t_quantile(confidence, n) * sd / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, sd, n, confidence)


def mean_ci(values: ArrayLike, confidence: float = 0.95) -> Estimate:
    """Sample mean of independent observations with its Student-t confidence interval.

    Parameters
    ----------
    values : array_like, shape (n,)
        Observations (e.g. one KPI value per replication), finite.
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    Estimate

    Raises
    ------
    ValueError
        If ``values`` is empty, not 1-D, or contains NaN/inf.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"values must be a non-empty 1-D array, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("values must be finite (no NaN or inf)")
    n = int(x.size)
    var = float(np.var(x, ddof=1)) if n > 1 else math.nan
    return _estimate(float(np.mean(x)), var, n, confidence)


def paired_ci(a: ArrayLike, b: ArrayLike, confidence: float = 0.95) -> Estimate:
    """Mean of the paired differences ``a - b`` with its confidence interval.

    Parameters
    ----------
    a, b : array_like, shape (n,)
        Observations of two alternatives on the same replications (common random
        numbers): ``a[r]`` and ``b[r]`` used the same random numbers.
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    Estimate
        Estimate of ``E[A - B]``.

    Raises
    ------
    ValueError
        If the arrays differ in shape, are empty or contain NaN/inf.
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"a and b must have the same shape, got {x.shape} and {y.shape}")
    return mean_ci(x - y, confidence)


def _ratio_estimate(
    mx: float, my: float, vx: float, vy: float, cxy: float, n: int, confidence: float
) -> Estimate:
    if my <= 0.0 or not math.isfinite(my):
        return Estimate(math.nan, math.nan, math.nan, math.nan, n, confidence)
    r = mx / my
    if n < 2:
        return Estimate(r, math.nan, math.nan, math.nan, n, confidence)
    var = max(vx - 2.0 * r * cxy + r * r * vy, 0.0) / (my * my)
    sd = math.sqrt(var)
    half = t_quantile(confidence, n) * sd / math.sqrt(n)
    return Estimate(r, r - half, r + half, sd, n, confidence)


def ratio_ci(x: ArrayLike, y: ArrayLike, confidence: float = 0.95) -> Estimate:
    """Ratio of means ``sum(x) / sum(y)`` with its delta-method confidence interval.

    The estimator of ``E[X] / E[Y]`` from paired observations (e.g. up hours and failures
    of each replication: a mean time between failures); its variance is
    ``(s_x^2 - 2 R s_xy + R^2 s_y^2) / (n ybar^2)`` (delta method, [2]_ section 9.6),
    with the Student-t quantile.  ``nan`` when ``ybar = 0``.

    Parameters
    ----------
    x, y : array_like
        Numerator and denominator of each replication, same length.
    confidence : float, default 0.95

    Returns
    -------
    Estimate
        ``sd`` is that of the linearised ``(x - R y) / ybar``.
    """
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"x and y must be 1-D of the same length, got {a.shape} and {b.shape}")
    n = a.size
    if n == 0:
        raise ValueError("need at least one observation")
    vx = float(np.var(a, ddof=1)) if n > 1 else math.nan
    vy = float(np.var(b, ddof=1)) if n > 1 else math.nan
    cxy = float(np.cov(a, b, ddof=1)[0, 1]) if n > 1 else math.nan
    return _ratio_estimate(float(a.mean()), float(b.mean()), vx, vy, cxy, n, confidence)


class RunningStats:
    """Streaming mean and variance of a vector of KPIs (Welford's algorithm).

    Parameters
    ----------
    names : sequence of str
        KPI names, one per vector entry.
    ranges : mapping of str to (float, float), optional
        The range each named KPI's mean lives in (e.g. ``(0, inf)`` for costs); its
        confidence interval is intersected with it (see the module notes). KPIs not
        named are unbounded.
    ratios : mapping of str to (str, str), optional
        Ratio KPIs ``name -> (numerator, denominator)`` (names of entries): estimated as
        a ratio of means with the delta-method interval of :func:`ratio_ci` (the
        co-moment of each pair is accumulated with the means), added to
        :meth:`estimates` under ``name``.

    Notes
    -----
    Adding the same rows in the same order gives bit-identical results, whatever the
    batching upstream; the simulator therefore adds replications in replication order.
    """

    def __init__(
        self,
        names: Sequence[str],
        ranges: Mapping[str, tuple[float, float]] | None = None,
        ratios: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self.names: tuple[str, ...] = tuple(names)
        self.ranges: dict[str, tuple[float, float]] = dict(ranges or {})
        self.n = 0
        self._mean = np.zeros(len(self.names))
        self._m2 = np.zeros(len(self.names))
        pos = {name: j for j, name in enumerate(self.names)}
        self.ratios: dict[str, tuple[str, str]] = dict(ratios or {})
        for name, (num, den) in self.ratios.items():
            if num not in pos or den not in pos:
                raise ValueError(f"ratio {name}: {num!r} and {den!r} must be KPI names")
        self._num = np.array([pos[a] for a, _ in self.ratios.values()], dtype=np.int64)
        self._den = np.array([pos[b] for _, b in self.ratios.values()], dtype=np.int64)
        self._c = np.zeros(len(self.ratios))

    def add(self, row: ArrayLike) -> None:
        """Add one observation of every KPI.

        Parameters
        ----------
        row : array_like, shape (k,)
            One value per KPI (finite).

        Raises
        ------
        ValueError
            On a wrong length or non-finite values.
        """
        x = np.asarray(row, dtype=np.float64)
        if x.shape != self._mean.shape:
            raise ValueError(f"row must have shape {self._mean.shape}, got {x.shape}")
        if not np.all(np.isfinite(x)):
            bad = [self.names[j] for j in np.flatnonzero(~np.isfinite(x))]
            raise ValueError(f"row has non-finite values for {bad}")
        self.n += 1
        delta = x - self._mean
        self._mean += delta / self.n
        self._m2 += delta * (x - self._mean)
        if self._c.size:
            self._c += delta[self._num] * (x[self._den] - self._mean[self._den])

    @property
    def mean(self) -> FloatArray:
        """Current means, shape ``(k,)``."""
        return self._mean.copy()

    @property
    def variance(self) -> FloatArray:
        """Sample variances (``ddof = 1``), ``nan`` with fewer than 2 rows."""
        if self.n < 2:
            return np.full(self._mean.shape, math.nan)
        return self._m2 / (self.n - 1)

    def estimates(self, confidence: float = 0.95) -> dict[str, Estimate]:
        """Mean and confidence interval of every KPI.

        Parameters
        ----------
        confidence : float, default 0.95
            Confidence level.

        Returns
        -------
        dict of str to Estimate
        """
        var = self.variance
        out: dict[str, Estimate] = {}
        for j, name in enumerate(self.names):
            est = _estimate(float(self._mean[j]), float(var[j]), self.n, confidence)
            if name in self.ranges:
                est = est.within(*self.ranges[name])
            out[name] = est
        cov = self._c / (self.n - 1) if self.n >= 2 else np.full(self._c.shape, math.nan)
        for j, name in enumerate(self.ratios):
            a, b = int(self._num[j]), int(self._den[j])
            est = _ratio_estimate(
                float(self._mean[a]),
                float(self._mean[b]),
                float(var[a]),
                float(var[b]),
                float(cov[j]),
                self.n,
                confidence,
            )
            if name in self.ranges:
                est = est.within(*self.ranges[name])
            out[name] = est
        return out
