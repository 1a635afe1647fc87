"""The strategies that need no scheduler: run-to-failure, fixed-interval (block
replacement), optimal-age (Barlow-Proschan), condition-based and predictive.

===================  =============================================================
``run-to-failure``   never replaces preventively
``fixed-interval``   block replacement: every ``interval_h`` operating hours each
                     system is opened and all its parts are replaced
``optimal-age``      each component at its optimal age ``t_star`` (Barlow-Proschan)
``condition-based``  replace (after ``lead_time_h``) when the twin's ``rul_quantile``
                     quantile of the residual life falls below ``threshold_h``
``predictive``       each component at its own optimum from its current RUL (the
                     twin's estimate), no grouping
===================  =============================================================

References
----------
.. [1] R. E. Barlow and F. Proschan, *Mathematical Theory of Reliability*, Wiley, 1965
   (age and block replacement).
.. [2] A. K. S. Jardine, D. Lin and D. Banjevic, "A review on machinery diagnostics and
   prognostics implementing condition-based maintenance", Mechanical Systems and Signal
   Processing 20 (2006) 1483-1510.
"""

from __future__ import annotations

import functools
import math
from math import sqrt
from typing import Any

import numpy as np
from scipy import special as sc

from optimizer._typing import FloatArray
from optimizer.reliability import distributions as rul
from optimizer.reliability.penalty import penalty_curves
from optimizer.sim.model import SimModel
from optimizer.sim.strategies.base import BasePolicy, SimView
from optimizer.sim.twin import ERROR_FLOOR, Twin

__all__ = [
    "ConditionBased",
    "FixedInterval",
    "OptimalAge",
    "Predictive",
    "RunToFailure",
    "lognormal_optimum",
    "residual_quantile_crossing",
]


class RunToFailure(BasePolicy):
    """Never replace preventively: every part runs until it fails."""

    name = "run-to-failure"


class FixedInterval(BasePolicy):
    """Block replacement: every ``interval_h`` operating hours, open each system and
    replace all its parts, whatever their age.

    Parameters
    ----------
    interval_h : float, optional
        Interval in operating hours (converted to calendar time with each system's
        operating hours per day).  Default: the median optimal age ``t_star`` of the
        fleet's components with a finite one (else the median mean life).

    Raises
    ------
    ValueError
        If ``interval_h`` is not finite and positive.
    """

    name = "fixed-interval"

    def __init__(self, interval_h: float | None = None) -> None:
        if interval_h is not None and not (math.isfinite(interval_h) and interval_h > 0):
            raise ValueError(f"interval_h must be finite and > 0, got {interval_h!r}")
        self.interval_h = interval_h

    def prepare(self, model: SimModel, twin: Twin) -> None:
        super().prepare(model, twin)
        if self.interval_h is None:
            finite = model.t_star_h[np.isfinite(model.t_star_h)]
            pool = finite if finite.size else model.mean_life_h
            self.interval_h = float(np.median(pool))
        self._calendar_h = self.interval_h / model.rate
        # the requests of every replication, built once: (components, planned time)
        horizon = model.horizon_h
        self._requests: list[tuple[list[int], float]] = []
        for k, members in enumerate(model.members_of):
            step = float(self._calendar_h[k])
            times = np.arange(1, int(horizon // step) + 1) * step
            comps = members.tolist()
            self._requests += [(comps, t) for t in times[times < horizon].tolist()]

    def start(self, sim: SimView) -> None:
        for comps, t in self._requests:
            sim.request_pm(comps, t, current_part=False)

    def params(self) -> dict[str, Any]:
        return {"interval_h": self.interval_h}


class OptimalAge(BasePolicy):
    """Replace each part when it reaches ``age_factor`` times its optimal age ``t_star``
    (no grouping).

    ``t_star`` is the fleet model's Barlow-Proschan optimum with the individual
    preventive cost (one opening per replacement); parts already older are replaced at
    once (at the next shift).  The optimum ignores downtime patterns, crews and
    grouping, so a tuned ``age_factor`` (``compare --tune``) can do better than 1.

    Parameters
    ----------
    age_factor : float, default 1
        Multiple of ``t_star`` at which a part is replaced (> 0).

    Raises
    ------
    ValueError
        If ``age_factor`` is not finite and positive.
    """

    name = "optimal-age"

    def __init__(self, age_factor: float | None = None) -> None:
        f = 1.0 if age_factor is None else float(age_factor)
        if not (math.isfinite(f) and f > 0.0):
            raise ValueError(f"age_factor must be finite and > 0, got {age_factor!r}")
        self.age_factor = f

    def prepare(self, model: SimModel, twin: Twin) -> None:
        super().prepare(model, twin)
        # the replacement age of each position (a list: read once per installed part)
        self._age_h: list[float] = (model.t_star_h * self.age_factor).tolist()

    def on_install(self, sim: SimView, i: int) -> None:
        t = self._age_h[i]
        if math.isfinite(t):
            sim.set_alarm(i, t)

    def params(self) -> dict[str, Any]:
        return {"age_factor": self.age_factor}

    def on_alarm(self, sim: SimView, i: int) -> None:
        sim.request_pm([i], sim.now_h)


def residual_quantile_crossing(dist: rul.LifeDistribution, q: float, threshold_h: float) -> float:
    """Smallest age ``x >= 0`` at which ``dist.residual(x).ppf(q) <= threshold_h``.

    Grid of 257 ages up to ``ppf(1 - 1e-9)``, then bisection between the bracketing grid
    points; ``inf`` if the quantile never falls that low.
    """
    if float(dist.ppf(q)) <= threshold_h:
        return 0.0
    hi = float(dist.ppf(1.0 - 1e-9))
    if not math.isfinite(hi):
        hi = 1e3 * float(dist.mean())
    grid = np.linspace(0.0, hi, 257)
    try:
        qs = np.asarray(dist.residual(grid[1:]).ppf(q), dtype=np.float64).reshape(-1)
    except ValueError:
        qs = np.array([float(dist.residual(a).ppf(q)) for a in grid[1:]])
    below = np.flatnonzero(qs <= threshold_h)
    if below.size == 0:
        return math.inf
    j = int(below[0]) + 1
    lo, up = float(grid[j - 1]), float(grid[j])
    for _ in range(40):
        mid = 0.5 * (lo + up)
        if float(dist.residual(mid).ppf(q)) <= threshold_h:
            up = mid
        else:
            lo = mid
    return up


class ConditionBased(BasePolicy):
    """Replace when the twin's ``rul_quantile`` quantile of the residual life falls below
    ``threshold_h``; the work is planned ``lead_time_h`` after the detection.

    The twin is looked at every ``inspect_every_h`` calendar hours.  Because the
    reported quantile decreases as the part ages (see :mod:`optimizer.sim.twin`), the
    crossing is computed once per part (the true remaining life ``R_c`` at which it
    happens) and turned into an alarm at age ``life - R_c``; the detection is the first
    inspection at or after the alarm.  With no twin (``none``) the quantile is that of
    the population residual life at the part's age: the rule is an age rule.

    Parameters
    ----------
    rul_quantile : float, default 0.1
        Quantile level in ``(0, 1)``.
    threshold_h : float, optional
        Threshold, operating hours; default ``2 * (lead_time_h + inspect_every_h)``.
    lead_time_h : float, default 72
        Calendar hours from detection to the planned work.
    inspect_every_h : float, default 24
        Calendar hours between looks at the twin.

    Raises
    ------
    ValueError
        On parameters out of range.
    """

    name = "condition-based"

    def __init__(
        self,
        rul_quantile: float | None = None,
        threshold_h: float | None = None,
        lead_time_h: float | None = None,
        inspect_every_h: float = 24.0,
    ) -> None:
        q = 0.1 if rul_quantile is None else float(rul_quantile)
        if not (0.0 < q < 1.0):
            raise ValueError(f"rul_quantile must lie in (0, 1), got {rul_quantile!r}")
        lead = 72.0 if lead_time_h is None else float(lead_time_h)
        if not (math.isfinite(lead) and lead >= 0.0):
            raise ValueError(f"lead_time_h must be finite and >= 0, got {lead_time_h!r}")
        if not (math.isfinite(inspect_every_h) and inspect_every_h > 0.0):
            raise ValueError(f"inspect_every_h must be finite and > 0, got {inspect_every_h!r}")
        thr = 2.0 * (lead + inspect_every_h) if threshold_h is None else float(threshold_h)
        if not (math.isfinite(thr) and thr > 0.0):
            raise ValueError(f"threshold_h must be finite and > 0, got {threshold_h!r}")
        self.rul_quantile = q
        self.threshold_h = thr
        self.lead_time_h = lead
        self.inspect_every_h = float(inspect_every_h)

    def prepare(self, model: SimModel, twin: Twin) -> None:
        super().prepare(model, twin)
        if twin.informative:
            return
        q, thr = self.rul_quantile, self.threshold_h
        cache: dict[str, float] = {}
        new = np.empty(model.n)
        init = np.empty(model.n)
        for i in range(model.n):
            key = repr(model.life[i])
            if key not in cache:
                cache[key] = residual_quantile_crossing(model.life[i], q, thr)
            new[i] = cache[key]
            d0 = model.initial[i]
            if isinstance(d0, rul.Residual) and repr(d0.base) == key:
                # age-based residual of the new-part life: same crossing, shifted by age
                init[i] = max(new[i], float(d0.age_h))
            else:
                init[i] = float(model.initial_age_h[i]) + residual_quantile_crossing(d0, q, thr)
        self._age_new = new
        self._age_init = init

    def on_install(self, sim: SimView, i: int) -> None:
        if not self.twin.informative:
            age = self._age_init[i] if sim.on_initial_part(i) else self._age_new[i]
            sim.set_alarm(i, float(age))
            return
        r0 = sim.true_residual_h(i)
        r_c = self.twin.crossing(
            self.rul_quantile, self.threshold_h, r0, sim.twin_z(i), float(self.model.mean_life_h[i])
        )
        sim.set_alarm(i, sim.age_h(i) + (r0 - r_c))

    def on_alarm(self, sim: SimView, i: int) -> None:
        step = self.inspect_every_h
        detect = math.ceil(sim.now_h / step - 1e-9) * step
        sim.request_pm([i], detect + self.lead_time_h)

    def params(self) -> dict[str, Any]:
        return {
            "rul_quantile": self.rul_quantile,
            "threshold_h": self.threshold_h,
            "lead_time_h": self.lead_time_h,
            "inspect_every_h": self.inspect_every_h,
        }


# standardized grid for the lognormal optimum (log-time in units of the spread)
_W_GRID = np.linspace(-7.0, 5.0, 241)

_SURV = sc.ndtr(-_W_GRID[None, :])  # survival at the grid points, shape (1, 241)
_FAIL = 1.0 - _SURV


@functools.lru_cache(maxsize=256)
def _lognormal_rows(sigma: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The rows of :func:`lognormal_optimum` that depend on the spread only:
    ``exp(sigma w)``, ``Phi(w - sigma)`` (shape (1, 241)) and ``exp(sigma^2 / 2)``
    (shape (1, 1)), each computed by the same numpy operation as for a whole column of
    equal spreads (cached: near failure every part has the twin's floor spread)."""
    s = np.full((1, 1), sigma)
    rows = (np.exp(s * _W_GRID[None, :]), sc.ndtr(_W_GRID[None, :] - s), np.exp(0.5 * s * s))
    for a in rows:
        a.flags.writeable = False
    return rows


# twin errors at which Predictive bounds the residual life that can pass its screen
_Z_STEP = 0.1
_Z_GRID = np.arange(-80, 81) * _Z_STEP


def lognormal_optimum(
    median_h: FloatArray,
    sigma: FloatArray,
    cost_pm: FloatArray,
    cost_cm: FloatArray,
    cost_rate: FloatArray,
) -> FloatArray:
    """Minimizer of ``c(t) = c_p S(t) + c_f F(t) - g integral_0^t S`` for lognormal lives.

    ``S`` is the survival of ``Lognormal(median_h, sigma)``; with
    ``w = (log t - log median) / sigma``, ``S = 1 - Phi(w)`` and
    ``integral_0^t S = median exp(sigma^2 / 2) Phi(w - sigma) + t (1 - Phi(w))``.
    Evaluated on a grid of ``w`` in ``[-7, 5]`` (step 0.05) plus ``t = 0`` and
    ``t = inf``.

    Parameters
    ----------
    median_h, sigma : ndarray, shape (m,)
        Reported residual life (``sigma > 0``).
    cost_pm, cost_cm : ndarray, shape (m,)
        Preventive and failure costs.
    cost_rate : ndarray, shape (m,)
        Long-run optimal cost rate ``g*`` credited per hour of life used.

    Returns
    -------
    ndarray, shape (m,)
        Optimal time from now, operating hours (``inf``: let it run).
    """
    if sigma.size and bool((sigma == sigma[0]).all()):
        # one spread for every part (the twin's error floor near failure, the common
        # case): the same floats as the general branch, from cached rows
        out_l = _optimum_one_spread(median_h.tolist(), float(sigma[0]), cost_pm, cost_cm, cost_rate)
        return np.array(out_l, dtype=np.float64)
    m = median_h[:, None]
    cp, cf, g = cost_pm[:, None], cost_cm[:, None], cost_rate[:, None]
    s = sigma[:, None]
    t = m * np.exp(s * _W_GRID[None, :])
    int_s = m * np.exp(0.5 * s * s) * sc.ndtr(_W_GRID[None, :] - s) + t * _SURV
    c = cp * _SURV + cf * _FAIL - g * int_s
    c_inf = cost_cm - cost_rate * median_h * np.exp(0.5 * sigma * sigma)
    j = np.argmin(c, axis=1)
    rows = np.arange(len(j))
    best = c[rows, j]
    t_best = t[rows, j]
    out = np.where(cost_pm <= np.minimum(best, c_inf), 0.0, t_best)
    return np.where((c_inf < best) & (c_inf < cost_pm), np.inf, out)


def _optimum_one_spread(
    median_h: list[float],
    sigma: float,
    cost_pm: FloatArray,
    cost_cm: FloatArray,
    cost_rate: FloatArray,
) -> list[float]:
    """:func:`lognormal_optimum` of parts that share one spread, as a list (the same
    floats: the rows of :func:`_lognormal_rows`, the grid operations in the same order,
    the choice among ``0``, the grid optimum and ``inf`` in scalars)."""
    e_row, n_row, e2 = _lognormal_rows(sigma)
    m = np.array(median_h, dtype=np.float64)[:, None]
    t = m * e_row
    int_s = m * e2 * n_row + t * _SURV
    c = cost_pm[:, None] * _SURV + cost_cm[:, None] * _FAIL - cost_rate[:, None] * int_s
    e2_f = e2.item()
    out: list[float] = []
    for k, j in enumerate(np.argmin(c, axis=1).tolist()):
        best, cp = c.item(k, j), cost_pm.item(k)
        c_inf = cost_cm.item(k) - cost_rate.item(k) * median_h[k] * e2_f
        if c_inf < best and c_inf < cp:
            out.append(math.inf)
        elif cp <= min(best, c_inf):
            out.append(0.0)
        else:
            out.append(t.item(k, j))
    return out


class Predictive(BasePolicy):
    """Each component at its own optimum from its current residual life, no grouping.

    The optimum minimizes ``c(t) = c_p S(t) + c_f F(t) - g* integral_0^t S`` (the penalty
    of :mod:`optimizer.reliability.penalty` with the individual preventive cost and the optimal
    long-run rate ``g*`` crediting the life used).  With no twin ``S`` is the part's
    residual life given its age (scenario prognostics for the initial parts), so the
    rule is an age rule: ``t_star`` for new parts.  With a twin the estimate is revised
    every ``replan_every_days``: a part whose optimum falls before the next revision (plus
    its spare part's lead time when none is on hand) is released, reserving its part,
    for the latest crew shift before the optimum; a perfect twin replaces a part at the
    last shift before it would fail.

    Parameters
    ----------
    replan_every_days : float, default 7
        Days between revisions of the twin estimates.
    lead_time_h : float, default 0
        Plan the work this many calendar hours before the computed optimum (a safety
        margin against the twin's error; ``compare --tune`` searches it).

    Raises
    ------
    ValueError
        If ``replan_every_days`` is not finite and positive or ``lead_time_h`` is
        negative.
    """

    name = "predictive"

    def __init__(
        self, replan_every_days: float | None = None, lead_time_h: float | None = None
    ) -> None:
        d = 7.0 if replan_every_days is None else float(replan_every_days)
        if not (math.isfinite(d) and d > 0.0):
            raise ValueError(f"replan_every_days must be finite and > 0, got {replan_every_days!r}")
        lead = 0.0 if lead_time_h is None else float(lead_time_h)
        if not (math.isfinite(lead) and lead >= 0.0):
            raise ValueError(f"lead_time_h must be finite and >= 0, got {lead_time_h!r}")
        self.replan_every_days = d
        self.lead_time_h = lead

    def prepare(self, model: SimModel, twin: Twin) -> None:
        super().prepare(model, twin)
        self.decision_interval_h = self.replan_every_days * 24.0 if twin.informative else None
        # A part whose failures are minimally repaired is not renewed by a failure, so
        # "replace just before the predicted failure" (a perfect twin) is no gain over
        # repairing it; it follows its age rule (the optimum of the minimal-repair cost
        # curve) whatever the twin.
        self._by_age = np.asarray(model.minimal_repair, dtype=bool) | (not twin.informative)
        # the longest lead time of each component's spare part (0: no spare part)
        self._lead_max_h = np.array(
            [model.parts[p].lead_h if p >= 0 else 0.0 for p in model.part_of.tolist()],
            dtype=np.float64,
        )
        # each component's operating rate and its widest screening window (op. hours)
        self._rate = np.asarray(model.rate[model.system_of], dtype=np.float64)
        interval = self.decision_interval_h or 0.0
        self._window_max_op = (interval + self._lead_max_h) * self._rate
        self._rate_list: list[float] = self._rate.tolist()
        self._window_max_list: list[float] = self._window_max_op.tolist()
        self._mean_list: list[float] = np.asarray(model.mean_life_h, dtype=np.float64).tolist()
        self._sigma = float(twin.sigma or 0.0)
        if twin.informative:
            self._reach_h = self._screen_reach_h(model, twin)
        if self._by_age.any() and model.n:
            curves = penalty_curves(
                model.initial,
                cost_pm=model.cost_pm_individual,
                cost_cm=np.maximum(model.cost_cm, 1e-9),
                cost_rate=model.cost_rate,
                t_h=np.array([0.0]),
                horizon_h=1.0,
                minimal_repair=model.minimal_repair,
            )
            self._t_init = model.initial_age_h + curves.t_opt_h

    def _screen_reach_h(self, model: SimModel, twin: Twin) -> FloatArray:
        """Largest true residual life at which a part can pass :meth:`decide`'s screen.

        An upper bound (operating hours) per component and twin error ``z`` on the grid
        :data:`_Z_GRID`, shape ``(n, len(_Z_GRID))``; ``inf`` where there is none.  A part
        passes the screen when its reported low quantile ``R exp(s(R) (z - 7))`` is at
        most the widest window ``W`` (``s(R) = sigma max(sqrt(2 R / (R + M)), f)``, see
        :mod:`optimizer.sim.twin`).  With ``w = z - 7 < 0`` that needs
        ``R <= W exp(sigma g(R) |w|)``, and ``g`` increases with ``R``; so from
        ``b_0 = W exp(sigma sqrt(2) |w|)`` (``g < sqrt(2)``) every step
        ``b_{k+1} = min(b_k, W exp(sigma g(b_k) |w|))`` is again a bound (if ``R`` passes
        and ``R <= b_k`` then ``R <= W exp(sigma g(b_k) |w|)``), decreasing to the largest
        passing ``R``; for ``w >= 0``, ``g >= f`` gives ``W exp(-sigma f w)``.  The bound
        decreases with ``z`` (a larger ``z`` makes the condition stricter), so the grid
        value at or below a part's ``z`` bounds it too.  A perfect twin's reports pass
        the screen at once, but a part is released only when its known failure, less the
        lead time, falls within the window and the spare part's longest lead:
        ``R <= ((interval + lead_max + lead_time_h) rate + 1e-6) / (1 - 1e-9)``.  Every
        bound is widened by ``1e-6`` relative and ``1e-3`` h absolute, far above the
        rounding of the screen's floats, so a part outside it cannot pass.

        Returns
        -------
        ndarray, shape (n, len(_Z_GRID))
            Operating hours.
        """
        sig = twin.sigma
        assert sig is not None
        interval = self.decision_interval_h or 0.0
        if sig == 0.0:
            reach = ((interval + self._lead_max_h + self.lead_time_h) * self._rate + 1e-6) / (
                1.0 - 1e-9
            )
            b = np.repeat(reach[:, None], _Z_GRID.size, axis=1)
        elif sig * ERROR_FLOOR <= 1e-9:  # (a report may be taken for a point mass)
            return np.full((model.n, _Z_GRID.size), np.inf)
        else:
            w = _Z_GRID[None, :] - 7.0
            win = self._window_max_op[:, None]
            mean = np.asarray(model.mean_life_h, dtype=np.float64)[:, None]
            neg = w < 0.0
            b = np.where(
                neg, win * np.exp(-sig * math.sqrt(2.0) * w), win * np.exp(-sig * ERROR_FLOOR * w)
            )
            for _ in range(40):
                g = np.maximum(np.sqrt(2.0 * b / (b + mean)), ERROR_FLOOR)
                b = np.where(neg, np.minimum(b, win * np.exp(-sig * g * w)), b)
        return np.asarray(b * (1.0 + 1e-6) + 1e-3, dtype=np.float64)

    def start(self, sim: SimView) -> None:
        # calendar time from which each part is screened (inf: never), and the parts
        # installed since the last decision (their times are computed there)
        self._watch_t = np.full(self.model.n, np.inf)
        self._new: list[int] = []

    def on_install(self, sim: SimView, i: int) -> None:
        if not self._by_age[i]:
            self._new.append(i)
            return
        age = self._t_init[i] if sim.on_initial_part(i) else self.model.t_star_h[i]
        if math.isfinite(float(age)):
            # the lead is calendar time: in operating hours at the system's rate
            early = self.lead_time_h * float(self.model.rate[self.model.system_of[i]])
            sim.set_alarm(i, max(float(age) - early, 0.0))

    def on_alarm(self, sim: SimView, i: int) -> None:
        sim.request_pm([i], sim.now_h)

    def _watch_new(self, sim: SimView, now: float) -> None:
        """Screening times of the parts installed since the last decision.

        A part can pass the screen only once its true residual life is at most its
        reach (:meth:`_screen_reach_h`), and its operating age grows at most at its
        system's rate (a waiting standby part ages slower, a stopped system not at
        all), so not before ``now + (R_now - reach) / rate``; from then on it is
        screened at every decision until it is replaced.
        """
        new, self._new = self._new, []
        watch_t, reach_h, z0, last = (
            self._watch_t,
            self._reach_h,
            float(_Z_GRID[0]),
            _Z_GRID.size - 1,
        )
        if len(new) > 64:  # (the start: the whole fleet at once)
            comps = np.unique(np.asarray(new, dtype=np.intp))
            up, r_now, z = sim.twin_inputs(comps)
            # the grid value at or below z (z below the grid: no bound)
            col = np.floor((z - z0) / _Z_STEP - 1e-9).astype(np.intp)
            inside = col >= 0
            col = np.minimum(np.maximum(col, 0), last)
            reach = np.where(inside, reach_h[comps, col], np.inf)
            wait = (r_now - reach) / self._rate[comps]
            watch_t[comps] = np.where(up & (wait > 0.0), now + wait, -np.inf)
            return
        rate = self._rate_list
        for i in new:  # a few parts per decision: scalars (the same bound)
            if not sim.is_up(i):
                watch_t[i] = -math.inf
                continue
            x = (sim.twin_z(i) - z0) / _Z_STEP - 1e-9
            reach_i = reach_h.item(i, min(int(x), last)) if x >= 0.0 else math.inf
            wait_i = (sim.true_residual_h(i) - reach_i) / rate[i]
            watch_t[i] = now + wait_i if wait_i > 0.0 else -math.inf

    def decide(self, sim: SimView) -> None:
        m = self.model
        now = sim.now_h
        if self._new:
            self._watch_new(sim, now)
        # only the parts that can pass the screen (_watch_new): the same releases as
        # screening the whole fleet, in the same (ascending) order
        watch = np.flatnonzero(self._watch_t <= now)
        if watch.size == 0:
            return
        # running parts without a request yet (these filters commute with the screen)
        is_up, pm_pending = sim.is_up, sim.pm_pending
        ids = [i for i in watch.tolist() if is_up(i) and not pm_pending(i)]
        if not ids:
            return
        # The twin's reports (Twin.report) in scalars, but for exp, which numpy takes
        # for the whole batch: +, -, *, / and sqrt are correctly rounded in both, so
        # every float is the one of Twin.report (tests: test_predictive_watch).
        sig, floor, mean = self._sigma, ERROR_FLOOR, self._mean_list
        true_residual_h = sim.true_residual_h
        rs = [true_residual_h(i) for i in ids]
        ss = [sig * max(sqrt(2.0 * r / (r + mean[i])), floor) for i, r in zip(ids, rs, strict=True)]
        zs = [sim.twin_z(i) for i in ids]
        k = len(ids)
        ex = np.exp(np.array([s * z for s, z in zip(ss, zs, strict=True)] + [-7.0 * s for s in ss]))
        ex_l: list[float] = ex.tolist()
        # cheap screen: an optimum inside the window needs a low quantile inside it.
        # First with each part's longest possible lead (no stock look-up), then, for
        # the few that pass, with the actual lead: the same set as screening with the
        # actual lead, as the window only grows with the lead.
        interval = self.decision_interval_h or 0.0
        window, rate = self._window_max_list, self._rate_list
        part_lead_h = sim.part_lead_h
        keep: list[tuple[int, float, float, float]] = []  # (i, r, median, spread)
        for j, i in enumerate(ids):
            r, s = rs[j], ss[j]
            med = r * ex_l[j]
            low_q = med * ex_l[k + j]
            if s <= 1e-9:  # a point mass (perfect twin)
                keep.append((i, r, med, s))
            elif low_q <= window[i] and low_q <= (interval + part_lead_h(i)) * rate[i]:
                keep.append((i, r, med, s))
        if not keep:
            return
        # the optimum of each part (a point mass: just before the known failure)
        t_opt = [max(r * (1.0 - 1e-9) - 1e-6, 0.0) if s <= 1e-9 else 0.0 for _, r, _, s in keep]
        logn = [j for j, (_, _, _, s) in enumerate(keep) if s > 1e-9]
        if logn:
            sel = np.array([keep[j][0] for j in logn], dtype=np.intp)
            meds = [keep[j][2] for j in logn]
            spreads = [keep[j][3] for j in logn]
            costs = (m.cost_pm_individual[sel], m.cost_cm[sel], m.cost_rate[sel])
            if all(x == spreads[0] for x in spreads):  # (the common case: the floor)
                opt = _optimum_one_spread(meds, spreads[0], *costs)
            else:
                opt = lognormal_optimum(np.array(meds), np.array(spreads), *costs).tolist()
            for j, t in zip(logn, opt, strict=True):
                t_opt[j] = t
        lead_time_h = self.lead_time_h
        horizon = now + interval
        for (i, _, _, _), t in zip(keep, t_opt, strict=True):
            t_cal = max(now + t / rate[i] - lead_time_h, now)
            # release early enough for a missing spare part to arrive
            if t_cal <= horizon + part_lead_h(i):
                sim.request_pm([i], sim.latest_work_start(i, t_cal))

    def params(self) -> dict[str, Any]:
        return {"replan_every_days": self.replan_every_days, "lead_time_h": self.lead_time_h}
