"""Vectorized numpy renewal simulator (no SimPy): a cross-check and a speed reference.

Each component is treated as an independent alternating renewal process on its own
operating clock: it runs (ageing at its system's operating hours per calendar hour)
until it fails or the policy replaces it, is down for the corrective (response + repair)
or preventive (set-up + job) time, and restarts with a new part.  All replications and
components advance together, one renewal cycle per numpy step, so the cost is a handful
of array operations per cycle instead of Python per event.

The variates are the *same* ones the SimPy simulator uses (one row of uniforms per
component and life, :func:`optimizer.sim.engine.replication_uniforms`), so on a fleet
where the components do not interact -- one component per system, crews that never
queue, spare parts always on hand, crews on shift around the clock -- the two simulators
must produce identical failures, replacements and downtime in every replication.  With
interactions the SimPy model is the reference and this one an approximation.

Policies: ``run-to-failure``, ``optimal-age`` (age replacement at ``t_star`` or given
ages) and ``fixed-interval`` (block replacement at multiples of ``interval_h`` operating
hours, i.e. fixed calendar instants; a block that falls during a repair is skipped).

Costs are priced with :mod:`cost_models` exactly as the SimPy simulator prices the same
events (preventive and corrective direct cost, labour, set-up, lost production); spare
part holding / ordering / expediting are not modelled here.

References
----------
.. [1] S. M. Ross, *Stochastic Processes*, 2nd ed., Wiley, 1996, ch. 3 (renewal-reward
   and alternating renewal processes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

import cost_models as cm
from optimizer._typing import FloatArray, IntArray
from optimizer.sim.engine import Draws
from optimizer.sim.model import SimModel

POLICIES = ("run-to-failure", "optimal-age", "fixed-interval")


@dataclass(frozen=True)
class RenewalResult:
    """Per-replication totals of the renewal simulator (arrays of shape ``(R,)``).

    Parameters
    ----------
    failures, preventive : ndarray of int
        Failures and preventive replacements started before the horizon.
    downtime_unplanned_h, downtime_planned_h : ndarray
        Downtime within the horizon, hours (summed over components).
    availability : ndarray, shape (R, n)
        Fraction of the horizon each component (= its system) is up.
    cost : ndarray
        Cost without spare-part holding, ordering and expediting, currency.
    cycles : int
        Renewal cycles simulated (numpy steps).
    """

    failures: IntArray
    preventive: IntArray
    downtime_unplanned_h: FloatArray
    downtime_planned_h: FloatArray
    availability: FloatArray
    cost: FloatArray
    cycles: int


class _Stack:
    """Variates of replications ``0..R-1`` stacked as ``(R, n, J)``, extended on demand."""

    def __init__(self, model: SimModel, seed: int, reps: int) -> None:
        self.draws = [Draws(model, seed, r) for r in range(reps)]
        self.n = model.n
        self.life = np.stack([d.life for d in self.draws])
        self.repair = np.stack([d.repair for d in self.draws])
        self.response = np.stack([d.response for d in self.draws])
        self.pm = np.stack([d.pm for d in self.draws])

    @property
    def lives(self) -> int:
        return int(self.life.shape[2])

    def ensure(self, j_max: int) -> None:
        while j_max >= self.lives:
            j0 = self.lives
            block = {
                name: np.empty((len(self.draws), self.n, self.draws[0].lives))
                for name in ("life", "repair", "response", "pm")
            }
            for r, d in enumerate(self.draws):
                for i in range(self.n):
                    for jj in range(d.lives):
                        for name, arr in block.items():
                            arr[r, i, jj] = d.get(name, i, j0 + jj)
            self.life = np.concatenate([self.life, block["life"]], axis=2)
            self.repair = np.concatenate([self.repair, block["repair"]], axis=2)
            self.response = np.concatenate([self.response, block["response"]], axis=2)
            self.pm = np.concatenate([self.pm, block["pm"]], axis=2)


def simulate_renewal(
    model: SimModel,
    policy: str,
    *,
    replications: int,
    seed: int,
    replace_age_h: FloatArray | None = None,
    interval_h: float | None = None,
) -> RenewalResult:
    """Simulate independent components under a simple policy, all replications at once.

    Parameters
    ----------
    model : SimModel
        Compiled scenario (its systems' set-up, value profiles and crews' rates are used;
        structure, crews' queues, shifts and stocks are ignored).
    policy : {"run-to-failure", "optimal-age", "fixed-interval"}
        Policy.
    replications : int
        Number of replications (>= 1).
    seed : int
        Root seed (same streams as :func:`optimizer.sim.simulate.simulate`).
    replace_age_h : ndarray, shape (n,), optional
        Replacement ages for ``optimal-age`` (default the model's ``t_star_h``).
    interval_h : float, optional
        Block interval for ``fixed-interval``, operating hours (required for it).

    Returns
    -------
    RenewalResult

    Raises
    ------
    ValueError
        On an unknown policy, missing interval or bad counts.
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    if policy == "fixed-interval" and (interval_h is None or not interval_h > 0):
        raise ValueError("interval_h: required (> 0) for fixed-interval")
    m = model
    n = m.n
    reps = replications
    h = m.horizon_h
    st = _Stack(m, seed, reps)
    k_of = m.system_of
    rate = np.broadcast_to(m.rate[k_of], (reps, n)).copy()
    setup_d = m.setup_duration_h[k_of]
    if policy == "optimal-age":
        t_rep = m.t_star_h if replace_age_h is None else np.asarray(replace_age_h, dtype=float)
    else:
        t_rep = np.full(n, np.inf)
    blk_cal = (
        np.full(n, np.inf)
        if policy != "fixed-interval"
        else float(interval_h or 0.0) / m.rate[k_of]
    )

    t = np.zeros((reps, n))  # calendar time at which the part (re)starts running
    age = np.broadcast_to(m.initial_age_h, (reps, n)).copy()
    fail_age = age + st.life[:, :, 0]
    j = np.zeros((reps, n), dtype=np.int64)
    m_blk = np.ones((reps, n))
    active = np.ones((reps, n), dtype=bool)
    ev_r: list[IntArray] = []
    ev_i: list[IntArray] = []
    ev_t: list[FloatArray] = []
    ev_d: list[FloatArray] = []
    ev_pm: list[NDArray[np.bool_]] = []
    ev_dur: list[FloatArray] = []  # repair or PM job duration (labour)
    cycles = 0
    rr, ii = np.indices((reps, n))
    while active.any():
        cycles += 1
        st.ensure(int(j.max()) + 1)
        jj = j
        t_fail = t + (fail_age - age) / rate
        t_age = np.where(age >= t_rep, t, t + (t_rep - age) / rate)
        t_blk = m_blk * blk_cal
        t_pm = np.minimum(t_age, t_blk)
        is_pm = t_pm < t_fail
        t_ev = np.where(is_pm, t_pm, t_fail)
        happens = active & (t_ev < h)
        rep_h = st.repair[rr, ii, jj]
        resp_h = st.response[rr, ii, jj]
        pm_h = st.pm[rr, ii, jj]
        down = np.where(is_pm, setup_d + pm_h, resp_h + rep_h)
        sel = np.flatnonzero(happens.ravel())
        ev_r.append(rr.ravel()[sel])
        ev_i.append(ii.ravel()[sel])
        ev_t.append(t_ev.ravel()[sel])
        ev_d.append(down.ravel()[sel])
        ev_pm.append(is_pm.ravel()[sel])
        ev_dur.append(np.where(is_pm, pm_h, rep_h).ravel()[sel])
        # next cycle
        t_new = t_ev + down
        t = np.where(happens, t_new, t)
        j = np.where(happens, j + 1, j)
        active = happens & (t < h)
        st.ensure(int(j.max()))
        fail_age = np.where(happens, st.life[rr, ii, np.minimum(j, st.lives - 1)], fail_age)
        age = np.where(happens, 0.0, age)
        # blocks that fell during the stop (or this one) are skipped
        if policy == "fixed-interval":
            m_blk = np.where(happens, np.maximum(m_blk, np.floor(t / blk_cal) + 1.0), m_blk)
    r_ = np.concatenate(ev_r)
    i_ = np.concatenate(ev_i)
    t_ = np.concatenate(ev_t)
    d_ = np.concatenate(ev_d)
    pm_ = np.concatenate(ev_pm)
    dur_ = np.concatenate(ev_dur)
    d_in = np.minimum(d_, h - t_)  # downtime inside the horizon
    # a preventive job starts after the opening's set-up time (as in the SimPy model)
    job = pm_ & (t_ + m.setup_duration_h[m.system_of[i_]] < h)
    fail_n = np.bincount(r_[~pm_], minlength=reps)
    pm_n = np.bincount(r_[job], minlength=reps)
    unpl = np.bincount(r_[~pm_], weights=d_in[~pm_], minlength=reps).astype(np.float64)
    plan = np.bincount(r_[pm_], weights=d_in[pm_], minlength=reps).astype(np.float64)
    down_ri = np.zeros((reps, n))
    np.add.at(down_ri, (r_, i_), d_in)
    avail = 1.0 - down_ri / h
    cost = _price(m, r_, i_, t_, d_in, pm_, job, dur_, reps)
    return RenewalResult(
        failures=fail_n.astype(np.int64),
        preventive=pm_n.astype(np.int64),
        downtime_unplanned_h=unpl,
        downtime_planned_h=plan,
        availability=avail,
        cost=cost,
        cycles=cycles,
    )


def _price(
    m: SimModel,
    r: IntArray,
    i: IntArray,
    t: FloatArray,
    down: FloatArray,
    pm: NDArray[np.bool_],
    job: NDArray[np.bool_],
    dur: FloatArray,
    reps: int,
) -> FloatArray:
    """Cost per replication of the events, with :mod:`cost_models` (no spare-part costs)."""
    pools = m.pools
    rate = np.array([p.rate_per_h for p in pools])[m.pool_of[i]]
    ot = np.array([p.overtime_factor for p in pools])[m.pool_of[i]]
    callout = np.array([p.callout for p in pools])[m.pool_of[i]]
    crew = m.crew_size[i]
    k = m.system_of[i]
    cost = np.zeros(len(r))
    c = ~pm
    lab_c = cm.labour_cost(
        dur[c],
        crew[c],
        rate[c],
        overtime_h=dur[c],
        overtime_factor=ot[c],
        callout_premium=callout[c],
    )
    lab_c = np.where(np.isnan(m.cm_labour[i[c]]), lab_c, m.cm_labour[i[c]])
    direct_c = cm.corrective_cost(m.cm_parts[i[c]], 0.0, m.cm_other[i[c]], 0.0)
    lump_c = m.cm_lump[i[c]]
    cost[c] = np.where(np.isnan(lump_c), direct_c + lab_c, lump_c)
    p = pm
    lab_p = cm.labour_cost(dur[p], crew[p], rate[p])
    lab_p = np.where(np.isnan(m.pm_labour[i[p]]), lab_p, m.pm_labour[i[p]])
    direct_p = cm.preventive_cost(m.pm_parts[i[p]], 0.0, m.pm_other[i[p]])
    lump_p = m.pm_lump[i[p]]
    cost[p] = np.where(job[p], np.where(np.isnan(lump_p), direct_p + lab_p, lump_p), 0.0)
    for kk in np.unique(k):
        kk = int(kk)
        prof = m.profiles[kk]
        sel = k == kk
        cost[sel] += cm.downtime_cost(prof, t[sel], down[sel])  # the system's own profile
        sp = sel & p
        if sp.any():
            w = m.windows[kk]
            factor = np.ones(int(sp.sum()))
            if w.size:
                tt = t[sp, None]
                inside = (tt >= w[None, :, 0]) & (tt < w[None, :, 1])
                factor = np.min(np.where(inside, w[None, :, 2], 1.0), axis=1)
            cost[sp] += cm.setup_cost(m.setup_cost[kk] * factor, 0.0, prof, t[sp])
    return np.bincount(r, weights=cost, minlength=reps).astype(np.float64)


def age_replacement_rate(
    cost_pm: float,
    cost_cm: float,
    sf_t: float,
    int_sf_t: float,
    down_pm_h: float = 0.0,
    down_cm_h: float = 0.0,
) -> float:
    """Long-run cost per calendar hour of age replacement at ``T`` (renewal reward).

    ``(c_p S(T) + c_f F(T)) / (integral_0^T S + d_p S(T) + d_f F(T))``; with zero down
    times this is Barlow and Proschan's ``g(T)``.

    Parameters
    ----------
    cost_pm, cost_cm : float
        Cost of a preventive and of a corrective replacement.
    sf_t : float
        ``S(T)``.
    int_sf_t : float
        ``integral_0^T S(u) du``, hours.
    down_pm_h, down_cm_h : float
        Down time of a preventive / corrective replacement, hours.

    Returns
    -------
    float
    """
    f_t = 1.0 - sf_t
    denom = int_sf_t + down_pm_h * sf_t + down_cm_h * f_t
    if not denom > 0.0 or not math.isfinite(denom):
        raise ValueError("cycle length must be finite and > 0")
    return (cost_pm * sf_t + cost_cm * f_t) / denom
