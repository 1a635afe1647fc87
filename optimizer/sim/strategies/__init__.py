"""Maintenance strategies: policy objects that the fleet simulator drives.

A strategy is any object with the :class:`Policy` protocol.  The simulator calls

* ``prepare(model, twin)`` once per study (in the parent process; the prepared policy is
  pickled to the workers), for everything that does not depend on the replication;
* ``start(sim)`` at the start of every replication (reset per-replication state here);
* ``on_install(sim, i)`` whenever position ``i`` gets a part: the initial parts at the
  start, then after every preventive or corrective replacement (and minimal repair);
* ``on_alarm(sim, i)`` when an alarm set with ``sim.set_alarm(i, age_h)`` goes off (the
  installed part reached that operating age);
* ``decide(sim)`` every ``decision_interval_h`` calendar hours (from ``t = 0``) when that
  attribute is not ``None``.

Policies act through the simulator view (:class:`SimView`): ``request_pm``,
``set_alarm``, ages, and the twin's reports.  Six strategies (names exactly as in the
scenario schema):

===================  =============================================================
``run-to-failure``   never replaces preventively
``fixed-interval``   block replacement: every ``interval_h`` operating hours each
                     system is opened and all its parts are replaced
``optimal-age``      each component at its optimal age ``t_star`` (Barlow-Proschan)
``condition-based``  replace (after ``lead_time_h``) when the twin's ``rul_quantile``
                     quantile of the residual life falls below ``threshold_h``
``predictive``       each component at its own optimum from its current RUL (the
                     twin's estimate), no grouping
``prescriptive``     the scheduler's grouped plan on a rolling horizon
                     (:mod:`optimizer.sim.strategies.prescriptive`)
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

import math
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from scipy import special as sc

from optimizer._typing import BoolArray, FloatArray
from optimizer.reliability import distributions as rul
from optimizer.reliability.penalty import penalty_curves
from optimizer.scenario import STRATEGIES, StrategySpec
from optimizer.sim.model import SimModel
from optimizer.sim.twin import Twin

__all__ = [
    "STRATEGIES",
    "ConditionBased",
    "FixedInterval",
    "OptimalAge",
    "Policy",
    "Predictive",
    "RunToFailure",
    "SimView",
    "make_policy",
]


@runtime_checkable
class SimView(Protocol):
    """What a policy may see and do during a replication."""

    model: SimModel
    twin: Twin

    @property
    def now_h(self) -> float:
        """Current time, hours from the plan start."""

    def age_h(self, i: int) -> float:
        """Operating age of component ``i``'s part, hours."""

    def ages_h(self) -> FloatArray:
        """Operating ages of all components, hours."""

    def up_mask(self) -> BoolArray:
        """Components running."""

    def is_up(self, i: int) -> bool:
        """Whether component ``i`` is running."""

    def true_residual_h(self, i: int) -> float:
        """True remaining life (only the twin model may use it)."""

    def twin_z(self, i: int) -> float:
        """The twin's error draw for component ``i``'s part."""

    def twin_report(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """True residual, reported median and spread for every component."""

    def life_index(self, i: int) -> int:
        """Index of the installed life draw (0 = the initial part)."""

    def on_initial_part(self, i: int) -> bool:
        """Whether position ``i`` still holds the part installed at the start."""

    def set_alarm(self, i: int, age_h: float) -> None:
        """Call ``on_alarm`` when component ``i``'s part reaches ``age_h``."""

    def clear_alarm(self, i: int) -> None:
        """Cancel component ``i``'s alarm."""

    def pm_pending(self, i: int) -> bool:
        """Whether a preventive replacement of the installed part is requested."""

    def pm_pending_mask(self) -> BoolArray:
        """:meth:`pm_pending` of all components."""

    def request_pm(self, comps: Sequence[int], at_h: float, *, current_part: bool = True) -> int:
        """Request preventive replacements at ``at_h`` (see the simulator)."""

    def latest_work_start(self, i: int, t_h: float) -> float:
        """Latest instant ``<= t_h`` (not before now) at which ``i``'s crew is on shift."""

    def part_lead_h(self, i: int) -> float:
        """Lead time of ``i``'s spare part when none is on hand (0 otherwise), hours."""

    def parts_lead_h(self, comps: Sequence[int]) -> FloatArray:
        """:meth:`part_lead_h` of several components, hours."""


@runtime_checkable
class Policy(Protocol):
    """A maintenance strategy driven by the simulator (see the module docstring)."""

    name: str
    decision_interval_h: float | None

    def prepare(self, model: SimModel, twin: Twin) -> None:
        """One-off preparation for a model and twin accuracy."""

    def start(self, sim: SimView) -> None:
        """Start of a replication."""

    def on_install(self, sim: SimView, i: int) -> None:
        """Position ``i`` received a part (or was minimally repaired)."""

    def on_alarm(self, sim: SimView, i: int) -> None:
        """An alarm of component ``i`` went off."""

    def decide(self, sim: SimView) -> None:
        """Periodic decision instant."""


class _Base:
    """Do-nothing defaults of the protocol."""

    name = "base"
    decision_interval_h: float | None = None

    def prepare(self, model: SimModel, twin: Twin) -> None:
        self.model = model
        self.twin = twin

    def start(self, sim: SimView) -> None:
        return None

    def on_install(self, sim: SimView, i: int) -> None:
        return None

    def on_alarm(self, sim: SimView, i: int) -> None:
        return None

    def decide(self, sim: SimView) -> None:
        return None

    def params(self) -> dict[str, Any]:
        """Parameters of the strategy (for reports)."""
        return {}


class RunToFailure(_Base):
    """Never replace preventively: every part runs until it fails."""

    name = "run-to-failure"


class FixedInterval(_Base):
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

    def start(self, sim: SimView) -> None:
        horizon = self.model.horizon_h
        for k, members in enumerate(self.model.members_of):
            step = float(self._calendar_h[k])
            times = np.arange(1, int(horizon // step) + 1) * step
            for t in times[times < horizon]:
                sim.request_pm(members.tolist(), float(t), current_part=False)

    def params(self) -> dict[str, Any]:
        return {"interval_h": self.interval_h}


class OptimalAge(_Base):
    """Replace each part when it reaches its optimal age ``t_star`` (no grouping).

    ``t_star`` is the fleet model's Barlow-Proschan optimum with the individual
    preventive cost (one opening per replacement); parts already older are replaced at
    once (at the next shift).
    """

    name = "optimal-age"

    def on_install(self, sim: SimView, i: int) -> None:
        t = float(self.model.t_star_h[i])
        if math.isfinite(t):
            sim.set_alarm(i, t)

    def on_alarm(self, sim: SimView, i: int) -> None:
        sim.request_pm([i], sim.now_h)


def _residual_quantile_crossing(dist: rul.LifeDistribution, q: float, threshold_h: float) -> float:
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


class ConditionBased(_Base):
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
                cache[key] = _residual_quantile_crossing(model.life[i], q, thr)
            new[i] = cache[key]
            d0 = model.initial[i]
            if isinstance(d0, rul.Residual) and repr(d0.base) == key:
                # age-based residual of the new-part life: same crossing, shifted by age
                init[i] = max(new[i], float(d0.age_h))
            else:
                init[i] = float(model.initial_age_h[i]) + _residual_quantile_crossing(d0, q, thr)
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
    m = median_h[:, None]
    s = sigma[:, None]
    t = m * np.exp(s * _W_GRID[None, :])
    w = _W_GRID[None, :]
    surv = sc.ndtr(-w)
    int_s = m * np.exp(0.5 * s * s) * sc.ndtr(w - s) + t * surv
    cp, cf, g = cost_pm[:, None], cost_cm[:, None], cost_rate[:, None]
    c = cp * surv + cf * (1.0 - surv) - g * int_s
    c_inf = cost_cm - cost_rate * median_h * np.exp(0.5 * sigma * sigma)
    j = np.argmin(c, axis=1)
    best = c[np.arange(len(j)), j]
    t_best = t[np.arange(len(j)), j]
    out = np.where(cost_pm <= np.minimum(best, c_inf), 0.0, t_best)
    return np.where((c_inf < best) & (c_inf < cost_pm), np.inf, out)


class Predictive(_Base):
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

    Raises
    ------
    ValueError
        If ``replan_every_days`` is not finite and positive.
    """

    name = "predictive"

    def __init__(self, replan_every_days: float | None = None) -> None:
        d = 7.0 if replan_every_days is None else float(replan_every_days)
        if not (math.isfinite(d) and d > 0.0):
            raise ValueError(f"replan_every_days must be finite and > 0, got {replan_every_days!r}")
        self.replan_every_days = d

    def prepare(self, model: SimModel, twin: Twin) -> None:
        super().prepare(model, twin)
        self.decision_interval_h = self.replan_every_days * 24.0 if twin.informative else None
        if not twin.informative and model.n:
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

    def on_install(self, sim: SimView, i: int) -> None:
        if self.twin.informative:
            return
        age = self._t_init[i] if sim.on_initial_part(i) else self.model.t_star_h[i]
        if math.isfinite(float(age)):
            sim.set_alarm(i, float(age))

    def on_alarm(self, sim: SimView, i: int) -> None:
        sim.request_pm([i], sim.now_h)

    def decide(self, sim: SimView) -> None:
        m = self.model
        r, med, s = sim.twin_report()
        up = sim.up_mask()
        cand = np.flatnonzero(up & ~np.array([sim.pm_pending(int(i)) for i in range(m.n)]))
        if cand.size == 0:
            return
        lead = np.array([sim.part_lead_h(int(i)) for i in cand])
        window_op = ((self.decision_interval_h or 0.0) + lead) * m.rate[m.system_of[cand]]
        s_c = s[cand]
        perfect = s_c <= 1e-9
        # cheap screen: an optimum inside the window needs a low quantile inside it
        near = perfect | (med[cand] * np.exp(-7.0 * s_c) <= window_op)
        cand = cand[near]
        if cand.size == 0:
            return
        s_c = s[cand]
        t_opt = np.where(
            s_c <= 1e-9,
            np.maximum(r[cand] * (1.0 - 1e-9) - 1e-6, 0.0),  # just before the known failure
            lognormal_optimum(
                med[cand],
                np.maximum(s_c, 1e-9),
                m.cost_pm_individual[cand],
                m.cost_cm[cand],
                m.cost_rate[cand],
            ),
        )
        now = sim.now_h
        rate = m.rate[m.system_of[cand]]
        t_cal = now + t_opt / rate
        horizon = now + (self.decision_interval_h or 0.0)
        for i, t in zip(cand.tolist(), t_cal.tolist(), strict=True):
            # release early enough for a missing spare part to arrive
            if t <= horizon + sim.part_lead_h(i):
                sim.request_pm([i], sim.latest_work_start(i, t))

    def params(self) -> dict[str, Any]:
        return {"replan_every_days": self.replan_every_days}


def make_policy(
    spec: str | StrategySpec | Policy, scenario_specs: Sequence[StrategySpec] = ()
) -> Policy:
    """The policy object for a strategy name or spec.

    Parameters
    ----------
    spec : str, StrategySpec or Policy
        A strategy name (parameters are then taken from ``scenario_specs`` when the
        scenario lists that strategy), a scenario spec, or a ready policy (returned as is).
    scenario_specs : sequence of StrategySpec
        The scenario's ``simulation.strategies``.

    Returns
    -------
    Policy

    Raises
    ------
    ValueError
        On an unknown strategy name.
    """
    if isinstance(spec, str):
        if spec not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}; got {spec!r}")
        found = [s for s in scenario_specs if s.name == spec]
        spec = found[0] if found else StrategySpec(name=spec)
    if not isinstance(spec, StrategySpec):
        if isinstance(spec, Policy):
            return spec
        raise ValueError(f"strategy: expected a name, a StrategySpec or a Policy, got {spec!r}")
    name = spec.name
    if name == "run-to-failure":
        return RunToFailure()
    if name == "fixed-interval":
        return FixedInterval(spec.interval_h)
    if name == "optimal-age":
        return OptimalAge()
    if name == "condition-based":
        return ConditionBased(spec.rul_quantile, spec.threshold_h, spec.lead_time_h)
    if name == "predictive":
        return Predictive(spec.replan_every_days)
    from optimizer.sim.strategies.prescriptive import Prescriptive

    return Prescriptive(spec.replan_every_days)
