"""Single-component optimal replacement and fleet penalty curves.

Three pieces (README, "How it decides": per component):

* :func:`age_replacement` -- Barlow and Proschan's age-replacement policy for a new part:
  long-run cost rate ``g(T) = (c_p S(T) + c_f F(T)) / integral_0^T S`` and its minimizer.
* :func:`minimal_repair_replacement` -- Barlow and Hunter's periodic replacement with
  minimal repair at failures: rate ``(c_p + c_f H(x)) / x``.
* :func:`penalty_curves` -- for the *current* part of every component of a fleet, the
  expected cost ``c_i(t)`` of doing its next preventive replacement ``t`` hours from now
  (finite horizon, then the optimal renewal policy of rate ``g*_i``) and the penalty
  ``h_i(t) = c_i(t) - min_{t >= 0} c_i(t)`` on a grid of period start times, computed for
  the whole fleet with batched (stacked-parameter) distribution calls.

All times are hours, costs are currency, cost rates currency per hour.

References
----------
.. [1] R. E. Barlow and F. Proschan, *Mathematical Theory of Reliability*, Wiley, 1965,
   ch. 4 (age replacement; existence of the optimum for IFR lives).
.. [2] R. E. Barlow and L. C. Hunter, "Optimum preventive maintenance policies",
   *Operations Research* 8(1), 1960, 90-100 (periodic replacement with minimal repair).
.. [3] R. Wildeman, R. Dekker and A. Smit, "A dynamic policy for grouping maintenance
   activities", *European Journal of Operational Research* 99, 1997, 530-551 (penalty
   functions ``h_i(t)`` of deviating from the individual optimum, with the long-run rate
   crediting the life used).
.. [4] R. P. Brent, *Algorithms for Minimization without Derivatives*, Prentice-Hall,
   1973 (bounded scalar minimization used for the local refinement).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

from optimizer._typing import BoolArray, FloatArray, IndexArray
from optimizer.reliability import distributions as rul
from optimizer.reliability.batch import BatchKey, batch_key, stack_ages, stack_params
from optimizer.reliability.distributions import LifeDistribution

__all__ = [
    "PenaltyCurves",
    "ReplacementResult",
    "age_replacement",
    "age_replacement_batch",
    "knot_left_limits",
    "minimal_repair_replacement",
    "penalty_curves",
]

# Grid density (points per decade of time) of the robust scalar minimization.
_POINTS_PER_DECADE = 100
# Local minima of the grid refined by Brent's method (the best ones by grid value).
_N_REFINE = 8
# A finite optimum must beat the limiting (T -> inf) rate by this relative margin.
_REL_GAIN = 1e-12
# Upper quantile that bounds the search grids: beyond it the cost rate differs from its
# limit by less than about this probability times the failure cost.
_Q_HI = 1.0 - 1e-12

# --- penalty curves -------------------------------------------------------------------
_CHUNK = 2048  # components per batched evaluation (bounds peak memory)
_N_EXT = 64  # log-spaced points beyond the horizon, per component
_BISECT_ITERS = 60
_QUAD_RTOL = 1e-9  # accepted relative error of the quadrature integral of S at checkpoints
# Gauss-Lobatto 4-point rule on [0, 1]: nodes 0, (1 -+ 1/sqrt 5)/2, 1; weights 1,5,5,1 / 12.
_LOB_X = (0.5 - 0.1 * math.sqrt(5.0), 0.5 + 0.1 * math.sqrt(5.0))


@dataclass(frozen=True)
class ReplacementResult:
    """Optimal renewal policy of one component.

    Parameters
    ----------
    t_star : float
        Optimal replacement age (age replacement) or period (minimal repair), hours;
        ``inf`` when no finite optimum exists.
    cost_rate : float
        Long-run cost rate of the optimal policy, currency per hour (never NaN).
    cost_rate_run_to_failure : float
        Long-run rate without preventive replacement, currency per hour: ``c_f / MTTF``
        for age replacement; ``c_f * hazard(inf)`` (minimal repair forever) for the
        minimal-repair policy (``inf`` when the hazard grows without bound).
    policy : str
        ``"age_replacement"``, ``"periodic_minimal_repair"``, ``"run_to_failure"`` or
        ``"minimal_repair_only"``.
    """

    t_star: float
    cost_rate: float
    cost_rate_run_to_failure: float
    policy: str


@dataclass(frozen=True)
class PenaltyCurves:
    """Penalty of each component's next preventive replacement, per period start time.

    Parameters
    ----------
    t_h : ndarray, shape (T,)
        Period start times from now, hours.
    penalty : ndarray, shape (n, T)
        ``h_i(t) = c_i(t) - min_{t >= 0} c_i(t) >= 0``, currency (``inf`` for a
        minimal-repair component whose cost decreases without bound, see
        :func:`penalty_curves`).
    penalty_beyond : ndarray, shape (n,)
        ``min_{t >= horizon_h} h_i(t)`` (including ``t -> inf``): the cost of deferring
        the replacement past the horizon, currency.
    t_opt_h : ndarray, shape (n,)
        Minimizer of ``c_i``, hours from now (``inf`` when the infimum is the limit
        ``t -> inf``).
    c_min : ndarray, shape (n,)
        ``min_{t >= 0} c_i(t)``, currency.
    """

    t_h: FloatArray
    penalty: FloatArray
    penalty_beyond: FloatArray
    t_opt_h: FloatArray
    c_min: FloatArray


# --------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------


def _positive_cost(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, got {value!r}") from exc
    if not (math.isfinite(v) and v > 0.0):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return v


def _scalar_dist(dist: LifeDistribution) -> None:
    if not isinstance(dist, LifeDistribution):
        raise ValueError(f"dist must be a LifeDistribution, got {type(dist)!r}")
    if dist.batch_shape != ():
        raise ValueError(f"dist must be a single distribution, got batch shape {dist.batch_shape}")


def _left_limit(x_h: FloatArray, age_h: FloatArray | float) -> FloatArray:
    """Largest ``t`` with ``age_h + t < x_h`` in floating point (left limit at a jump).

    ``nextafter(x_h - age_h, 0)`` alone is not enough: ``age_h + t`` may round back up to
    ``x_h`` and land on the far side of the jump.
    """
    x = np.asarray(x_h, dtype=np.float64)
    a = np.broadcast_to(np.asarray(age_h, dtype=np.float64), x.shape)
    t = np.array(np.nextafter(x - a, 0.0), dtype=np.float64)
    for _ in range(64):
        over = (a + t >= x) & (t > 0.0)
        if not over.any():
            break
        t[over] = np.nextafter(t[over], 0.0) - 2.0 * np.spacing(a[over])
    return np.asarray(np.maximum(t, 0.0), dtype=np.float64)


def knot_left_limits(dist: LifeDistribution) -> FloatArray:
    """Left limits (in ``dist``'s time) of the jumps of a step survival function.

    The cost functions jump *up* where the survival drops, so their infima are the left
    limits there (used as extra candidates by every minimization over replacement times).

    Parameters
    ----------
    dist : LifeDistribution
        A single distribution, possibly the residual life of a part of some age.

    Returns
    -------
    ndarray, shape (k,)
        Largest times just before each jump still ahead, hours from now (from age 0 for a
        new part); empty for continuous lives.
    """
    age = 0.0
    base = dist
    if isinstance(dist, rul.Residual):
        base, age = dist.base, float(dist.age_h)
    if isinstance(base, rul.Deterministic):
        k = np.atleast_1d(np.asarray(base.life_h, dtype=np.float64))
    elif isinstance(base, rul.Empirical):
        k = np.unique(base.samples_h[~base.censored])
    else:
        return np.empty(0)
    k = k[k > age]
    return _left_limit(k, age)


# --------------------------------------------------------------------------------------
# robust one-dimensional minimization
# --------------------------------------------------------------------------------------


def _robust_minimize(
    fun: Callable[[FloatArray], FloatArray],
    t_lo: float,
    t_hi: float,
    extra: FloatArray,
    ceiling: float,
) -> tuple[float, float]:
    """Global minimum of ``fun`` on ``[t_lo, t_hi]`` (plus the points ``extra``).

    ``fun`` is evaluated on a log-spaced grid (``_POINTS_PER_DECADE`` per decade); the
    best ``_N_REFINE`` local minima of the grid whose value is below ``ceiling`` (the
    limit ``t -> inf``; rounding noise in the flat tail makes spurious minima above it) are
    refined by Brent's bounded method in ``log t`` between their grid neighbours.
    Non-finite values count as ``+inf``.
    """
    n = max(400, math.ceil(_POINTS_PER_DECADE * math.log10(t_hi / t_lo)) + 1)
    grid = np.geomspace(t_lo, t_hi, n)
    vals = np.asarray(fun(grid), dtype=np.float64)
    vals = np.where(np.isfinite(vals), vals, np.inf)
    best_i = int(np.argmin(vals))
    best_t, best_v = float(grid[best_i]), float(vals[best_i])

    interior = np.arange(1, n - 1)
    is_min = (vals[interior] <= vals[interior - 1]) & (vals[interior] <= vals[interior + 1])
    is_min &= vals[interior] < ceiling
    cand = interior[is_min]
    cand = cand[np.argsort(vals[cand], kind="stable")[:_N_REFINE]]
    if 0 < best_i < n - 1 and best_i not in cand:
        cand = np.append(cand, best_i)

    def f_log(u: float) -> float:
        v = float(np.asarray(fun(np.array([math.exp(u)])))[0])
        return v if math.isfinite(v) else math.inf

    for i in cand:
        lo, hi = math.log(grid[i - 1]), math.log(grid[i + 1])
        res = optimize.minimize_scalar(
            f_log, bounds=(lo, hi), method="bounded", options={"xatol": 1e-11}
        )
        if math.isfinite(res.fun) and res.fun < best_v:
            best_t, best_v = math.exp(float(res.x)), float(res.fun)

    extra = extra[(extra > 0.0) & np.isfinite(extra)]
    if extra.size:
        ev = np.asarray(fun(extra), dtype=np.float64)
        ev = np.where(np.isfinite(ev), ev, np.inf)
        j = int(np.argmin(ev))
        if ev[j] < best_v:
            best_t, best_v = float(extra[j]), float(ev[j])
    return best_t, best_v


# --------------------------------------------------------------------------------------
# (a) age replacement
# --------------------------------------------------------------------------------------


def age_replacement(dist: LifeDistribution, *, cost_pm: float, cost_cm: float) -> ReplacementResult:
    """Optimal age replacement of a new part (Barlow and Proschan).

    Minimizes ``g(T) = (c_p S(T) + c_f F(T)) / integral_0^T S(u) du`` over ``T > 0``.

    The search is robust to flat and multi-modal cost rates: ``g`` is evaluated on a
    log-spaced grid (100 points per decade) from the rigorous lower bound
    ``T_lo = MTTF c_p / c_f`` (for ``T < T_lo``, ``g(T) >= c_p / T > c_f / MTTF``) to
    ``max(20 median, ppf(1 - 1e-12))``, the best local minima of the grid are refined with
    Brent's bounded method, the left limits at the jumps of a step survival function
    (deterministic or empirical lives) are added, and the best point is compared with the
    run-to-failure rate ``c_f / MTTF`` (the limit ``T -> inf``).

    Parameters
    ----------
    dist : LifeDistribution
        Life of a new part (a single distribution, hours).
    cost_pm : float
        Cost of a preventive replacement ``c_p > 0``, currency.
    cost_cm : float
        Cost of a failure (corrective replacement, downtime, consequences) ``c_f > 0``,
        currency.

    Returns
    -------
    ReplacementResult
        ``t_star`` (hours, ``inf`` when run-to-failure is optimal -- always so when
        ``c_p >= c_f`` or the hazard is non-increasing), ``cost_rate`` (currency/hour),
        ``cost_rate_run_to_failure = c_f / MTTF``, ``policy`` (``"age_replacement"`` or
        ``"run_to_failure"``).

    Raises
    ------
    ValueError
        If ``cost_pm`` or ``cost_cm`` is not finite and positive, or ``dist`` is not a
        single :class:`~optimizer.reliability.distributions.LifeDistribution` with a finite mean.

    References
    ----------
    .. [1] Barlow and Proschan (1965), ch. 4.
    """
    cp = _positive_cost("cost_pm", cost_pm)
    cf = _positive_cost("cost_cm", cost_cm)
    _scalar_dist(dist)
    mttf = float(dist.mean())
    if not (math.isfinite(mttf) and mttf > 0.0):
        raise ValueError(f"dist: mean life must be finite and > 0, got {mttf!r}")
    rtf = cf / mttf
    if cp >= cf:
        # g(T) >= c_f (S + F) / int_0^T S >= c_f / MTTF: replacing early never pays.
        return ReplacementResult(math.inf, rtf, rtf, "run_to_failure")

    def rate(t: FloatArray) -> FloatArray:
        s = dist.sf(t)
        f = dist.cdf(t)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray((cp * s + cf * f) / dist.int_sf(t), dtype=np.float64)

    t_lo = mttf * cp / cf
    med = float(dist.ppf(0.5))
    t_hi = max(20.0 * med, float(dist.ppf(_Q_HI)), 4.0 * t_lo)
    if not math.isfinite(t_hi):
        t_hi = max(20.0 * med, 1e6 * mttf)
    t_best, g_best = _robust_minimize(rate, t_lo, t_hi, knot_left_limits(dist), rtf)
    if g_best < rtf * (1.0 - _REL_GAIN):
        return ReplacementResult(t_best, g_best, rtf, "age_replacement")
    return ReplacementResult(math.inf, rtf, rtf, "run_to_failure")


def age_replacement_batch(
    dist: LifeDistribution, *, cost_pm: ArrayLike, cost_cm: ArrayLike
) -> list[ReplacementResult]:
    """:func:`age_replacement` for many cost pairs sharing one life distribution.

    Fleets repeat a part type with different costs (each system has its own production
    value, hence its own failure cost).  ``S``, ``F`` and ``integral_0^T S`` are evaluated
    once on a log-spaced grid (100 points per decade) shared by all pairs; each pair's
    best grid point is refined by a vectorized golden-section search in ``log T`` between
    its grid neighbours (all pairs advance together, 80 iterations: the bracket shrinks
    by 0.618**80 ~ 1e-17).  Left limits at the jumps of step lives are added as in the
    scalar function.

    Parameters
    ----------
    dist : LifeDistribution
        Life of a new part (a single distribution, hours).
    cost_pm, cost_cm : array_like, shape (m,)
        Preventive and failure costs (> 0), currency.

    Returns
    -------
    list of ReplacementResult
        One per pair, in order; equal to :func:`age_replacement` up to the refinement
        tolerance.

    Raises
    ------
    ValueError
        As :func:`age_replacement`.
    """
    cp = np.atleast_1d(np.asarray(cost_pm, dtype=np.float64))
    cf = np.atleast_1d(np.asarray(cost_cm, dtype=np.float64))
    if cp.shape != cf.shape or cp.ndim != 1:
        raise ValueError("cost_pm, cost_cm: must be 1-D arrays of the same length")
    for name, v in (("cost_pm", cp), ("cost_cm", cf)):
        if not (np.isfinite(v).all() and (v > 0).all()):
            raise ValueError(f"{name}: every cost must be finite and > 0")
    _scalar_dist(dist)
    mttf = float(dist.mean())
    if not (math.isfinite(mttf) and mttf > 0.0):
        raise ValueError(f"dist: mean life must be finite and > 0, got {mttf!r}")
    rtf = cf / mttf
    out: list[ReplacementResult] = [
        ReplacementResult(math.inf, float(r), float(r), "run_to_failure") for r in rtf
    ]
    live = np.flatnonzero(cp < cf)
    if live.size == 0:
        return out
    cpl, cfl = cp[live][:, None], cf[live][:, None]
    t_lo = float(mttf * np.min(cp[live] / cf[live]))
    med = float(dist.ppf(0.5))
    t_hi = max(20.0 * med, float(dist.ppf(_Q_HI)), 4.0 * t_lo)
    if not math.isfinite(t_hi):
        t_hi = max(20.0 * med, 1e6 * mttf)
    n = max(400, math.ceil(_POINTS_PER_DECADE * math.log10(t_hi / t_lo)) + 1)
    grid = np.geomspace(t_lo, t_hi, n)
    s_g, f_g, m_g = dist.sf(grid), dist.cdf(grid), dist.int_sf(grid)
    with np.errstate(divide="ignore", invalid="ignore"):
        vals = (cpl * s_g + cfl * f_g) / m_g
    vals = np.where(np.isfinite(vals), vals, np.inf)
    best = np.argmin(vals, axis=1)
    best_v = vals[np.arange(live.size), best]
    best_t = grid[best]

    def rate(t: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (cpl[:, 0] * dist.sf(t) + cfl[:, 0] * dist.cdf(t)) / dist.int_sf(t)
        return np.asarray(np.where(np.isfinite(r), r, np.inf), dtype=np.float64)

    lo = np.log(grid[np.maximum(best - 1, 0)])
    hi = np.log(grid[np.minimum(best + 1, n - 1)])
    inv_phi = (math.sqrt(5.0) - 1.0) / 2.0
    x1 = hi - inv_phi * (hi - lo)
    x2 = lo + inv_phi * (hi - lo)
    f1, f2 = rate(np.exp(x1)), rate(np.exp(x2))
    for _ in range(80):
        left = f1 <= f2
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        x2n = np.where(left, x1, lo + inv_phi * (hi - lo))
        x1n = np.where(left, hi - inv_phi * (hi - lo), x2)
        moved = np.where(left, x1n, x2n)
        f_new = rate(np.exp(moved))
        f1, f2 = np.where(left, f_new, f2), np.where(left, f1, f_new)
        x1, x2 = x1n, x2n
        if np.all(hi - lo < 1e-12):
            break
    xm = np.where(f1 <= f2, x1, x2)
    fm = np.minimum(f1, f2)
    better = fm < best_v
    best_t = np.where(better, np.exp(xm), best_t)
    best_v = np.where(better, fm, best_v)
    knots = knot_left_limits(dist)
    knots = knots[(knots > 0) & np.isfinite(knots)]
    if knots.size:
        with np.errstate(divide="ignore", invalid="ignore"):
            kv = (cpl * dist.sf(knots) + cfl * dist.cdf(knots)) / dist.int_sf(knots)
        kv = np.where(np.isfinite(kv), kv, np.inf)
        j = np.argmin(kv, axis=1)
        kbest = kv[np.arange(live.size), j]
        take = kbest < best_v
        best_t = np.where(take, knots[j], best_t)
        best_v = np.where(take, kbest, best_v)
    for pos, i in enumerate(live):
        if best_v[pos] < rtf[i] * (1.0 - _REL_GAIN):
            out[i] = ReplacementResult(
                float(best_t[pos]), float(best_v[pos]), float(rtf[i]), "age_replacement"
            )
    return out


# --------------------------------------------------------------------------------------
# (b) periodic replacement with minimal repair
# --------------------------------------------------------------------------------------


def minimal_repair_replacement(
    dist: LifeDistribution, *, cost_pm: float, cost_cm: float
) -> ReplacementResult:
    """Periodic replacement with minimal repair at failures (Barlow and Hunter).

    Minimizes the long-run rate ``r(x) = (c_p + c_f H(x)) / x`` over the replacement
    period ``x`` (``H`` the cumulative hazard: expected number of minimal repairs).

    * Weibull life with ``beta > 1``: closed form
      ``x* = eta (c_p / (c_f (beta - 1)))^(1/beta)``.
    * Other lives: the robust grid + Brent search of :func:`age_replacement` on ``r``,
      with the rigorous lower bound ``x >= c_p / r(median)``.
    * No finite optimum (e.g. Weibull ``beta <= 1``, lognormal): ``t_star = inf`` and
      the rate is the limit ``lim_{x->inf} r(x) = c_f hazard(inf)`` -- 0 for a decreasing
      hazard tending to 0, ``c_f / eta`` for the exponential (``beta = 1``).  This limit is
      also reported as ``cost_rate_run_to_failure`` (never replace, repair minimally); it
      is ``inf`` when the hazard grows without bound.  Unlike age replacement, a finite
      optimum may exist with ``c_p >= c_f``.

    Parameters
    ----------
    dist : LifeDistribution
        Life of a new part (a single distribution, hours).
    cost_pm : float
        Cost of a preventive (periodic) replacement ``c_p > 0``, currency.
    cost_cm : float
        Cost of one minimal repair ``c_f > 0``, currency.

    Returns
    -------
    ReplacementResult
        Policy ``"periodic_minimal_repair"`` or ``"minimal_repair_only"``.

    Raises
    ------
    ValueError
        If a cost is not finite and positive or ``dist`` is not a single distribution.

    References
    ----------
    .. [2] Barlow and Hunter (1960).
    """
    cp = _positive_cost("cost_pm", cost_pm)
    cf = _positive_cost("cost_cm", cost_cm)
    _scalar_dist(dist)
    h_inf = float(dist.hazard(np.inf))
    limit = 0.0 if h_inf == 0.0 else cf * h_inf
    if type(dist) is rul.Weibull:
        beta, eta = float(dist.shape), float(dist.scale_h)
        if beta > 1.0:
            x = eta * (cp / (cf * (beta - 1.0))) ** (1.0 / beta)
            r = (cp + cf * (x / eta) ** beta) / x
            return ReplacementResult(x, r, limit, "periodic_minimal_repair")
        return ReplacementResult(math.inf, limit, limit, "minimal_repair_only")
    return _minimal_repair_numeric(dist, cp, cf)


def _minimal_repair_numeric(dist: LifeDistribution, cp: float, cf: float) -> ReplacementResult:
    """Numeric branch of :func:`minimal_repair_replacement` (any life distribution)."""
    h_inf = float(dist.hazard(np.inf))
    limit = 0.0 if h_inf == 0.0 else cf * h_inf

    def rate(x: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray((cp + cf * dist.cum_hazard(x)) / x, dtype=np.float64)

    med = float(dist.ppf(0.5))
    r_med = float(rate(np.array([med]))[0])
    if not (math.isfinite(r_med) and r_med > 0.0):
        # e.g. a deterministic life: the median sits on the jump of H
        med = float(np.nextafter(med, 0.0))
        r_med = float(rate(np.array([med]))[0])
    # r(x) >= c_p / x > r(med) for x < c_p / r(med): no better point below.
    x_lo = cp / r_med if math.isfinite(r_med) and r_med > 0.0 else 1e-6 * med
    x_lo = min(x_lo, med)
    q_hi = float(dist.ppf(_Q_HI))
    x_hi = max(20.0 * med, 100.0 * q_hi if math.isfinite(q_hi) else 1e6 * med, 4.0 * x_lo)
    x_best, r_best = _robust_minimize(rate, x_lo, x_hi, knot_left_limits(dist), limit)
    if r_best < limit * (1.0 - _REL_GAIN):
        return ReplacementResult(x_best, r_best, limit, "periodic_minimal_repair")
    return ReplacementResult(math.inf, limit, limit, "minimal_repair_only")


# --------------------------------------------------------------------------------------
# (c) penalty curves
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    """Fleet members evaluated together; ``build(rows)`` stacks them into one batch."""

    members: IndexArray
    build: Callable[[IndexArray], LifeDistribution]
    quadrature: bool
    knots: Callable[[IndexArray], FloatArray] | None  # left limits at survival jumps


def _group(residual: Sequence[LifeDistribution]) -> list[_Group]:
    """Group the fleet by family so that each family is one batched evaluation."""
    keys: dict[BatchKey | tuple[str, int], list[int]] = {}
    for i, d in enumerate(residual):
        if not isinstance(d, LifeDistribution):
            raise ValueError(f"residual[{i}] must be a LifeDistribution")
        key: BatchKey | tuple[str, int] | None = batch_key(d)
        if key is None:
            if d.batch_shape != ():
                raise ValueError(
                    f"residual[{i}] must be a single distribution, got batch shape {d.batch_shape}"
                )
            key = ("single", i)
        keys.setdefault(key, []).append(i)

    groups: list[_Group] = []
    for key, idx_list in keys.items():
        idx = np.asarray(idx_list, dtype=np.intp)
        members = [residual[i] for i in idx_list]
        if not isinstance(key, BatchKey):
            d0 = members[0]
            kn = knot_left_limits(d0)

            def build_one(rows: IndexArray, d0: LifeDistribution = d0) -> LifeDistribution:
                return d0

            def knots_one(rows: IndexArray, kn: FloatArray = kn) -> FloatArray:
                return kn[None, :]

            groups.append(_Group(idx, build_one, False, knots_one if kn.size else None))
            continue
        vals = stack_params(members, key)
        ages = stack_ages(members)

        def build(
            rows: IndexArray,
            key: BatchKey = key,
            vals: list[FloatArray] = vals,
            ages: FloatArray = ages,
        ) -> LifeDistribution:
            return key.build([v[rows, None] for v in vals], ages[rows, None])

        knots: Callable[[IndexArray], FloatArray] | None = None
        if key.family.cls is rul.Deterministic:
            left = _left_limit(vals[0], ages)

            def knots_det(rows: IndexArray, left: FloatArray = left) -> FloatArray:
                return np.asarray(left[rows, None], dtype=np.float64)

            knots = knots_det
        groups.append(_Group(idx, build, key.family.smooth, knots))
    return groups


def _as_col(x: ArrayLike, m: int) -> FloatArray:
    a = np.asarray(x, dtype=np.float64)
    return np.asarray(np.broadcast_to(a.reshape(-1, 1) if a.ndim else a, (m, 1)))


def _as_mat(x: ArrayLike, m: int, k: int) -> FloatArray:
    a = np.asarray(x, dtype=np.float64)
    return a if a.shape == (m, k) else np.asarray(np.broadcast_to(a, (m, k)))


def _lobatto(d: LifeDistribution, a: FloatArray, b: FloatArray, m: int) -> FloatArray:
    """``integral_a^b S`` by the 4-point Gauss-Lobatto rule (a, b of shape (m, k))."""
    w = b - a
    s = d.sf(a) + d.sf(b) + 5.0 * (d.sf(a + w * _LOB_X[0]) + d.sf(a + w * _LOB_X[1]))
    return _as_mat(w * s / 12.0, m, a.shape[1])


def _int_sf_grid(
    d: LifeDistribution,
    exact: Callable[[IndexArray, FloatArray], FloatArray],
    s_grid: FloatArray,
    t_h: FloatArray,
    quadrature: bool,
) -> tuple[FloatArray, BoolArray]:
    """``integral_0^t S`` on the period grid, shape (m, T), and the rows computed exactly.

    Smooth families: cumulative 4-point Gauss-Lobatto quadrature of ``sf`` over the grid
    intervals (the end points reuse ``s_grid``), checked against the exact ``int_sf`` at
    the middle and last grid points; rows off by more than ``_QUAD_RTOL`` (relative) are
    recomputed exactly.  Other families: exact ``int_sf``.
    """
    m, n_t = s_grid.shape
    rows = np.arange(m, dtype=np.intp)
    if not quadrature or n_t < 3:
        return exact(rows, t_h[None, :]), np.ones(m, dtype=bool)
    a, b = t_h[:-1], t_h[1:]
    w = b - a
    s1 = _as_mat(d.sf((a + w * _LOB_X[0])[None, :]), m, n_t - 1)
    s2 = _as_mat(d.sf((a + w * _LOB_X[1])[None, :]), m, n_t - 1)
    seg = w * (s_grid[:, :-1] + s_grid[:, 1:] + 5.0 * (s1 + s2)) / 12.0
    out = np.empty((m, n_t))
    out[:, 0:1] = exact(rows, t_h[None, :1]) if t_h[0] > 0.0 else 0.0
    np.cumsum(seg, axis=1, out=out[:, 1:])
    out[:, 1:] += out[:, 0:1]
    check = np.array([n_t // 2, n_t - 1], dtype=np.intp)
    ref = exact(rows, t_h[None, check])
    bad = np.any(np.abs(out[:, check] - ref) > _QUAD_RTOL * np.abs(ref), axis=1)
    if bad.any():
        out[bad] = exact(rows[bad], t_h[None, :])
    return out, bad


def _chunk_curves(
    build: Callable[[IndexArray], LifeDistribution],
    sel: IndexArray,
    quadrature: bool,
    knots: FloatArray | None,
    cp: FloatArray,
    cf: FloatArray,
    g: FloatArray,
    minimal: bool,
    t_h: FloatArray,
    horizon_h: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Penalty curves of ``len(sel)`` components of one family and one corrective form.

    ``cp``, ``cf``, ``g`` have shape (m, 1); returns penalty (m, T), beyond, t_opt, c_min.
    """
    m, n_t = sel.shape[0], t_h.shape[0]
    d = build(sel)
    all_rows = np.arange(m, dtype=np.intp)

    def exact(rows: IndexArray, t: FloatArray) -> FloatArray:
        """Exact ``int_sf`` for the given rows (``t`` broadcast against (len(rows), k))."""
        if rows.shape[0] == m:
            return _as_mat(d.int_sf(t), m, t.shape[1])
        sub = build(sel[rows])
        tt = t if t.shape[0] == 1 else t[rows]
        return _as_mat(sub.int_sf(tt), rows.shape[0], t.shape[1])

    def cost(t: FloatArray, i_t: FloatArray | None = None) -> FloatArray:
        """``c(t)`` at points ``t`` of shape (m, k); ``i_t`` = integral of S if known."""
        if minimal:
            with np.errstate(invalid="ignore"):
                return _as_mat(cp + cf * d.cum_hazard(t) - g * t, m, t.shape[1])
        if i_t is None:
            i_t = exact(all_rows, t)
        return _as_mat(cf - (cf - cp) * d.sf(t) - g * i_t, m, t.shape[1])

    # --- c on the grid 0, t_h, horizon (the integral of S by verified quadrature)
    tg = t_h[None, :]
    t_hor = np.full((m, 1), horizon_h)
    if minimal:
        c_grid = _as_mat(cp + cf * d.cum_hazard(tg) - g * tg, m, n_t)
        c_hor = cost(t_hor)
        i_seq = np.empty((m, 0))
        exact_rows = np.ones(m, dtype=bool)
    else:
        s_grid = _as_mat(d.sf(tg), m, n_t)
        i_grid, exact_rows = _int_sf_grid(d, exact, s_grid, t_h, quadrature)
        c_grid = cf - (cf - cp) * s_grid - g * i_grid
        i_hor = i_grid[:, -1:] + _lobatto(d, np.full((m, 1), t_h[-1]), t_hor, m)
        if exact_rows.any():
            i_hor[exact_rows] = exact(all_rows[exact_rows], t_hor)
        c_hor = cost(t_hor, i_hor)
        i_seq = np.concatenate([np.zeros((m, 1)), i_grid, i_hor], axis=1)
    seq_t = np.concatenate(([0.0], t_h, [horizon_h]))
    seq_c = np.concatenate([cp, c_grid, c_hor], axis=1)

    # c'(t) = S(t) (kappa hazard(t) - g) (replace) or kappa hazard(t) - g (minimal repair):
    # local minima are where the hazard crosses g / kappa upwards.
    kappa = cf if minimal else cf - cp
    active = kappa > 0.0

    def slope_up(t: FloatArray) -> BoolArray:
        with np.errstate(invalid="ignore"):
            dv = kappa * d.hazard(t) - g
        return np.asarray(active & (dv >= 0.0), dtype=np.bool_)

    def bisect(lo: FloatArray, hi: FloatArray) -> FloatArray:
        for _ in range(_BISECT_ITERS):
            mid = 0.5 * (lo + hi)
            up = slope_up(mid)
            hi = np.where(up, mid, hi)
            lo = np.where(up, lo, mid)
        return np.asarray(0.5 * (lo + hi), dtype=np.float64)

    # --- inside the horizon: refine around the best point of the sequence
    j = np.argmin(seq_c, axis=1)
    interior = (j > 0) & (j < n_t + 1)
    j_lo = np.clip(j, 1, n_t) - 1
    t_lo = seq_t[j_lo][:, None]
    root_in = bisect(t_lo, seq_t[j_lo + 2][:, None])
    if minimal:
        c_root_in = cost(root_in)
    else:
        i_lo = np.take_along_axis(i_seq, j_lo[:, None], axis=1)
        i_root = i_lo + _lobatto(d, t_lo, root_in, m)
        if exact_rows.any():
            i_root[exact_rows] = exact(all_rows[exact_rows], root_in)
        c_root_in = cost(root_in, i_root)
    c_root_in = np.where(interior[:, None], c_root_in, np.inf)

    # --- beyond the horizon: first hazard up-crossing on a log grid up to t_far
    q = _as_col(d.ppf(_Q_HI), m)
    t_far = np.maximum(10.0 * horizon_h, np.where(np.isfinite(q), 100.0 * q, 0.0))
    u = np.linspace(0.0, 1.0, _N_EXT)[None, :]
    ext = horizon_h * (t_far / horizon_h) ** u
    up_ext = slope_up(ext)
    crossing = ~up_ext[:, :-1] & up_ext[:, 1:]
    has_cross = np.asarray(crossing.any(axis=1), dtype=np.bool_)
    k = np.argmax(crossing, axis=1)[:, None]
    root_out = bisect(np.take_along_axis(ext, k, axis=1), np.take_along_axis(ext, k + 1, axis=1))
    c_root_out = np.full((m, 1), np.inf)
    if has_cross.any():
        rows = all_rows[has_cross]
        if minimal:
            c_root_out = np.where(has_cross[:, None], cost(root_out), np.inf)
        else:
            i_out = exact(rows, root_out)
            s_out = _as_mat(d.sf(root_out), m, 1)[rows]
            c_root_out[rows] = cf[rows] - (cf[rows] - cp[rows]) * s_out - g[rows] * i_out

    # --- left limits at the jumps of step survival functions; the far end / infinity
    cand_t = [root_in, root_out]
    cand_c = [c_root_in, c_root_out]
    if knots is not None:
        t_k = _as_mat(knots, m, knots.shape[-1])
        ok = np.isfinite(t_k)
        c_k = cost(np.where(ok, t_k, 0.0))
        cand_t.append(t_k)
        cand_c.append(np.where(ok & ~np.isnan(c_k), c_k, np.inf))
    if minimal:
        cand_t.append(t_far)
        cand_c.append(cost(t_far))
    else:
        # c(inf) = c_f - g* * (mean residual life)
        cand_t.append(np.full((m, 1), np.inf))
        cand_c.append(cf - g * _as_col(d.mean(), m))

    all_t = np.concatenate([_as_mat(seq_t, m, n_t + 2), *cand_t], axis=1)
    all_c = np.concatenate([seq_c, *cand_c], axis=1)
    all_c = np.where(np.isnan(all_c), np.inf, all_c)
    k_min = np.argmin(all_c, axis=1)
    c_min = all_c[all_rows, k_min]
    t_opt = all_t[all_rows, k_min]
    c_beyond = np.min(np.where(all_t >= horizon_h, all_c, np.inf), axis=1)
    beyond = np.maximum(c_beyond - c_min, 0.0)
    penalty = c_grid - c_min[:, None]

    if minimal:
        # c(t) ~ (c_f hazard(inf) - g) t for large t: unbounded below when negative.
        h_inf = _as_col(d.hazard(np.inf), m)
        lim_rate = np.where(h_inf == 0.0, 0.0, cf * h_inf)
        unbounded = (lim_rate < g * (1.0 - 1e-9))[:, 0]
        if unbounded.any():
            penalty[unbounded] = np.inf
            beyond[unbounded] = 0.0
            t_opt[unbounded] = np.inf
            c_min[unbounded] = -np.inf
    return penalty, beyond, t_opt, c_min


def _cost_array(name: str, x: ArrayLike, n: int) -> FloatArray:
    a = np.asarray(x, dtype=np.float64)
    if a.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")
    if np.any(a < 0.0):
        raise ValueError(f"{name} must be >= 0")
    return a


def penalty_curves(
    residual: Sequence[LifeDistribution],
    *,
    cost_pm: ArrayLike,
    cost_cm: ArrayLike,
    cost_rate: ArrayLike,
    t_h: ArrayLike,
    horizon_h: float,
    minimal_repair: ArrayLike | None = None,
) -> PenaltyCurves:
    """Penalty curves ``h_i(t)`` of the current parts of a fleet.

    With ``S_i`` the survival of the current part's *residual* life (age or twin
    prognostics), ``F_i = 1 - S_i``, ``H_i = -log S_i`` and ``g*_i`` the optimal long-run
    cost rate of the renewal policy for new parts, the expected cost of planning the next
    preventive replacement ``t`` hours from now is

    * ``c_i(t) = c_p,i S_i(t) + c_f,i F_i(t) - g*_i integral_0^t S_i(u) du`` (a failure
      is corrected by a replacement; the last term credits the life used), or
    * ``c_i(t) = c_p,i + c_f,i H_i(t) - g*_i t`` (failures are minimally repaired),

    and ``h_i(t) = c_i(t) - min_{t >= 0} c_i(t)``.

    The minimum over ``t >= 0`` includes times beyond the horizon: candidates are ``t = 0``,
    the period grid, the horizon, the bracketed minimum near the best grid point, the
    first up-crossing of ``hazard = g / kappa`` (``kappa = c_f - c_p``, resp. ``c_f``; the
    stationarity condition of ``c``) on a log grid from the horizon to
    ``t_far = max(10 horizon, 100 ppf(1 - 1e-12))``, refined by bisection, the left limits
    at the jumps of step survival functions (deterministic / empirical lives), and the
    limit ``t -> inf``: ``c_f - g* MRL`` (replacement form) or, for minimal repair, the value
    at ``t_far`` (``c_i`` grows without bound when ``c_f hazard(inf) > g*``).  When
    ``c_f hazard(inf) < g*`` the minimal-repair cost decreases without bound (the renewal
    policy is worse than keeping the part forever): that component gets
    ``penalty = inf``, ``penalty_beyond = 0``, ``t_opt_h = inf``, ``c_min = -inf``.

    One up-crossing beyond the horizon suffices for the built-in families, whose hazards
    are monotone or (lognormal) rise then fall; inside the horizon the period grid itself
    is searched, so several local minima there are handled.  The optimum of ``c_i`` is
    exact up to the bisection tolerance; between grid points of a coarse period grid only
    the neighbourhood of the best grid point is refined.

    Distributions of one family (and residuals of one family) are stacked into one
    batched distribution with parameter arrays of shape ``(m, 1)`` and evaluated in chunks
    of ``2048`` components; empirical and other non-parametric lives are evaluated one by
    one.  For smooth families, ``integral_0^t S`` on the grid is a cumulative 4-point
    Gauss-Lobatto quadrature of ``sf`` verified against ``int_sf`` (exact fallback per
    component).

    Parameters
    ----------
    residual : sequence of LifeDistribution, length n
        Residual life of each current part, hours (single distributions).
    cost_pm : array_like, shape (n,)
        Direct preventive-replacement cost ``c_p,i >= 0``, currency.
    cost_cm : array_like, shape (n,)
        Failure cost ``c_f,i >= 0`` (corrective replacement or one minimal repair,
        including downtime and lost production), currency.
    cost_rate : array_like, shape (n,)
        Long-run optimal cost rate ``g*_i >= 0`` of the renewal policy, currency per hour.
    t_h : array_like, shape (T,)
        Period start times from now, hours: finite, ``>= 0``, strictly increasing.
    horizon_h : float
        End of the planning horizon, hours (``> 0`` and ``>= t_h[-1]``).
    minimal_repair : array_like of bool, shape (n,), optional
        ``True`` for components whose failures are minimally repaired.  Default: none.

    Returns
    -------
    PenaltyCurves

    Raises
    ------
    ValueError
        On arrays of the wrong shape, negative or non-finite costs, an invalid time grid
        or horizon, or a residual that is not a single ``LifeDistribution``.

    References
    ----------
    .. [3] Wildeman, Dekker and Smit (1997).
    """
    n = len(residual)
    cp_all = _cost_array("cost_pm", cost_pm, n)
    cf_all = _cost_array("cost_cm", cost_cm, n)
    g_all = _cost_array("cost_rate", cost_rate, n)
    t = np.array(t_h, dtype=np.float64)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"t_h must be a non-empty 1-D array, got shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(t < 0.0):
        raise ValueError("t_h must be finite and >= 0 hours")
    if np.any(np.diff(t) <= 0.0):
        raise ValueError("t_h must be strictly increasing")
    hz = float(horizon_h)
    if not (math.isfinite(hz) and hz > 0.0 and hz >= t[-1]):
        raise ValueError(f"horizon_h must be finite, > 0 and >= t_h[-1], got {horizon_h!r}")
    if minimal_repair is None:
        mr = np.zeros(n, dtype=bool)
    else:
        mr_raw = np.asarray(minimal_repair)
        if mr_raw.shape != (n,):
            raise ValueError(f"minimal_repair must have shape ({n},), got {mr_raw.shape}")
        if mr_raw.dtype != np.bool_ and not np.all(np.isin(mr_raw, (0, 1))):
            raise ValueError("minimal_repair must be a boolean mask")
        mr = mr_raw.astype(bool)

    penalty = np.empty((n, t.size))
    beyond = np.empty(n)
    t_opt = np.empty(n)
    c_min = np.empty(n)
    for grp in _group(residual):
        for minimal in (False, True):
            pos = np.flatnonzero(mr[grp.members] == minimal).astype(np.intp)
            for start in range(0, pos.size, _CHUNK):
                rows = pos[start : start + _CHUNK]
                idx = grp.members[rows]
                knots = grp.knots(rows) if grp.knots is not None else None
                p, b, to, cm = _chunk_curves(
                    grp.build,
                    rows,
                    grp.quadrature,
                    knots,
                    cp_all[idx, None],
                    cf_all[idx, None],
                    g_all[idx, None],
                    minimal,
                    t,
                    hz,
                )
                penalty[idx] = p
                beyond[idx] = b
                t_opt[idx] = to
                c_min[idx] = cm
    t.setflags(write=False)
    return PenaltyCurves(t_h=t, penalty=penalty, penalty_beyond=beyond, t_opt_h=t_opt, c_min=c_min)
