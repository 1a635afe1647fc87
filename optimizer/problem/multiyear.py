"""Interval costs of repeated replacements over a long horizon, and the end-state value.

Over a multi-year plan a position may be renewed several times.  Every cost here is
*relative to the long-run optimal cost rate* ``g*`` of the position (currency per
operating hour, :attr:`optimizer.fleet.FleetModel.cost_rate`), exactly like today's
penalty curves (:func:`optimizer.reliability.penalty.penalty_curves`), so that the costs of
successive intervals add up and compare with the next-replacement penalties.

Relative cycle cost
    A new part put in service and replaced preventively after ``u`` operating hours
    (or at its failure, whichever comes first, after which the renewal policy resumes):

    * replacement at failure: ``w(u) = c_p S(u) + c_f F(u) - g* integral_0^u S(v) dv``;
    * minimal repair at failures: ``w(u) = c_p + c_f H(u) - g* u`` (``H = -log S``).

    ``w(u)`` is the expected cost of the cycle minus ``g*`` times its expected length.
    ``g*`` is the rate of the *stand-alone* policy, whose replacements cost ``C = c_p +
    o`` (``o``: one opening of the system, :attr:`FleetModel.cost_pm_individual`), and
    ``w_alone(u) = C S(u) + c_f F(u) - g* integral_0^u S = integral_0^u S (g(u) - g*)
    >= 0`` (``g``: Barlow and Proschan's cost rate of age replacement at ``u``) vanishes
    at ``T*``.  An interval of a plan carries the direct ``c_p`` only (its opening is
    paid by the plan's set-ups, shared), so ``w(u) = w_alone(u) - o S(u)`` may be
    *negative*, by at most the opening: a relative cost, not a defect (checked by
    quadrature in ``tests/optimizer/problem/test_multiyear_endstate.py``).
    The first interval of a plan (from the installed
    part's current age or twin prognostics) is the penalty curve ``c_i(t)`` of
    :mod:`optimizer.reliability.penalty`, which is ``w`` for the residual life.

End state
    The part installed ``u`` hours before the horizon end is left to the next horizon.
    Let ``v(a)`` be the bias (relative value) of a part of age ``a`` under the optimal
    renewal policy of rate ``g*``, normalized by ``v(0) = 0`` (a new part).  That policy
    is the stand-alone one (each replacement at ``C = c_p + o``, the price behind
    ``g*``).  Because the state of a position is its age and the policy after the
    horizon may replace it at any age ``s >= a`` (at most the limit ``L``),

        ``S(a) v(a) = min_{a <= s <= L} [C S(s) + c_f (S(a) - S(s)) - g* integral_a^s S]``

    (replacement form; the expected cost of the rest of the cycle minus ``g*`` times
    its expected length).  The relative cost of the last interval -- the costs inside
    the horizon plus what it leaves -- is therefore

        ``E(u) = c_f F(u) - g* integral_0^u S + S(u) v(u) = min_{u <= s <= L} w_alone(s)``,

    and likewise ``min_{u <= s <= L} (C + c_f H(s) - g* s)`` with minimal repair.
    ``E >= 0``; pricing the later replacements at ``c_p`` alone (as before 2026-12)
    mixed two policies and credited about ``-o`` to every young part left.
    For an increasing hazard (``w`` unimodal with its minimum 0 at
    ``T*``), ``E(u) = w_alone(max(u, T*))``: a part left younger than ``T*`` costs nothing
    extra, an older one costs what running it past ``T*`` adds.  With a hard life limit
    ``L`` the minimum is over ``s <= L`` (and ``E = inf`` for ``u > L``).  The same
    formula on the *residual* life gives the cost of leaving the installed part in
    place over the whole horizon (:attr:`PenaltyCurves.penalty_beyond` without a
    limit).

End state left unpriced (``plan.end_state: unpriced``)
    Only what happens inside the horizon is paid: the last interval costs its expected
    failures minus ``g*`` times its length, without the value of the part left,

        ``E_0(u) = w(u) - c_p S(u) = c_f F(u) - g* integral_0^u S``   (replacement), or
        ``E_0(u) = w(u) - c_p = c_f H(u) - g* u``                   (minimal repair),

    (:func:`horizon_cost`), and the installed part kept over the whole horizon likewise
    (its residual life, minus ``c_min``).  The ``- g*`` terms of all intervals add up to
    ``- g* H``, which the offset ``c_min + g* H`` cancels: the objective is then exactly
    the expected cost of the horizon.  For parts that do not fail (a pure life limit,
    :func:`optimizer.scenario.life_limited`) it is the deterministic opportunistic
    replacement problem (ORP) of Dickman, Epstein and Wilamowsky: replacement costs plus
    set-ups.

End reserve (``plan.end_reserve_days``, ``r`` operating hours)
    The part left at the horizon end must stay within its limit ``r`` more hours:
    ``E = inf`` where ``u + r > L``; priced, the policy after the horizon keeps it at
    least ``r`` hours, ``E_r(u) = min_{u + r <= s <= L} w(s)`` (:func:`continuation_cost`
    at ``u + r``).

Assumption (stated, as in Wildeman, Dekker and Smit 1997): a failure inside an interval
renews the part and the plan is then re-planned (rolling horizon); the interval cost
charges it through ``w`` but later planned dates are not shifted by it.

All times are operating hours of the position, costs currency.

References
----------
.. [1] R. E. Barlow and F. Proschan, *Mathematical Theory of Reliability*, 1965, ch. 4.
.. [2] S. M. Ross, *Applied Probability Models with Optimization Applications*, 1970,
   ch. 6 (average-cost semi-Markov decision processes; relative values).
.. [3] R. Wildeman, R. Dekker and A. Smit, "A dynamic policy for grouping maintenance
   activities", *EJOR* 99, 1997, 530-551.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optimizer._typing import FloatArray
from optimizer.problem.build import BuiltProblem, build_problem
from optimizer.problem.data import PIN_BEYOND, PlanningProblem
from optimizer.reliability.distributions import LifeDistribution
from optimizer.reliability.penalty import knot_left_limits
from optimizer.scenario import Scenario

__all__ = [
    "MultiYearProblem",
    "build_multiyear",
    "continuation_cost",
    "cycle_cost",
    "horizon_cost",
]

_N_GRID = 256  # log-spaced points per row for the minimum over [u, L]
_BISECT = 60


def _col(x: ArrayLike, m: int) -> FloatArray:
    a = np.asarray(x, dtype=np.float64)
    return np.asarray(np.broadcast_to(a.reshape(-1, 1) if a.ndim else a, (m, 1)))


def cycle_cost(
    dist: LifeDistribution,
    u_h: ArrayLike,
    *,
    cost_pm: ArrayLike,
    cost_cm: ArrayLike,
    cost_rate: ArrayLike,
    minimal_repair: bool = False,
) -> FloatArray:
    """Relative cost ``w(u)`` of running a part for ``u`` hours, then replacing it.

    ``w(u) = c_p S(u) + c_f F(u) - g* integral_0^u S`` (replacement at failure) or
    ``c_p + c_f H(u) - g* u`` (minimal repair); see the module docstring.

    Parameters
    ----------
    dist : LifeDistribution
        Life of the part (a single distribution, or the residual life of an installed
        part), operating hours.
    u_h : array_like, shape (m, k)
        Replacement ages, operating hours (``>= 0``; ``inf`` allowed: never replaced).
    cost_pm, cost_cm, cost_rate : array_like, shape (m,) or scalar
        Preventive cost ``c_p``, failure cost ``c_f`` (currency) and the long-run
        optimal rate ``g*`` (currency per operating hour) of each row.
    minimal_repair : bool
        Failures are minimally repaired instead of renewing the part.

    Returns
    -------
    ndarray, shape (m, k)
        Currency; ``inf`` where the cost grows without bound.
    """
    u = np.atleast_2d(np.asarray(u_h, dtype=np.float64))
    m = u.shape[0]
    cp, cf, g = _col(cost_pm, m), _col(cost_cm, m), _col(cost_rate, m)
    with np.errstate(invalid="ignore", over="ignore"):
        if minimal_repair:
            out = cp + cf * dist.cum_hazard(u) - g * np.where(np.isfinite(u), u, 0.0)
            out = np.where(np.isfinite(u), out, np.inf)
        else:
            s = np.asarray(dist.sf(u), dtype=np.float64)
            out = cf - (cf - cp) * s - g * np.asarray(dist.int_sf(u), dtype=np.float64)
    res: FloatArray = np.asarray(np.where(np.isnan(out), np.inf, out), dtype=np.float64)
    return np.asarray(np.broadcast_to(res, u.shape), dtype=np.float64)


def horizon_cost(
    dist: LifeDistribution,
    u_h: ArrayLike,
    *,
    cost_pm: ArrayLike,
    cost_cm: ArrayLike,
    cost_rate: ArrayLike,
    minimal_repair: bool = False,
) -> FloatArray:
    """Relative cost ``E_0(u)`` of a last interval of ``u`` hours, end state unpriced.

    ``c_f F(u) - g* integral_0^u S`` (replacement at failure) or ``c_f H(u) - g* u``
    (minimal repair): the expected failure costs inside the horizon minus ``g*`` times
    the interval's length, nothing for the part left (see the module docstring).

    Parameters
    ----------
    dist, u_h, cost_pm, cost_cm, cost_rate, minimal_repair
        As :func:`cycle_cost`.

    Returns
    -------
    ndarray, shape (m, k)
        Currency.
    """
    u = np.atleast_2d(np.asarray(u_h, dtype=np.float64))
    m = u.shape[0]
    w = cycle_cost(
        dist,
        u,
        cost_pm=cost_pm,
        cost_cm=cost_cm,
        cost_rate=cost_rate,
        minimal_repair=minimal_repair,
    )
    cp = _col(cost_pm, m)
    if minimal_repair:
        return np.asarray(w - cp, dtype=np.float64)
    s = np.asarray(dist.sf(u), dtype=np.float64)
    out: FloatArray = np.asarray(w - cp * s, dtype=np.float64)
    return out


def continuation_cost(
    dist: LifeDistribution,
    u_h: ArrayLike,
    *,
    cost_pm: ArrayLike,
    cost_cm: ArrayLike,
    cost_rate: ArrayLike,
    limit_h: ArrayLike = math.inf,
    minimal_repair: bool = False,
) -> FloatArray:
    """End-state cost ``E(u) = min_{u <= s <= L} w(s)`` of a part left at age ``u``.

    The relative cost of an interval that starts with this part and ends at the horizon
    with the part still in place, including its relative value for the next horizon
    (the bias of the optimal age-replacement policy, see the module docstring).

    The minimum is taken over: ``s = u``; ``s = L`` (finite limit) or ``s = inf``
    (replacement form, no limit); a log-spaced grid of 256 points per row from the
    smallest ``u`` to ``max(20 u_max, 100 ppf(1 - 1e-9))`` clipped to ``[u, L]``; the
    root of ``w'`` (hazard crossing ``g* / (c_f - c_p)``, resp. ``g* / c_f``) bracketed
    around the best grid point and refined by bisection; and the left limits at the
    jumps of a step survival (deterministic or empirical lives).  For unimodal ``w``
    (increasing hazard) the result is exact up to the bisection tolerance.

    Parameters
    ----------
    dist : LifeDistribution
        Life of the part (single distribution), operating hours.
    u_h : array_like, shape (m, k)
        Age of the part at the horizon end, operating hours.
    cost_pm, cost_cm, cost_rate : array_like, shape (m,) or scalar
        As :func:`cycle_cost`.
    limit_h : array_like, shape (m,) or scalar
        Hard maximum age at replacement ``L`` (``inf``: none).  ``E = inf`` where
        ``u > L``.
    minimal_repair : bool
        As :func:`cycle_cost`.

    Returns
    -------
    ndarray, shape (m, k)
        Currency.
    """
    u = np.atleast_2d(np.asarray(u_h, dtype=np.float64))
    m = u.shape[0]
    lim = _col(limit_h, m)
    kw = {"cost_pm": cost_pm, "cost_cm": cost_cm, "cost_rate": cost_rate}

    def w(x: FloatArray) -> FloatArray:
        return cycle_cost(dist, x, minimal_repair=minimal_repair, **kw)

    best = w(u)
    # the limit itself (or infinity when there is none)
    far = np.where(np.isfinite(lim), lim, np.inf if not minimal_repair else np.nan)
    far_ok = ~np.isnan(far)
    if far_ok.any():
        w_far = w(np.where(far_ok, far, 0.0))
        best = np.minimum(best, np.where(far_ok & (far >= u), w_far, np.inf))
    # grid (shared by the rows' points through a suffix minimum)
    q = float(np.max(np.asarray(dist.ppf(1.0 - 1e-9), dtype=np.float64)))
    fin_u = u[np.isfinite(u)]
    lo = max(float(fin_u[fin_u > 0].min()) if (fin_u > 0).any() else 1.0, 1e-6)
    hi = max(
        20.0 * float(fin_u.max()) if fin_u.size else 1.0, 100.0 * q if math.isfinite(q) else 0.0
    )
    hi = max(hi, 10.0 * lo)
    grid = np.geomspace(lo, hi, _N_GRID)
    knots = knot_left_limits(dist)
    knots = knots[np.isfinite(knots) & (knots > 0)]
    pts = np.unique(np.concatenate([grid, knots]))
    wg = w(np.broadcast_to(pts, (m, pts.size)))
    wg = np.where(pts[None, :] <= lim + 1e-9, wg, np.inf)
    # root of w' around the best grid point (exact minimum of a unimodal w)
    j = np.argmin(wg, axis=1)
    a = pts[np.maximum(j - 1, 0)][:, None]
    b = pts[np.minimum(j + 1, pts.size - 1)][:, None]
    cp, cf, g = _col(cost_pm, m), _col(cost_cm, m), _col(cost_rate, m)
    kappa = cf if minimal_repair else cf - cp
    for _ in range(_BISECT):
        mid = 0.5 * (a + b)
        with np.errstate(invalid="ignore"):
            up = kappa * np.asarray(dist.hazard(mid), dtype=np.float64) - g >= 0.0
        b = np.where(up, mid, b)
        a = np.where(up, a, mid)
    root = np.minimum(0.5 * (a + b), lim)
    w_root = w(root)
    best = np.minimum(best, np.where(root >= u, w_root, np.inf))
    # suffix minimum of the grid: min over grid points >= u
    suffix = np.minimum.accumulate(wg[:, ::-1], axis=1)[:, ::-1]
    idx = np.searchsorted(pts, u.ravel(), side="left").reshape(u.shape)
    valid = idx < pts.size
    rows = np.broadcast_to(np.arange(m)[:, None], u.shape)
    s_val = np.where(valid, suffix[rows, np.minimum(idx, pts.size - 1)], np.inf)
    best = np.minimum(best, s_val)
    out: FloatArray = np.where(u <= lim + 1e-9, best, np.inf)
    return out


# --------------------------------------------------------------------------------------
# the multi-year planning problem
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MultiYearProblem:
    """Frozen input of the repeated-replacement (multi-year) scheduler.

    A plan gives each position a path ``source -> t_1 -> ... -> t_m -> sink`` of
    replacement periods (``m >= 0``); its cost is

    * first interval (installed part, current age or twin prognostics):
      ``base.penalty[i, t_1]`` (``h_i(t)`` of :mod:`optimizer.reliability.penalty`), only in periods
      ``base.allowed[i]`` (life limit, risk cap, frozen horizon, pins);
    * each later interval of ``d = t_{j+1} - t_j`` periods: ``interval_cost[i, d]``
      (``w_i(d * period_op_h_i)``, :func:`cycle_cost`), ``inf`` where ``d`` periods
      exceed the hard life limit or the risk cap (forbidden);
    * the end state: ``end_cost[i, t_m]`` (:func:`continuation_cost` of the part's age at
      the horizon end, ``inf`` where it would exceed its limit there);
    * no replacement in the horizon: ``base.penalty_beyond[i]`` (``inf`` when the limit
      falls inside the horizon);
    * every period ``t`` in which system ``k`` hosts a replacement: ``base.opening_cost[k,
      t]`` once (only where ``base.open_allowed``).

    All costs are relative to the long-run rate ``g*_i`` minus the constant ``c_min_i``
    of the penalty curves (the same reference as :class:`PlanningProblem`).

    Parameters
    ----------
    base : PlanningProblem
        First-interval penalties, deferral costs, openings, windows and pins.
    interval_cost : ndarray, shape (n, T)
        Column ``d`` (``1 <= d < T``): relative cost of an interval of ``d`` periods;
        column 0 is ``inf``.
    end_cost : ndarray, shape (n, T)
        Cost of the last interval when the last replacement is in period ``t``.
    node_ok : ndarray of bool, shape (n, T)
        Periods in which a later (not first) replacement may take place.
    limit_h : ndarray, shape (n,)
        Hard maximum age at replacement of a new part (life limit and risk cap), hours
        (``inf``: none).
    period_op_h : ndarray, shape (n,)
        Operating hours of the position per period.
    t_star_h : ndarray, shape (n,)
        Optimal replacement age of a new part (``inf``: run to failure), hours.
    offset : ndarray, shape (n,), optional
        Constant added to every plan of position ``i`` (default 0): ``c_min_i + g*_i
        H_i``, which turns the relative costs above into (approximately) the expected
        cost of the horizon including the end-state value, so that objectives and
        gaps are on the scale of what the plan costs (relative costs have no natural
        zero and may be negative when openings are shared).

    Raises
    ------
    ValueError
        On arrays of the wrong shape or NaN.
    """

    base: PlanningProblem
    interval_cost: FloatArray
    end_cost: FloatArray
    node_ok: NDArray[np.bool_]
    limit_h: FloatArray
    period_op_h: FloatArray
    t_star_h: FloatArray
    offset: FloatArray = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        n, t = self.base.n_components, self.base.n_periods
        if self.offset is None:
            object.__setattr__(self, "offset", np.zeros(n))
        shapes = {
            "offset": ((n,), np.float64),
            "interval_cost": ((n, t), np.float64),
            "end_cost": ((n, t), np.float64),
            "node_ok": ((n, t), np.bool_),
            "limit_h": ((n,), np.float64),
            "period_op_h": ((n,), np.float64),
            "t_star_h": ((n,), np.float64),
        }
        for name, (shape, dtype) in shapes.items():
            arr: NDArray[Any] = np.array(getattr(self, name), dtype=dtype, copy=True)
            if arr.shape != shape:
                raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
            if dtype is np.float64 and np.isnan(arr).any():
                raise ValueError(f"{name}: contains NaN")
            if name == "interval_cost" and t:
                arr[:, 0] = np.inf
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def n_components(self) -> int:
        """Number of positions ``n``."""
        return self.base.n_components

    @property
    def n_periods(self) -> int:
        """Number of periods ``T``."""
        return self.base.n_periods


def build_multiyear(scn: Scenario) -> tuple[BuiltProblem, MultiYearProblem]:
    """Build the repeated-replacement problem of a scenario.

    The first interval reuses :func:`optimizer.problem.build.build_problem` (without the
    single-replacement pruning, which is not valid when later replacements follow;
    ``base.parts`` holds the spare-part stock, which
    :mod:`optimizer.solvers.multiyear_stock` respects and prices).  Later intervals and the end
    state use the new-part life, the direct preventive cost ``c_p``, the failure cost
    ``c_f`` and the rate ``g*`` of :func:`optimizer.fleet.fleet_model` (all priced by
    :mod:`cost_models`).  The hard limit of a new part is
    ``min(max_age_h, F^{-1}(max_p_fail))``; for the installed part the cost of leaving
    it in place over the horizon is recomputed within its remaining limit.  The end
    state follows ``plan.end_state`` (priced by :func:`continuation_cost` at the
    stand-alone cost ``c_p + o`` of the replacements after the horizon, or unpriced by
    :func:`horizon_cost`) and ``plan.end_reserve_days`` (see the module docstring).

    Parameters
    ----------
    scn : Scenario
        A validated scenario.

    Returns
    -------
    (BuiltProblem, MultiYearProblem)
        The built first-interval problem (its ``problem`` is ``MultiYearProblem.base``)
        and the multi-year problem.

    Raises
    ------
    ValueError
        When a life limit is shorter than one period (a new part could not reach the
        next period), naming the component and the field.
    """
    # stock rows: optimizer.solvers.multiyear_stock; openings at the unit's longest job:
    # later replacements are priced per interval, with no place for a long job's own stop
    # (build_problem(open_by_jobs=True))
    built = build_problem(scn, open_by_jobs=False)
    pb, fm = built.problem, built.fleet
    n, n_t = pb.n_components, pb.n_periods
    per = scn.calendar.period_days * fm.operating_h_per_day
    hor = scn.calendar.horizon_days * fm.operating_h_per_day
    limit = np.full(n, np.inf)
    limit_res = np.full(n, np.inf)
    for i, c in enumerate(fm.components):
        if c.max_age_h is not None:
            limit[i] = c.max_age_h
            limit_res[i] = c.max_age_h - c.age_h
        if c.max_p_fail is not None:
            limit[i] = min(limit[i], float(np.asarray(fm.life[i].ppf(c.max_p_fail))))
            limit_res[i] = min(limit_res[i], float(np.asarray(fm.residual[i].ppf(c.max_p_fail))))
        if limit[i] < per[i] - 1e-9:
            raise ValueError(
                f"component {c.id}: max_age_h / max_p_fail allow a new part at most"
                f" {limit[i]:g} operating hours, shorter than one planning period"
                f" ({per[i]:g} h): shorten calendar.period_days"
            )
    unpriced = scn.plan.end_state == "unpriced"
    reserve = scn.plan.end_reserve_days * fm.operating_h_per_day
    d = np.arange(n_t, dtype=np.float64)
    interval = np.full((n, n_t), np.inf)
    end = np.full((n, n_t), np.inf)
    groups: dict[tuple[int, bool], list[int]] = {}
    for i in range(n):
        groups.setdefault((id(fm.life[i]), bool(fm.minimal_repair[i])), []).append(i)
    for (_, minimal), rows in groups.items():
        idx = np.asarray(rows)
        life = fm.life[rows[0]]
        kw = {
            "cost_pm": fm.cost_pm[idx],
            "cost_cm": fm.cost_cm[idx],
            "cost_rate": fm.cost_rate[idx],
            "minimal_repair": minimal,
        }
        interval[idx] = cycle_cost(life, d[None, :] * per[idx, None], **kw)
        left = hor[idx, None] - d[None, :] * per[idx, None]
        if unpriced:
            end[idx] = horizon_cost(life, left, **kw)
        else:
            # after the horizon the rate g* is that of stand-alone replacements: price
            # them so (c_p + opening), the bias consistent with g* (module docstring)
            kw_alone = {**kw, "cost_pm": fm.cost_pm_individual[idx]}
            end[idx] = continuation_cost(
                life, left + reserve[idx, None], limit_h=limit[idx], **kw_alone
            )
        end[idx] = np.where(left + reserve[idx, None] <= limit[idx, None] + 1e-9, end[idx], np.inf)
    interval[d[None, :] * per[:, None] > limit[:, None] + 1e-9] = np.inf
    beyond = np.array(pb.penalty_beyond, dtype=np.float64)
    c_min = built.curves.c_min
    for j in range(n):
        kw_j = {
            "cost_pm": fm.cost_pm[j],
            "cost_cm": fm.cost_cm[j],
            "cost_rate": fm.cost_rate[j],
            "minimal_repair": bool(fm.minimal_repair[j]),
        }
        if hor[j] + reserve[j] > limit_res[j] + 1e-9:
            beyond[j] = np.inf
        elif unpriced and np.isfinite(beyond[j]):
            e = horizon_cost(fm.residual[j], [[hor[j]]], **kw_j)[0, 0]
            beyond[j] = float(e - c_min[j])
        elif np.isfinite(beyond[j]) and np.isfinite(c_min[j]):
            # the installed part kept over the horizon, then the stand-alone policy
            kw_j["cost_pm"] = fm.cost_pm_individual[j]
            e = continuation_cost(
                fm.residual[j], [[hor[j] + reserve[j]]], limit_h=limit_res[j], **kw_j
            )[0, 0]
            beyond[j] = float(e - c_min[j])
    base = replace(pb, penalty_beyond=beyond, meta={**pb.meta, "repeated_replacements": True})
    edges = [pb.period_start(t) for t in range(n_t)]
    frozen = scn.plan.frozen_until
    free = np.array([frozen is None or e >= frozen for e in edges], dtype=bool)
    node_ok = pb.open_allowed[pb.system_of] & free[None, :]
    node_ok[pb.pinned_period == PIN_BEYOND] = False
    # with a hard limit the optimal replacement age of a new part is at most the limit
    t_star = np.minimum(np.array([p.t_star for p in fm.policy], dtype=np.float64), limit)
    multi = MultiYearProblem(
        base=base,
        interval_cost=interval,
        end_cost=end,
        node_ok=node_ok,
        limit_h=limit,
        period_op_h=per,
        t_star_h=t_star,
        offset=c_min + fm.cost_rate * hor,
    )
    return replace(built, problem=base), multi
