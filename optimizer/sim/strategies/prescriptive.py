"""The prescriptive strategy: the scheduler's grouped plan on a rolling horizon.

Every ``replan_every_days`` the policy

1. asks the twin for the residual life of every running part that has no released work
   order (a lognormal report, or the population residual given the age with no twin);
2. prices, on the planning-period grid of the next ``window_days``, the penalty
   ``h_i(t) = c_i(t) - min_{t >= 0} c_i(t)`` with
   ``c_i(t) = c_p S_i(t) + c_f F_i(t) - g*_i integral_0^t S_i`` (README, "How it
   decides"; ``c_p`` the direct preventive cost, openings priced separately), and the
   cost of deferring beyond the window;
3. builds a :class:`~optimizer.problem.data.PlanningProblem` with the opening costs ``S_k(t)``
   (set-up x window factor + production lost at the system's value profile, through
   :func:`cost_models.setup_cost`), maintenance windows and crew hours, restricted to the
   systems that could receive work before the next re-plan, and solves it with
   :func:`optimizer.solvers.solve` (the exact grouping DP by default);
4. releases the work planned before the next re-plan -- or before the next re-plan plus
   the lead time of a spare part that will not be on hand for it, so that it arrives in
   time; works sharing a part whose free units (``SimView.parts_free_units``) do not
   cover them all see its lead time (:func:`claim_lead_h`), so the second of two works
   needing the last unit is not held back until the unit is gone --
   (requests to the simulator, which reserve the parts and are then pinned: later
   re-plans see those parts as committed); the rest of the plan is only provisional
   and is re-planned with the twin's updated RUL.

Reused between re-plans (computed once in :meth:`Prescriptive.prepare`): opening costs,
allowed openings and crew hours on the period grid of the whole simulated horizon, the
batched life distributions, and the extension grid beyond the window.  A system is
planned only if one of its openings before the release date can pay for itself: an
opening at ``p`` serving a set ``A`` is optimal only if
``S_k(p) <= sum_A (b_i - h_i(p))`` (else closing it and deferring ``A`` is cheaper), so
systems failing that test for every committable period are skipped exactly.

Deferring a part beyond the window is priced by the state it leaves at the window's
end (:func:`deferral_regret`): the multi-year end-state cost
(:func:`optimizer.problem.multiyear.continuation_cost`) on the residual life -- the part
runs on and is later renewed by the stand-alone policy behind ``g*``, each later
replacement paying its own opening -- the system's own: the cheapest the rolling plan
finds within a window, averaged over the calendar (:func:`later_opening_cost`: set-up,
production lost at the value profile, window factors), not the fleet's mean opening --
or run to failure; a life limit ends the options at the limit, where the
simulator forces a stand-alone opening.  A minimally repaired part is priced by its
expected repairs (the twin's next failure first) and, kept past the window, by the
end-state value of its age (``SimModel.end_value``): replacing it instead of a repair
the twin sees coming pays once ``c_f + V(age) > c_p``.

The penalty minimum over ``t >= 0`` is taken over the window grid, a geometric grid of
48 points beyond it (up to 20 mean lives) and the limit ``t -> inf``
(``c_f - g* MRL``): an approximation of :func:`optimizer.reliability.penalty.penalty_curves` that is
cheap enough to re-plan every week in every replication.

References
----------
.. [1] R. E. Wildeman, R. Dekker and A. C. J. M. Smit, "A dynamic policy for grouping
   maintenance activities", European Journal of Operational Research 99 (1997) 530-551
   (rolling-horizon grouping with penalty functions).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special as sc

import cost_models as cm
from optimizer._typing import FloatArray, IntArray
from optimizer.calendar import plan_zone
from optimizer.problem.data import NO_PIN, PlanningProblem
from optimizer.problem.plan import BEYOND
from optimizer.sim.model import SimModel
from optimizer.sim.strategies.base import BasePolicy, SimView
from optimizer.sim.twin import Twin
from optimizer.solvers import solve

_N_EXT = 48


_TABLE_POINTS = 2049


class _Tables:
    """Cumulative hazard ``H`` and ``I(a) = integral_0^a S`` of distinct life distributions
    on uniform age grids, for fast residual-life curves at any age.

    Component ``i``'s part installed at the start uses table ``init_tab[i]`` at age
    ``init_off[i] + elapsed`` (an age-based residual reuses the new-part table shifted by
    the age; twin prognostics get their own table); later parts use ``new_tab[i]``.
    """

    def __init__(self, model: SimModel, reach_h: float) -> None:
        keys: dict[str, int] = {}
        dists: list[Any] = []

        def table_of(d: Any) -> int:
            key = repr(d)
            if key not in keys:
                keys[key] = len(dists)
                dists.append(d)
            return keys[key]

        n = model.n
        self.new_tab = np.zeros(n, dtype=np.int64)
        self.init_tab = np.zeros(n, dtype=np.int64)
        self.init_off = np.zeros(n)
        for i in range(n):
            self.new_tab[i] = table_of(model.life[i])
            d0 = model.initial[i]
            base = getattr(d0, "base", None)
            if base is not None and repr(base) == repr(model.life[i]):
                self.init_tab[i] = self.new_tab[i]
                self.init_off[i] = float(getattr(d0, "age_h", 0.0))
            else:
                self.init_tab[i] = table_of(d0)
        # a minimally repaired part's cumulative hazard keeps growing past any quantile
        # (its failures do not renew it), so its tables reach the whole grid
        full = np.zeros(len(dists), dtype=bool)
        rows = np.flatnonzero(np.asarray(model.minimal_repair, dtype=bool))
        full[self.new_tab[rows]] = True
        full[self.init_tab[rows]] = True
        g = _TABLE_POINTS
        self.step = np.zeros(len(dists))
        self.h = np.zeros((len(dists), g))
        self.i = np.zeros((len(dists), g))
        self.mean = np.zeros(len(dists))
        for k, d in enumerate(dists):
            top = float(d.ppf(1.0 - 1e-12))
            if not math.isfinite(top):
                top = 50.0 * float(d.mean())
            # beyond its own far quantile a renewed life has S = 0 and I = mean (lookups
            # are clipped there), so its table reaches only a little past it: a grid sized
            # by the longest life of the fleet is too coarse for a short one (a fixed
            # 1,000 h life on a 1.8e7 h grid lost its jump, and its MRL with it)
            top = max(top, 1e-6)
            top += reach_h if full[k] else min(reach_h, 2.0 * top)
            ages = np.linspace(0.0, top, g)
            self.step[k] = top / (g - 1)
            self.h[k] = np.minimum(np.asarray(d.cum_hazard(ages), dtype=np.float64), 700.0)
            self.i[k] = np.asarray(d.int_sf(ages), dtype=np.float64)
            self.mean[k] = float(d.mean())

    def _lookup(self, tab: IntArray, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        step = self.step[tab].reshape(tab.shape + (1,) * (x.ndim - tab.ndim))
        tb = tab.reshape(step.shape)
        pos = np.clip(x / step, 0.0, _TABLE_POINTS - 1.0)
        j = np.minimum(pos.astype(np.int64), _TABLE_POINTS - 2)
        f = pos - j
        h = self.h[tb, j] * (1.0 - f) + self.h[tb, j + 1] * f
        i = self.i[tb, j] * (1.0 - f) + self.i[tb, j + 1] * f
        return h, i

    def curves(
        self, tab: IntArray, age: FloatArray, t: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Residual survival ``S(a + t) / S(a)``, its integral over ``[0, t]`` and the MRL."""
        h_a, i_a = self._lookup(tab, age)
        h_t, i_t = self._lookup(tab, age[:, None] + t)
        scale = np.exp(h_a)
        sf = np.exp(-np.maximum(h_t - h_a[:, None], 0.0))
        isf = np.maximum(i_t - i_a[:, None], 0.0) * scale[:, None]
        mrl = np.maximum(self.mean[tab] - i_a, 0.0) * scale
        return sf, np.minimum(isf, t), mrl


class Prescriptive(BasePolicy):
    """Grouped plan from the scheduler, re-planned on a rolling horizon.

    Parameters
    ----------
    replan_every_days : float, default 7
        Days between re-plans; work planned before the next re-plan is released.
    window_days : float, default 28
        Planning window, days; extended at a re-plan, up to ``max_window_days``, so that
        work can be released a missing spare part's lead time ahead.
    max_window_days : float, default 120
        Longest planning window, days; raised to the longest spare-part lead time plus
        ``replan_every_days`` plus a week when that is longer (work needing an
        unstocked part must be planned before its order is due).
    method : str, default "dp"
        Scheduler backend (:func:`optimizer.solvers.solve`); the DP is exact when crews
        cannot bind and fast; ``"auto"`` switches to the MILP otherwise (slow in a
        Monte Carlo loop).
    crews : bool, default False
        Give the scheduler the crews' hours per period.  Off by default: the DP ignores
        them anyway and the simulator queues work when crews are short.

    Raises
    ------
    ValueError
        On non-positive intervals.
    """

    name = "prescriptive"

    def __init__(
        self,
        replan_every_days: float | None = None,
        window_days: float = 28.0,
        method: str = "dp",
        *,
        max_window_days: float = 120.0,
        crews: bool = False,
    ) -> None:
        d = 7.0 if replan_every_days is None else float(replan_every_days)
        if not (math.isfinite(d) and d > 0.0):
            raise ValueError(f"replan_every_days must be finite and > 0, got {replan_every_days!r}")
        if not (math.isfinite(window_days) and window_days > 0):
            raise ValueError(f"window_days must be finite and > 0, got {window_days!r}")
        if not (math.isfinite(max_window_days) and max_window_days >= window_days):
            raise ValueError(
                f"max_window_days must be finite and >= window_days, got {max_window_days!r}"
            )
        self.replan_every_days = d
        self.window_days = float(window_days)
        self.max_window_days = float(max_window_days)
        self.method = method
        self.crews = crews
        self.decision_interval_h = d * 24.0

    def params(self) -> dict[str, Any]:
        return {
            "replan_every_days": self.replan_every_days,
            "window_days": self.window_days,
            "max_window_days": self.max_window_days,
            "method": self.method,
            "crews": self.crews,
        }

    # ---- once per study -------------------------------------------------------------
    def prepare(self, model: SimModel, twin: Twin) -> None:
        super().prepare(model, twin)
        scn = model.scenario
        period_h = float(scn.calendar.period_days) * 24.0
        self._period_h = period_h
        self._w = max(1, math.ceil(self.window_days * 24.0 / period_h))
        # The window must reach past the longest spare-part lead time plus a re-plan
        # step: otherwise a part whose spare is not stocked is planned too late to order
        # it, and a better twin (which reports later optima) waits longer for parts.
        lead_h = max((float(p.lead_h) for p in model.parts), default=0.0)
        window_days = max(self.max_window_days, lead_h / 24.0 + self.replan_every_days + 7.0)
        self._w_max = max(self._w, math.ceil(window_days * 24.0 / period_h))
        n_total = math.ceil(model.horizon_h / period_h) + self._w_max + 1
        starts = np.arange(n_total) * period_h
        self._starts = starts
        k_count = model.n_systems
        # opening cost per system and period: set-up x window factor + production lost
        # from the first shift of the system's crews in that period
        # Per crew pool and period: the first instant of a shift in the period (or
        # +inf when the pool has no shift starting before the period ends).  A part can
        # be planned in a period only if its own pool works then, so a Saturday opening
        # of mechanical jobs is possible even when the line's electricians are off.
        n_pools = len(model.pools)
        pool_start = np.full((n_pools, n_total), np.inf)
        for q, pool in enumerate(model.pools):
            sh = pool.shifts
            if not sh.size:
                pool_start[q] = starts  # no shift calendar: work at any time
                continue
            j = np.searchsorted(sh[:, 1], starts, side="right")
            ok = j < len(sh)
            jj = np.minimum(j, len(sh) - 1)
            nxt = np.where(starts < sh[jj, 0], sh[jj, 0], starts)
            # beyond the last known shift (past the simulated horizon) work at the start
            pool_start[q] = np.where(ok, np.where(nxt < starts + period_h, nxt, np.inf), starts)
        self._pool_works = np.isfinite(pool_start)
        # Opening cost per system, duration level and period: set-up x window factor +
        # production lost from the latest first shift, in that period, of the system's
        # pools that work then, for a shutdown of set-up + the longest job in it.  The
        # levels are the system's distinct preventive durations, so an opening is priced
        # by the jobs actually in it (a 16 h clutch job does not pay for the 48 h
        # gearbox job of the same line).
        n_lvl = max(
            (len(np.unique(model.pm_duration_mean_h[mb])) for mb in model.members_of), default=1
        )
        opening = np.zeros((k_count, max(n_lvl, 1), n_total))
        self._lvl = np.zeros(model.n, dtype=np.int64)
        work_start = np.zeros((k_count, n_total))
        open_allowed = np.ones((k_count, n_total), dtype=bool)
        systems = {s.id: s for _, s in scn.systems()}
        for k, sid in enumerate(model.system_ids):
            members = model.members_of[k]
            durs = np.unique(model.pm_duration_mean_h[members]) if members.size else np.zeros(1)
            self._lvl[members] = np.searchsorted(durs, model.pm_duration_mean_h[members])
            # pad with the longest level, so a level index never points past the table
            lost_h = float(model.setup_duration_h[k]) + np.append(
                durs, np.full(opening.shape[1] - durs.size, durs[-1])
            )
            pools_k = sorted({int(model.pool_of[i]) for i in members})
            if pools_k:
                ps = pool_start[pools_k]
                works = np.isfinite(ps)
                any_work = works.any(axis=0)
                work = np.where(any_work, np.max(np.where(works, ps, -np.inf), axis=0), starts)
                open_allowed[k] &= any_work
            else:
                work = starts.copy()
            work_start[k] = work
            w = model.windows[k]
            factor = np.ones(n_total)
            inside: NDArray[np.bool_] = np.zeros(n_total, dtype=bool)
            if w.size:
                mid = (starts + 0.5 * period_h)[:, None]
                ins = (mid >= w[None, :, 0]) & (mid < w[None, :, 1])
                factor = np.min(np.where(ins, w[None, :, 2], 1.0), axis=1)
                inside = np.asarray(ins.any(axis=1), dtype=bool)
            opening[k] = cm.setup_cost(
                (model.setup_cost[k] * factor)[None, :],
                lost_h[:, None],
                model.profiles[k],
                work[None, :],
            )
            if systems[sid].open_only_in_windows:
                open_allowed[k] &= inside
        self._opening = opening
        self._work_start = work_start
        self._open_allowed = open_allowed
        # A later stand-alone replacement (beyond the window) pays the system's own
        # opening, at the cheapest allowed period the rolling plan finds within a
        # window (a Sunday, a shutdown), not the fleet's mean opening (which prices
        # lost production at the profile's mean and ignores windows).
        later = later_opening_cost(opening, open_allowed, self._w)
        fleet_o = model.cost_pm_individual - model.cost_pm
        own_later = later[model.system_of, self._lvl]
        self._later_opening = np.where(np.isfinite(own_later), own_later, fleet_o)
        self._part_lead_h = np.array(
            [float(model.parts[q].lead_h) if q >= 0 else 0.0 for q in model.part_of.tolist()]
        )
        # crew hours per pool and period
        edges = [
            model.start + timedelta(hours=float(s))
            for s in np.append(starts, starts[-1] + period_h)
        ]
        tz = plan_zone(scn.calendar)
        cap = np.array([pool.calendar.hours(edges, tz) for pool in model.pools])
        self._crew_hours = cap.reshape(len(model.pools), n_total)
        # extension grid beyond the window, relative to the window end (operating hours)
        far = 20.0 * float(np.max(model.mean_life_h)) if model.n else 1.0
        self._ext = np.geomspace(1.0, max(far, 2.0), _N_EXT)
        self._sigma_floor = 1e-3
        self._minimal = np.asarray(model.minimal_repair, dtype=bool)
        if not twin.informative or self._minimal.any():
            reach = float(self._ext[-1]) + window_days * 24.0
            self._tables = _Tables(model, reach)

    # ---- per replication ------------------------------------------------------------
    def start(self, sim: SimView) -> None:
        self.replans = 0
        self.solves = 0

    def decide(self, sim: SimView) -> None:
        m = self.model
        now = sim.now_h
        if now >= m.horizon_h:
            return
        self.replans += 1
        up = sim.up_mask()
        cand = np.flatnonzero(up & ~sim.pm_pending_mask())
        if cand.size == 0:
            return
        p0 = int(now // self._period_h)
        # Spare parts: the units on hand are shared by the candidates using the part, so
        # a candidate may find the shelf empty once others took their units.  For the
        # window and the choice of systems to plan, any candidate whose part's free
        # units do not cover all the candidates needing it counts its lead time (the
        # release below does the same for the works actually planned).
        free = sim.parts_free_units(cand.tolist())
        lead = claim_lead_h(m.part_of[cand], m.parts_per_task[cand], free, self._part_lead_h[cand])
        need_h = self.replan_every_days * 24.0 + float(lead.max()) + 7.0 * 24.0
        w = min(max(self._w, math.ceil(need_h / self._period_h)), self._w_max)
        pw = np.arange(p0, p0 + w)
        t_cal = np.maximum(self._starts[pw], now)  # period starts (not in the past)
        k_of = m.system_of[cand]
        rate = m.rate[k_of]
        # work in period p starts at the first shift of the system's crews in it
        t_work = np.maximum(self._work_start[:, pw], now)
        t_op = (t_work[k_of] - now) * rate[:, None]
        t_ext = t_op[:, -1:] + self._ext[None, :]
        # Life limits: the part cannot run past ``max_age_h`` (the simulator forces a
        # stand-alone replacement there), so its options end at the limit, which is a
        # point of the grid (its last column; the window end when there is no limit).
        ages = sim.ages_h()[cand]
        lim_res = np.maximum(m.max_age_h[cand] - ages, 0.0)
        limited = np.isfinite(lim_res)
        t_lim = np.where(limited, lim_res, t_op[:, -1])[:, None]
        grid = np.concatenate([t_op, t_ext, t_lim], axis=1)
        sf, isf, mrl, first_fail = self._residual(sim, cand, grid)
        cp = m.cost_pm[cand][:, None]
        cf = np.maximum(m.cost_cm[cand], 1e-9)[:, None]
        g = m.cost_rate[cand][:, None]
        c = cp * sf + cf * (1.0 - sf) - g * isf
        c_inf = cf[:, 0] - g[:, 0] * mrl
        c_inf = np.where(np.isfinite(c_inf) & ~limited, c_inf, np.inf)
        mr = np.flatnonzero(self._minimal[cand])
        if mr.size:
            # Failures of a minimally repaired part do not renew it: keeping it to t costs
            # c_f (H(a + t) - H(a)) in repairs, then the replacement, minus the long-run
            # rate for the time run (Barlow-Hunter, as optimizer.reliability.penalty):
            # c(t) = c_p + c_f dH(t) - g* t; never replacing has no finite limit here.
            # The twin reports the time to the next failure: expected repairs by t are
            # n(t) = F1(t) (1 + dH(t)), F1 the probability of that failure by t and the
            # later ones bounded by the age-based dH (exact, n = dH, without a twin:
            # F1 = 1 - e^-dH ~ dH).  Keeping it past the window leaves a part of age
            # a + t_W, worth V(a + t_W) relative to a new one: the end-state value of
            # the stand-alone renewal policy behind g* (SimModel.end_value,
            # optimizer.sim.model.end_state_tables, i.e. continuation_cost).
            d_h = -np.log(np.maximum(sf[mr], 1e-300))
            if self.twin.informative:
                n_rep = first_fail[mr] * (1.0 + d_h)
            else:
                n_rep = d_h
            c[mr] = cp[mr] + cf[mr] * n_rep - g[mr] * grid[mr]
            t_w = grid[mr, w - 1]
            keep = cf[mr, 0] * n_rep[:, w - 1] - g[mr, 0] * t_w
            c_inf[mr] = keep + end_value(m.end_age_h, m.end_value, cand[mr], ages[mr] + t_w)
        within = grid <= lim_res[:, None] * (1.0 + 1e-12)
        c = np.where(within, c, np.inf)
        c_min = np.minimum(np.min(c, axis=1), c_inf)
        pen = np.maximum(c[:, :w] - c_min[:, None], 0.0)
        beyond = deferral_regret(
            c[:, w:],
            np.where(self._minimal[cand][:, None], 1.0, sf[:, w:]),
            self._later_opening[cand],
            c_inf,
            c_min,
        )
        table = self._opening[:, :, pw]  # (system, duration level, period)
        lvl = self._lvl[cand]
        own = table[k_of, lvl, :]  # an opening for the part alone
        open_ok = self._open_allowed[:, pw]
        ok_i = open_ok[k_of] & self._pool_works[m.pool_of[cand]][:, pw] & within[:, :w]
        solo = np.where(ok_i, pen + own, np.inf)
        bound = np.minimum(beyond, solo.min(axis=1))
        # A part whose job is longer than the system's shortest one lengthens any opening
        # it joins (jobs run in parallel; the opening is priced by its longest job, see
        # below): it is offered a period only if its penalty plus that lengthening fits
        # under its deferral regret.  Else a part that is never worth a replacement
        # (a long job on a long life, whose deferral carries a stand-alone opening far
        # ahead) would price every opening of its system at its own length.
        longer = own - table[k_of, 0, :]
        allowed = (pen + longer <= bound[:, None] + 1e-9 * (1.0 + np.abs(bound[:, None]))) & ok_i
        # Only systems that could be opened before the next re-plan are planned now.  An
        # opening at p serving set A is optimal only if S_k(p) <= sum_A (b_i - h_i(p)):
        # otherwise closing it and deferring A is cheaper.  So a system whose opening cost
        # exceeds the total possible saving in every committable period is skipped (exact).
        # Work is released before the next re-plan, or earlier by the lead time of a
        # spare part that is not on hand (so that it arrives in time).
        release_by = now + self.replan_every_days * 24.0 + lead
        n_commit_i = np.searchsorted(t_cal, release_by - 1e-9, side="left")
        n_commit_i = np.clip(n_commit_i, 1, w)
        n_commit = int(n_commit_i.max())
        in_commit = np.arange(n_commit)[None, :] < n_commit_i[:, None]
        gain = np.where(
            allowed[:, :n_commit] & in_commit,
            np.maximum(beyond[:, None] - pen[:, :n_commit], 0.0),
            0.0,
        )
        # per-system sums (rows grouped by system, added in component order)
        by_sys = np.argsort(k_of, kind="stable")
        present, first = np.unique(k_of[by_sys], return_index=True)
        saving = np.zeros((m.n_systems, n_commit))
        saving[present] = np.add.reduceat(gain[by_sys], first, axis=0)
        # the shortest-job opening is the cheapest any set can have (a valid lower bound)
        least = table[:, 0, :n_commit]
        could = (saving >= least - 1e-9) & open_ok[:, :n_commit] & (saving > 0.0)
        systems = np.flatnonzero(could.any(axis=1))
        if systems.size == 0:
            return
        chosen = np.zeros(m.n_systems, dtype=bool)
        chosen[systems] = True
        keep = chosen[k_of] & allowed.any(axis=1)
        row_of = {int(i): r for r, i in enumerate(cand.tolist())}
        planned: list[tuple[float, int, int]] = []  # (work start, component, period)
        sub_all = cand[keep]
        # A system with a single candidate part is decided exactly in closed form (best of
        # its solo periods against deferral) when crews are not modelled; the scheduler
        # gets the systems where parts compete for shared openings.
        count = np.bincount(m.system_of[sub_all], minlength=m.n_systems)
        rows = np.flatnonzero(keep)
        if not self.crews:
            for r in rows[count[k_of[rows]] == 1].tolist():
                i, k = int(cand[r]), int(k_of[r])
                solo = np.where(allowed[r] & open_ok[k], pen[r] + own[r], np.inf)
                p = int(np.argmin(solo))
                if solo[p] < beyond[r]:
                    planned.append((float(t_work[k, p]), i, p))
            keep = keep & (count[k_of] > 1)
            systems = np.unique(k_of[keep])
            if systems.size == 0:
                self._release(sim, planned, row_of, free, t_cal, w)
                return
        sub = cand[keep]
        # each opening priced by the longest job that may be in it (the longest part
        # allowed in that period): exact for a single part, an upper bound otherwise
        top = np.zeros((m.n_systems, w), dtype=np.int64)
        r_idx, p_idx = np.nonzero(allowed & keep[:, None])
        np.maximum.at(top, (k_of[r_idx], p_idx), lvl[r_idx])
        opening = np.take_along_axis(table, top[:, None, :], axis=1)[:, 0, :]
        sys_ids = tuple(m.system_ids[int(k)] for k in systems)
        local = {int(k): j for j, k in enumerate(systems)}
        problem = PlanningProblem(
            start=m.start + timedelta(hours=float(self._starts[p0])),
            period_h=self._period_h,
            component_ids=tuple(m.component_ids[int(i)] for i in sub),
            system_ids=sys_ids,
            system_of=np.array([local[int(k)] for k in m.system_of[sub]], dtype=np.int64),
            penalty=np.where(allowed[keep], pen[keep], 0.0),
            penalty_beyond=beyond[keep],
            allowed=allowed[keep],
            opening_cost=opening[systems],
            open_allowed=open_ok[systems],
            duration_h=m.pm_duration_mean_h[sub],
            skill_of=m.pool_of[sub],
            crew_qty=m.crew_size[sub],
            skill_ids=tuple(p.key for p in m.pools),
            crew_hours=self._crew_hours[:, pw]
            if self.crews
            else np.full((len(m.pools), w), np.inf),
            pinned_period=np.full(len(sub), NO_PIN, dtype=np.int64),
            currency=m.currency,
        )
        plan = solve(problem, self.method)
        self.solves += 1
        if plan.feasible:
            for j, i in enumerate(sub.tolist()):
                p = int(plan.period[j])
                if p != BEYOND:
                    planned.append((float(t_work[m.system_of[i], p]), i, p))
        self._release(sim, planned, row_of, free, t_cal, w)

    def _release(
        self,
        sim: SimView,
        planned: list[tuple[float, int, int]],
        row_of: dict[int, int],
        free: IntArray,
        t_cal: FloatArray,
        w: int,
    ) -> None:
        """Release the planned works due before the next re-plan, or earlier by the lead
        time of a spare part that will not be on hand for them.

        Works share their parts' free units: when the works planned on a part need
        more units than are free, each sees the part's lead time
        (:func:`claim_lead_h`) and is released that much ahead, its unit reserved (or
        ordered) now -- instead of all seeing "on hand" and the later ones waiting a
        full lead time once the first took the unit.  Measured on the plant (10
        replications): releasing in the plan's order instead (only the works past the
        free units see the lead time) left 5.5 failures per 5 years and availability
        0.9960; this rule 4.8 and 0.9973 (tuned condition-based 1.7 and 0.9973).

        The works of one opening (same system, same start) are released in the order
        that ends them first (:func:`release_order`): the simulator grants crews first come, first
        served and starts a job only inside a shift, so a long job released first (the
        conveyor's 8 h belt swap, both mechanics) ran past the shift end and left the
        short jobs queued behind it for the next shift -- a Saturday opening stayed
        open until Monday 07:00 (conveyor, 20 replications: 72.6 h of its 104 h of
        planned downtime per 5 years were such waits, lost production 33,336 EUR
        against the 6,972 EUR its openings were priced at).  Shortest first, the long
        job goes last and may run past the shift end; where all jobs fit in the shift
        (the pumping station's one-technician jobs) longest first ends sooner.
        """
        if not planned:
            return
        m = self.model
        setup_h = m.setup_duration_h
        caps = [int(p.capacity) for p in m.pools]
        shifts = [p.shifts for p in m.pools]

        def finish(order: Sequence[int], t: float) -> float:
            k = int(m.system_of[order[0]])
            return opening_finish_h(
                order,
                t + float(setup_h[k]),
                m.pm_duration_mean_h,
                m.crew_size,
                m.pool_of,
                caps,
                shifts,
            )

        planned[:] = [
            planned[j] for j in release_order(planned, m.system_of, m.pm_duration_mean_h, finish)
        ]
        comps = np.array([i for _, i, _ in planned], dtype=np.int64)
        rows = np.array([row_of[int(i)] for i in comps], dtype=np.int64)
        lead = claim_lead_h(
            m.part_of[comps],
            m.parts_per_task[comps],
            free[rows],
            self._part_lead_h[comps],
        )
        release_by = sim.now_h + self.replan_every_days * 24.0 + lead
        n_commit = np.clip(np.searchsorted(t_cal, release_by - 1e-9, side="left"), 1, w)
        for (t, i, p), nc in zip(planned, n_commit.tolist(), strict=True):
            if p < nc:
                sim.request_pm([i], t)

    def _residual(
        self, sim: SimView, cand: IntArray, grid: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Residual survival, its integral and the MRL of each candidate on ``grid``,
        and the probability of a first failure by each grid point (the twin's report
        where it informs; ``1 - S``).  A minimally repaired part's curves are those of
        its age (its failures do not renew it), its first-failure probability the
        twin's."""
        if self.twin.informative:
            _, med, s = sim.twin_report()
            mc = np.maximum(med[cand], 1e-9)[:, None]
            sc_ = np.maximum(s[cand], self._sigma_floor)[:, None]
            sf, isf, mrl = lognormal_curves(mc, sc_, grid)
            first = 1.0 - sf
            rows = np.flatnonzero(self._minimal[cand])
            if rows.size:
                # a minimally repaired part is judged on its age (see decide)
                sf[rows], isf[rows], mrl[rows] = self._by_age(sim, cand[rows], grid[rows])
            return sf, isf, mrl, first
        sf, isf, mrl = self._by_age(sim, cand, grid)
        return sf, isf, mrl, 1.0 - sf

    def _by_age(
        self, sim: SimView, cand: IntArray, grid: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        m = self.model
        ages = sim.ages_h()[cand]
        tb = self._tables
        first = np.array([sim.on_initial_part(int(i)) for i in cand], dtype=bool)
        tab = np.where(first, tb.init_tab[cand], tb.new_tab[cand])
        age = np.where(first, ages - m.initial_age_h[cand] + tb.init_off[cand], ages)
        sf, isf, mrl = tb.curves(tab, np.maximum(age, 0.0), grid)
        return sf, isf, mrl


def end_value(
    age_grid: FloatArray | None, values: FloatArray | None, rows: IntArray, age_h: FloatArray
) -> FloatArray:
    """Value of the parts of positions ``rows`` at ages ``age_h`` relative to new ones.

    Linear interpolation in :func:`optimizer.sim.model.end_state_tables` (each row a
    uniform age grid from 0; held constant past its end); zeros without tables.

    Parameters
    ----------
    age_grid, values : ndarray, shape (n, k), or None
        ``SimModel.end_age_h`` (operating hours) and ``SimModel.end_value`` (currency).
    rows : ndarray of int, shape (r,)
        Positions.
    age_h : ndarray, shape (r,)
        Operating ages, hours.

    Returns
    -------
    ndarray, shape (r,)
        Currency.
    """
    if age_grid is None or values is None:
        return np.zeros(len(rows))
    grid = age_grid[rows]
    k = grid.shape[1]
    step = np.maximum(grid[:, -1] / (k - 1), 1e-300)
    pos = np.clip(np.asarray(age_h, dtype=np.float64) / step, 0.0, k - 1.0)
    j = np.minimum(pos.astype(np.int64), k - 2)
    f = pos - j
    v = values[rows]
    r = np.arange(len(rows))
    return np.asarray(v[r, j] * (1.0 - f) + v[r, j + 1] * f, dtype=np.float64)


def opening_finish_h(
    order: Sequence[int],
    start_h: float,
    duration_h: FloatArray,
    crew: IntArray,
    pool_of: IntArray,
    capacity: Sequence[int],
    shifts: Sequence[FloatArray],
) -> float:
    """When the jobs of one opening are done if queued for their crews in ``order``.

    The simulator's rule (:class:`optimizer.sim.engine`): each crew pool serves its
    jobs first come, first served (a job never overtakes an earlier one of its pool); a
    job starts when ``crew`` technicians of the pool are free and the pool is on shift,
    and may run past the shift end.  Pools work in parallel.

    Parameters
    ----------
    order : sequence of int
        Components, in release order.
    start_h : float
        Instant the jobs may start (after the set-up), hours from the plan start.
    duration_h, crew, pool_of : ndarray
        Per component: mean preventive duration (h), technicians, crew pool index.
    capacity : sequence of int
        Technicians of each pool.
    shifts : sequence of ndarray
        Per pool, its ``(m, 2)`` sorted shift intervals (h); empty: always on shift.

    Returns
    -------
    float
        Instant the last job ends, hours from the plan start.
    """
    finish = start_h
    for q in sorted({int(pool_of[i]) for i in order}):
        sh = shifts[q]
        on_call = not sh.size
        starts, ends = (sh[:, 0], sh[:, 1]) if sh.size else (np.zeros(0), np.zeros(0))
        running: list[tuple[float, int]] = []  # (end, technicians)
        t = start_h
        for i in (j for j in order if int(pool_of[j]) == q):
            need = int(crew[i])
            while True:
                running = [r for r in running if r[0] > t]
                free = int(capacity[q]) - sum(r[1] for r in running)
                if not on_call:
                    k = int(np.searchsorted(starts, t, side="right")) - 1
                    if not (k >= 0 and t < ends[k]):  # off shift: the next shift
                        if k + 1 >= len(starts):
                            break  # no more shifts: start now (as the engine does)
                        t = float(starts[k + 1])
                        continue
                if free >= need or not running:
                    break
                t = min(r[0] for r in running)  # the next job to end
            end = t + float(duration_h[i])
            running.append((end, need))
            finish = max(finish, end)
    return finish


def release_order(
    planned: Sequence[tuple[float, int, int]],
    system_of: IntArray,
    duration_h: FloatArray,
    finish_h: Callable[[Sequence[int], float], float],
) -> list[int]:
    """Order in which to release planned works: by start, and within one opening the
    order whose jobs end first.

    Parameters
    ----------
    planned : sequence of (float, int, int)
        ``(work start h, component, period)`` of each planned work.
    system_of : ndarray
        System of every component.
    duration_h : ndarray
        Mean preventive duration of every component, hours.
    finish_h : callable
        ``finish_h(components in release order, work start h)``: when the opening's
        jobs end (:func:`opening_finish_h`).

    Returns
    -------
    list of int
        Indices into ``planned``.

    Notes
    -----
    The works of an opening are queued for their crews in release order and each
    starts only inside a shift.  Three orders are tried: component order, longest
    processing time first (LPT, Graham's rule for parallel identical machines) and
    shortest first (SPT, which puts the longest job last, the one that may run past the
    shift end instead of holding the crew while short jobs wait for the next shift;
    Pinedo, *Scheduling*, 5th ed., 2016, secs. 3.1 and 5.1); the earliest finish wins,
    ties in that order.
    """
    by_key: dict[tuple[float, int], list[int]] = {}
    for j, (t, i, _) in enumerate(planned):
        by_key.setdefault((t, int(system_of[i])), []).append(j)
    out: list[int] = []
    for (t, _), js in sorted(by_key.items()):
        js.sort(key=lambda j: planned[j][1])
        if len(js) > 1:
            d = [float(duration_h[planned[j][1]]) for j in js]
            cands = [
                js,
                [js[x] for x in sorted(range(len(js)), key=lambda x: -d[x])],
                [js[x] for x in sorted(range(len(js)), key=lambda x: d[x])],
            ]
            ends = [finish_h([planned[j][1] for j in c], t) for c in cands]
            js = cands[int(np.argmin(ends))]
        out.extend(js)
    return out


def claim_lead_h(part: IntArray, units: IntArray, free: IntArray, lead_h: FloatArray) -> FloatArray:
    """Lead time each planned work may wait for its spare part: a contested part's.

    The free units of a part are shared by the works planned on it; when they do not
    cover all of those works, any of them may find the shelf empty when its turn comes
    (a failure elsewhere, or a work released first, takes the unit), so each gets the
    part's lead time and is released that much ahead (its unit reserved, or ordered,
    in time).  A part whose free units cover all its works: no wait.

    Parameters
    ----------
    part : ndarray of int, shape (n,)
        Spare part of each work (``-1``: none).
    units : ndarray of int, shape (n,)
        Units each work takes.
    free : ndarray of int, shape (n,)
        Free units of the work's part (the same for works sharing it; ``-1`` when the
        work takes nothing from stock, e.g. its part is already reserved).
    lead_h : ndarray, shape (n,)
        Lead time of the work's part, hours.

    Returns
    -------
    ndarray, shape (n,)
        Hours (0 or the part's lead time).
    """
    out = np.zeros(len(part))
    takes = np.flatnonzero((free >= 0) & (part >= 0)).tolist()
    need: dict[int, int] = {}
    for j in takes:
        need[int(part[j])] = need.get(int(part[j]), 0) + int(units[j])
    for j in takes:
        if need[int(part[j])] > int(free[j]):
            out[j] = lead_h[j]
    return out


def later_opening_cost(
    opening: FloatArray, open_allowed: NDArray[np.bool_], window_periods: int
) -> FloatArray:
    """Expected cost of a later stand-alone opening of each system and duration level.

    The rolling plan replaces a deferred part later in the cheapest opening it finds
    within one planning window, so from each period ``p`` that opening costs
    ``m(p) = min_{p <= q < p + w, q allowed} S(q)`` (when none falls in that window,
    the cheapest of the window starting at the next allowed period); its expected cost
    at an unknown later date is the mean of ``m`` over the calendar's periods (those
    whose window lies inside it).  On a
    week with idle Sundays or a yearly shutdown this is close to the set-up without
    lost production, far below the fleet's mean opening (set-up plus production lost at
    the profile's mean value).

    Parameters
    ----------
    opening : ndarray, shape (k, levels, periods)
        Opening cost per system, duration level and period (currency).
    open_allowed : ndarray of bool, shape (k, periods)
        Whether the system may open in the period.
    window_periods : int
        Planning window ``w``, periods (>= 1).

    Returns
    -------
    ndarray, shape (k, levels)
        Currency; ``inf`` for a system that never may open.
    """
    w = max(int(window_periods), 1)
    cost = np.where(open_allowed[:, None, :], opening, np.inf)
    n = cost.shape[-1]
    pad = np.concatenate([cost, np.full((*cost.shape[:-1], w - 1), np.inf)], axis=-1)
    roll = np.lib.stride_tricks.sliding_window_view(pad, w, axis=-1).min(axis=-1)[..., :n]
    # no allowed opening within the window: the cheapest of the window that starts at
    # the next allowed period (a shutdown's cheapest day, not its first)
    idx = np.where(np.isfinite(cost), np.arange(n), n)
    nxt = np.minimum.accumulate(idx[..., ::-1], axis=-1)[..., ::-1]
    ahead = np.take_along_axis(
        np.concatenate([roll, np.full((*roll.shape[:-1], 1), np.inf)], axis=-1), nxt, axis=-1
    )
    # the mean over the periods whose window lies inside the calendar (the last ones
    # would see a truncated window)
    m = np.where(np.isfinite(roll), roll, ahead)[..., : max(n - w + 1, 1)]
    finite = np.isfinite(m)
    total = np.where(finite, m, 0.0).sum(axis=-1)
    count = finite.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(count > 0, total / np.maximum(count, 1), np.inf)
    return np.asarray(out, dtype=np.float64)


def deferral_regret(
    c_after: FloatArray,
    renew_p: FloatArray,
    opening: FloatArray,
    c_inf: FloatArray,
    c_min: FloatArray,
) -> FloatArray:
    """Regret of deferring a part beyond the planning window: the state it leaves there.

    A part not replaced in the window runs to the window end and is then renewed by the
    stand-alone policy behind ``g*`` -- each later replacement paying its own opening
    ``o`` (set-up and the production lost while the system is down,
    :attr:`optimizer.fleet.FleetModel.cost_pm_individual` minus the direct cost) -- or run
    to failure.  Its relative cost is the multi-year end-state cost of
    :func:`optimizer.problem.multiyear.continuation_cost` on the residual life,
    ``E(t_W) = min_{t_W <= s <= L} [c(s) + o P(s)]`` (``P = S`` the probability that the
    planned replacement is still needed at ``s``; ``P = 1`` with minimal repair, where
    failures do not renew the part) and ``c_inf`` (never, only without a life limit).
    The deferral regret is ``max(E - c_min, 0)``.

    Without the opening term a later replacement looks free of set-up and downtime,
    so a part is deferred out of the opening at hand into an opening of its own that the
    simulator later charges in full; with a life limit ``L`` inside the window the only
    continuation is the stand-alone replacement the simulator forces at ``L``.

    Parameters
    ----------
    c_after : ndarray, shape (n, m)
        ``c(s)`` (currency, relative to ``g*``) at the grid points from the window end
        on; ``inf`` past the part's life limit.
    renew_p : ndarray, shape (n, m)
        Probability that a replacement planned at ``s`` still happens (the residual
        survival; 1 with minimal repair).
    opening : ndarray, shape (n,)
        Cost of a later stand-alone opening for the part, currency (the policy passes
        :func:`later_opening_cost` of its system).
    c_inf : ndarray, shape (n,)
        ``c`` of never replacing (``c_f - g* MRL``; ``inf`` with minimal repair or a
        life limit), currency.
    c_min : ndarray, shape (n,)
        Minimum of ``c`` over all replacement times, currency.

    Returns
    -------
    ndarray, shape (n,)
        Regret, currency, >= 0.
    """
    later = np.min(c_after + opening[:, None] * renew_p, axis=1)
    return np.asarray(np.maximum(np.minimum(later, c_inf) - c_min, 0.0), dtype=np.float64)


def lognormal_curves(
    median_h: FloatArray, sigma: FloatArray, t_h: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Survival, its integral and the mean of ``Lognormal(median, sigma)`` residual lives.

    ``S(t) = Phi(-w)``, ``int_0^t S = median e^{sigma^2/2} Phi(w - sigma) + t S(t)`` with
    ``w = (ln t - ln median) / sigma``, and the mean ``median e^{sigma^2/2}``.

    In the far tails ``Phi`` is exactly 0 or 1 in float64, so the closed form reduces to
    ``S = 1, int S = t`` for ``w < sigma - 11.9`` and ``sigma <= 1`` (the first term is
    then below ``1e-29 t``, under half an ulp of ``t``) and to ``S = 0``,
    ``int S = median e^{sigma^2/2}`` for ``w > 40.1`` (tested as thresholds on ``t``).
    Most grid points of a re-plan lie there, so ``log`` and ``ndtr`` run only in
    between: the same numbers, bit for bit, as the closed form evaluated everywhere, at
    a fraction of the cost.

    Parameters
    ----------
    median_h, sigma : ndarray, shape (n, 1)
        Reported medians (operating hours, > 0) and log-spreads (> 0).
    t_h : ndarray, shape (n, m)
        Operating hours from now (>= 0).

    Returns
    -------
    surv, int_surv : ndarray, shape (n, m)
        ``S(t)`` and ``int_0^t S`` (hours).
    mean : ndarray, shape (n,)
        Mean residual life, hours.
    """
    coef = median_h * np.exp(0.5 * sigma * sigma)
    # the tails as thresholds on t (a little inside them, so no rounding matters)
    low = (t_h < median_h * np.exp(sigma * (sigma - 11.9))) & (sigma <= 1.0)
    high = t_h > median_h * np.exp(40.1 * sigma)
    surv = np.where(high, 0.0, 1.0)
    isf = np.where(high, coef, t_h)
    r, c = np.nonzero(~(low | high))
    with np.errstate(divide="ignore"):
        w_mid = (np.log(np.maximum(t_h[r, c], 1e-300)) - np.log(median_h[r, 0])) / sigma[r, 0]
    s_mid = sc.ndtr(-w_mid)
    surv[r, c] = s_mid
    isf[r, c] = coef[r, 0] * sc.ndtr(w_mid - sigma[r, 0]) + t_h[r, c] * s_mid
    mean = median_h[:, 0] * np.exp(0.5 * sigma[:, 0] ** 2)
    return surv, isf, mean
