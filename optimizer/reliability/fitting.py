"""Maximum-likelihood life-distribution fits from failure history with right censoring.

A maintenance history is a list of operating times ``times_h`` (hours) with a flag
``failed``: ``True`` when the part failed at that age, ``False`` when it was removed
(preventively, or for another reason) or is still running at that age -- a *right-censored*
record, which says only that the life exceeds the recorded time.  The likelihood is

.. math:: L(\\theta) = \\prod_{failed} f(t_i; \\theta) \\prod_{censored} S(t_i; \\theta),

and :func:`fit_weibull` / :func:`fit_lognormal` maximize it.

Confidence intervals
--------------------
Both fitters report 95 % **Wald intervals on the log-parameters** (delta method): the
observed information matrix ``I`` (minus the analytic Hessian of the log-likelihood at the
MLE) is computed in the parametrization ``(log shape, log scale_h)`` for the Weibull and
``(log median_h, log sigma)`` for the lognormal; with ``se = sqrt(diag(I^-1))`` each
interval is ``exp(log(estimate) +/- 1.959964 se)``.  Working on the log scale keeps the
intervals inside the positive half-line and makes them asymmetric the way the sampling
distribution of a scale or shape parameter is.

References
----------
.. [1] J. F. Lawless, *Statistical Models and Methods for Lifetime Data*, 2nd ed., Wiley,
   2003, ch. 4 (Weibull and lognormal MLE with censoring, observed information).
.. [2] W. Q. Meeker and L. A. Escobar, *Statistical Methods for Reliability Data*, Wiley,
   1998, ch. 8 (Wald intervals on log-parameters; median-rank regression starts).
.. [3] N. R. Farnum and P. Booth, "Uniqueness of maximum likelihood estimators of the
   2-parameter Weibull distribution", *IEEE Trans. Reliability* 46(4), 1997 (the profile
   score equation in the shape has a unique root).
.. [4] L. G. Johnson, *The Statistical Treatment of Fatigue Experiments*, Elsevier, 1964
   (adjusted ranks for censored data); Benard's median-rank approximation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special

from optimizer._typing import BoolArray, FloatArray
from optimizer.reliability import distributions as rul
from optimizer.reliability.distributions import LifeDistribution

_Z95 = 1.959963984540054  # standard-normal 97.5 % quantile
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)

__all__ = ["FitResult", "fit_lognormal", "fit_weibull", "median_rank_points"]


@dataclass(frozen=True)
class FitResult:
    """Result of a maximum-likelihood life-distribution fit.

    Parameters
    ----------
    family : str
        ``"weibull"`` or ``"lognormal"``.
    params : dict of str to float
        Point estimates.  Weibull: ``shape`` (dimensionless), ``scale_h`` (hours).
        Lognormal: ``median_h`` (hours, ``exp(mu)``), ``sigma`` (standard deviation of
        ``log T``, dimensionless).
    ci : dict of str to (float, float)
        95 % Wald confidence interval of each parameter, computed on the log-parameter scale
        from the observed information matrix (see the module docstring).
    log_likelihood : float
        Maximized log-likelihood: sum of ``log f(t_i)`` (density in 1/hour) over failures plus
        ``log S(t_i)`` over censored records.
    n_failures : int
        Number of failure records.
    n_censored : int
        Number of right-censored records.
    cov_log : tuple of tuple of float, optional
        Inverse observed information (asymptotic covariance) in the log-parametrization
        of the intervals: ``(log shape, log scale_h)`` (Weibull), ``(log median_h,
        log sigma)`` (lognormal).  Used for the interval of the mean life.
    """

    family: str
    params: dict[str, float]
    ci: dict[str, tuple[float, float]]
    log_likelihood: float
    n_failures: int
    n_censored: int
    cov_log: tuple[tuple[float, float], tuple[float, float]] | None = None

    @property
    def aic(self) -> float:
        """Akaike information criterion ``2 p - 2 log L`` (``p = 2`` parameters)."""
        return 2.0 * 2 - 2.0 * self.log_likelihood

    def mean_life_h(self) -> float:
        """Mean life of the fitted distribution, hours.

        Weibull ``scale_h Gamma(1 + 1/shape)``; lognormal ``median_h exp(sigma^2 / 2)``.
        """
        with np.errstate(over="ignore"):  # a huge mean is inf, not an exception
            if self.family == "weibull":
                k, lam = self.params["shape"], self.params["scale_h"]
                return float(lam * np.exp(special.gammaln(1.0 + 1.0 / k)))
            if self.family == "lognormal":
                return float(self.params["median_h"] * np.exp(0.5 * self.params["sigma"] ** 2))
        raise ValueError(f"family: unknown family {self.family!r}")

    def mean_life_ci(self) -> tuple[float, float]:
        """95 % Wald interval of the mean life, hours (delta method on ``log mean``).

        ``log mean`` is a smooth function of the log-parameters: Weibull
        ``v + log Gamma(1 + e^-u)`` (gradient ``(-psi(1 + 1/k)/k, 1)``), lognormal
        ``mu + e^(2 s)/2`` (gradient ``(1, sigma^2)``); its variance is ``g' C g`` with
        ``C`` = :attr:`cov_log`.

        Raises
        ------
        ValueError
            If the fit carries no covariance.

        Notes
        -----
        Non-finite bounds (``inf``) mean the data do not bound the mean.
        """
        if self.cov_log is None:
            raise ValueError("cov_log: this fit carries no covariance")
        if self.family == "weibull":
            k = self.params["shape"]
            g = np.array([-float(special.digamma(1.0 + 1.0 / k)) / k, 1.0])
        else:
            g = np.array([1.0, self.params["sigma"] ** 2])
        var = float(g @ np.asarray(self.cov_log) @ g)
        se = math.sqrt(max(var, 0.0))
        m = self.mean_life_h()
        with np.errstate(over="ignore", invalid="ignore"):
            return float(m * np.exp(-_Z95 * se)), float(m * np.exp(_Z95 * se))

    def distribution(self) -> LifeDistribution:
        """Return the fitted life distribution (a ``LifeDistribution``).

        Returns
        -------
        LifeDistribution
            ``rul.Weibull(shape, scale_h)`` or ``rul.Lognormal(median_h, sigma)``.

        Raises
        ------
        ValueError
            If ``family`` is not one this module produces.
        """
        if self.family == "weibull":
            return rul.Weibull(self.params["shape"], self.params["scale_h"])
        if self.family == "lognormal":
            return rul.Lognormal(self.params["median_h"], self.params["sigma"])
        raise ValueError(f"family: unknown family {self.family!r}")


# --------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------


def _validate(times_h: ArrayLike, failed: ArrayLike) -> tuple[FloatArray, BoolArray]:
    t = np.asarray(times_h, dtype=np.float64)
    f_raw = np.asarray(failed)
    if t.ndim != 1:
        raise ValueError(f"times_h: must be one-dimensional, got shape {t.shape}")
    if f_raw.ndim != 1:
        raise ValueError(f"failed: must be one-dimensional, got shape {f_raw.shape}")
    if t.shape != f_raw.shape:
        raise ValueError(
            f"times_h and failed: length mismatch ({t.shape[0]} times, {f_raw.shape[0]} flags)"
        )
    if np.isnan(t).any():
        raise ValueError("times_h: contains NaN")
    if not np.isfinite(t).all():
        raise ValueError("times_h: contains infinite values")
    if (t <= 0.0).any():
        raise ValueError(f"times_h: must be > 0 hours, got minimum {t.min()!r}")
    if f_raw.dtype != np.bool_:
        if not np.isin(f_raw, (0, 1)).all():
            raise ValueError("failed: must be boolean (True/False or 1/0)")
    f = f_raw.astype(np.bool_)
    n_fail = int(f.sum())
    if n_fail < 2:
        raise ValueError(f"failed: at least 2 failures are needed for a fit, got {n_fail}")
    return t, f


def median_rank_points(times_h: ArrayLike, failed: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Failure times and their median-rank estimates of ``F`` (Johnson + Benard).

    Records are sorted by time (failures before censorings at ties); each failure gets
    Johnson's adjusted order number, which spreads the probability mass of earlier censored
    items over the later ones, and Benard's approximation
    ``F = (order - 0.3) / (n + 0.4)`` of its median rank.

    Parameters
    ----------
    times_h : array_like of float, shape (n,)
        Operating times, hours (> 0).
    failed : array_like of bool, shape (n,)
        ``True`` for a failure, ``False`` for a right-censored record.

    Returns
    -------
    t_fail_h : ndarray, shape (r,)
        Sorted failure times, hours.
    f_hat : ndarray, shape (r,)
        Median-rank estimates of the CDF at those times, in (0, 1).

    Raises
    ------
    ValueError
        On invalid input (see :func:`fit_weibull`).

    References
    ----------
    .. [1] L. G. Johnson (1964); Meeker and Escobar (1998), sec. 6.
    """
    t, f = _validate(times_h, failed)
    n = t.shape[0]
    # lexsort: last key is primary -> sort by time, failures (key 0) before censored (key 1)
    order = np.lexsort((~f, t))
    t_s, f_s = t[order], f[order]
    reverse_rank = n - np.arange(n)  # items at or after this position
    t_fail = t_s[f_s]
    rr_fail = reverse_rank[f_s].astype(np.float64)
    # Johnson: O_j = O_{j-1} + (n + 1 - O_{j-1}) / (1 + rr_j), i.e.
    # n + 1 - O_j = (n + 1 - O_{j-1}) rr_j / (1 + rr_j): a cumulative product.
    orders = (n + 1.0) * (1.0 - np.cumprod(rr_fail / (1.0 + rr_fail)))
    f_hat = (orders - 0.3) / (n + 0.4)
    return t_fail, f_hat


def _wald_ci(
    log_est: FloatArray, info: FloatArray, names: tuple[str, str], family: str
) -> tuple[dict[str, tuple[float, float]], tuple[tuple[float, float], tuple[float, float]]]:
    """95 % Wald intervals ``exp(log_est +/- z se)`` from the observed information,
    and the covariance (inverse information) they come from."""
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.full((2, 2), np.nan)
    var = np.diag(cov)
    if not (np.isfinite(var).all() and (var > 0).all()):
        raise ValueError(
            f"times_h/failed: the {family} information matrix at the MLE is singular; "
            "the data do not identify both parameters"
        )
    se = np.sqrt(var)
    lo = np.exp(log_est - _Z95 * se)
    hi = np.exp(log_est + _Z95 * se)
    ci = {names[0]: (float(lo[0]), float(hi[0])), names[1]: (float(lo[1]), float(hi[1]))}
    c = ((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1])))
    return ci, c


# --------------------------------------------------------------------------------------
# Weibull
# --------------------------------------------------------------------------------------


def _weibull_loglik_terms(
    log_k: float, log_lam: float, t: FloatArray, f: BoolArray
) -> tuple[float, FloatArray, FloatArray]:
    """Log-likelihood, gradient and Hessian in ``(u, v) = (log shape, log scale)``.

    With ``y_i = k (log t_i - v)`` and ``z_i = exp(y_i) = (t_i / lambda)^k``::

        l      = sum_F (u - log t_i + y_i) - sum_all z_i
        dl/du  = r + sum_F y_i - sum z_i y_i
        dl/dv  = k (sum z_i - r)
        d2l/du2  = sum_F y_i - sum z_i y_i (y_i + 1)
        d2l/dudv = k (sum z_i (y_i + 1) - r)
        d2l/dv2  = -k^2 sum z_i
    """
    k = math.exp(log_k)
    logt = np.log(t)
    y = k * (logt - log_lam)
    z = np.exp(y)
    r = float(f.sum())
    yf = float(y[f].sum())
    ll = r * log_k - float(logt[f].sum()) + yf - float(z.sum())
    zy = float((z * y).sum())
    grad = np.array([r + yf - zy, k * (float(z.sum()) - r)])
    h_uu = yf - float((z * y * (y + 1.0)).sum())
    h_uv = k * (float((z * (y + 1.0)).sum()) - r)
    h_vv = -k * k * float(z.sum())
    hess = np.array([[h_uu, h_uv], [h_uv, h_vv]])
    return ll, grad, hess


def fit_weibull(times_h: ArrayLike, failed: ArrayLike) -> FitResult:
    """Two-parameter Weibull maximum-likelihood fit with right censoring.

    The scale is profiled out: for a fixed shape ``k`` the MLE of the scale is
    ``lambda(k) = (sum_i t_i^k / r)^(1/k)`` (``r`` failures, sum over all records), and the
    shape solves the profile score equation

    ``sum_i t_i^k log t_i / sum_i t_i^k - 1/k - mean_{failures} log t_i = 0``,

    which is increasing in ``k`` with a unique root [3]_; it is bracketed around the
    median-rank-regression estimate and solved with Brent's method on ``log k``.  Times are
    scaled by their maximum before raising to the power ``k`` so that large shapes do not
    overflow.

    Parameters
    ----------
    times_h : array_like of float, shape (n,)
        Operating time of each record, hours (finite, > 0).
    failed : array_like of bool, shape (n,)
        ``True`` if the part failed at ``times_h``, ``False`` if the record is right-censored
        (removed while working, or still running).

    Returns
    -------
    FitResult
        ``family="weibull"``, ``params={"shape", "scale_h"}``, 95 % Wald CIs on the log scale.

    Raises
    ------
    ValueError
        If the inputs differ in length or are not one-dimensional, if a time is NaN,
        infinite or <= 0, if ``failed`` is not boolean, if there are fewer than 2 failures,
        or if the shape is not identifiable (all failure times equal and no later record).

    References
    ----------
    .. [1] Lawless (2003), sec. 4.1.1; Meeker and Escobar (1998), sec. 8.
    .. [3] Farnum and Booth (1997).
    """
    t, f = _validate(times_h, failed)
    t_ref = float(t.max())
    x = t / t_ref  # in (0, 1]: x^k never overflows
    logx = np.log(x)
    mean_logx_fail = float(logx[f].mean())
    r = float(f.sum())

    def score(log_k: float) -> float:
        k = math.exp(log_k)
        w = x**k
        sw = float(w.sum())
        return float((w * logx).sum()) / sw - 1.0 / k - mean_logx_fail

    # The score tends to log(max x) - mean_F log x = -mean_F log x >= 0 as k -> infinity,
    # with equality exactly when every failure sits at the largest time: no finite MLE.
    if not mean_logx_fail < -1e-12:
        raise ValueError(
            "times_h/failed: all failures occur at the largest recorded time; the Weibull "
            "shape is not identifiable (no finite maximum-likelihood estimate)"
        )
    log_k0 = _weibull_mrr_log_shape(t, f)
    lo, hi = log_k0 - 0.5, log_k0 + 0.5
    for _ in range(200):
        if score(lo) < 0.0:
            break
        lo -= 1.0
    for _ in range(200):
        if score(hi) > 0.0:
            break
        hi += 1.0
    if not (score(lo) < 0.0 < score(hi)):
        raise ValueError("times_h/failed: could not bracket the Weibull shape estimate")
    log_k = float(optimize.brentq(score, lo, hi, xtol=1e-14, rtol=1e-13, maxiter=500))
    k = math.exp(log_k)
    log_lam = math.log(t_ref) + math.log(float((x**k).sum()) / r) / k

    ll, _, hess = _weibull_loglik_terms(log_k, log_lam, t, f)
    log_est = np.array([log_k, log_lam])
    ci, cov = _wald_ci(log_est, -hess, ("shape", "scale_h"), "weibull")
    return FitResult(
        family="weibull",
        params={"shape": k, "scale_h": math.exp(log_lam)},
        ci=ci,
        log_likelihood=ll,
        n_failures=int(r),
        n_censored=int(t.shape[0] - r),
        cov_log=cov,
    )


def _weibull_mrr_log_shape(t: FloatArray, f: BoolArray) -> float:
    """Log of the median-rank-regression Weibull shape (start of the bracket search).

    Regresses ``log t`` on ``log(-log(1 - F))`` (rank regression on X); the slope is ``1/k``.
    Falls back to ``log k = 0`` when the regression is degenerate.
    """
    t_fail, f_hat = median_rank_points(t, f)
    xs = np.log(-np.log1p(-f_hat))
    ys = np.log(t_fail)
    if np.ptp(xs) <= 0.0 or np.ptp(ys) <= 0.0:
        return 0.0
    slope = float(np.polyfit(xs, ys, 1)[0])
    if not (np.isfinite(slope) and slope > 0.0):
        return 0.0
    return float(np.clip(-math.log(slope), -5.0, 5.0))


# --------------------------------------------------------------------------------------
# lognormal
# --------------------------------------------------------------------------------------


def _lognormal_loglik_terms(
    mu: float, log_sigma: float, t: FloatArray, f: BoolArray
) -> tuple[float, FloatArray, FloatArray]:
    """Log-likelihood, gradient and Hessian in ``(mu, s) = (log median, log sigma)``.

    With ``w = (log t - mu) / sigma``, failures contribute
    ``-log t - s - log(2 pi)/2 - w^2/2`` and censored records ``log Phi(-w)``.  Writing
    ``m(w) = phi(w) / Phi(-w)`` (standard-normal hazard, ``m' = m (m - w)``) and using
    ``dw/dmu = -1/sigma``, ``dw/ds = -w``:

    failures:  ``dl/dmu = w/sigma``, ``dl/ds = w^2 - 1``, ``d2l/dmu2 = -1/sigma^2``,
    ``d2l/dmu ds = -2 w/sigma``, ``d2l/ds2 = -2 w^2``;

    censored:  ``dl/dmu = m/sigma``, ``dl/ds = m w``, ``d2l/dmu2 = -m (m-w)/sigma^2``,
    ``d2l/dmu ds = -m ((m-w) w + 1)/sigma``, ``d2l/ds2 = -m w ((m-w) w + 1)``.
    """
    sigma = math.exp(log_sigma)
    logt = np.log(t)
    w = (logt - mu) / sigma
    wf, wc = w[f], w[~f]
    ll_f = float((-logt[f] - log_sigma - _HALF_LOG_2PI - 0.5 * wf * wf).sum())
    log_sf_c = special.log_ndtr(-wc)
    ll_c = float(log_sf_c.sum())
    # Mills-ratio hazard via logs: stable far into both tails.
    m = np.exp(-0.5 * wc * wc - _HALF_LOG_2PI - log_sf_c)
    g_mu = float(wf.sum()) / sigma + float(m.sum()) / sigma
    g_s = float((wf * wf - 1.0).sum()) + float((m * wc).sum())
    a = (m - wc) * wc + 1.0
    h_mumu = -wf.shape[0] / sigma**2 - float((m * (m - wc)).sum()) / sigma**2
    h_mus = -2.0 * float(wf.sum()) / sigma - float((m * a).sum()) / sigma
    h_ss = -2.0 * float((wf * wf).sum()) - float((m * wc * a).sum())
    grad = np.array([g_mu, g_s])
    hess = np.array([[h_mumu, h_mus], [h_mus, h_ss]])
    return ll_f + ll_c, grad, hess


def fit_lognormal(times_h: ArrayLike, failed: ArrayLike) -> FitResult:
    """Lognormal maximum-likelihood fit with right censoring.

    ``log T ~ Normal(mu, sigma^2)`` with ``median_h = exp(mu)``.  Without censoring the MLE
    is closed form (mean and population standard deviation of ``log t``).  With censoring the
    log-likelihood is maximized in ``(mu, log sigma)`` by a trust-region Newton method with
    the analytic gradient and Hessian, started from median-rank regression of ``log t`` on
    the normal quantile of the median ranks (falling back to BFGS from the same start if
    the trust region stalls).

    Parameters
    ----------
    times_h : array_like of float, shape (n,)
        Operating time of each record, hours (finite, > 0).
    failed : array_like of bool, shape (n,)
        ``True`` for a failure, ``False`` for a right-censored record.

    Returns
    -------
    FitResult
        ``family="lognormal"``, ``params={"median_h", "sigma"}``, 95 % Wald CIs on the log
        scale.

    Raises
    ------
    ValueError
        On invalid input (see :func:`fit_weibull`), if all failure times are equal, or if
        the optimizer does not converge.

    References
    ----------
    .. [1] Lawless (2003), sec. 4.2; Meeker and Escobar (1998), sec. 8.
    """
    t, f = _validate(times_h, failed)
    logt = np.log(t)
    if np.ptp(logt[f]) <= 0.0:
        raise ValueError(
            "times_h/failed: all failure times are equal; the lognormal sigma is not identifiable"
        )
    r = int(f.sum())
    if r == t.shape[0]:
        mu = float(logt.mean())
        log_sigma = 0.5 * math.log(float(((logt - mu) ** 2).mean()))
    else:
        mu, log_sigma = _lognormal_censored_mle(t, f)

    ll, _, hess = _lognormal_loglik_terms(mu, log_sigma, t, f)
    ci, cov = _wald_ci(np.array([mu, log_sigma]), -hess, ("median_h", "sigma"), "lognormal")
    return FitResult(
        family="lognormal",
        params={"median_h": math.exp(mu), "sigma": math.exp(log_sigma)},
        ci=ci,
        log_likelihood=ll,
        n_failures=r,
        n_censored=int(t.shape[0] - r),
        cov_log=cov,
    )


def _lognormal_censored_mle(t: FloatArray, f: BoolArray) -> tuple[float, float]:
    t_fail, f_hat = median_rank_points(t, f)
    q = special.ndtri(f_hat)
    logt_fail = np.log(t_fail)
    if np.ptp(q) > 0.0:
        slope, intercept = np.polyfit(q, logt_fail, 1)
    else:
        slope, intercept = float(np.std(logt_fail)), float(np.mean(logt_fail))
    if not (np.isfinite(slope) and slope > 0.0):
        slope = max(float(np.std(logt_fail)), 1e-3)
    x0 = np.array([float(intercept), math.log(float(slope))])

    def neg(p: FloatArray) -> float:
        return -_lognormal_loglik_terms(float(p[0]), float(p[1]), t, f)[0]

    def neg_grad(p: FloatArray) -> FloatArray:
        return -_lognormal_loglik_terms(float(p[0]), float(p[1]), t, f)[1]

    def neg_hess(p: FloatArray) -> FloatArray:
        return -_lognormal_loglik_terms(float(p[0]), float(p[1]), t, f)[2]

    res = optimize.minimize(
        neg, x0, jac=neg_grad, hess=neg_hess, method="trust-exact", options={"gtol": 1e-10}
    )
    if not _converged(res.x, neg_grad, t.shape[0]):
        res = optimize.minimize(neg, x0, jac=neg_grad, method="BFGS", options={"gtol": 1e-10})
    if not _converged(res.x, neg_grad, t.shape[0]):
        raise ValueError(
            "times_h/failed: lognormal maximum likelihood did not converge (the censoring "
            "pattern may not identify the parameters)"
        )
    return float(res.x[0]), float(res.x[1])


def _converged(x: FloatArray, grad: Callable[[FloatArray], FloatArray], n: int) -> bool:
    # The score is a sum over records, so the tolerance scales with the sample size.
    g = grad(x)
    return bool(np.isfinite(x).all() and np.isfinite(g).all() and np.abs(g).max() < 1e-7 * n)
