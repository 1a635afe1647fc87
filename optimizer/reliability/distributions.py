"""Life and residual-life distributions of components (all times in hours).

Every distribution is a *batch* of distributions: each parameter may be a scalar or a
numpy array, and every method broadcasts its parameters against its argument exactly
like a frozen ``scipy.stats`` distribution.  A caller with ``n`` components writes::

    d = Weibull(shape=beta[:, None], scale_h=eta[:, None])
    d.sf(t_grid_h)            # shape (n, T)

All methods are vectorized with numpy / ``scipy.special`` closed forms (no per-element
Python), because the penalty curves, the scheduler and the Monte Carlo simulator call
them very often.

Conventions
-----------
* Times ``t`` are hours.  ``t < 0`` is *before the part's life starts*: ``sf = 1``,
  ``cdf = 0``, ``pdf = hazard = cum_hazard = int_sf = 0``.  ``t = +inf`` is allowed
  (``sf = 0``, ``int_sf = mean``).  NaN raises ``ValueError``.
* Probabilities ``q`` given to :meth:`LifeDistribution.ppf` must lie in ``[0, 1]``.
* Methods return ``numpy.ndarray`` of ``float64`` (0-d for scalar input and batch).
* Tails are computed in log space (cumulative hazard ``H = -log S``), so survival
  probabilities far below ``1e-300`` and residual lives of very old parts stay finite
  and accurate.
* :meth:`LifeDistribution.sample` is inverse-transform sampling: ``ppf(U)`` with ``U``
  uniform from the passed generator.  The same uniforms therefore give monotonically
  coupled draws across strategies (common random numbers).

References
----------
.. [1] R. E. Barlow and F. Proschan, *Mathematical Theory of Reliability*, Wiley, 1965
   (survival, hazard, mean residual life; ``integral_0^t S`` in age replacement).
.. [2] E. L. Kaplan and P. Meier, "Nonparametric estimation from incomplete
   observations", J. Amer. Statist. Assoc. 53 (1958) 457-481.
.. [3] W. H. Press et al., *Numerical Recipes*, 3rd ed., 2007, section 6.2 (continued
   fraction of the upper incomplete gamma function, modified Lentz algorithm).
.. [4] NASA ProgPy (https://github.com/nasa/progpy), ``UnweightedSamples`` and
   ``MultivariateNormalDist`` uncertain-data types, for :func:`progpy_samples` and
   :func:`progpy_normal`.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special as sc

from optimizer._typing import FloatArray

__all__ = [
    "FAMILIES",
    "FAMILY_OF",
    "Deterministic",
    "Empirical",
    "Exponential",
    "Family",
    "Gamma",
    "LifeDistribution",
    "Lognormal",
    "Normal",
    "Residual",
    "Weibull",
    "from_spec",
    "progpy_normal",
    "progpy_samples",
]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# Below this value gammaincc is near its underflow, so its log is taken from the
# continued fraction instead (keeps -log S finite for astronomically old parts).
_GAMMAINCC_TINY = 1e-250


# ---------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------
def _f(x: Any) -> FloatArray:
    """``x`` as a float64 array (no copy when already one)."""
    return np.asarray(x, dtype=np.float64)


def _param(name: str, value: ArrayLike, *, positive: bool = True) -> FloatArray:
    """Validate a distribution parameter: finite (and > 0 when ``positive``)."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf), got {value!r}")
    if positive and not np.all(arr > 0.0):
        raise ValueError(f"{name} must be > 0, got {value!r}")
    arr.setflags(write=False)
    return arr


def _log_gammaincc(s: ArrayLike, x: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Log of the regularized upper incomplete gamma function and the standard hazard.

    Parameters
    ----------
    s : array_like
        Shape ``> 0``.
    x : array_like
        Argument ``>= 0`` (``+inf`` allowed).

    Returns
    -------
    log_q : ndarray
        ``log Q(s, x)``, accurate also where ``Q`` underflows.
    log_rho : ndarray
        ``log( x**(s-1) exp(-x) / (Gamma(s) Q(s, x)) )``: log hazard of a standard gamma
        variable at ``x``.

    References
    ----------
    Press et al., Numerical Recipes 3rd ed., section 6.2 (continued fraction ``gcf``,
    modified Lentz), used where ``Q < 1e-250``.
    """
    s_b, x_b = np.broadcast_arrays(_f(s), _f(x))
    q = _f(sc.gammaincc(s_b, x_b))
    log_q = np.array(np.log(q), dtype=np.float64)
    # log(Q) is accurate when Q is small, log1p(-P) when Q is close to 1 (P only there).
    big = q > 0.5
    if np.any(big):
        log_q[big] = np.log1p(-sc.gammainc(s_b[big], x_b[big]))
    log_rho = sc.xlogy(s_b - 1.0, x_b) - x_b - sc.gammaln(s_b) - log_q
    inf = np.isposinf(x_b)
    tiny = (q < _GAMMAINCC_TINY) & (x_b > s_b + 1.0) & ~inf
    if np.any(tiny):
        a = s_b[tiny]
        xx = x_b[tiny]
        fpmin = 1e-300
        b = xx + 1.0 - a
        c = np.full_like(xx, 1.0 / fpmin)
        d = 1.0 / b
        h = d.copy()
        for i in range(1, 2000):
            an = -i * (i - a)
            b = b + 2.0
            d = an * d + b
            d = np.where(np.abs(d) < fpmin, fpmin, d)
            c = b + an / c
            c = np.where(np.abs(c) < fpmin, fpmin, c)
            d = 1.0 / d
            delta = d * c
            h = h * delta
            if np.all(np.abs(delta - 1.0) < 1e-15):
                break
        log_h = np.log(h)
        lq = -xx + a * np.log(xx) - sc.gammaln(a) + log_h
        log_rho = np.array(log_rho, dtype=np.float64)
        log_q[tiny] = lq
        log_rho[tiny] = -np.log(xx) - log_h
    # The standard gamma hazard tends to 1 at infinity.
    log_q = np.where(inf, -np.inf, log_q)
    log_rho = np.where(inf, 0.0, log_rho)
    return _f(log_q), _f(log_rho)


def _log_g(w: FloatArray, *, scaled: bool = False) -> FloatArray:
    """``log G(w)`` with ``G(w) = integral_{-inf}^w Phi = w Phi(w) + phi(w)``.

    For ``w < -5`` uses ``Phi(w) = erfcx(-w/sqrt 2) exp(-w^2/2) / 2`` so that the result
    does not underflow (the bracket then loses about ``log10(w^2)`` digits only), and for
    ``w < -100`` the asymptotic series of Mills' ratio.  With ``scaled`` the result is
    ``log G(w) + w^2/2`` (only meant for ``w <= 0``), free of the large ``w^2/2`` terms.
    """
    with np.errstate(all="ignore"):
        half_w2 = 0.0 if scaled else 0.5 * w * w
        direct = np.log(w * sc.ndtr(w) + np.exp(-0.5 * w * w) * _INV_SQRT_2PI)
        if scaled:
            direct = direct + 0.5 * w * w
        aw = np.abs(w)
        bracket = _INV_SQRT_2PI - aw * 0.5 * sc.erfcx(aw / math.sqrt(2.0))
        tail = -half_w2 + np.log(bracket)
        # Far out the bracket cancels (~log10(w^2) digits): asymptotic series of the
        # Mills ratio, G(w) = phi(w) u (1 - 3u + 15u^2 - 105u^3 + 945u^4), u = 1/w^2.
        u = 1.0 / (w * w)
        series = u * (1.0 - 3.0 * u * (1.0 - 5.0 * u * (1.0 - 7.0 * u * (1.0 - 9.0 * u))))
        far = -half_w2 - _LOG_SQRT_2PI + np.log(series)
        out = np.where(w >= -5.0, direct, np.where(w < -100.0, far, tail))
        out = np.where(np.isneginf(w), -np.inf, out)
    return _f(out)


# ---------------------------------------------------------------------------------------
# base class
# ---------------------------------------------------------------------------------------
class LifeDistribution(abc.ABC):
    """A batch of lifetime distributions on ``[0, inf)``; times in hours.

    Subclasses implement the private kernels (``_sf``, ``_cum_hazard`` ...), which
    receive times already validated and clipped to ``[0, inf]``; the public methods add
    input checks and the ``t < 0`` / ``t = inf`` conventions of the module docstring.
    """

    # ----- kernels (t >= 0, may be +inf; results there are replaced by the public layer)
    @abc.abstractmethod
    def _sf(self, t: FloatArray) -> FloatArray: ...

    @abc.abstractmethod
    def _cdf(self, t: FloatArray) -> FloatArray: ...

    @abc.abstractmethod
    def _pdf(self, t: FloatArray) -> FloatArray: ...

    @abc.abstractmethod
    def _cum_hazard(self, t: FloatArray) -> FloatArray: ...

    @abc.abstractmethod
    def _hazard(self, t: FloatArray) -> FloatArray: ...

    @abc.abstractmethod
    def _hazard_inf(self) -> FloatArray:
        """Limit of the hazard rate as ``t -> inf`` (batch shape)."""

    @abc.abstractmethod
    def _ppf(self, q: FloatArray) -> FloatArray: ...

    @abc.abstractmethod
    def _isf(self, p: FloatArray) -> FloatArray:
        """Inverse survival: smallest ``t`` with ``S(t) <= p``."""

    @abc.abstractmethod
    def _int_sf(self, t: FloatArray) -> FloatArray: ...

    @abc.abstractmethod
    def _mean(self) -> FloatArray: ...

    @abc.abstractmethod
    def _log_upper_int(self, t: FloatArray) -> FloatArray:
        """``log integral_t^inf S(u) du`` computed without cancellation in the tail."""

    @abc.abstractmethod
    def _param_shapes(self) -> tuple[tuple[int, ...], ...]: ...

    def _log_mrl(self, t: FloatArray) -> FloatArray:
        """``log`` of the mean residual life; override to avoid cancelling large terms."""
        return _f(self._log_upper_int(t) + self._cum_hazard(t))

    def _inv_cum_hazard(self, h: FloatArray) -> FloatArray:
        """Smallest ``t`` with ``H(t) >= h`` (``h >= 0``); override where exp(-h) underflows."""
        with np.errstate(all="ignore"):
            return self._isf(np.exp(-h))

    # ----- public API ---------------------------------------------------------------
    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Broadcast shape of the parameters (``()`` for a single distribution)."""
        return tuple(np.broadcast_shapes(*self._param_shapes()))

    @staticmethod
    def _time(t: ArrayLike) -> tuple[FloatArray, FloatArray]:
        arr = _f(t)
        if np.isnan(arr).any():
            raise ValueError("t (hours) contains NaN")
        return arr, np.maximum(arr, 0.0)

    def _shape_with(self, x: FloatArray) -> tuple[int, ...]:
        return tuple(np.broadcast_shapes(self.batch_shape, x.shape))

    @staticmethod
    def _fill(x: FloatArray, mask: NDArray[np.bool_], value: Any) -> FloatArray:
        return _f(np.where(mask, value, x))

    def sf(self, t: ArrayLike) -> FloatArray:
        """Survival function ``S(t) = P(T > t)``.

        Parameters
        ----------
        t : array_like
            Time, hours.

        Returns
        -------
        ndarray
            ``S(t)``, shape ``broadcast(batch_shape, shape(t))``.

        Raises
        ------
        ValueError
            If ``t`` contains NaN.
        """
        raw, t_c = self._time(t)
        with np.errstate(all="ignore"):
            out = self._fill(self._sf(t_c), raw < 0.0, 1.0)
            return self._fill(out, np.isposinf(raw), 0.0)

    def cdf(self, t: ArrayLike) -> FloatArray:
        """Distribution function ``F(t) = P(T <= t)``, accurate also where it is tiny.

        Parameters
        ----------
        t : array_like
            Time, hours.

        Returns
        -------
        ndarray
            ``F(t)``.

        Raises
        ------
        ValueError
            If ``t`` contains NaN.
        """
        raw, t_c = self._time(t)
        with np.errstate(all="ignore"):
            out = self._fill(self._cdf(t_c), raw < 0.0, 0.0)
            return self._fill(out, np.isposinf(raw), 1.0)

    def pdf(self, t: ArrayLike) -> FloatArray:
        """Probability density, 1/hours (0 for the step parts of discrete distributions).

        Parameters
        ----------
        t : array_like
            Time, hours.

        Returns
        -------
        ndarray
            ``f(t)``; 0 for ``t < 0`` and ``t = inf``.

        Raises
        ------
        ValueError
            If ``t`` contains NaN.
        """
        raw, t_c = self._time(t)
        with np.errstate(all="ignore"):
            out = self._pdf(t_c)
            return self._fill(out, (raw < 0.0) | np.isposinf(raw), 0.0)

    def hazard(self, t: ArrayLike) -> FloatArray:
        """Hazard rate ``f(t) / S(t)``, 1/hours, computed in log space.

        Parameters
        ----------
        t : array_like
            Time, hours.

        Returns
        -------
        ndarray
            ``h(t)``; 0 for ``t < 0``, the limit for ``t = inf``.

        Raises
        ------
        ValueError
            If ``t`` contains NaN.
        """
        raw, t_c = self._time(t)
        with np.errstate(all="ignore"):
            out = self._fill(self._hazard(t_c), raw < 0.0, 0.0)
            inf = np.isposinf(raw)
            if inf.any():
                out = self._fill(out, inf, self._hazard_inf())
            return out

    def cum_hazard(self, t: ArrayLike) -> FloatArray:
        """Cumulative hazard ``H(t) = -log S(t)`` (finite even where ``S`` underflows).

        Parameters
        ----------
        t : array_like
            Time, hours.

        Returns
        -------
        ndarray
            ``H(t)``.

        Raises
        ------
        ValueError
            If ``t`` contains NaN.
        """
        raw, t_c = self._time(t)
        with np.errstate(all="ignore"):
            out = self._fill(self._cum_hazard(t_c), raw < 0.0, 0.0)
            return self._fill(out, np.isposinf(raw), np.inf)

    def ppf(self, q: ArrayLike) -> FloatArray:
        """Quantile function (inverse of the cdf), hours.

        Parameters
        ----------
        q : array_like
            Probabilities in ``[0, 1]``.

        Returns
        -------
        ndarray
            Smallest ``t >= 0`` with ``F(t) >= q``; ``ppf(1)`` is the upper end of the
            support (``inf`` for unbounded distributions).

        Raises
        ------
        ValueError
            If ``q`` has NaN or values outside ``[0, 1]``.
        """
        arr = _f(q)
        if np.isnan(arr).any() or np.any((arr < 0.0) | (arr > 1.0)):
            raise ValueError("q (probability) must lie in [0, 1]")
        with np.errstate(all="ignore"):
            return _f(np.maximum(self._ppf(arr), 0.0))

    def int_sf(self, t: ArrayLike) -> FloatArray:
        """Expected operating time before ``t``: ``integral_0^t S(u) du``, hours.

        Parameters
        ----------
        t : array_like
            Time, hours (``inf`` gives the mean).

        Returns
        -------
        ndarray
            ``integral_0^max(t, 0) S(u) du``.

        Raises
        ------
        ValueError
            If ``t`` contains NaN.
        """
        raw, t_c = self._time(t)
        with np.errstate(all="ignore"):
            out = self._int_sf(t_c)
            inf = np.isposinf(raw)
            if inf.any():
                out = self._fill(out, inf, self._mean())
            return out

    def mean(self) -> FloatArray:
        """Mean life (MTTF) ``= int_sf(inf)``, hours, shape ``batch_shape``."""
        with np.errstate(all="ignore"):
            return _f(np.broadcast_to(self._mean(), self.batch_shape))

    def mrl(self, t: ArrayLike) -> FloatArray:
        """Mean residual life ``integral_t^inf S / S(t)`` at age ``t``, hours.

        Computed in log space from forms in which the ``S(t)`` factors cancel
        analytically, so it stays accurate where ``S(t)`` underflows.  Beyond the end of a
        bounded support it is 0.

        Parameters
        ----------
        t : array_like
            Age, hours.

        Returns
        -------
        ndarray
            ``m(t)``; the limit ``1 / hazard(inf)`` for ``t = inf``.

        Raises
        ------
        ValueError
            If ``t`` contains NaN.
        """
        raw, t_c = self._time(t)
        with np.errstate(all="ignore"):
            h = self._cum_hazard(t_c)
            out = _f(np.where(np.isfinite(h), np.exp(self._log_mrl(t_c)), 0.0))
            inf = np.isposinf(raw)
            if inf.any():
                out = self._fill(out, inf, 1.0 / self._hazard_inf())
            return out

    def sample(self, n: int, rng: np.random.Generator) -> FloatArray:
        """Draw ``n`` lives by inverse transform, hours.

        Parameters
        ----------
        n : int
            Number of draws per batch member (``>= 0``).
        rng : numpy.random.Generator
            Source of randomness (the only one used).

        Returns
        -------
        ndarray
            Shape ``(n,) + batch_shape``.

        Raises
        ------
        ValueError
            If ``n`` is negative or not an integer.
        """
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        u = rng.random((int(n), *self.batch_shape))
        with np.errstate(all="ignore"):
            return _f(np.maximum(self._ppf(u), 0.0))

    def residual(self, age_h: ArrayLike) -> LifeDistribution:
        """Residual-life distribution of a part that has survived ``age_h`` hours.

        Parameters
        ----------
        age_h : array_like
            Current age, hours, ``>= 0`` (broadcast with the batch).

        Returns
        -------
        LifeDistribution
            ``S_res(t) = S(age + t) / S(age)``; ``self`` for a scalar age 0.

        Raises
        ------
        ValueError
            If ``age_h`` is negative, not finite, or has zero survival probability.
        """
        age = _param("age_h", age_h, positive=False)
        if age.ndim == 0 and float(age) == 0.0:
            return self
        return Residual(self, age)


# ---------------------------------------------------------------------------------------
# parametric distributions
# ---------------------------------------------------------------------------------------
class Weibull(LifeDistribution):
    """Weibull life: ``S(t) = exp(-(t / scale_h) ** shape)``.

    Parameters
    ----------
    shape : array_like
        Shape ``beta > 0`` (``< 1`` infant mortality, ``> 1`` wear-out).
    scale_h : array_like
        Characteristic life ``eta > 0``, hours (``S(eta) = e^-1``).

    Raises
    ------
    ValueError
        If a parameter is not finite and positive.

    Notes
    -----
    ``integral_0^t S = eta Gamma(1 + 1/beta) P(1/beta, (t/eta)^beta)`` and
    ``integral_t^inf S = (eta/beta) Gamma(1/beta) Q(1/beta, (t/eta)^beta)``, with ``P``, ``Q``
    the regularized incomplete gamma functions; the latter is taken in log space (continued
    fraction where ``Q`` underflows), which makes the residual life of very old parts stable.
    """

    def __init__(
        self, shape: ArrayLike, scale_h: ArrayLike | None = None, *, scale: ArrayLike | None = None
    ) -> None:
        # ``scale`` is accepted as an alias of ``scale_h`` (hours), as reliability texts
        # write (shape, scale); giving both is an error.
        value = scale_h if scale_h is not None else scale
        if value is None or (scale_h is not None and scale is not None):
            raise ValueError("Weibull: give exactly one of scale_h (hours) or its alias scale")
        self.shape = _param("shape", shape)
        self.scale_h = _param("scale_h", value)

    def __repr__(self) -> str:
        return f"Weibull(shape={self.shape!r}, scale_h={self.scale_h!r})"

    def _param_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (self.shape.shape, self.scale_h.shape)

    def _z(self, t: FloatArray) -> FloatArray:
        return _f((t / self.scale_h) ** self.shape)

    def _sf(self, t: FloatArray) -> FloatArray:
        return _f(np.exp(-self._z(t)))

    def _cdf(self, t: FloatArray) -> FloatArray:
        return _f(-np.expm1(-self._z(t)))

    def _cum_hazard(self, t: FloatArray) -> FloatArray:
        return self._z(t)

    def _hazard(self, t: FloatArray) -> FloatArray:
        b, e = self.shape, self.scale_h
        return _f(b / e * (t / e) ** (b - 1.0))

    def _hazard_inf(self) -> FloatArray:
        b, e = self.shape, self.scale_h
        return _f(np.where(b > 1.0, np.inf, np.where(b < 1.0, 0.0, 1.0 / e)))

    def _pdf(self, t: FloatArray) -> FloatArray:
        return _f(self._hazard(t) * np.exp(-self._z(t)))

    def _ppf(self, q: FloatArray) -> FloatArray:
        return _f(self.scale_h * (-np.log1p(-q)) ** (1.0 / self.shape))

    def _isf(self, p: FloatArray) -> FloatArray:
        return _f(self.scale_h * (-np.log(p)) ** (1.0 / self.shape))

    def _inv_cum_hazard(self, h: FloatArray) -> FloatArray:
        return _f(self.scale_h * h ** (1.0 / self.shape))

    def _mean(self) -> FloatArray:
        return _f(self.scale_h * sc.gamma(1.0 + 1.0 / self.shape))

    def _int_sf(self, t: FloatArray) -> FloatArray:
        s = 1.0 / self.shape
        return _f(self._mean() * sc.gammainc(s, self._z(t)))

    def _log_upper_int(self, t: FloatArray) -> FloatArray:
        s = 1.0 / self.shape
        log_q, _ = _log_gammaincc(s, self._z(t))
        return _f(np.log(self.scale_h * s) + sc.gammaln(s) + log_q)

    def _log_mrl(self, t: FloatArray) -> FloatArray:
        # mrl = (eta s) Gamma(s) Q(s, z) e^z = (eta s) z^(s-1) / rho(s, z): no e^{+-z} factors
        s = 1.0 / self.shape
        z = self._z(t)
        log_q, log_rho = _log_gammaincc(s, z)
        near = sc.gammaln(s) + log_q + z
        far = (s - 1.0) * np.log(z) - log_rho
        return _f(np.log(self.scale_h * s) + np.where(z > 1.0, far, near))


class Lognormal(LifeDistribution):
    """Lognormal life: ``log T ~ N(log median_h, sigma^2)``.

    Parameters
    ----------
    median_h : array_like
        Median life ``> 0``, hours.
    sigma : array_like
        Standard deviation of ``log T`` (``> 0``, dimensionless).

    Raises
    ------
    ValueError
        If a parameter is not finite and positive.

    Notes
    -----
    With ``z = (log t - mu) / sigma`` and mean ``m = exp(mu + sigma^2/2)``:
    ``integral_0^t S = t Phi(-z) + m Phi(z - sigma)`` and
    ``integral_t^inf S = m Phi(sigma - z) - t Phi(-z)``; in the upper tail the latter is
    ``exp(mu + sigma z - z^2/2) [erfcx((z - sigma)/sqrt 2) - erfcx(z/sqrt 2)] / 2``
    (scaled complementary error function), which neither underflows nor cancels badly.
    """

    def __init__(self, median_h: ArrayLike, sigma: ArrayLike) -> None:
        self.median_h = _param("median_h", median_h)
        self.sigma = _param("sigma", sigma)
        self._mu = _f(np.log(self.median_h))

    def __repr__(self) -> str:
        return f"Lognormal(median_h={self.median_h!r}, sigma={self.sigma!r})"

    def _param_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (self.median_h.shape, self.sigma.shape)

    def _zz(self, t: FloatArray) -> FloatArray:
        return _f((np.log(t) - self._mu) / self.sigma)

    def _sf(self, t: FloatArray) -> FloatArray:
        return _f(sc.ndtr(-self._zz(t)))

    def _cdf(self, t: FloatArray) -> FloatArray:
        return _f(sc.ndtr(self._zz(t)))

    def _cum_hazard(self, t: FloatArray) -> FloatArray:
        return _f(-sc.log_ndtr(-self._zz(t)))

    def _log_pdf(self, t: FloatArray) -> FloatArray:
        z = self._zz(t)
        return _f(-0.5 * z * z - np.log(self.sigma * t) - _LOG_SQRT_2PI)

    def _pdf(self, t: FloatArray) -> FloatArray:
        return _f(np.where(t > 0.0, np.exp(self._log_pdf(t)), 0.0))

    def _hazard(self, t: FloatArray) -> FloatArray:
        z = self._zz(t)
        return _f(np.where(t > 0.0, np.exp(self._log_pdf(t) - sc.log_ndtr(-z)), 0.0))

    def _hazard_inf(self) -> FloatArray:
        return _f(np.zeros(self.batch_shape))

    def _ppf(self, q: FloatArray) -> FloatArray:
        return _f(self.median_h * np.exp(self.sigma * sc.ndtri(q)))

    def _isf(self, p: FloatArray) -> FloatArray:
        return _f(self.median_h * np.exp(-self.sigma * sc.ndtri(p)))

    def _inv_cum_hazard(self, h: FloatArray) -> FloatArray:
        return _f(self.median_h * np.exp(-self.sigma * sc.ndtri_exp(-h)))

    def _mean(self) -> FloatArray:
        return _f(np.exp(self._mu + 0.5 * self.sigma**2))

    def _int_sf(self, t: FloatArray) -> FloatArray:
        z = self._zz(t)
        tail = np.where(t > 0.0, t * sc.ndtr(-z), 0.0)
        return _f(tail + self._mean() * sc.ndtr(z - self.sigma))

    def _log_upper_int(self, t: FloatArray) -> FloatArray:
        z = self._zz(t)
        sig = self.sigma
        tail = np.where(t > 0.0, t * sc.ndtr(-z), 0.0)
        direct = np.log(self._mean() * sc.ndtr(sig - z) - tail)
        r2 = math.sqrt(2.0)
        bracket = sc.erfcx((z - sig) / r2) - sc.erfcx(z / r2)
        upper = math.log(0.5) + self._mu + sig * z - 0.5 * z * z + np.log(bracket)
        out = np.where(z > sig + 2.0, upper, direct)
        return _f(np.where(np.isposinf(t), -np.inf, out))

    def _log_mrl(self, t: FloatArray) -> FloatArray:
        # In the tail S = erfcx(z/sqrt 2) exp(-z^2/2) / 2 cancels the same factor of U.
        z = self._zz(t)
        sig = self.sigma
        r2 = math.sqrt(2.0)
        bracket = sc.erfcx((z - sig) / r2) - sc.erfcx(z / r2)
        upper = self._mu + sig * z + np.log(bracket) - np.log(sc.erfcx(z / r2))
        direct = self._log_upper_int(t) + self._cum_hazard(t)
        return _f(np.where(z > sig + 2.0, upper, direct))


class Gamma(LifeDistribution):
    """Gamma life with shape ``k`` and scale ``theta``: ``S(t) = Q(k, t/theta)``.

    Parameters
    ----------
    shape : array_like
        Shape ``k > 0``.
    scale_h : array_like
        Scale ``theta > 0``, hours (mean ``k theta``).

    Raises
    ------
    ValueError
        If a parameter is not finite and positive.

    Notes
    -----
    With ``x = t / theta`` (using ``x f_k(x) = k f_{k+1}(x)``):
    ``integral_0^t S = theta [x Q(k, x) + k P(k + 1, x)]`` and
    ``integral_t^inf S = theta [k Q(k + 1, x) - x Q(k, x)]
    = theta Q(k, x) [k - x + x rho(x)]`` with ``rho`` the standard gamma hazard; the last
    form is used for ``x > k`` in log space.
    """

    def __init__(
        self, shape: ArrayLike, scale_h: ArrayLike | None = None, *, scale: ArrayLike | None = None
    ) -> None:
        # ``scale`` is accepted as an alias of ``scale_h`` (hours), as reliability texts
        # write (shape, scale); giving both is an error.
        value = scale_h if scale_h is not None else scale
        if value is None or (scale_h is not None and scale is not None):
            raise ValueError("Gamma: give exactly one of scale_h (hours) or its alias scale")
        self.shape = _param("shape", shape)
        self.scale_h = _param("scale_h", value)

    def __repr__(self) -> str:
        return f"Gamma(shape={self.shape!r}, scale_h={self.scale_h!r})"

    def _param_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (self.shape.shape, self.scale_h.shape)

    def _x(self, t: FloatArray) -> FloatArray:
        return _f(t / self.scale_h)

    def _sf(self, t: FloatArray) -> FloatArray:
        return _f(sc.gammaincc(self.shape, self._x(t)))

    def _cdf(self, t: FloatArray) -> FloatArray:
        return _f(sc.gammainc(self.shape, self._x(t)))

    def _cum_hazard(self, t: FloatArray) -> FloatArray:
        log_q, _ = _log_gammaincc(self.shape, self._x(t))
        return _f(-log_q)

    def _pdf(self, t: FloatArray) -> FloatArray:
        k, x = self.shape, self._x(t)
        return _f(np.exp(sc.xlogy(k - 1.0, x) - x - sc.gammaln(k)) / self.scale_h)

    def _hazard(self, t: FloatArray) -> FloatArray:
        _, log_rho = _log_gammaincc(self.shape, self._x(t))
        return _f(np.exp(log_rho) / self.scale_h)

    def _hazard_inf(self) -> FloatArray:
        return _f(np.broadcast_to(1.0 / self.scale_h, self.batch_shape))

    def _ppf(self, q: FloatArray) -> FloatArray:
        return _f(self.scale_h * sc.gammaincinv(self.shape, q))

    def _isf(self, p: FloatArray) -> FloatArray:
        return _f(self.scale_h * sc.gammainccinv(self.shape, p))

    def _inv_cum_hazard(self, h: FloatArray) -> FloatArray:
        k = self.shape
        p = np.exp(-h)
        x = _f(sc.gammainccinv(k, p))
        k_b, h_b = np.broadcast_arrays(k, _f(h))
        under = (np.exp(-h_b) < _GAMMAINCC_TINY) & np.isfinite(h_b)
        if np.any(under):
            # exp(-h) is (nearly) underflowing: Newton on H(x) = -log Q(k, x) = h, which is
            # almost linear there (H' = rho -> 1), started from the asymptotic inverse.
            kk, hh = k_b[under], h_b[under]
            xx = hh + (kk - 1.0) * np.log(np.maximum(hh, 1.0)) - sc.gammaln(kk)
            xx = np.maximum(xx, kk + 1.0)
            for _ in range(50):
                log_q, log_rho = _log_gammaincc(kk, xx)
                step = (-log_q - hh) / np.exp(log_rho)
                xx = np.maximum(xx - step, 0.5 * xx)
                if np.all(np.abs(step) <= 1e-14 * xx):
                    break
            x = np.array(np.broadcast_to(x, k_b.shape), dtype=np.float64)
            x[under] = xx
        return _f(self.scale_h * x)

    def _mean(self) -> FloatArray:
        return _f(self.shape * self.scale_h)

    def _int_sf(self, t: FloatArray) -> FloatArray:
        k, x = self.shape, self._x(t)
        first = np.where(x > 0.0, x * sc.gammaincc(k, x), 0.0)
        return _f(self.scale_h * (first + k * sc.gammainc(k + 1.0, x)))

    def _log_upper_int(self, t: FloatArray) -> FloatArray:
        k, x = self.shape, self._x(t)
        log_q, log_rho = _log_gammaincc(k, x)
        # k - x + x rho has no cancellation for x <= k; beyond, it loses ~log10(x) digits
        # only (the subtractive form k Q(k+1, x) - x Q(k, x) cancels already near x = k).
        x_rho = np.where(x > 0.0, np.exp(np.log(x) + log_rho), 0.0)
        out = np.log(self.scale_h) + log_q + np.log(k - x + x_rho)
        return _f(np.where(np.isposinf(x), -np.inf, out))

    def _log_mrl(self, t: FloatArray) -> FloatArray:
        k, x = self.shape, self._x(t)
        _, log_rho = _log_gammaincc(k, x)
        x_rho = np.where(x > 0.0, np.exp(np.log(x) + log_rho), 0.0)
        return _f(np.log(self.scale_h) + np.log(k - x + x_rho))


class Exponential(LifeDistribution):
    """Exponential life (constant hazard ``1 / mean_h``); memoryless.

    Parameters
    ----------
    mean_h : array_like
        Mean life ``> 0``, hours.

    Raises
    ------
    ValueError
        If ``mean_h`` is not finite and positive.
    """

    def __init__(self, mean_h: ArrayLike) -> None:
        self.mean_h = _param("mean_h", mean_h)

    def __repr__(self) -> str:
        return f"Exponential(mean_h={self.mean_h!r})"

    def _param_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (self.mean_h.shape,)

    def _sf(self, t: FloatArray) -> FloatArray:
        return _f(np.exp(-t / self.mean_h))

    def _cdf(self, t: FloatArray) -> FloatArray:
        return _f(-np.expm1(-t / self.mean_h))

    def _cum_hazard(self, t: FloatArray) -> FloatArray:
        return _f(t / self.mean_h)

    def _pdf(self, t: FloatArray) -> FloatArray:
        return _f(np.exp(-t / self.mean_h) / self.mean_h)

    def _hazard(self, t: FloatArray) -> FloatArray:
        return _f(np.broadcast_to(1.0 / self.mean_h, self._shape_with(t)))

    def _hazard_inf(self) -> FloatArray:
        return _f(1.0 / self.mean_h)

    def _ppf(self, q: FloatArray) -> FloatArray:
        return _f(-self.mean_h * np.log1p(-q))

    def _isf(self, p: FloatArray) -> FloatArray:
        return _f(-self.mean_h * np.log(p))

    def _inv_cum_hazard(self, h: FloatArray) -> FloatArray:
        return _f(self.mean_h * h)

    def _mean(self) -> FloatArray:
        return self.mean_h

    def _int_sf(self, t: FloatArray) -> FloatArray:
        return _f(-self.mean_h * np.expm1(-t / self.mean_h))

    def _log_upper_int(self, t: FloatArray) -> FloatArray:
        return _f(np.log(self.mean_h) - t / self.mean_h)

    def _log_mrl(self, t: FloatArray) -> FloatArray:
        return _f(np.broadcast_to(np.log(self.mean_h), self._shape_with(t)))

    def residual(self, age_h: ArrayLike) -> LifeDistribution:
        """Memoryless: the residual life is the same exponential (age only validated).

        Parameters
        ----------
        age_h : array_like
            Current age, hours, ``>= 0``.

        Returns
        -------
        Exponential
            ``self`` (or a copy broadcast to the age's shape).

        Raises
        ------
        ValueError
            If ``age_h`` is negative or not finite.
        """
        age = _param("age_h", age_h, positive=False)
        if np.any(age < 0.0):
            raise ValueError(f"age_h must be >= 0, got {age_h!r}")
        shape = np.broadcast_shapes(self.batch_shape, age.shape)
        if shape == self.batch_shape:
            return self
        return Exponential(np.broadcast_to(self.mean_h, shape))


class Normal(LifeDistribution):
    """Normal life truncated to ``t >= 0`` and renormalized (a twin's Gaussian RUL).

    Parameters
    ----------
    mean_h : array_like
        Mean of the *untruncated* normal, hours.  Any finite value is accepted: a
        non-positive mean (a twin that sees the part as overdue) still defines a valid
        truncated distribution concentrated near 0.
    sd_h : array_like
        Standard deviation of the untruncated normal, ``> 0``, hours.

    Raises
    ------
    ValueError
        If ``mean_h`` is not finite or ``sd_h`` is not finite and positive.

    Notes
    -----
    With ``w = (mu - t) / s``, ``alpha = mu / s`` and ``N = Phi(alpha)``:
    ``S(t) = Phi(w) / N`` (log space through ``log_ndtr``) and
    ``integral_t^inf S = s G(w) / N`` with ``G(w) = w Phi(w) + phi(w)``.  The conditional
    law of ``T - e`` given ``T > e`` is ``Normal(mu - e, s)`` again.
    """

    def __init__(self, mean_h: ArrayLike, sd_h: ArrayLike) -> None:
        self.mean_h = _param("mean_h", mean_h, positive=False)
        self.sd_h = _param("sd_h", sd_h)
        self._alpha = _f(self.mean_h / self.sd_h)
        self._log_n = _f(sc.log_ndtr(self._alpha))
        self._log_g_alpha = _log_g(self._alpha)

    def __repr__(self) -> str:
        return f"Normal(mean_h={self.mean_h!r}, sd_h={self.sd_h!r})"

    def _param_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (self.mean_h.shape, self.sd_h.shape)

    def _w(self, t: FloatArray) -> FloatArray:
        return _f((self.mean_h - t) / self.sd_h)

    def _cum_hazard(self, t: FloatArray) -> FloatArray:
        return _f(np.maximum(self._log_n - sc.log_ndtr(self._w(t)), 0.0))

    def _sf(self, t: FloatArray) -> FloatArray:
        return _f(np.exp(-self._cum_hazard(t)))

    def _cdf(self, t: FloatArray) -> FloatArray:
        w = self._w(t)
        # For t <= mu both tails are small: subtract the upper-tail masses (no 1 - ...).
        lower = (sc.ndtr(-w) - sc.ndtr(-self._alpha)) / np.exp(self._log_n)
        upper = -np.expm1(-self._cum_hazard(t))
        return _f(np.clip(np.where(w >= 0.0, lower, upper), 0.0, 1.0))

    def _pdf(self, t: FloatArray) -> FloatArray:
        w = self._w(t)
        return _f(np.exp(-0.5 * w * w - _LOG_SQRT_2PI - self._log_n) / self.sd_h)

    def _hazard(self, t: FloatArray) -> FloatArray:
        w = self._w(t)
        return _f(np.exp(-0.5 * w * w - _LOG_SQRT_2PI - sc.log_ndtr(w)) / self.sd_h)

    def _hazard_inf(self) -> FloatArray:
        return _f(np.full(self.batch_shape, np.inf))

    def _isf(self, p: FloatArray) -> FloatArray:
        return _f(self.mean_h - self.sd_h * sc.ndtri_exp(np.log(p) + self._log_n))

    def _ppf(self, q: FloatArray) -> FloatArray:
        return _f(self.mean_h - self.sd_h * sc.ndtri_exp(np.log1p(-q) + self._log_n))

    def _inv_cum_hazard(self, h: FloatArray) -> FloatArray:
        return _f(self.mean_h - self.sd_h * sc.ndtri_exp(self._log_n - h))

    def _mean(self) -> FloatArray:
        return _f(self.sd_h * np.exp(self._log_g_alpha - self._log_n))

    def _int_sf(self, t: FloatArray) -> FloatArray:
        w = self._w(t)
        a = self._alpha
        s = self.sd_h

        def g(x: FloatArray) -> FloatArray:
            return _f(x * sc.ndtr(x) + np.exp(-0.5 * x * x) * _INV_SQRT_2PI)

        # G(x) = x + G(-x): for t <= mu take the large linear part alpha - w = t / s exactly
        # and only the small G(-.) terms as a difference.
        diff = np.where(w >= 0.0, t / s + g(-a) - g(-w), g(a) - g(w))
        direct = s * diff / np.exp(self._log_n)
        # When N is tiny both G values underflow together: use the ratio instead.
        ratio = self._mean() * -np.expm1(_log_g(w) - self._log_g_alpha)
        return _f(np.where(self._alpha > -5.0, direct, ratio))

    def _log_upper_int(self, t: FloatArray) -> FloatArray:
        return _f(np.log(self.sd_h) + _log_g(self._w(t)) - self._log_n)

    def _log_mrl(self, t: FloatArray) -> FloatArray:
        # mrl = s G(w) / Phi(w); for w < 0 both carry exp(-w^2/2), removed analytically.
        w = self._w(t)
        neg = np.minimum(w, 0.0)
        scaled = _log_g(neg, scaled=True) - np.log(0.5 * sc.erfcx(-neg / math.sqrt(2.0)))
        direct = _log_g(w) - sc.log_ndtr(w)
        return _f(np.log(self.sd_h) + np.where(w < 0.0, scaled, direct))


class Deterministic(LifeDistribution):
    """A life of exactly ``life_h`` hours: ``S(t) = 1`` for ``t < life_h``, else 0.

    Parameters
    ----------
    life_h : array_like
        Life ``> 0``, hours.

    Raises
    ------
    ValueError
        If ``life_h`` is not finite and positive.

    Notes
    -----
    The density of the point mass is reported as 0 and the hazard as 0 before
    ``life_h`` and ``inf`` from it on; every quantile (and draw) is ``life_h``.
    """

    def __init__(self, life_h: ArrayLike) -> None:
        self.life_h = _param("life_h", life_h)

    def __repr__(self) -> str:
        return f"Deterministic(life_h={self.life_h!r})"

    def _param_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (self.life_h.shape,)

    def _sf(self, t: FloatArray) -> FloatArray:
        return _f(np.where(t < self.life_h, 1.0, 0.0))

    def _cdf(self, t: FloatArray) -> FloatArray:
        return _f(np.where(t < self.life_h, 0.0, 1.0))

    def _cum_hazard(self, t: FloatArray) -> FloatArray:
        return _f(np.where(t < self.life_h, 0.0, np.inf))

    def _pdf(self, t: FloatArray) -> FloatArray:
        return _f(np.zeros(self._shape_with(t)))

    def _hazard(self, t: FloatArray) -> FloatArray:
        return self._cum_hazard(t)

    def _hazard_inf(self) -> FloatArray:
        return _f(np.full(self.batch_shape, np.inf))

    def _ppf(self, q: FloatArray) -> FloatArray:
        return _f(np.broadcast_to(self.life_h, self._shape_with(q)))

    def _isf(self, p: FloatArray) -> FloatArray:
        return self._ppf(p)

    def _inv_cum_hazard(self, h: FloatArray) -> FloatArray:
        return _f(np.where(h > 0.0, self.life_h, 0.0))

    def _mean(self) -> FloatArray:
        return self.life_h

    def _int_sf(self, t: FloatArray) -> FloatArray:
        return _f(np.minimum(t, self.life_h))

    def _log_upper_int(self, t: FloatArray) -> FloatArray:
        return _f(np.log(np.maximum(self.life_h - t, 0.0)))

    def residual(self, age_h: ArrayLike) -> LifeDistribution:
        """Residual life ``life_h - age_h`` (a deterministic life again).

        Parameters
        ----------
        age_h : array_like
            Current age, hours, ``0 <= age_h < life_h``.

        Returns
        -------
        LifeDistribution
            ``Deterministic(life_h - age_h)`` (``self`` for a scalar age 0).

        Raises
        ------
        ValueError
            If ``age_h`` is negative, not finite, or not below ``life_h``.
        """
        age = _param("age_h", age_h, positive=False)
        if np.any(age < 0.0):
            raise ValueError(f"age_h must be >= 0, got {age_h!r}")
        if age.ndim == 0 and float(age) == 0.0:
            return self
        if np.any(age >= self.life_h):
            raise ValueError("age_h must be < life_h: the part has survival probability 0")
        return Deterministic(self.life_h - age)


# ---------------------------------------------------------------------------------------
# empirical (Kaplan-Meier + exponential tail)
# ---------------------------------------------------------------------------------------
class Empirical(LifeDistribution):
    """Empirical life from samples, Kaplan-Meier when some are right-censored.

    Parameters
    ----------
    samples_h : array_like
        1-D lives (or censoring times), hours, finite and ``>= 0``.
    censored : array_like of bool, optional
        Same length; ``True`` marks a right-censored sample (e.g. a ProgPy prediction
        whose event was not reached before its horizon).  Default: none censored.

    Raises
    ------
    ValueError
        For empty, non 1-D, NaN, infinite or negative samples, a mask of another
        length, or all samples censored (no failure to estimate from).

    Notes
    -----
    The survival is the Kaplan-Meier step function [2]_ (censorings tied with failures
    are taken as happening just after them).  Without censoring it is the empirical
    survival ``#{x_i > t} / n``.  If the largest observation ``t_max`` is censored, the
    curve ends at ``S(t_max) > 0`` and would give an infinite mean; it is then continued
    by an exponential tail ``S(t) = S(t_max) exp(-lambda (t - t_max))`` whose rate is the
    censored-exponential maximum-likelihood estimate ``lambda = failures / total time on
    test`` (sum of all sample times).  ``sf``, ``int_sf``, ``mean``, ``mrl``, ``ppf`` and
    ``sample`` (inverse transform of this curve, i.e. bootstrap resampling of the failures
    plus tail draws) all use this same curve.  The step parts have density 0; the hazard
    is 0 there (``inf`` where the survival has reached 0) and ``lambda`` in the tail.

    References
    ----------
    .. [2] Kaplan and Meier, J. Amer. Statist. Assoc. 53 (1958) 457-481.
    """

    def __init__(self, samples_h: ArrayLike, censored: ArrayLike | None = None) -> None:
        x = np.array(samples_h, dtype=np.float64)
        if x.ndim != 1:
            raise ValueError(f"samples_h must be 1-D, got shape {x.shape}")
        if x.size == 0:
            raise ValueError("samples_h must not be empty")
        if not np.all(np.isfinite(x)):
            raise ValueError("samples_h must be finite (no NaN or inf)")
        if np.any(x < 0.0):
            raise ValueError("samples_h must be >= 0 hours")
        if censored is None:
            c = np.zeros(x.shape, dtype=bool)
        else:
            c_raw = np.asarray(censored)
            if c_raw.shape != x.shape:
                raise ValueError(
                    f"censored must have the shape of samples_h {x.shape}, got {c_raw.shape}"
                )
            if c_raw.dtype != np.bool_:
                if not np.all(np.isin(c_raw, (0, 1))):
                    raise ValueError("censored must be a boolean mask")
            c = c_raw.astype(bool)
        if c.all():
            raise ValueError("censored: every sample is censored, no failure to estimate from")
        self.samples_h = x
        self.censored = c
        self.samples_h.setflags(write=False)
        self.censored.setflags(write=False)

        order = np.lexsort((c, x))  # by time, failures before censorings at ties
        xs, cs = x[order], c[order]
        n = xs.size
        uniq, first = np.unique(xs, return_index=True)
        at_risk = n - first
        fail_counts = np.add.reduceat((~cs).astype(np.float64), first)
        factors = 1.0 - fail_counts / at_risk
        s_after = np.cumprod(factors)
        jump = fail_counts > 0
        self._tj = _f(uniq[jump])  # distinct failure times
        self._sj = _f(s_after[jump])  # S on [t_j, t_{j+1})
        self._t_max = float(xs[-1])
        self._s_end = float(s_after[-1])
        if self._sj[-1] <= 0.0:
            self._s_end = 0.0
        self._rate = float((~c).sum() / x.sum()) if self._s_end > 0.0 else 0.0
        if self._s_end > 0.0 and not np.isfinite(self._rate):
            raise ValueError("samples_h: total time on test is 0, the tail rate is undefined")
        # Piecewise-constant curve: value sv[i] on [knots[i], knots[i + 1]), i = 0..m,
        # knots = [0, t_1, ..., t_m, t_max].
        self._sv = _f(np.concatenate(([1.0], self._sj)))
        self._t0 = _f(np.concatenate(([0.0], self._tj)))
        knots = np.concatenate((self._t0, [self._t_max]))
        areas = self._sv * np.diff(knots)
        self._cum = _f(np.concatenate(([0.0], np.cumsum(areas))))  # integral up to knots[i]
        self._rev = _f(np.concatenate((np.cumsum(areas[::-1])[::-1], [0.0])))  # from knots[i]
        self._knots = _f(knots)
        self._tail_area = self._s_end / self._rate if self._s_end > 0.0 else 0.0
        self._h_end = -math.log(self._s_end) if self._s_end > 0.0 else math.inf

    def __repr__(self) -> str:
        return f"Empirical(n={self.samples_h.size}, censored={int(self.censored.sum())})"

    @property
    def tail_rate_per_h(self) -> float:
        """Rate of the exponential tail beyond the largest observation (0 if none), 1/h."""
        return self._rate

    def _param_shapes(self) -> tuple[tuple[int, ...], ...]:
        return ((),)

    def _seg(self, t: FloatArray) -> NDArray[np.intp]:
        return np.searchsorted(self._tj, t, side="right")

    def _sf(self, t: FloatArray) -> FloatArray:
        inside = self._sv[self._seg(t)]
        if self._s_end > 0.0:
            tail = self._s_end * np.exp(-self._rate * (t - self._t_max))
            return _f(np.where(t > self._t_max, tail, inside))
        return _f(inside)

    def _cdf(self, t: FloatArray) -> FloatArray:
        return _f(1.0 - self._sf(t))

    def _cum_hazard(self, t: FloatArray) -> FloatArray:
        inside = 0.0 - np.log(self._sv[self._seg(t)])
        if self._s_end > 0.0:
            tail = self._h_end + self._rate * (t - self._t_max)
            return _f(np.where(t > self._t_max, tail, inside))
        return _f(inside)

    def _hazard(self, t: FloatArray) -> FloatArray:
        s = self._sv[self._seg(t)]
        inside = np.where(s > 0.0, 0.0, np.inf)
        return _f(np.where(t > self._t_max, self._rate if self._s_end > 0 else np.inf, inside))

    def _hazard_inf(self) -> FloatArray:
        return _f(self._rate if self._s_end > 0.0 else np.inf)

    def _pdf(self, t: FloatArray) -> FloatArray:
        if self._s_end > 0.0:
            return _f(np.where(t > self._t_max, self._rate * self._sf(t), 0.0))
        return _f(np.zeros_like(t))

    def _isf(self, p: FloatArray) -> FloatArray:
        # First step whose value is <= p (sv is non-increasing, so -sv is sorted).
        idx = np.searchsorted(-self._sv, -p, side="left")
        inside = self._t0[np.minimum(idx, self._t0.size - 1)]
        if self._s_end > 0.0:
            tail = self._t_max + np.log(self._s_end / p) / self._rate
            return _f(np.where(idx >= self._t0.size, tail, inside))
        return _f(inside)

    def _ppf(self, q: FloatArray) -> FloatArray:
        return self._isf(_f(1.0 - q))

    def _inv_cum_hazard(self, h: FloatArray) -> FloatArray:
        out = self._isf(_f(np.exp(-h)))
        if self._s_end > 0.0:
            return _f(np.where(h > self._h_end, self._t_max + (h - self._h_end) / self._rate, out))
        return out

    def _mean(self) -> FloatArray:
        return _f(self._cum[-1] + self._tail_area)

    def _int_sf(self, t: FloatArray) -> FloatArray:
        i = np.minimum(np.searchsorted(self._knots, t, side="right") - 1, self._sv.size - 1)
        inside = self._cum[i] + self._sv[i] * (np.minimum(t, self._t_max) - self._knots[i])
        if self._s_end > 0.0:
            extra = self._tail_area * -np.expm1(-self._rate * (t - self._t_max))
            return _f(np.where(t > self._t_max, self._cum[-1] + extra, inside))
        return _f(inside)

    def _log_upper_int(self, t: FloatArray) -> FloatArray:
        i = np.minimum(np.searchsorted(self._knots, t, side="right") - 1, self._sv.size - 1)
        inside = self._rev[i + 1] + self._sv[i] * (self._knots[i + 1] - np.minimum(t, self._t_max))
        inside = inside + self._tail_area
        if self._s_end > 0.0:
            tail = math.log(self._tail_area) - self._rate * (t - self._t_max)
            return _f(np.where(t > self._t_max, tail, np.log(inside)))
        return _f(np.log(inside))


# ---------------------------------------------------------------------------------------
# residual life
# ---------------------------------------------------------------------------------------
class Residual(LifeDistribution):
    """Residual life of a part of age ``age_h``: ``S_res(t) = S(age + t) / S(age)``.

    Parameters
    ----------
    base : LifeDistribution
        Life distribution of a new part.
    age_h : array_like
        Current age, hours, finite and ``>= 0`` (broadcast with the base batch).

    Raises
    ------
    ValueError
        If ``age_h`` is negative or not finite, or ``S(age_h) = 0`` for some member.

    Notes
    -----
    Everything is computed from differences of the base's cumulative hazard
    ``H(age + t) - H(age)`` and from ``log integral_t^inf S`` of the base, never by
    dividing by ``S(age)`` when that is small: ``int_sf`` is
    ``[I(age + t) - I(age)] / S(age)`` while ``I(age) <= mean / 2`` (``S(age)`` is then not
    small) and ``mrl(age) * (1 - U(age + t) / U(age))`` with ``U(t) = integral_t^inf S``
    beyond, the ratio being ``mrl(age + t) S(age + t) / (mrl(age) S(age))`` (in logs).
    Quantiles and draws invert the cumulative hazard:
    ``t = H^-1(H(age) - log(1 - q)) - age``.  A residual of a residual is flattened to
    one residual of the summed age.
    """

    base: LifeDistribution
    age_h: FloatArray

    def __init__(self, base: LifeDistribution, age_h: ArrayLike) -> None:
        age = _param("age_h", age_h, positive=False)
        if np.any(age < 0.0):
            raise ValueError(f"age_h must be >= 0, got {age_h!r}")
        if isinstance(base, Residual):
            age = _f(base.age_h + age)
            base = base.base
        with np.errstate(all="ignore"):
            h_a = base._cum_hazard(age)
        if not np.all(np.isfinite(h_a)):
            raise ValueError("age_h is beyond the support: the survival probability there is 0")
        self.base = base
        self.age_h = age
        self.age_h.setflags(write=False)
        with np.errstate(all="ignore"):
            self._h_a = h_a
            self._log_mrl_a = base._log_mrl(age)
            self._i_a = base._int_sf(age)
            self._lower = self._i_a <= 0.5 * base._mean()

    def __repr__(self) -> str:
        return f"Residual({self.base!r}, age_h={self.age_h!r})"

    def _param_shapes(self) -> tuple[tuple[int, ...], ...]:
        return (self.base.batch_shape, self.age_h.shape)

    def _dh(self, t: FloatArray) -> FloatArray:
        return _f(np.maximum(self.base._cum_hazard(self.age_h + t) - self._h_a, 0.0))

    def _sf(self, t: FloatArray) -> FloatArray:
        return _f(np.exp(-self._dh(t)))

    def _cdf(self, t: FloatArray) -> FloatArray:
        return _f(-np.expm1(-self._dh(t)))

    def _cum_hazard(self, t: FloatArray) -> FloatArray:
        return self._dh(t)

    def _hazard(self, t: FloatArray) -> FloatArray:
        return self.base._hazard(self.age_h + t)

    def _hazard_inf(self) -> FloatArray:
        return _f(np.broadcast_to(self.base._hazard_inf(), self.batch_shape))

    def _pdf(self, t: FloatArray) -> FloatArray:
        # hazard * S_res avoids dividing the (possibly underflowed) base pdf by S(age).
        h = self._hazard(t)
        s = self._sf(t)
        return _f(np.where(s > 0.0, h * s, 0.0))

    def _inv_cum_hazard(self, h: FloatArray) -> FloatArray:
        return _f(self.base._inv_cum_hazard(self._h_a + h) - self.age_h)

    def _ppf(self, q: FloatArray) -> FloatArray:
        return self._inv_cum_hazard(_f(-np.log1p(-q)))

    def _isf(self, p: FloatArray) -> FloatArray:
        return self._inv_cum_hazard(_f(-np.log(p)))

    def _mean(self) -> FloatArray:
        return _f(np.exp(self._log_mrl_a))

    def _int_sf(self, t: FloatArray) -> FloatArray:
        b = self.age_h + t
        lower = (self.base._int_sf(b) - self._i_a) * np.exp(self._h_a)
        # U(b) / U(a) = [mrl(b) / mrl(a)] * S(b) / S(a), all from stable logs
        log_ratio = self.base._log_mrl(b) - self._log_mrl_a - self._dh(t)
        upper = self._mean() * -np.expm1(log_ratio)
        return _f(np.maximum(np.where(self._lower, lower, upper), 0.0))

    def _log_upper_int(self, t: FloatArray) -> FloatArray:
        return _f(self.base._log_upper_int(self.age_h + t) + self._h_a)

    def _log_mrl(self, t: FloatArray) -> FloatArray:
        return self.base._log_mrl(self.age_h + t)

    def residual(self, age_h: ArrayLike) -> LifeDistribution:
        """Residual of this residual: ``Residual(base, self.age_h + age_h)``.

        Parameters
        ----------
        age_h : array_like
            Further age, hours, ``>= 0``.

        Returns
        -------
        LifeDistribution
            The residual life of the base at the summed age.

        Raises
        ------
        ValueError
            As :class:`Residual`.
        """
        age = _param("age_h", age_h, positive=False)
        if age.ndim == 0 and float(age) == 0.0:
            return self
        return Residual(self, age)


# ---------------------------------------------------------------------------------------
# the parametric families (the one registry)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Family:
    """A parametric life-distribution family: the one place that names its parameters.

    Spec parsing (:func:`from_spec`), fleet-wide batching
    (:mod:`optimizer.reliability.batch`, used by the penalty curves and the simulator)
    read it from :data:`FAMILIES`, so a new family is its class plus one row there.

    Parameters
    ----------
    name : str
        Name in scenario files and specs (``distribution: weibull``).
    cls : type
        The distribution class.
    params : tuple of str
        Constructor arguments in order, which are also the attributes holding the
        parameter arrays (times in hours).
    smooth : bool
        Whether the survival function is smooth in time, so that the integral of ``S``
        over a period may be taken by quadrature of ``sf`` (false for a jump).
    """

    name: str
    cls: type[LifeDistribution]
    params: tuple[str, ...]
    smooth: bool

    def make(self, *values: ArrayLike) -> LifeDistribution:
        """``cls(*values)``: a (batch of) distribution(s) from values in :attr:`params` order."""
        ctor: Callable[..., LifeDistribution] = self.cls
        return ctor(*values)


FAMILIES: tuple[Family, ...] = (
    Family("weibull", Weibull, ("shape", "scale_h"), smooth=True),
    Family("lognormal", Lognormal, ("median_h", "sigma"), smooth=True),
    Family("gamma", Gamma, ("shape", "scale_h"), smooth=True),
    Family("exponential", Exponential, ("mean_h",), smooth=True),
    Family("normal", Normal, ("mean_h", "sd_h"), smooth=True),
    Family("deterministic", Deterministic, ("life_h",), smooth=False),
)
"""Every parametric family (the non-parametric :class:`Empirical` is not one)."""

FAMILY_OF: Mapping[type[LifeDistribution], Family] = {f.cls: f for f in FAMILIES}
"""The family of a distribution class."""

_FAMILY_NAMED: dict[str, Family] = {f.name: f for f in FAMILIES}


# ---------------------------------------------------------------------------------------
# construction from specs and twin outputs
# ---------------------------------------------------------------------------------------
_SPEC_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # distribution: (required keys, optional keys)
    **{f.name: (f.params, ()) for f in FAMILIES},
    "empirical": (("samples_h",), ("censored",)),
}


def from_spec(spec: Mapping[str, Any]) -> LifeDistribution:
    """Build a distribution from a plain mapping (scenario file / API JSON).

    Parameters
    ----------
    spec : mapping
        ``{"distribution": name, <parameters>}`` with name and parameters one of
        ``weibull (shape, scale_h)``, ``lognormal (median_h, sigma)``,
        ``gamma (shape, scale_h)``, ``exponential (mean_h)``, ``normal (mean_h, sd_h)``,
        ``deterministic (life_h)``, ``empirical (samples_h, optional censored)``.
        Times in hours.

    Returns
    -------
    LifeDistribution

    Raises
    ------
    ValueError
        Unknown distribution, missing or unexpected keys, or invalid parameter values.
    """
    if not isinstance(spec, Mapping):
        raise ValueError(f"spec must be a mapping, got {type(spec).__name__}")
    name = spec.get("distribution")
    if not isinstance(name, str):
        raise ValueError("spec.distribution: missing or not a string")
    key = name.strip().lower()
    if key not in _SPEC_KEYS:
        raise ValueError(
            f"spec.distribution: unknown {name!r}; expected one of {sorted(_SPEC_KEYS)}"
        )
    required, optional = _SPEC_KEYS[key]
    missing = [k for k in required if k not in spec]
    if missing:
        raise ValueError(f"spec ({key}): missing parameter(s) {missing}")
    extra = sorted(set(spec) - {"distribution", *required, *optional})
    if extra:
        raise ValueError(
            f"spec ({key}): unexpected key(s) {extra}; expected {list(required + optional)}"
        )
    p = {k: spec[k] for k in (*required, *optional) if k in spec}
    family = _FAMILY_NAMED.get(key)
    if family is not None:
        return family.make(*(p[k] for k in family.params))
    return Empirical(p["samples_h"], p.get("censored"))


def _check_units(time_unit_s: float, elapsed_h: float, t0_s: float) -> None:
    if not (math.isfinite(time_unit_s) and time_unit_s > 0.0):
        raise ValueError(f"time_unit_s must be finite and > 0, got {time_unit_s!r}")
    if not (math.isfinite(elapsed_h) and elapsed_h >= 0.0):
        raise ValueError(f"elapsed_h must be finite and >= 0, got {elapsed_h!r}")
    if not math.isfinite(t0_s):
        raise ValueError(f"t0_s must be finite, got {t0_s!r}")


def _event_values(prediction: Mapping[str, Any], event: str) -> list[Any]:
    kind = prediction.get("type", "UnweightedSamples")
    if kind != "UnweightedSamples":
        raise ValueError(f"prediction.type: expected 'UnweightedSamples', got {kind!r}")
    samples = prediction.get("samples")
    if isinstance(samples, Mapping):  # ProgPy's alternative {event: [value, ...]} form
        if event not in samples:
            raise ValueError(f"prediction.samples: no event {event!r}; has {sorted(samples)}")
        values = samples[event]
        if not isinstance(values, Sequence) or isinstance(values, str):
            raise ValueError(f"prediction.samples.{event}: expected a list of times")
        return list(values)
    if not isinstance(samples, Sequence) or isinstance(samples, str):
        raise ValueError("prediction.samples: expected a list of {event: time_s} mappings")
    out: list[Any] = []
    for i, sample in enumerate(samples):
        if sample is None:  # a whole sample without events: event not reached
            out.append(None)
        elif isinstance(sample, Mapping):
            if event not in sample:
                raise ValueError(f"prediction.samples[{i}]: no event {event!r}")
            out.append(sample[event])
        else:
            raise ValueError(f"prediction.samples[{i}]: expected a mapping, got {sample!r}")
    return out


def progpy_samples(
    prediction: Mapping[str, Any],
    event: str,
    time_unit_s: float = 3600.0,
    elapsed_h: float = 0.0,
    *,
    horizon_s: float | None = None,
    t0_s: float = 0.0,
) -> Empirical:
    """Residual life (hours from now) from ProgPy time-of-event samples.

    Parameters
    ----------
    prediction : mapping
        Serialized ProgPy ``UnweightedSamples``:
        ``{"type": "UnweightedSamples", "samples": [{"<event>": time_s or null}, ...]}``
        (the ``{"<event>": [time_s or null, ...]}`` form of ``samples`` is accepted too).
        ``null`` (or a ``null`` sample) means the event was not reached before the
        prediction horizon: the sample is right-censored there.
    event : str
        Event key, e.g. ``"EOD"``.
    time_unit_s : float, default 3600
        Number of prediction time units per hour: hours ``= time / time_unit_s`` (ProgPy
        models usually run in seconds, hence 3600).
    elapsed_h : float, default 0
        Hours elapsed since the prediction instant, during which the part survived: the
        result is conditioned on ``T > elapsed_h`` and shifted to start now (samples at or
        before ``elapsed_h`` are dropped, which is Kaplan-Meier conditioning).
    horizon_s : float, optional
        Prediction horizon (same time axis as the samples) at which unreached events are
        censored; default: the largest observed event time.
    t0_s : float, default 0
        Time origin of the prediction on the samples' axis (ProgPy reports absolute
        simulation times; pass the prediction's start time to make them relative).

    Returns
    -------
    Empirical
        Kaplan-Meier residual life, hours, with the documented exponential tail.

    Raises
    ------
    ValueError
        Malformed prediction, missing event, negative/NaN times, a horizon before an
        observed event, or no failure after ``elapsed_h``.

    References
    ----------
    NASA ProgPy, ``progpy.uncertain_data.UnweightedSamples``.
    """
    _check_units(time_unit_s, elapsed_h, t0_s)
    values = _event_values(prediction, event)
    if not values:
        raise ValueError("prediction.samples: empty")
    cens = np.array([v is None for v in values], dtype=bool)
    try:
        times = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"prediction.samples.{event}: times must be numbers or null") from exc
    obs = times[~cens]
    if obs.size and not np.all(np.isfinite(obs)):
        raise ValueError(f"prediction.samples.{event}: times must be finite numbers or null")
    obs_rel = obs - t0_s
    if np.any(obs_rel < 0.0):
        raise ValueError(f"prediction.samples.{event}: event time before t0_s")
    if horizon_s is None:
        if obs.size == 0:
            raise ValueError("horizon_s is required when no sample reached the event")
        horizon_rel = float(obs_rel.max())
    else:
        if not math.isfinite(horizon_s):
            raise ValueError(f"horizon_s must be finite, got {horizon_s!r}")
        horizon_rel = float(horizon_s) - t0_s
        if obs.size and horizon_rel < float(obs_rel.max()):
            raise ValueError("horizon_s is before an observed event time")
    times_rel = np.where(cens, horizon_rel, times - t0_s)
    life_h = times_rel / time_unit_s - elapsed_h
    keep = life_h > 0.0
    if not np.any(keep & ~cens):
        raise ValueError(f"no sample of {event!r} fails after elapsed_h={elapsed_h} h")
    return Empirical(life_h[keep], cens[keep])


def progpy_normal(
    prediction: Mapping[str, Any],
    event: str,
    time_unit_s: float = 3600.0,
    elapsed_h: float = 0.0,
    *,
    t0_s: float = 0.0,
) -> Normal:
    """Residual life (hours from now) from a ProgPy ``MultivariateNormalDist``.

    Parameters
    ----------
    prediction : mapping
        ``{"type": "MultivariateNormalDist", "labels": [...], "mean": [...],
        "covar": [[...]]}`` of event times; the marginal of ``event`` is used.
    event : str
        Event label.
    time_unit_s : float, default 3600
        Prediction time units per hour (hours ``= time / time_unit_s``).
    elapsed_h : float, default 0
        Hours survived since the prediction instant; the truncated normal conditioned on
        ``T > elapsed_h`` and shifted is ``Normal(mean - elapsed_h, sd)``.
    t0_s : float, default 0
        Time origin of the prediction on the mean's axis.

    Returns
    -------
    Normal
        Truncated-normal residual life, hours.

    Raises
    ------
    ValueError
        Malformed prediction, unknown event, non-positive variance.

    References
    ----------
    NASA ProgPy, ``progpy.uncertain_data.MultivariateNormalDist``.
    """
    _check_units(time_unit_s, elapsed_h, t0_s)
    kind = prediction.get("type", "MultivariateNormalDist")
    if kind != "MultivariateNormalDist":
        raise ValueError(f"prediction.type: expected 'MultivariateNormalDist', got {kind!r}")
    try:
        labels = list(prediction["labels"])
        mean = np.asarray(prediction["mean"], dtype=np.float64)
        covar = np.asarray(prediction["covar"], dtype=np.float64)
    except KeyError as exc:
        raise ValueError(f"prediction: missing key {exc.args[0]!r}") from exc
    except (TypeError, ValueError) as exc:
        raise ValueError("prediction.mean / covar: expected numbers") from exc
    n = len(labels)
    if mean.shape != (n,) or covar.shape != (n, n):
        raise ValueError(
            f"prediction: mean shape {mean.shape} and covar shape {covar.shape} do not match "
            f"{n} labels"
        )
    if event not in labels:
        raise ValueError(f"prediction.labels: no event {event!r}; has {labels}")
    i = labels.index(event)
    var = float(covar[i, i])
    if not (math.isfinite(var) and var > 0.0):
        raise ValueError(f"prediction.covar[{i}][{i}] (variance of {event!r}) must be > 0")
    mean_h = (float(mean[i]) - t0_s) / time_unit_s - elapsed_h
    return Normal(mean_h, math.sqrt(var) / time_unit_s)
