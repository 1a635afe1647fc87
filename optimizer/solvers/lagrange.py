"""Lagrangian decomposition for fleets coupled by shared crews and spare-part stock.

Why not one MILP: at fleet scale the monolithic model's LP alone takes longer than the
time budget (``benchmarks/README.md``), and HiGHS finds few incumbents.  This module
instead prices the coupling and solves many small exact problems.

Relaxation (the bound)
----------------------
Start from the MILP of :mod:`optimizer.solvers.milp` and add, for every system ``k``,
period ``t`` and finite-capacity skill ``s``, the *local copy* of the crew row
``sum_{i in k, s} l_i x[i,t] <= C[s,t]`` (one system cannot use more technician-hours
than the whole pool has).  Dualize

* the assignment rows ``sum_t x[i,t] + z[i] = 1`` with free multipliers ``v_i``;
* the shared crew rows ``sum_i l_i x[i,.] <= C[s,t]`` with ``lambda[s,t] >= 0``;
* the stock rows ``U_p(t) <= E_p(t)`` before the earliest delivery of a new order of
  part ``p`` (``U`` cumulative use, ``E`` on-hand plus already-ordered units) with
  ``pi[p,t] >= 0``.

What remains separates by *opening* ``(k, t)``: open it (pay ``S_k(t)``) and pick, per
skill, the subset of its components with negative reduced cost
``r_it = h_i(t) + l_i sum_{u in span} lambda[s,u] + qty_i sum_{u=t..first_p-1} pi[p,u]
- v_i`` that fits in ``C[s,t]`` -- a 0/1 knapsack per (k, t, s), solved exactly by a
vectorised dynamic programme over capacity units (exact when every load is a multiple
of the unit, whatever the capacity: :func:`~optimizer.solvers.repair.capacity_unit`;
otherwise weights are rounded *down* to the unit, which only relaxes further).  Deferral is
``min(0, b_i - v_i)``.  So for every multiplier vector

    L(v, lambda, pi) = sum_i v_i + sum_i min(0, b_i - v_i)
                       + sum_(k,t) min(0, S_k(t) + sum_s KS_kts)
                       - sum lambda C - sum pi E  + (pinned work)

is a proven lower bound of the optimum.  Purchasing costs are bounded below by the
holding cost of the stock that certainly stays on the shelf, ``hold_p I_p(t) >=
hold_p alpha (E_p(t) - U_p(t))`` for any ``alpha in [0, 1]`` (``I >= 0`` and
``I >= E - U``), which is linear in the plan; ordering and expediting are bounded by 0.
The multipliers are the duals of a Dantzig-Wolfe master LP over generated opening
patterns (column generation).  This dual is at least as strong as the LP relaxation of
the strengthened MILP (the knapsacks are integral), usually stronger.

Driver (:func:`solve_lagrange`)
-------------------------------
1. *Fold the purchasing costs* that are linear in the plan into the penalties
   (:func:`~optimizer.solvers.stock.fold_holding`): exact when stock cannot run short,
   a valid under-estimate otherwise.
2. *Split into crew blocks* (:func:`_blocks`: systems that share a finite crew pool,
   i.e. one site): without stock rows the blocks are independent, so the sum of their
   bounds is a bound, and they can be solved in parallel processes (``workers``).  When
   stock can run short and a single block holds every user of every pool, its master
   also carries the stock rows before the earliest delivery (duals ``pi`` priced into
   the knapsacks); with several blocks the stock rows are relaxed for the bound and the
   combined plan is made stock-feasible afterwards
   (:func:`~optimizer.solvers.repair.make_stock_feasible`).
3. Per block, *seed* the master with the exact DP's plan without crew limits (its
   patterns that fit the local crew copies) and with that plan repaired for crews; the
   first multipliers ``v`` are the uncapacitated plan's marginal costs
   (:func:`_plan_duals`), which avoids the heading-in phase where every opening prices
   out.  *Column generation* then runs with Wentges smoothing until the bound is within
   ``stop_gap`` of the master LP (or no pattern prices out, or time is up).
4. *Plans*: LP rounding and greedy passes give incumbents; a local search
   (:func:`_local_search`: single-job moves, one blocking job ejected to make crew
   room, opening closures, new openings pulling the jobs that gain most) then
   alternates with a restriction of the direct MILP (:mod:`optimizer.solvers.milp`)
   to the pairs of the patterns in the master LP solution and of every plan seen so
   far, warm-started with the best plan; last, every eligible pair at any opening the
   LP or the plan uses (price and branch on the LP support).  Every sub-MILP gets the
   time left before the block's deadline.
   After the first round, :func:`system_bound` strengthens the bound: with the crew
   prices of the dual phase, each system's own subproblem (its jobs, openings and local
   crew copy, assignment rows kept) is solved as a small MILP after reduced-cost fixing
   within the system; its bound replaces the system's share of the Lagrangian value
   when larger (the Dantzig-Wolfe master over *openings* mixes fractional openings of
   one system; on fleet1k it adds ~900 to the 810,322 of the dual phase), and its plan
   replaces the system's jobs when feasible and cheaper.
   When reduced-cost fixing (:func:`pair_bounds`, proven there) leaves at most
   :data:`_FIX_MAX_PAIRS` pairs that a plan cheaper than the best one may use, the last
   MILP is the one on those pairs, and its bound (capped by the best plan's cost) is a
   bound of the block.
5. *Pricing cost*: an opening whose knapsacks' cheap lower bounds
   (:func:`_knapsack_lower`) already make it not worth opening gets no exact knapsack;
   the exact DP runs per capacity class on slices (fleet1k at converged multipliers:
   most of the ~20,000 crowded knapsacks are skipped).

The reported bound is the best Lagrangian value (never the master LP value unless
column generation converged) or the reduced MILP's bound above, so every plan's gap is
certified.

References
----------
.. [1] M. L. Fisher, "The Lagrangian relaxation method for solving integer programming
   problems", Management Science 27 (1981) 1-18.
.. [2] B. T. Polyak, "Minimization of unsmooth functionals", USSR Computational
   Mathematics and Mathematical Physics 9 (1969) 14-29 (step length).
.. [3] G. Cornuejols, R. Sridharan, J. M. Thizy, "A comparison of heuristics and
   relaxations for the capacitated plant location problem", European Journal of
   Operational Research 50 (1991) 280-297 (dualizing assignment rows; knapsack
   subproblems).
.. [4] P. Wentges, "Weighted Dantzig-Wolfe decomposition for linear mixed-integer
   programming", International Transactions in Operational Research 4 (1997) 151-162
   (dual smoothing).
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import highspy
import numpy as np

from optimizer._typing import BoolArray, FloatArray, IntArray
from optimizer.problem.data import NO_PIN, PlanningProblem
from optimizer.problem.plan import (
    BEYOND,
    Plan,
    Status,
    evaluate,
    span_cells,
    violations,
)
from optimizer.solvers.common import check_inputs, eligible_pairs, pinned_diagnosis
from optimizer.solvers.dp import solve_dp
from optimizer.solvers.highs import new_highs, quiet_highs, run_highs
from optimizer.solvers.milp import solve_milp
from optimizer.solvers.model import build_direct_model
from optimizer.solvers.repair import PairData, Room, make_stock_feasible, prepare_pairs, restock
from optimizer.solvers.stock import fold_holding

__all__ = ["LagrangeResult", "knapsacks", "lagrangian_bound", "solve_lagrange"]

_TOL = 1e-9
_EJECT_TRIES = 3
"""Local search: target periods tried per job, and alternatives per ejected job."""
_EJECT_BLOCKERS = 8
"""Local search: blocking jobs tried per target period."""
_MERGE_ROUNDS = 3
"""Most rounds of (MILP on the LP pairs and every plan's pairs, local search)."""
_SMOOTH = 0.5
"""Wentges smoothing weight of the stability centre in the pricing duals (fleet1k:
0.5 reaches 99.4% of the converged bound in 17 rounds, 0.7 in 22, 0.85 in 34)."""
_FIX_MAX_PAIRS = 30_000
"""Largest reduced problem (free pairs left by reduced-cost fixing) solved as a MILP."""
_SYSTEM_SHARE = 0.7
"""Share of a block's time left after the first plan round given to :func:`system_bound`
(the further rounds and the MILP on the LP openings get the rest)."""


# --------------------------------------------------------------------------------------
# Subproblem: knapsacks per opening
# --------------------------------------------------------------------------------------


def _window_sum(values: FloatArray, row: IntArray, start: IntArray, span: IntArray) -> FloatArray:
    """``sum(values[row, start : start + span])`` (clipped at the horizon), vectorized."""
    n_t = values.shape[1]
    cs = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(values, axis=1)], axis=1)
    end = np.minimum(start + span, n_t)
    out: FloatArray = cs[row, end] - cs[row, start]
    return out


def _knapsacks(
    r: FloatArray,
    grp: IntArray,
    w: IntArray,
    g_cap: IntArray,
    n_g: int,
    need: BoolArray | None = None,
) -> tuple[FloatArray, BoolArray]:
    """Exact 0/1 knapsack (minimize the sum of negative ``r``) in every group.

    Returns the optimal value of each group and which items are picked.  With ``need``
    (bool per group), the groups outside it whose negative items do not all fit get a
    cheap lower bound instead (:func:`_knapsack_lower`) and no picks.
    """
    val = np.zeros(n_g)
    pick = np.zeros(len(r), dtype=bool)
    neg = np.flatnonzero(r < -_TOL)
    if not len(neg):
        return val, pick
    g = grp[neg]
    # groups whose negative items all fit need no DP
    tot_w = np.bincount(g, weights=w[neg], minlength=n_g)
    easy = tot_w <= g_cap
    e_items = neg[easy[g]]
    pick[e_items] = True
    val += np.bincount(grp[e_items], weights=r[e_items], minlength=n_g)
    hard_items = neg[~easy[g]]
    if need is not None and len(hard_items):
        lp = ~need[grp[hard_items]]
        val += _knapsack_lower(r, grp, w, g_cap, hard_items[lp], n_g)
        hard_items = hard_items[~lp]
    if not len(hard_items):
        return val, pick
    # groups of similar capacity together: the DP's width is the class's largest capacity
    cls = np.ceil(np.log2(g_cap[grp[hard_items]] + 1.0)).astype(np.int64)
    for c_cls in np.unique(cls).tolist():
        _knapsack_dp(r, grp, w, g_cap, hard_items[cls == c_cls], val, pick)
    return val, pick


def knapsacks(
    r: FloatArray, grp: IntArray, w: IntArray, g_cap: IntArray, n_g: int
) -> tuple[FloatArray, BoolArray]:
    """Exact 0/1 knapsacks of many groups at once: ``min sum r_j z_j`` over the items
    ``j`` of each group with ``sum w_j z_j <= g_cap`` (integer capacity units).

    Parameters
    ----------
    r : ndarray of float
        Item values (only negative ones can be picked).
    grp : ndarray of int
        Group of each item, ``0 .. n_g - 1``.
    w : ndarray of int
        Weight of each item, capacity units.
    g_cap : ndarray of int
        Capacity of each group, capacity units.
    n_g : int
        Number of groups.

    Returns
    -------
    (ndarray of float, ndarray of bool)
        Each group's optimal value (``<= 0``) and the items picked.
    """
    return _knapsacks(r, grp, w, g_cap, n_g)


def _knapsack_lower(
    r: FloatArray, grp: IntArray, w: IntArray, g_cap: IntArray, items: IntArray, n_g: int
) -> FloatArray:
    """A lower bound of each group's 0/1 knapsack over ``items`` (``r < 0``), cheap:
    ``max(sum r, cap * min(r / w))`` -- every subset that fits has ``sum r >= sum`` of
    all negative items, and ``sum r = sum (r / w) w >= min(r / w) * sum w >= min(r / w)
    * cap`` (the ratio is negative); ``-inf`` ratio for items of weight 0."""
    out = np.zeros(n_g)
    if not len(items):
        return out
    gi = grp[items]
    wi = w[items]
    total = np.bincount(gi, weights=r[items], minlength=n_g)
    ratio = np.full(n_g, 0.0)
    pos = wi > 0
    np.minimum.at(ratio, gi[pos], r[items[pos]] / wi[pos])
    by_ratio = ratio * g_cap
    zero_w = np.bincount(gi[~pos], weights=r[items[~pos]], minlength=n_g)
    out += np.maximum(total, by_ratio + zero_w)
    return out


def _knapsack_dp(
    r: FloatArray,
    grp: IntArray,
    w: IntArray,
    g_cap: IntArray,
    hard_items: IntArray,
    val: FloatArray,
    pick: BoolArray,
) -> None:
    """Exact knapsacks of the groups of ``hard_items`` by DP over capacity units; adds
    each group's optimum to ``val`` and marks the picked items in ``pick``."""
    order = hard_items[np.lexsort((r[hard_items], grp[hard_items]))]
    hg = grp[order]
    ug, local = np.unique(hg, return_inverse=True)
    first = np.searchsorted(hg, ug)
    rank = np.arange(len(order)) - first[local]
    # groups by decreasing item count: the groups with a j-th item are a prefix of the
    # rows, so each item step works on a slice of ``f``
    perm = np.argsort(-np.bincount(local), kind="stable")
    row_of = np.empty(len(ug), dtype=np.int64)
    row_of[perm] = np.arange(len(ug))
    item_row = row_of[local]
    caps = g_cap[ug[perm]]
    c_max = int(caps.max())
    n_h = len(ug)
    f = np.zeros((n_h, c_max + 1))
    cols = np.arange(c_max + 1)
    by_rank = np.argsort(rank, kind="stable")
    rank_start = np.searchsorted(rank[by_rank], np.arange(int(rank.max()) + 2))
    takes: list[tuple[IntArray, BoolArray]] = []
    for j in range(int(rank.max()) + 1):
        at = by_rank[rank_start[j] : rank_start[j + 1]]
        n_j = len(at)
        items = np.empty(n_j, dtype=np.int64)
        items[item_row[at]] = order[at]  # row q's j-th item
        wj = w[items]
        fr = f[:n_j]
        uw = np.unique(wj)
        if len(uw) <= 16:  # few distinct weights: shifted slices, no 2-D gather
            cand = np.full((n_j, c_max + 1), np.inf)
            for wv in uw.tolist():
                sel = np.flatnonzero(wj == wv)
                if wv <= c_max:
                    cand[sel, wv:] = fr[sel, : c_max + 1 - wv]
        else:
            src = cols[None, :] - wj[:, None]
            cand = np.where(src >= 0, fr[np.arange(n_j)[:, None], np.maximum(src, 0)], np.inf)
        cand += r[items][:, None]
        take = cand < fr - 1e-12
        np.copyto(fr, cand, where=take)
        takes.append((items, take))
    c = caps.copy()
    val[ug[perm]] += f[np.arange(n_h), c]
    for items, take in reversed(takes):
        n_j = len(items)
        t_now = take[np.arange(n_j), c[:n_j]]
        pick[items[t_now]] = True
        c[:n_j][t_now] -= w[items[t_now]]


@dataclass(frozen=True)
class _Dual:
    value: float
    pick: BoolArray  # pairs picked in opened groups
    opened: BoolArray  # openings
    y_val: FloatArray  # Lagrangian value of each opening
    defer: BoolArray  # z of each component (free ones)
    r: FloatArray  # reduced cost of each pair at these multipliers
    v: FloatArray  # the assignment multipliers (per component)
    lam: FloatArray  # the crew multipliers (per skill and period)


def _evaluate_dual(
    problem: PlanningProblem,
    d: PairData,
    v: FloatArray,
    lam: FloatArray,
    pi_mult: FloatArray,
    alpha: FloatArray,
) -> _Dual:
    """Lagrangian value and subproblem solution at the multipliers."""
    r = d.h - v[d.pi]
    if lam.size:
        fin = d.ps >= 0
        lam_cost = np.zeros(len(r))
        lam_cost[fin] = d.load[d.pi[fin]] * _window_sum(
            lam, d.ps[fin], d.pt[fin], d.span[d.pi[fin]]
        )
        r = r + lam_cost
    const = d.pinned_const
    if problem.has_parts and problem.parts is not None:
        parts = problem.parts
        n_t = problem.n_periods
        # per use in period tau: qty * (sum_{t=tau..first-1} pi - hold * sum_{t>=tau} alpha)
        rev = np.cumsum((pi_mult - d.hold[:, None] * alpha)[:, ::-1], axis=1)[:, ::-1]
        pp = parts.part_of[d.pi]
        on = pp >= 0
        r[on] += parts.qty[d.pi[on]] * rev[pp[on], d.pt[on]]
        const += float(np.sum(d.hold[:, None] * alpha * d.supply))
        const -= float(np.sum(pi_mult * d.supply))
        const += float(np.sum(rev * d.pin_use))
        del n_t
    n_g = len(d.g_y)
    # Openings that cannot price out even at the knapsacks' cheap lower bounds need no exact
    # knapsack: their value stays a lower bound >= 0, they are not opened (fleet1k: most
    # openings at converged multipliers).
    g_lb, _ = _knapsacks(r, d.grp, d.w_units, d.g_cap, n_g, need=np.zeros(n_g, dtype=bool))
    y_lb = d.y_cost + np.bincount(d.g_y, weights=g_lb, minlength=len(d.y_cost))
    need = (d.y_forced | (y_lb < 0.0))[d.g_y]
    g_val, pick = _knapsacks(r, d.grp, d.w_units, d.g_cap, n_g, need=need)
    y_val = d.y_cost + np.bincount(d.g_y, weights=g_val, minlength=len(d.y_cost))
    opened = d.y_forced | (y_val < -_TOL)
    pick &= opened[d.yk]
    vf = v[d.free]
    bf = d.b[d.free]
    defer = np.isfinite(bf) & (bf - vf < 0)
    z_term = np.where(defer, bf - vf, 0.0)
    value = float(vf.sum() + z_term.sum() + y_val[opened].sum() + const)
    if lam.size:
        value -= float(np.sum(lam * (d.cap - d.pin_load)))
    return _Dual(value, pick, opened, y_val, defer, r, v, lam)


def pair_bounds(d: PairData, dual: _Dual) -> FloatArray:
    """Lower bound on the cost of any plan that uses each pair (reduced-cost fixing).

    With the multipliers of ``dual`` fixed, the Lagrangian function restricted to plans
    with ``x[i,t] = 1`` differs from ``dual.value`` only in the subproblem of the
    opening ``(k, t)`` of ``i``'s system: it must be opened, and ``i`` must be in the
    knapsack of its skill.  That knapsack's value with ``i`` forced is ``r_it`` plus the
    best subset of the other items within the capacity left, which is ``>=`` the
    unrestricted knapsack value ``KS`` (a subset that fits ``cap - w_i`` without ``i``
    fits ``cap`` with every item) and ``>= r_it + KS`` (same argument without ``i``:
    dropping an item or capacity cannot lower a minimum).  So the opening's term is at
    least ``y_val + max(0, r_it)`` instead of what ``dual.value`` counted for it
    (``y_val`` when opened, else 0), and every plan using ``(i, t)`` costs at least

        dual.value - counted(k, t) + y_val(k, t) + max(0, r_it)

    (weak duality of the Lagrangian relaxation with ``x[i,t] = 1`` added).  A pair
    whose bound exceeds the cost of a known plan is used by no cheaper plan, so every
    plan cheaper than it lies in the problem without those pairs.

    Returns
    -------
    ndarray, shape (n_pairs,)
        The bound of each pair of ``d`` (currency, the problem's units).
    """
    counted = np.where(dual.opened, dual.y_val, 0.0)
    out: FloatArray = dual.value - counted[d.yk] + dual.y_val[d.yk] + np.maximum(dual.r, 0.0)
    return out


def _subgradient(
    problem: PlanningProblem, d: PairData, dual: _Dual
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Subgradients for v, lambda, pi, and the usage per part and period (for alpha)."""
    n = problem.n_components
    cnt = np.bincount(d.pi[dual.pick], minlength=n).astype(np.float64)
    g_v = np.zeros(n)
    g_v[d.free] = 1.0 - cnt[d.free] - dual.defer
    n_s, n_t = d.cap.shape
    if n_s:
        j = np.flatnonzero(dual.pick & (d.ps >= 0))
        period = np.full(n, BEYOND, dtype=np.int64)
        load = np.zeros((n_s, n_t))
        # picked pairs may repeat a component: accumulate pair by pair
        job, cell = span_cells(d.pt[j], d.span[d.pi[j]], n_t)
        np.add.at(load, (d.ps[j][job], cell), d.load[d.pi[j][job]])
        del period
        g_l = np.where(d.cap_fin, load + d.pin_load - d.cap, 0.0)
    else:
        g_l = np.zeros((0, n_t))
    use = np.zeros_like(d.supply)
    if problem.has_parts and problem.parts is not None:
        parts = problem.parts
        j = np.flatnonzero(dual.pick)
        pp = parts.part_of[d.pi[j]]
        on = pp >= 0
        np.add.at(use, (pp[on], d.pt[j][on]), parts.qty[d.pi[j][on]].astype(np.float64))
        use = np.cumsum(use + d.pin_use, axis=1)
        g_p = use - d.supply
        mask = np.arange(n_t)[None, :] < d.part_first[:, None]
        g_p = np.where(mask, g_p, 0.0)
    else:
        g_p = np.zeros_like(d.supply)
    return g_v, g_l, g_p, use


# --------------------------------------------------------------------------------------
# Primal: greedy plan from a dual iterate
# --------------------------------------------------------------------------------------


def _greedy(problem: PlanningProblem, d: PairData, dual: _Dual, elig: BoolArray) -> IntArray:
    """Feasible plan from the openings and picks of a dual iterate."""
    n = problem.n_components
    pin = problem.pinned_period
    period = np.where(pin >= 0, pin, BEYOND).astype(np.int64)
    room = Room(problem, d)
    done = pin != NO_PIN
    j = np.flatnonzero(dual.pick)
    # openings by Lagrangian value (most negative first); inside, cheapest pairs first
    key = dual.y_val[d.yk[j]]
    j = j[np.lexsort((d.h[j] - d.b[d.pi[j]], key))]
    open_now = np.zeros((problem.n_systems, problem.n_periods), dtype=bool)
    open_now[d.y_k[d.y_forced], d.y_t[d.y_forced]] = True
    for jj in j.tolist():
        i = int(d.pi[jj])
        if done[i]:
            continue
        t = int(d.pt[jj])
        if room.fits(i, t):
            period[i] = t
            done[i] = True
            room.take(i, t)
            open_now[d.pk[jj], t] = True
    # drop jobs whose opening is not worth it alone (the opening serves too little)
    _prune_openings(problem, period, room)
    # jobs that may not be deferred: cheapest feasible period (joining open ones first)
    must = np.flatnonzero((period == BEYOND) & (pin == NO_PIN) & ~np.isfinite(d.b))
    for i in must.tolist():
        k = int(problem.system_of[i])
        opened_k = np.zeros(problem.n_periods, dtype=bool)
        same = (problem.system_of == k) & (period >= 0)
        opened_k[period[same]] = True
        cost = problem.penalty[i] + np.where(opened_k, 0.0, problem.opening_cost[k])
        cost = np.where(elig[i], cost, np.inf)
        for t in np.argsort(cost).tolist():
            if not np.isfinite(cost[t]):
                break
            if room.fits(i, t):
                period[i] = t
                room.take(i, t)
                break
    del n
    return period


def _prune_openings(problem: PlanningProblem, period: IntArray, room: Room) -> None:
    """Defer the jobs of openings that cost more than deferring all their jobs."""
    done = np.flatnonzero((period >= 0) & (problem.pinned_period == NO_PIN))
    if not len(done):
        return
    k = problem.system_of[done]
    t = period[done]
    key = k * problem.n_periods + t
    saving = problem.penalty_beyond[done] - problem.penalty[done, t]
    uk, inv = np.unique(key, return_inverse=True)
    tot = np.bincount(inv, weights=np.where(np.isfinite(saving), saving, 1e300))
    pinned_there = np.zeros(len(uk), dtype=bool)
    pins = np.flatnonzero(problem.pinned_period >= 0)
    if len(pins):
        pk = problem.system_of[pins] * problem.n_periods + problem.pinned_period[pins]
        pinned_there = np.isin(uk, pk)
    oc = problem.opening_cost.ravel()[uk]
    bad = (tot < oc) & ~pinned_there
    for j in np.flatnonzero(bad[inv]).tolist():
        i = int(done[j])
        room.take(i, int(period[i]), sign=-1.0)
        period[i] = BEYOND


# --------------------------------------------------------------------------------------
# Local search on a feasible plan
# --------------------------------------------------------------------------------------


def _local_search(problem: PlanningProblem, period: IntArray, deadline: float) -> IntArray:
    """Improve a feasible plan by single-job moves and opening closures (first descent).

    Moves, each kept only when it lowers ``penalty + deferral + opening`` and the crews
    (and the stock before the earliest delivery, via :class:`Room`) still fit:

    * *move*: one free job to another period of its system (an opening already used,
      or a new one, paying its opening cost) or deferral, saving its opening's cost
      when it was the only job there;
    * *close*: every job of an opening (none pinned) to the best other used opening of
      its system or deferral, saving the opening cost.

    Passes repeat until none improves or ``deadline`` (``perf_counter``) passes.  Costs
    other than these three (purchasing) are not modelled here, so the caller keeps the
    result only if :func:`optimizer.problem.plan.evaluate` agrees it is cheaper.  Much cheaper
    than a second restricted MILP: one pass over ~1,000 jobs takes a few hundredths of
    a second per job set.
    """
    d = prepare_pairs(problem)
    elig = eligible_pairs(problem, crew_filter=True)
    pin = problem.pinned_period
    period = np.asarray(period, dtype=np.int64).copy()
    room = Room(problem, d)
    k_of = problem.system_of
    n_t = problem.n_periods
    count = np.zeros((problem.n_systems, n_t), dtype=np.int64)
    on = np.flatnonzero(period >= 0)
    np.add.at(count, (k_of[on], period[on]), 1)
    n_pin = np.zeros_like(count)
    pinned = np.flatnonzero(pin >= 0)
    np.add.at(n_pin, (k_of[pinned], pin[pinned]), 1)
    free = np.flatnonzero(pin == NO_PIN)
    for i in free[period[free] >= 0].tolist():
        room.take(i, int(period[i]))
    pen = problem.penalty
    oc = problem.opening_cost
    beyond = problem.penalty_beyond
    eps = 1e-9

    def job_cost(i: int, t: int) -> float:
        return float(beyond[i]) if t < 0 else float(pen[i, t])

    def move(i: int, t_new: int) -> None:
        t_old = int(period[i])
        k = int(k_of[i])
        if t_old >= 0:
            count[k, t_old] -= 1
        if t_new >= 0:
            room.take(i, t_new)
            count[k, t_new] += 1
        period[i] = t_new

    def unplace(i: int) -> None:
        t_old = int(period[i])
        if t_old >= 0:
            room.take(i, t_old, sign=-1.0)

    span = problem.span_periods
    skill = problem.skill_of if len(problem.skill_ids) else np.full(len(pin), -1)
    is_free = np.zeros(len(pin), dtype=bool)
    is_free[free] = True

    def try_moves(moves: list[tuple[int, int]]) -> bool:
        """Apply ``moves`` (job, new period) if they fit and lower the cost."""
        old = [(i, int(period[i])) for i, _ in moves]
        touched = {(int(k_of[i]), t) for i, t in old + moves if t >= 0}
        before = {key: count[key] > 0 for key in touched}
        change = 0.0
        for (i, t_old), (_, t_new) in zip(old, moves, strict=True):
            change += job_cost(i, t_new) - job_cost(i, t_old)
            unplace(i)
            if t_old >= 0:
                count[k_of[i], t_old] -= 1
            period[i] = BEYOND
        ok = True
        done: list[tuple[int, int]] = []
        for i, t_new in moves:
            if t_new >= 0 and not room.fits(i, t_new):
                ok = False
                break
            move(i, t_new)
            done.append((i, t_new))
        if ok:
            for key in touched:
                change += float(oc[key]) * (float(count[key] > 0) - float(before[key]))
            if change < -eps * (1.0 + abs(change)):
                return True
        for i, t_new in reversed(done):
            unplace(i)
            if t_new >= 0:
                count[k_of[i], t_new] -= 1
            period[i] = BEYOND
        for i, t_old in old:
            move(i, t_old)
        return False

    def eject(i: int, targets: IntArray) -> bool:
        """Move job ``i`` to one of ``targets`` after moving one blocking job away."""
        s = int(skill[i])
        if s < 0:
            return False
        for t in targets.tolist():
            end = t + int(span[i])
            blockers = np.flatnonzero(
                is_free & (skill == s) & (period >= 0) & (period < end) & (period + span > t)
            )
            blockers = blockers[blockers != i][:_EJECT_BLOCKERS]
            for j in blockers.tolist():
                kj = int(k_of[j])
                alt = np.where(elig[j] & (count[kj] > 0), pen[j], np.inf)
                alt[int(period[j])] = np.inf
                options = [int(x) for x in np.argsort(alt, kind="stable")[:_EJECT_TRIES]]
                options = [x for x in options if np.isfinite(alt[x])]
                if np.isfinite(beyond[j]):
                    options.append(BEYOND)
                for tj in options:
                    if try_moves([(j, tj), (i, t)]):
                        return True
        return False

    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for i in free.tolist():
            k = int(k_of[i])
            t0 = int(period[i])
            cur = job_cost(i, t0)
            gain_close = float(oc[k, t0]) if t0 >= 0 and count[k, t0] == 1 else 0.0
            cost = pen[i] + np.where(count[k] > 0, 0.0, oc[k])
            cost = np.where(elig[i], cost, np.inf)
            if t0 >= 0:
                cost[t0] = np.inf
            delta = cost - cur - gain_close
            cand = np.flatnonzero(delta < -eps * (1.0 + abs(cur)))
            d_beyond = (
                float(beyond[i]) - cur - gain_close if t0 >= 0 and np.isfinite(beyond[i]) else 0.0
            )
            if not len(cand) and d_beyond >= -eps * (1.0 + abs(cur)):
                continue
            unplace(i)
            best_t, best_d = t0, 0.0
            if d_beyond < -eps * (1.0 + abs(cur)):
                best_t, best_d = BEYOND, d_beyond
            for t in cand[np.argsort(delta[cand], kind="stable")].tolist():
                if delta[t] >= best_d:
                    break
                if room.fits(i, t):
                    best_t, best_d = t, float(delta[t])
                    break
            if best_t != t0:
                if t0 >= 0:
                    count[k, t0] -= 1
                period[i] = BEYOND
                move(i, best_t)
                improved = True
            else:
                if t0 >= 0:
                    room.take(i, t0)
                # the best periods lack crew: make room by moving one job there away
                top = cand[np.argsort(delta[cand], kind="stable")][:_EJECT_TRIES]
                if eject(i, top):
                    improved = True
            if time.perf_counter() > deadline:
                break
        # close openings: their jobs to other used openings of the system, or deferral
        keys = np.unique(k_of[free[period[free] >= 0]] * n_t + period[free[period[free] >= 0]])
        for key in keys.tolist():
            if time.perf_counter() > deadline:
                break
            k, t = divmod(int(key), n_t)
            if count[k, t] == 0 or n_pin[k, t] > 0:
                continue
            jobs = np.flatnonzero((k_of == k) & (period == t))
            for i in jobs.tolist():
                unplace(i)
            count[k, t] = 0
            period[jobs] = BEYOND
            total = -float(oc[k, t])
            placed: list[tuple[int, int]] = []
            ok = True
            for i in jobs[np.argsort(-d.load[jobs], kind="stable")].tolist():
                cost = np.where(elig[i] & (count[k] > 0), pen[i], np.inf)
                cost[t] = np.inf
                best_t, best_c = BEYOND, float(beyond[i])
                for tt in np.argsort(cost, kind="stable").tolist():
                    if cost[tt] >= best_c:
                        break
                    if room.fits(i, tt):
                        best_t, best_c = tt, float(cost[tt])
                        break
                if not np.isfinite(best_c):
                    ok = False
                    break
                total += best_c - float(pen[i, t])
                move(i, best_t)
                placed.append((i, best_t))
            if ok and total < -eps * (1.0 + abs(float(oc[k, t]))):
                improved = True
                continue
            # revert
            for i, tt in placed:
                if tt >= 0:
                    room.take(i, tt, sign=-1.0)
                    count[k, tt] -= 1
            for i in jobs.tolist():
                room.take(i, t)
            period[jobs] = t
            count[k, t] = len(jobs)
        if _open_pass(problem, period, count, room, elig, free, deadline):
            improved = True
    return period


def _open_pass(
    problem: PlanningProblem,
    period: IntArray,
    count: IntArray,
    room: Room,
    elig: BoolArray,
    free: IntArray,
    deadline: float,
) -> bool:
    """Open unused openings ``(k, t)`` and pull in the jobs of ``k`` that gain most.

    For each system, the periods where the jobs that would gain by moving there (ignoring
    crews) gain more than the opening costs are tried best first: jobs join greedily,
    largest gain first, while the crews fit; the change is kept when the opening cost
    plus the jobs' cost changes, minus the costs of openings they leave empty, is
    negative.  Updates ``period``, ``count`` and ``room`` in place; returns whether
    anything changed.
    """
    pen = problem.penalty
    oc = problem.opening_cost
    beyond = problem.penalty_beyond
    k_of = problem.system_of
    changed = False
    is_free = np.zeros(problem.n_components, dtype=bool)
    is_free[free] = True
    for k in range(problem.n_systems):
        if time.perf_counter() > deadline:
            break
        comps = np.flatnonzero((k_of == k) & is_free)
        if not len(comps):
            continue
        per = period[comps]
        cur = np.where(per >= 0, pen[comps, np.maximum(per, 0)], beyond[comps])
        gain = np.where(elig[comps], pen[comps] - cur[:, None], np.inf)
        gain = np.where(np.isfinite(gain), gain, np.inf)
        neg = np.where(gain < 0, gain, 0.0)
        best = neg.sum(axis=0) + oc[k]
        best[count[k] > 0] = np.inf
        order = np.argsort(best, kind="stable")
        for t in order.tolist():
            if not best[t] < -1e-9 * (1.0 + abs(float(oc[k, t]))):
                break
            if count[k, t] > 0:
                continue
            cand = np.flatnonzero(gain[:, t] < 0)
            moved: list[tuple[int, int]] = []
            total = float(oc[k, t])
            for c in cand[np.argsort(gain[cand, t], kind="stable")].tolist():
                i = int(comps[c])
                t_old = int(period[i])
                if t_old >= 0:
                    room.take(i, t_old, sign=-1.0)
                if room.fits(i, t):
                    room.take(i, t)
                    if t_old >= 0:
                        count[k, t_old] -= 1
                        if count[k, t_old] == 0:
                            total -= float(oc[k, t_old])
                    count[k, t] += 1
                    period[i] = t
                    total += float(gain[c, t])
                    moved.append((i, t_old))
                elif t_old >= 0:
                    room.take(i, t_old)
            if moved and total < -1e-9 * (1.0 + abs(float(oc[k, t]))):
                changed = True
                per = period[comps]
                cur = np.where(per >= 0, pen[comps, np.maximum(per, 0)], beyond[comps])
                gain = np.where(elig[comps], pen[comps] - cur[:, None], np.inf)
                continue
            for i, t_old in reversed(moved):
                room.take(i, t, sign=-1.0)
                count[k, t] -= 1
                if t_old >= 0:
                    room.take(i, t_old)
                    count[k, t_old] += 1
                period[i] = t_old
    return changed


# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LagrangeResult:
    """Outcome of the dual phase.

    Parameters
    ----------
    bound : float
        Best Lagrangian lower bound (currency).
    period : ndarray of int
        Best plan found (``BEYOND`` = deferred).
    objective : float
        Its cost (:func:`optimizer.problem.plan.evaluate`).
    iterations : int
        Pricing rounds done.
    candidates : ndarray of bool, shape (n, T)
        Periods that some generated pattern used for each component (for polishing).
    columns : int
        Patterns generated.
    support, support_open : ndarray of bool, shape (n, T) and (K, T), optional
        Pairs and openings of the patterns used by the last master LP solution.
    pair_bound : ndarray of float, shape (n, T), optional
        Lower bound on the cost of any plan that uses each pair, from the best
        multipliers (:func:`pair_bounds`; ``inf`` where ``(i, t)`` is no free pair).
    dual : _Dual, optional
        The Lagrangian subproblem solution at the best multipliers (for
        :func:`system_bound`).
    pairs : PairData, optional
        The pair data the dual refers to.
    """

    bound: float
    period: IntArray
    objective: float
    iterations: int
    candidates: BoolArray
    columns: int = 0
    support: BoolArray | None = None
    support_open: BoolArray | None = None
    pair_bound: FloatArray | None = None
    dual: _Dual | None = None
    pairs: PairData | None = None


class _Master:
    """Dantzig-Wolfe master LP over opening patterns, kept in one HiGHS object.

    Rows: assignment ``sum_patterns a_i theta + z_i = 1`` (free components), crew
    ``sum l theta <= C - pinned`` (finite cells), convexity ``sum_{patterns of (k,t)}
    theta <= 1``.  Columns: ``z_i`` (finite deferral cost; an artificial column priced
    far above any plan for work that may not be deferred) and the patterns.
    """

    def __init__(self, problem: PlanningProblem, d: PairData) -> None:
        self.problem = problem
        self.d = d
        n = problem.n_components
        n_s, n_t = d.cap.shape
        self.row_of_comp = np.full(n, -1, dtype=np.int64)
        self.row_of_comp[d.free] = np.arange(len(d.free))
        n_a = len(d.free)
        self.cell_row = np.full((n_s, n_t), -1, dtype=np.int64)
        cells = np.argwhere(d.cap_fin)
        self.cell_row[cells[:, 0], cells[:, 1]] = n_a + np.arange(len(cells))
        n_c = len(cells)
        self.y_row = n_a + n_c + np.arange(len(d.y_k))
        # stock rows before the earliest delivery of a new order (pools p, periods t):
        # cumulative use <= supply - pinned use
        n_p = d.supply.shape[0]
        self.stock_row = np.full(d.supply.shape, -1, dtype=np.int64)
        s_cells = (
            np.argwhere(np.arange(n_t)[None, :] < d.part_first[:, None])
            if n_p
            else np.zeros((0, 2), dtype=np.int64)
        )
        n_st = len(s_cells)
        self.stock_row[s_cells[:, 0], s_cells[:, 1]] = n_a + n_c + len(d.y_k) + np.arange(n_st)
        self.n_rows = n_a + n_c + len(d.y_k) + n_st
        self.pi = np.zeros_like(d.supply)
        h = quiet_highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("random_seed", 0)
        inf = highspy.kHighsInf
        lo = np.concatenate([np.ones(n_a), np.full(n_c + len(d.y_k) + n_st, -inf)])
        cap_left = (d.cap - d.pin_load)[cells[:, 0], cells[:, 1]] if n_c else np.zeros(0)
        stock_left = (d.supply - np.cumsum(d.pin_use, axis=1))[s_cells[:, 0], s_cells[:, 1]]
        up = np.concatenate(
            [np.ones(n_a), np.maximum(cap_left, 0.0), np.ones(len(d.y_k)), stock_left]
        )
        h.addRows(self.n_rows, lo, up, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        bf = d.b[d.free]
        big = 1.0
        # work that may not be deferred gets an artificial deferral column priced at
        # twice its dearest stand-alone option: it only shapes the master's duals (the
        # bound is the Lagrangian function, where such work has no deferral at all)
        elig = eligible_pairs(problem, crew_filter=True)[d.free]
        solo = np.where(
            elig, problem.penalty[d.free] + problem.opening_cost[problem.system_of[d.free]], -np.inf
        ).max(axis=1, initial=0.0)
        zc = np.where(np.isfinite(bf), bf, 2.0 * np.maximum(solo, 0.0) + big)
        del n
        self.z_cost = zc
        h.addCols(
            n_a,
            zc,
            np.zeros(n_a),
            np.ones(n_a),
            n_a,
            np.arange(n_a, dtype=np.int32),
            np.arange(n_a, dtype=np.int32),
            np.ones(n_a),
        )
        self.h = h
        self.inf = inf
        self.n_z = n_a
        self.pat_y: list[int] = []
        self.pat_items: list[IntArray] = []
        self.pat_cost: list[float] = []

    def add(self, y: int, items: IntArray) -> None:
        """Add the pattern (opening ``y``, pairs ``items`` of ``PairData``)."""
        self.add_many([(y, items)])

    def add_many(self, patterns: list[tuple[int, IntArray]]) -> None:
        """Add patterns ``(opening, pairs of PairData)`` in one HiGHS call."""
        if not patterns:
            return
        d = self.d
        n_t = self.problem.n_periods
        ys = np.array([y for y, _ in patterns], dtype=np.int64)
        sizes = np.array([len(it) for _, it in patterns], dtype=np.int64)
        items = np.concatenate([it for _, it in patterns])
        owner = np.repeat(np.arange(len(patterns)), sizes)
        ent_col = [owner]
        ent_row = [self.row_of_comp[d.pi[items]]]
        ent_val = [np.ones(len(items))]
        fin = np.flatnonzero(d.ps[items] >= 0)
        if len(fin):
            it = items[fin]
            job, cell = span_cells(d.pt[it], d.span[d.pi[it]], n_t)
            r = self.cell_row[d.ps[it][job], cell]
            keep = r >= 0
            ent_col.append(owner[fin][job][keep])
            ent_row.append(r[keep])
            ent_val.append(d.load[d.pi[it][job]][keep])
        parts = self.problem.parts
        if parts is not None and (self.stock_row >= 0).any():
            # a use in period tau counts in every stock row t = tau .. first - 1
            pp = parts.part_of[d.pi[items]]
            on = np.flatnonzero(pp >= 0)
            if len(on):
                p_on = pp[on]
                tau = d.pt[items[on]]
                n_cover = np.maximum(d.part_first[p_on] - tau, 0)
                job = np.repeat(np.arange(len(on)), n_cover)
                first_job = np.concatenate([[0], np.cumsum(n_cover)[:-1]])
                tt = tau[job] + np.arange(len(job)) - first_job[job]
                r = self.stock_row[p_on[job], tt]
                ent_col.append(owner[on][job])
                ent_row.append(r)
                ent_val.append(parts.qty[d.pi[items[on]]][job].astype(np.float64))
        ent_col.append(np.arange(len(patterns)))
        ent_row.append(self.y_row[ys])
        ent_val.append(np.ones(len(patterns)))
        col = np.concatenate(ent_col)
        row = np.concatenate(ent_row)
        val = np.concatenate(ent_val)
        key = col * self.n_rows + row
        uk, inv = np.unique(key, return_inverse=True)
        uv = np.bincount(inv, weights=val)
        uc, ur = np.divmod(uk, self.n_rows)
        starts = np.searchsorted(uc, np.arange(len(patterns)))
        cost = d.y_cost[ys] + np.bincount(owner, weights=d.h[items], minlength=len(patterns))
        self.h.addCols(
            len(patterns),
            cost,
            np.zeros(len(patterns)),
            np.full(len(patterns), self.inf),
            len(uk),
            starts.astype(np.int32),
            ur.astype(np.int32),
            uv,
        )
        self.pat_y.extend(ys.tolist())
        self.pat_items.extend(it for _, it in patterns)
        self.pat_cost.extend(cost.tolist())

    def solve_lp(self) -> tuple[float, FloatArray, FloatArray, FloatArray, FloatArray]:
        """LP value, duals (v on components, lambda >= 0 on cells, mu on openings), primal."""
        self.h.run()
        info = self.h.getInfo()
        sol = self.h.getSolution()
        dual = np.asarray(sol.row_dual, dtype=np.float64)
        n_a = self.n_z
        v = np.zeros(self.problem.n_components)
        v[self.d.free] = dual[:n_a]
        lam = np.zeros_like(self.d.cap)
        cells = self.cell_row >= 0
        lam[cells] = np.maximum(-dual[self.cell_row[cells]], 0.0)
        mu = dual[self.y_row]
        col = np.asarray(sol.col_value, dtype=np.float64)
        st = self.stock_row >= 0
        self.pi = np.zeros_like(self.d.supply)
        self.pi[st] = np.maximum(-dual[self.stock_row[st]], 0.0)
        return float(info.objective_function_value), v, lam, mu, col

    def solve_mip(
        self,
        time_limit_s: float,
        v: FloatArray,
        lam: FloatArray,
        mu: FloatArray,
        slack: float,
        incumbent: IntArray | None,
    ) -> FloatArray | None:
        """Integer restricted master (price and branch); ``None`` without a solution.

        Only patterns whose LP reduced cost is at most ``slack`` (the current absolute
        gap) enter: a plan using a pattern of larger reduced cost costs more than the
        incumbent in this restricted master (Lagrangian reduced-cost argument), so the
        filter loses no better plan built from these patterns.  The incumbent's
        openings are kept and passed as the starting solution.
        """
        d = self.d
        n_p = len(self.pat_y)
        lp = self.h.getLp()
        a = lp.a_matrix_
        start = np.asarray(a.start_, dtype=np.int64)
        index = np.asarray(a.index_, dtype=np.int64)
        value = np.asarray(a.value_, dtype=np.float64)
        cost = np.asarray(lp.col_cost_, dtype=np.float64)
        row_dual = np.concatenate([v[d.free], np.zeros(self.n_rows - self.n_z)])
        cells = self.cell_row >= 0
        row_dual[self.cell_row[cells]] = -lam[cells]
        row_dual[self.y_row] = mu
        st = self.stock_row >= 0
        row_dual[self.stock_row[st]] = -self.pi[st]
        n_col = len(cost)
        counts = np.diff(start)
        col_of = np.repeat(np.arange(n_col), counts)
        red = cost - np.bincount(col_of, weights=value * row_dual[index], minlength=n_col)
        keep = red <= slack + 1e-9 * max(1.0, abs(slack))
        keep[: self.n_z] = True
        inc_cols: list[int] = []
        if incumbent is not None:
            want = {
                (int(d.pi[it[0]]), int(d.pt[it[0]])): j
                for j, it in enumerate(self.pat_items)
                if len(it)
            }
            del want
        keep_idx = np.flatnonzero(keep)
        h = new_highs()
        h.setOptionValue("time_limit", float(max(time_limit_s, 0.1)))
        h.setOptionValue("mip_rel_gap", 1e-4)
        sub = highspy.HighsLp()
        sub.num_row_ = self.n_rows
        sub.num_col_ = len(keep_idx)
        sub.col_cost_ = cost[keep_idx]
        sub.col_lower_ = np.zeros(len(keep_idx))
        sub.col_upper_ = np.ones(len(keep_idx))
        sub.row_lower_ = np.asarray(lp.row_lower_, dtype=np.float64)
        sub.row_upper_ = np.asarray(lp.row_upper_, dtype=np.float64)
        lens = counts[keep_idx]
        new_start = np.concatenate([[0], np.cumsum(lens)])
        take = np.repeat(start[keep_idx] - new_start[:-1], lens) + np.arange(int(lens.sum()))
        sub.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        sub.a_matrix_.start_ = new_start.astype(np.int32)
        sub.a_matrix_.index_ = index[take].astype(np.int32)
        sub.a_matrix_.value_ = value[take]
        sub.integrality_ = [highspy.HighsVarType.kInteger] * len(keep_idx)
        h.passModel(sub)
        if incumbent is not None:
            warm = self._columns_of(incumbent, keep_idx)
            if warm is not None:
                sol = highspy.HighsSolution()
                sol.col_value = warm
                sol.value_valid = True
                h.setSolution(sol)
        del inc_cols, n_p
        h.run()
        info = h.getInfo()
        ok = int(info.primal_solution_status) == int(highspy.SolutionStatus.kSolutionStatusFeasible)
        if not ok:
            return None
        got = np.asarray(h.getSolution().col_value, dtype=np.float64)
        full = np.zeros(n_col)
        full[keep_idx] = got
        return full

    def _columns_of(self, period: IntArray, keep_idx: IntArray) -> FloatArray | None:
        """Column vector (over ``keep_idx``) of a plan whose openings are all patterns."""
        d = self.d
        pos = {int(j): c for c, j in enumerate(keep_idx.tolist())}
        out = np.zeros(len(keep_idx))
        free = d.free
        deferred = period[free] < 0
        out[np.flatnonzero(deferred)] = 1.0
        want: dict[tuple[int, int], frozenset[int]] = {}
        done = np.flatnonzero((period >= 0) & (self.problem.pinned_period == NO_PIN))
        groups: dict[tuple[int, int], set[int]] = {}
        for i in done.tolist():
            groups.setdefault((int(self.problem.system_of[i]), int(period[i])), set()).add(i)
        want = {k: frozenset(v) for k, v in groups.items()}
        found = 0
        for j, (y, items) in enumerate(zip(self.pat_y, self.pat_items, strict=True)):
            key = (int(d.y_k[y]), int(d.y_t[y]))
            if key in want and frozenset(d.pi[items].tolist()) == want[key]:
                c = pos.get(self.n_z + j)
                if c is None:
                    return None
                out[c] = 1.0
                found += 1
                del want[key]
        return out if not want else None

    def period_of(self, col: FloatArray) -> IntArray:
        """Assignment encoded by a master solution (patterns with value > 0.5)."""
        pin = self.problem.pinned_period
        period = np.where(pin >= 0, pin, BEYOND).astype(np.int64)
        for j in np.flatnonzero(col[self.n_z :] > 0.5).tolist():
            items = self.pat_items[j]
            period[self.d.pi[items]] = self.d.pt[items]
        return period


def lagrangian_bound(
    problem: PlanningProblem,
    *,
    time_limit_s: float = 10.0,
    max_iter: int = 200,
    warm_start: IntArray | None = None,
    verbose: bool = False,
    max_new: int = 4000,
    mip_share: float = 0.3,
    extra_seeds: list[IntArray] | None = None,
    center: FloatArray | None = None,
    stop_gap: float = 0.0,
    finish_mip: bool = True,
) -> LagrangeResult:
    """Lower bound and plans by column generation on the Lagrangian dual.

    Every pricing round evaluates the Lagrangian function at the master LP's duals
    (a proven bound whatever the duals), adds the most negative patterns, and stops when
    no pattern prices out (the bound then equals the master LP value) or at the time
    limit.  The restricted master is then solved as a MILP over the generated patterns
    (price and branch) for a plan.

    Parameters
    ----------
    problem : PlanningProblem
        The instance (pins consistent).
    time_limit_s : float
        Wall-clock budget, seconds.
    max_iter : int
        Most pricing rounds.
    warm_start : ndarray of int, optional
        A feasible plan: its openings seed the master and it is the first incumbent.
    verbose : bool
        Print progress (benchmarks).
    max_new : int
        Most patterns added per round.
    mip_share : float
        Fraction of the budget kept for the integer restricted master.
    extra_seeds : list of ndarray of int, optional
        Further feasible plans whose openings seed the master.
    center : ndarray of float, shape (n,), optional
        Initial assignment multipliers ``v`` (e.g. :func:`_plan_duals`): the first
        stability centre of the smoothing and the first bound.
    stop_gap : float
        Stop generating patterns once the bound is within this relative distance of
        the master LP value (0: only when no pattern prices out).
    finish_mip : bool
        Solve the integer restricted master over the generated patterns at the end.

    Returns
    -------
    LagrangeResult
    """
    t0 = time.perf_counter()
    d = prepare_pairs(problem)
    elig = eligible_pairs(problem, crew_filter=True)
    n, n_t = problem.n_components, problem.n_periods
    master = _Master(problem, d)
    best_period: IntArray | None = None
    best_ub = np.inf
    if warm_start is not None and not violations(problem, warm_start):
        best_period = np.asarray(warm_start, dtype=np.int64)
        best_ub = evaluate(problem, best_period)["total"]
    # seed: a greedy plan at zero crew prices and deferral-cost multipliers
    lam0 = np.zeros_like(d.cap)
    v0 = np.where(np.isfinite(d.b), d.b, 0.0)
    dual0 = _evaluate_dual(problem, d, v0, lam0, np.zeros_like(d.supply), np.zeros_like(d.supply))
    seed = _greedy(problem, d, dual0, elig)
    if not violations(problem, seed):
        c = evaluate(problem, seed)["total"]
        if c < best_ub:
            best_ub, best_period = c, seed
    pair_of = np.full((n, n_t), -1, dtype=np.int64)  # pair index of (i, t), -1: none
    pair_of[d.pi, d.pt] = np.arange(len(d.pi))
    # extra seeds need not be crew-feasible (e.g. the uncapacitated DP plan): their
    # openings are valid patterns of the relaxation all the same
    for plan in (best_period, seed, *(extra_seeds or [])):
        if plan is not None:
            master.add_many(_plan_patterns(problem, d, plan, pair_of))
    best_lb = -np.inf
    best_dual: _Dual | None = None
    zero_p = np.zeros_like(d.supply)
    it = 0
    lp_val = np.inf
    budget_lp = time_limit_s * (1.0 - mip_share)
    # Wentges smoothing: price at a convex combination of the best-bound duals and the
    # master's duals (stabilizes the oscillating LP duals; every point gives a valid bound)
    stab: tuple[FloatArray, FloatArray, FloatArray] | None = None
    stab_pi = zero_p
    smooth = _SMOOTH
    if center is not None:
        # a stability centre from a good plan's marginal costs avoids the heading-in
        # phase (every opening pricing out while the master has few patterns)
        lam_c = np.zeros_like(d.cap)
        dual_c = _evaluate_dual(problem, d, center, lam_c, zero_p, zero_p)
        best_lb = dual_c.value
        best_dual = dual_c
        stab = (center, lam_c, np.zeros(len(d.y_k)))
        neg_c = np.flatnonzero(dual_c.y_val < -1e-7 * (1.0 + np.abs(d.y_cost)))
        master.add_many(_pattern_items(problem, d, center, lam_c, neg_c))
    for it in range(1, max_iter + 1):
        lp_val, v_lp, lam_lp, mu_lp, _ = master.solve_lp()
        pi_lp = master.pi
        neg = np.zeros(0, dtype=np.int64)
        for attempt in range(2):
            if stab is not None and attempt == 0:
                v = smooth * stab[0] + (1 - smooth) * v_lp
                lam = smooth * stab[1] + (1 - smooth) * lam_lp
                mu = smooth * stab[2] + (1 - smooth) * mu_lp
                pi_m = smooth * stab_pi + (1 - smooth) * pi_lp
            else:
                v, lam, mu, pi_m = v_lp, lam_lp, mu_lp, pi_lp
            dual = _evaluate_dual(problem, d, v, lam, pi_m, zero_p)
            if dual.value > best_lb:
                best_lb = dual.value
                best_dual = dual
                stab = (v, lam, mu)
                stab_pi = pi_m
            # reduced cost of the best pattern of each opening: y_val - mu
            red = dual.y_val - mu
            neg = np.flatnonzero((red < -1e-7 * (1.0 + np.abs(d.y_cost))) & (dual.y_val < 0))
            if len(neg) or stab is None:
                break
        if verbose:
            print(
                f"cg {it} {time.perf_counter() - t0:.2f}s lp {lp_val:,.0f} lb {best_lb:,.0f}"
                f" ub {best_ub:,.0f} new {len(neg)} cols {len(master.pat_y)}"
            )
        if not len(neg):
            best_lb = max(best_lb, lp_val)
            break
        if lp_val - best_lb <= stop_gap * max(abs(lp_val), 1e-9):
            # the bound is within stop_gap of the master LP: the rest of the budget is
            # worth more to the plan than the last fraction of the bound
            break
        if time.perf_counter() - t0 > budget_lp:
            break
        neg = neg[np.argsort(red[neg])][:max_new]
        # picks of the knapsacks, regardless of the opening decision in dual.pick
        # the knapsack picks of these openings are already in the dual's solution
        master.add_many(_picked_patterns(d, dual.pick, neg))
    cand = np.zeros((n, n_t), dtype=bool)
    for items in master.pat_items:
        cand[d.pi[items], d.pt[items]] = True
    lp_val, v_lp, lam_lp, mu_lp, lp_col = master.solve_lp()
    support = np.zeros((n, n_t), dtype=bool)
    support_open = np.zeros((problem.n_systems, n_t), dtype=bool)
    for j in np.flatnonzero(lp_col[master.n_z :] > 1e-6).tolist():
        items = master.pat_items[j]
        support[d.pi[items], d.pt[items]] = True
        support_open[d.y_k[master.pat_y[j]], d.y_t[master.pat_y[j]]] = True
    rounded = _round_lp(problem, d, master, lp_col, elig)
    if not violations(problem, rounded):
        c = evaluate(problem, rounded)["total"]
        if c < best_ub:
            best_ub, best_period = c, rounded
    if best_period is not None:
        # the incumbent's openings as patterns, so that it can start the MIP
        master.add_many(_plan_patterns(problem, d, best_period, pair_of))
        lp_val, v_lp, lam_lp, mu_lp, lp_col = master.solve_lp()
    left = time_limit_s - (time.perf_counter() - t0)
    col = (
        master.solve_mip(
            left, v_lp, lam_lp, mu_lp, best_ub - max(best_lb, -abs(best_ub)), best_period
        )
        if left > 0.3 and finish_mip
        else None
    )
    if col is not None:
        per = master.period_of(col)
        if not violations(problem, per):
            c = evaluate(problem, per)["total"]
            if c < best_ub:
                best_ub, best_period = c, per
        else:
            # stock is not in the master: keep what fits, re-place the rest greedily
            per = restock(problem, d, per, elig)
            if not violations(problem, per):
                c = evaluate(problem, per)["total"]
                if c < best_ub:
                    best_ub, best_period = c, per
    if best_period is None:
        best_period = np.where(problem.pinned_period >= 0, problem.pinned_period, BEYOND)
        best_ub = evaluate(problem, best_period)["total"]
    cand[np.flatnonzero(best_period >= 0), best_period[best_period >= 0]] = True
    pair_bound = None
    if best_dual is not None:
        pair_bound = np.full((n, n_t), np.inf)
        pair_bound[d.pi, d.pt] = pair_bounds(d, best_dual)
    return LagrangeResult(
        float(best_lb),
        best_period,
        float(best_ub),
        it,
        cand,
        len(master.pat_y),
        support,
        support_open,
        pair_bound,
        best_dual,
        d,
    )


def _picked_patterns(d: PairData, pick: BoolArray, ys: IntArray) -> list[tuple[int, IntArray]]:
    """Patterns ``(opening, pairs)`` of the openings ``ys`` from a pick mask of pairs."""
    want = np.zeros(len(d.y_k), dtype=bool)
    want[ys] = True
    chosen = np.flatnonzero(pick & want[d.yk])
    if not len(chosen):
        return []
    chosen = chosen[np.argsort(d.yk[chosen], kind="stable")]
    cuts = np.flatnonzero(np.diff(d.yk[chosen])) + 1
    return [(int(d.yk[part[0]]), part) for part in np.split(chosen, cuts)]


def _plan_duals(problem: PlanningProblem, plan: IntArray) -> FloatArray:
    """Marginal cost of each component in a plan: its penalty plus an equal share of its
    opening, or its deferral cost (multipliers ``v`` that price the plan's openings at
    zero reduced cost)."""
    n_t = problem.n_periods
    done = plan >= 0
    v = np.where(np.isfinite(problem.penalty_beyond), problem.penalty_beyond, 0.0).astype(
        np.float64
    )
    i = np.flatnonzero(done)
    key = problem.system_of[i] * n_t + plan[i]
    uk, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    share = problem.opening_cost.ravel()[uk] / cnt
    v[i] = problem.penalty[i, plan[i]] + share[inv]
    return v


def _pattern_items(
    problem: PlanningProblem,
    d: PairData,
    v: FloatArray,
    lam: FloatArray,
    ys: IntArray,
    pi_mult: FloatArray | None = None,
) -> list[tuple[int, IntArray]]:
    """Knapsack picks of the openings ``ys`` at the multipliers (pattern contents)."""
    sel = np.isin(d.yk, ys)
    idx = np.flatnonzero(sel)
    r = d.h[idx] - v[d.pi[idx]]
    parts = problem.parts
    if pi_mult is not None and parts is not None and pi_mult.size and pi_mult.any():
        # a use in period tau pays qty * sum_{t=tau..first-1} pi[p, t] (stock rows)
        rev = np.cumsum(pi_mult[:, ::-1], axis=1)[:, ::-1]
        pp = parts.part_of[d.pi[idx]]
        on = pp >= 0
        r[on] += parts.qty[d.pi[idx][on]] * rev[pp[on], d.pt[idx][on]]
    fin = d.ps[idx] >= 0
    if lam.size and fin.any():
        f_idx = idx[fin]
        r[fin] += d.load[d.pi[f_idx]] * _window_sum(
            lam, d.ps[f_idx], d.pt[f_idx], d.span[d.pi[f_idx]]
        )
    ug, g_local = np.unique(d.grp[idx], return_inverse=True)
    _, pick = _knapsacks(r, g_local, d.w_units[idx], d.g_cap[ug], len(ug))
    chosen = idx[pick]
    order = np.argsort(d.yk[chosen], kind="stable")
    chosen = chosen[order]
    yv = d.yk[chosen]
    out: list[tuple[int, IntArray]] = []
    if not len(chosen):
        return out
    cuts = np.flatnonzero(np.diff(yv)) + 1
    for part in np.split(chosen, cuts):
        out.append((int(d.yk[part[0]]), part))
    return out


def _plan_patterns(
    problem: PlanningProblem, d: PairData, plan: IntArray, pair_of: IntArray
) -> list[tuple[int, IntArray]]:
    """The openings of a plan as patterns ``(opening, pairs)`` (``pair_of[i, t]``: index
    of the pair ``(i, t)``, -1 when it is not a pair)."""
    groups: dict[int, list[int]] = {}
    done = np.flatnonzero((plan >= 0) & (problem.pinned_period == NO_PIN))
    js = pair_of[done, plan[done]]
    for j in js[js >= 0].tolist():
        groups.setdefault(int(d.yk[j]), []).append(j)
    out = []
    for y, it in groups.items():
        items = np.array(it, dtype=np.int64)
        # only patterns that fit the local crew copies are columns of the relaxation
        # (a plan that ignores crews, e.g. the uncapacitated DP, may overload one)
        ug, inv = np.unique(d.grp[items], return_inverse=True)
        if (np.bincount(inv, weights=d.w_units[items]) <= d.g_cap[ug]).all():
            out.append((y, items))
    return out


def _round_lp(
    problem: PlanningProblem, d: PairData, master: _Master, col: FloatArray, elig: BoolArray
) -> IntArray:
    """Plan from the master LP: patterns by decreasing value, jobs accepted while they fit."""
    room = Room(problem, d)
    pin = problem.pinned_period
    period = np.where(pin >= 0, pin, BEYOND).astype(np.int64)
    done = pin != NO_PIN
    theta = col[master.n_z :]
    order = np.flatnonzero(theta > 1e-6)
    order = order[np.argsort(-theta[order], kind="stable")]
    for j in order.tolist():
        items = master.pat_items[j]
        for jj in items.tolist():
            i = int(d.pi[jj])
            t = int(d.pt[jj])
            if not done[i] and room.fits(i, t):
                period[i] = t
                done[i] = True
                room.take(i, t)
    _prune_openings(problem, period, room)
    return restock(problem, d, period, elig)


def _blocks(problem: PlanningProblem) -> list[IntArray]:
    """Components grouped by crew pool (skill pools of one site share components' systems).

    Systems whose components use the same finite-capacity pools form one block
    (union-find over systems and pools); uncoupled systems form their own blocks.
    """
    n_k = problem.n_systems
    n_s = len(problem.skill_ids)
    parent = np.arange(n_k + n_s)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = int(parent[a])
        return a

    fin = np.asarray(
        np.isfinite(problem.crew_hours).any(axis=1) if n_s else np.zeros(0), dtype=bool
    )
    pairs = {(int(k), int(s)) for k, s in zip(problem.system_of, problem.skill_of, strict=True)}
    for k, s in pairs:
        if n_s and fin[s]:
            a, b = find(k), find(n_k + s)
            if a != b:
                parent[a] = b
    root = np.array([find(int(k)) for k in problem.system_of], dtype=np.int64)
    return [np.flatnonzero(root == r) for r in np.unique(root)]


def _restrict(problem: PlanningProblem, comps: IntArray) -> PlanningProblem:
    """The sub-instance of components ``comps`` (with their systems and skills only).

    Used for crew blocks: no crew pool and no system is shared with the other blocks,
    so the instance restricted to a block is independent of the rest (stock aside).
    """
    systems, sys_of = np.unique(problem.system_of[comps], return_inverse=True)
    n_s = len(problem.skill_ids)
    if n_s:
        skills, sk_of = np.unique(problem.skill_of[comps], return_inverse=True)
    else:
        skills, sk_of = np.zeros(0, dtype=np.int64), problem.skill_of[comps]
    return PlanningProblem(
        start=problem.start,
        period_h=problem.period_h,
        component_ids=tuple(problem.component_ids[i] for i in comps.tolist()),
        system_ids=tuple(problem.system_ids[k] for k in systems.tolist()),
        system_of=sys_of.astype(np.int64),
        penalty=problem.penalty[comps],
        penalty_beyond=problem.penalty_beyond[comps],
        allowed=problem.allowed[comps],
        opening_cost=problem.opening_cost[systems],
        open_allowed=problem.open_allowed[systems],
        duration_h=problem.duration_h[comps],
        skill_of=sk_of.astype(np.int64),
        crew_qty=problem.crew_qty[comps],
        skill_ids=tuple(problem.skill_ids[s] for s in skills.tolist()),
        crew_hours=problem.crew_hours[skills] if n_s else problem.crew_hours,
        pinned_period=problem.pinned_period[comps],
        currency=problem.currency,
        span_periods=problem.span_periods[comps],
        parts=None,
        setup_cost=None if problem.setup_cost is None else problem.setup_cost[systems],
    )


def _stock_prices(problem: PlanningProblem, work: PlanningProblem) -> tuple[FloatArray, float]:
    """Lagrangian prices on the stock rows that several crew blocks share.

    For each pool ``p`` the row "units used before the earliest delivery of a new
    order ``<= units on hand or ordered by then``" is dualized with a price
    ``lambda_p >= 0``: every use before ``first_p`` pays ``qty lambda_p`` and the bound
    gets ``- lambda_p * supply``, valid for any ``lambda_p >= 0`` (a feasible plan
    only gains ``lambda_p (use - supply) <= 0``).  ``lambda_p`` is the market-clearing
    price of one early unit: each component that could use the pool early values a
    unit at (its best cost from ``first_p`` on, or deferral) minus (its best cost
    before), per unit, ignoring openings and crews; the price is the value of the
    first unit beyond the supply.

    Returns
    -------
    (extra_penalty (n, T), constant)
        Add ``extra_penalty`` to ``work.penalty``; add ``constant`` to the bound.
    """
    parts = problem.parts
    n_t = problem.n_periods
    extra = np.zeros((problem.n_components, n_t))
    if parts is None:
        return extra, 0.0
    first = np.clip(parts.expedite_periods(problem.period_h), 0, n_t)
    supply = parts.on_hand[:, None] + np.cumsum(parts.arrivals, axis=1)
    elig = eligible_pairs(work, crew_filter=True)
    h = np.where(elig, work.penalty, np.inf)
    constant = 0.0
    pin = problem.pinned_period
    for p in range(parts.n_parts):
        f = int(first[p])
        if f <= 0:
            continue
        users = np.flatnonzero((parts.part_of == p) & (parts.qty > 0))
        if not len(users):
            continue
        cap = float(supply[p, f - 1])
        pinned_early = users[(pin[users] >= 0) & (pin[users] < f)]
        cap -= float(parts.qty[pinned_early].sum())
        free = users[pin[users] == NO_PIN]
        early = h[free, :f].min(axis=1)
        late = np.minimum(work.penalty_beyond[free], h[free, f:].min(axis=1, initial=np.inf))
        ok = np.isfinite(early)
        value = np.where(ok & np.isfinite(late), late - early, np.where(ok, np.inf, 0.0))
        value = np.maximum(value, 0.0) / parts.qty[free]
        units = parts.qty[free]
        order = np.argsort(-value, kind="stable")
        cum = np.cumsum(units[order])
        beyond = np.flatnonzero(cum > cap + 1e-9)
        if not len(beyond):
            continue
        price = float(value[order][beyond[0]])
        if not np.isfinite(price) or price <= 0.0:
            continue
        extra[users, :f] += parts.qty[users, None] * price
        constant -= price * float(supply[p, f - 1])
    return extra, constant


def _merged_blocks(problem: PlanningProblem) -> list[IntArray]:
    """Crew blocks (:func:`_blocks`), the systems without finite crews merged into one."""
    blocks = _blocks(problem)
    n_s = len(problem.skill_ids)
    fin: BoolArray = np.asarray(
        np.isfinite(problem.crew_hours).any(axis=1) if n_s else np.zeros(0), dtype=bool
    )
    coupled: list[IntArray] = []
    loose: list[IntArray] = []
    for b in blocks:
        if n_s and fin[problem.skill_of[b]].any():
            coupled.append(b)
        else:
            loose.append(b)
    if loose:
        coupled.append(np.sort(np.concatenate(loose)))
    coupled.sort(key=lambda b: -len(b))
    return coupled


def _dp_seed(problem: PlanningProblem) -> tuple[IntArray | None, IntArray | None]:
    """The exact DP's plan without crew limits, and the same made crew- and
    stock-feasible greedily (:func:`~optimizer.solvers.repair.restock`: jobs kept in
    period order while they fit, the others moved to their cheapest period with room,
    or deferred).

    Returns ``(repaired, uncapacitated)``; ``repaired`` is ``None`` unless it is
    feasible, either is ``None`` if the DP rejects the instance.
    """
    bare = replace(problem, parts=None)
    try:
        free = solve_dp(replace(bare, crew_hours=np.full_like(problem.crew_hours, np.inf)))
    except ValueError:
        return None, None
    if not free.feasible:
        return None, None
    uncap = np.asarray(free.period, dtype=np.int64)
    repaired = restock(
        problem, prepare_pairs(problem), uncap, eligible_pairs(problem, crew_filter=True)
    )
    if violations(problem, repaired):
        return None, uncap
    return repaired, uncap


def _solve_block(
    problem: PlanningProblem,
    budget: float,
    gap: float,
    warm_start: IntArray | None,
    polish: bool,
    dual_share: float,
    log: list[str],
    stop_gap: float = 2e-4,
) -> tuple[IntArray, float]:
    """Plan and lower bound of one stock-free block within ``budget`` seconds."""
    t0 = time.perf_counter()
    seed, uncap = _dp_seed(problem)
    start = seed
    if warm_start is not None and not violations(problem, warm_start):
        if seed is None or (
            evaluate(problem, warm_start)["total"] < evaluate(problem, seed)["total"]
        ):
            start = warm_start
    left = budget - (time.perf_counter() - t0)
    res = lagrangian_bound(
        problem,
        time_limit_s=max(left * dual_share, 0.05),
        finish_mip=False,
        mip_share=0.0,  # the restricted MILPs below get the rest of the block's budget
        warm_start=start,
        extra_seeds=[p for p in (seed, uncap) if p is not None and p is not start],
        center=None if uncap is None else _plan_duals(problem, uncap),
        stop_gap=stop_gap,
    )
    t1 = time.perf_counter()
    log.append(
        f"lagrange: block of {problem.n_components} components: dual phase"
        f" {res.iterations} rounds, {res.columns} patterns in {t1 - t0:.2f} s: bound"
        f" {res.bound:,.2f}, best plan {res.objective:,.2f}"
    )
    period = res.period
    if violations(problem, period) or not polish:
        return period, res.bound
    deadline = t0 + budget
    return _lp_support_milp(problem, res, period, deadline, gap, log)


def _lp_support_milp(
    problem: PlanningProblem,
    res: LagrangeResult,
    period: IntArray,
    deadline: float,
    gap: float,
    log: list[str],
) -> tuple[IntArray, float]:
    """Improve a plan by local search and MILPs restricted to what the master LP uses;
    returns the plan and the block's lower bound.

    Alternates :func:`_local_search` with restrictions of the direct MILP, each
    warm-started with the best plan so far and stopped by ``deadline``:

    1. the pairs of the patterns in the LP solution plus the pairs of every plan seen so
       far (small, usually solved to optimality in about a second; merging the plans
       before and after the local search lets it combine both), repeated while the
       MILP or the local search improves (at most :data:`_MERGE_ROUNDS` times); after
       the first round, :func:`system_bound` (stronger bound, system-wise plan moves)
       gets :data:`_SYSTEM_SHARE` of the time left;
    2. when at most :data:`_FIX_MAX_PAIRS` pairs can be used by a plan cheaper than the
       best one (:func:`_reduced_milp`: reduced-cost fixing, a proven reduction), the
       MILP on those pairs, whose bound is then a bound of the block; otherwise every
       eligible pair of a component at any opening the LP or the plan uses for its
       system; with the time left.
    """
    best = period.copy()
    best_cost = evaluate(problem, best)["total"]
    if res.support is None or res.support_open is None:
        return best, res.bound
    elig = eligible_pairs(problem, crew_filter=True)
    pool = res.support.copy()

    def remember(plan: IntArray) -> None:
        done = np.flatnonzero(plan >= 0)
        pool[done, plan[done]] = True

    lb = res.bound

    def certified() -> bool:
        return best_cost - lb <= gap * max(abs(best_cost), 1e-9)

    sys_ok = res.dual is not None and not problem.has_parts
    remember(best)
    best, best_cost = _improve(problem, best, best_cost, deadline, log)
    remember(best)
    for rnd in range(_MERGE_ROUNDS):
        if certified():
            return best, lb  # the block's plan is certified within gap already
        if rnd == 1 and sys_ok:
            # after the first round (where the plan gains most), a share of the time left
            # to the system bound
            now = time.perf_counter()
            lb, best, best_cost = system_bound(
                problem, res, best, now + _SYSTEM_SHARE * (deadline - now), log
            )
            sys_ok = False
            remember(best)
            if certified():
                return best, lb
        before = best_cost
        got, got_cost = _stage(problem, "LP pairs", pool, best, best_cost, deadline, 0.5, gap, log)
        if got_cost < best_cost:
            best, best_cost = got, got_cost
            remember(best)
        best, best_cost = _improve(problem, best, best_cost, deadline, log)
        remember(best)
        if best_cost >= before - 1e-9 or deadline - time.perf_counter() < 0.3:
            break
    if certified():
        return best, lb
    if sys_ok:
        now = time.perf_counter()
        lb, best, best_cost = system_bound(
            problem, res, best, now + _SYSTEM_SHARE * (deadline - now), log
        )
        remember(best)
        if certified():
            return best, lb
    fixed = _reduced_milp(problem, res, best, best_cost, deadline, gap, log)
    if fixed is not None:
        got, got_cost, bound = fixed
        if got_cost < best_cost:
            best, best_cost = got, got_cost
        return best, max(bound, lb)
    done = np.flatnonzero(best >= 0)
    opened = res.support_open.copy()
    opened[problem.system_of[done], best[done]] = True
    cand = opened[problem.system_of] & elig
    got, got_cost = _stage(problem, "LP openings", cand, best, best_cost, deadline, 1.0, gap, log)
    if got_cost < best_cost:
        best, best_cost = _improve(problem, got, got_cost, deadline, log)
    return best, lb


def _reduced_milp(
    problem: PlanningProblem,
    res: LagrangeResult,
    best: IntArray,
    best_cost: float,
    deadline: float,
    gap: float,
    log: list[str],
) -> tuple[IntArray, float, float] | None:
    """The direct MILP on the pairs that a plan cheaper than ``best`` may use.

    ``res.pair_bound[i, t]`` bounds the cost of every plan using ``(i, t)``
    (:func:`pair_bounds`), so every plan cheaper than ``best_cost`` uses only pairs with
    ``pair_bound <= best_cost`` (and ``best`` itself too): the block's optimum is
    ``min(best_cost, optimum of the reduced MILP)``, and ``min(best_cost, any lower
    bound of the reduced MILP)`` is a lower bound of the block.  Run only without
    stock rows (the direct model) and when at most :data:`_FIX_MAX_PAIRS` free pairs
    remain.

    Returns ``(plan, cost, bound)`` (the bound never below ``res.bound``), or ``None``
    when not run.
    """
    left = deadline - time.perf_counter()
    if res.pair_bound is None or problem.has_parts or left < 0.3:
        return None
    pinned = problem.pinned_period != NO_PIN
    keep = res.pair_bound <= best_cost + 1e-7 * max(abs(best_cost), 1.0)
    keep[pinned] = False
    n_keep = int(keep.sum())
    if n_keep > _FIX_MAX_PAIRS:
        return None
    done = np.flatnonzero((best >= 0) & ~pinned)
    if not keep[done, best[done]].all():  # pragma: no cover - pair_bound <= its plan's cost
        return None
    t1 = time.perf_counter()
    sub = replace(problem, allowed=problem.allowed & (keep | pinned[:, None]))
    model = build_direct_model(sub, strengthen=True)
    warm = model.columns_from_period(best)
    offset = best_cost - float(model.cost @ warm)  # constants outside the model
    out = run_highs(model, time_limit_s=max(left - 0.1, 0.2), gap=gap, warm_col=warm, relax=False)
    period, cost = best, best_cost
    consistent = False  # the model's objective plus offset is the plan's cost
    if out.col_value is not None:
        got = model.period_from_columns(out.col_value, sub.n_components)
        if not violations(problem, got):
            got_cost = evaluate(problem, got)["total"]
            model_cost = float(model.cost @ model.columns_from_period(got)) + offset
            consistent = abs(model_cost - got_cost) <= 1e-6 * max(abs(got_cost), 1.0)
            if got_cost < cost - 1e-9:
                period, cost = got, got_cost
    ok = consistent and np.isfinite(out.dual_bound)
    reduced_lb = out.dual_bound + offset if ok else -np.inf
    bound = max(res.bound, min(best_cost, reduced_lb))
    log.append(
        f"lagrange: reduced-cost fixing keeps {n_keep} of"
        f" {int(np.isfinite(res.pair_bound).sum())} pairs; MILP on them: {cost:,.2f},"
        f" bound {bound:,.2f} in {time.perf_counter() - t1:.2f} s"
    )
    return period, cost, bound


def system_terms(problem: PlanningProblem, d: PairData, dual: _Dual) -> FloatArray:
    """Each system's share ``DW_k`` of the Lagrangian value ``dual.value``.

    ``dual.value = sum_k DW_k + pinned constant - sum lambda (C - pinned load)`` with
    ``DW_k = sum_{free i in k} (v_i + min(0, b_i - v_i)) + sum_{opened (k, t)} y_val``
    (the terms of :func:`_evaluate_dual` grouped by system).
    """
    n_k = problem.n_systems
    vf = dual.v[d.free]
    z = np.where(dual.defer, d.b[d.free] - vf, 0.0)
    op = np.flatnonzero(dual.opened)
    out: FloatArray = np.bincount(problem.system_of[d.free], weights=vf + z, minlength=n_k).astype(
        np.float64
    ) + np.bincount(d.y_k[op], weights=dual.y_val[op], minlength=n_k)
    return out


def system_bound(
    problem: PlanningProblem,
    res: LagrangeResult,
    best: IntArray,
    deadline: float,
    log: list[str],
) -> tuple[float, IntArray, float]:
    """A stronger lower bound: each system's subproblem solved as a MILP at the crew prices.

    Relax only the crew rows shared between systems, with the multipliers ``lambda``
    of the dual phase's best point, and keep each system's *local copy* of them
    (``load_k <= C``, implied by the shared rows).  Then for every ``lambda >= 0``

        OPT >= sum_k SP_k(lambda) + pinned terms - sum lambda (C - pinned load),

    where ``SP_k(lambda)`` is the optimum of system ``k`` alone with every job's
    penalty raised by ``lambda`` times its crew load (the Lagrangian relaxation with
    the systems as blocks, [5]_).  The dual phase's value is the same expression with
    each ``SP_k`` replaced by ``DW_k`` (:func:`system_terms`), the Lagrangian of that
    system's subproblem with its assignment rows dualized too, so ``DW_k <= SP_k``:
    replacing ``DW_k`` by any lower bound ``LB_k`` of ``SP_k`` when larger keeps the
    bound valid (per opening, the master LP mixes fractional openings of one system; on
    fleet1k this adds ~0.1% to the dual phase's bound).

    ``LB_k`` is the bound of the direct MILP of system ``k`` at these prices, restricted
    by reduced-cost fixing within the system: with ``p_k`` the cost of ``best``'s jobs of
    ``k`` in ``SP_k`` (a plan of ``SP_k``), a plan of ``SP_k`` using ``(i, t)`` costs at
    least ``DW_k - counted(k, t) + y_val(k, t) + max(0, r_it)`` (the argument of
    :func:`pair_bounds` applied to ``SP_k``), so ``SP_k >= min(p_k, bound of the MILP
    on the pairs where that is <= p_k)``.  Only systems without pinned work (their
    local copies in the dual phase are ``C``, as in ``SP_k``) and only without stock
    rows.  Systems are taken by decreasing ``(p_k - DW_k) / (pairs kept + 50)`` (the
    most the bound can gain there per unit of MILP size), each given twice its share of
    ``p_k - DW_k`` in the time left (at least 0.1 s); a MILP stopped by its time limit
    still gives its dual bound.

    Each system's MILP plan also replaces that system's jobs in ``best`` when the result
    is feasible (shared crews) and cheaper: a large-neighbourhood move.

    Returns
    -------
    (bound, plan, cost)
        A lower bound of ``problem``'s optimum, at least ``res.bound``; the best plan
        (``best`` or better) and its cost.

    References
    ----------
    .. [5] A. M. Geoffrion, "Lagrangean relaxation for integer programming",
       Mathematical Programming Study 2 (1974) 82-114 (stronger relaxations by keeping
       more constraints in the subproblem; the bound of a relaxation of it).
    """
    dual, d = res.dual, res.pairs
    best = best.copy()
    best_cost = evaluate(problem, best)["total"]
    if dual is None or d is None or problem.has_parts or d.supply.size:
        return res.bound, best, best_cost
    if deadline - time.perf_counter() < 0.2:
        return res.bound, best, best_cost
    t1 = time.perf_counter()
    cost0 = best_cost
    n_k = problem.n_systems
    dw = system_terms(problem, d, dual)
    pinned = np.zeros(n_k, dtype=bool)
    pinned[problem.system_of[problem.pinned_period != NO_PIN]] = True
    # the penalties at the crew prices: lambda times the load over the job's span
    pen = np.array(problem.penalty, dtype=np.float64)
    fin = d.ps >= 0
    if dual.lam.size and fin.any():
        j = np.flatnonzero(fin)
        pen[d.pi[j], d.pt[j]] += d.load[d.pi[j]] * _window_sum(
            dual.lam, d.ps[j], d.pt[j], d.span[d.pi[j]]
        )
    priced = replace(problem, penalty=pen)
    counted = np.where(dual.opened, dual.y_val, 0.0)
    fixed_lb = dw[d.y_k[d.yk]] - counted[d.yk] + dual.y_val[d.yk] + np.maximum(dual.r, 0.0)
    own = np.zeros(n_k)
    comps_of = [np.flatnonzero(problem.system_of == k) for k in range(n_k)]
    for k in range(n_k):
        if len(comps_of[k]):
            own[k] = evaluate(_restrict(priced, comps_of[k]), best[comps_of[k]])["total"]
    room = np.where(pinned, 0.0, own - dw)
    order = np.flatnonzero(room > 1e-9 * (1.0 + np.abs(own)))
    # pairs left to each system's MILP by the fixing
    sys_of_pair = d.y_k[d.yk]
    kept = fixed_lb <= own[sys_of_pair] + 1e-9 * np.maximum(1.0, np.abs(own[sys_of_pair]))
    n_kept = np.bincount(sys_of_pair[kept], minlength=n_k)
    # most gain per pair first (small MILPs close fast; fleet1k: ~3/4 of the gain
    # in ~1/4 of the time)
    order = order[np.argsort(-room[order] / (n_kept[order] + 50.0), kind="stable")]
    gain = 0.0
    done = 0
    left_room = float(room[order].sum())
    for k in order.tolist():
        left = deadline - time.perf_counter()
        if left < 0.05:
            break
        share = max(2.0 * left * room[k] / max(left_room, 1e-12), 0.1)
        left_room -= room[k]
        comps = comps_of[k]
        keep = np.zeros((problem.n_components, problem.n_periods), dtype=bool)
        ok = kept & (sys_of_pair == k)
        keep[d.pi[ok], d.pt[ok]] = True
        sub = _restrict(priced, comps)
        sub = replace(sub, allowed=sub.allowed & keep[comps])
        plan_k = best[comps]
        model = build_direct_model(sub, strengthen=True)
        warm = model.columns_from_period(plan_k)
        offset = own[k] - float(model.cost @ warm)
        out = run_highs(model, time_limit_s=min(share, left), gap=0.0, warm_col=warm, relax=False)
        if out.col_value is None or not np.isfinite(out.dual_bound):
            continue
        got = model.period_from_columns(out.col_value, len(comps))
        if violations(sub, got):  # pragma: no cover - HiGHS returns feasible points
            continue
        got_cost = evaluate(sub, got)["total"]
        model_cost = float(model.cost @ model.columns_from_period(got)) + offset
        if abs(model_cost - got_cost) > 1e-6 * max(abs(got_cost), 1.0):
            continue  # pragma: no cover - the model's objective is the plan's cost
        if abs(float(model.cost @ out.col_value) - out.objective) > 1e-6 * max(
            abs(out.objective), 1.0
        ):
            # HiGHS 1.16 can mis-map a warm start into its presolved space and report
            # that start's wrong value as optimal (seen on fleet1k): no gain taken
            continue
        lb_k = min(own[k], out.dual_bound + offset)
        gain += max(0.0, lb_k - dw[k])
        done += 1
        if (got != best[comps]).any():
            trial = best.copy()
            trial[comps] = got
            if not violations(problem, trial):
                trial_cost = evaluate(problem, trial)["total"]
                if trial_cost < best_cost - 1e-9:
                    best, best_cost = trial, trial_cost
    bound = max(res.bound, dual.value + gain)
    log.append(
        f"lagrange: system subproblems at the crew prices ({done} of {len(order)} with a"
        f" gap): bound {res.bound:,.2f} -> {bound:,.2f}, plan {cost0:,.2f} ->"
        f" {best_cost:,.2f} in {time.perf_counter() - t1:.2f} s"
    )
    return bound, best, best_cost


def _stage(
    problem: PlanningProblem,
    name: str,
    cand: BoolArray,
    best: IntArray,
    best_cost: float,
    deadline: float,
    share: float,
    gap: float,
    log: list[str],
) -> tuple[IntArray, float]:
    """The direct MILP restricted to the pairs ``cand`` from ``best``, within ``share``
    of the time left; returns the better of its plan and ``best`` with its cost."""
    left = deadline - time.perf_counter()
    if left < 0.3:
        log.append(f"lagrange: MILP on {name} skipped (time)")
        return best, best_cost
    t1 = time.perf_counter()
    sub = replace(
        problem, allowed=problem.allowed & (cand | (problem.pinned_period != NO_PIN)[:, None])
    )
    got = _restricted_milp(sub, best, max(left * share - 0.1, 0.2), gap)
    if got is not None and not violations(problem, got):
        cost = evaluate(problem, got)["total"]
        if cost < best_cost - 1e-9:
            best, best_cost = got.copy(), cost
    log.append(
        f"lagrange: MILP on {name} ({int(cand.sum())} pairs): {best_cost:,.2f}"
        f" in {time.perf_counter() - t1:.2f} s"
    )
    return best, best_cost


def _restricted_milp(
    sub: PlanningProblem, start: IntArray, time_limit_s: float, gap: float
) -> IntArray | None:
    """Plan of the direct MILP of ``sub`` warm-started with ``start`` (``None``: none).

    Without :func:`optimizer.solvers.milp.solve_milp`'s LP-guided start heuristic: the
    restriction already is the LP's neighbourhood and ``start`` a good incumbent, so
    the heuristic's LP and sub-MILP would only take time from HiGHS's search.  With
    spare parts in ``sub`` (their stock columns need the full solver) it calls
    ``solve_milp``.
    """
    if sub.has_parts:
        plan = solve_milp(sub, time_limit_s=time_limit_s, gap=gap, warm_start=start)
        return plan.period if plan.feasible else None
    model = build_direct_model(sub, strengthen=True)
    warm = model.columns_from_period(start)
    res = run_highs(model, time_limit_s=time_limit_s, gap=gap, warm_col=warm, relax=False)
    if res.col_value is None:
        return None
    return model.period_from_columns(res.col_value, sub.n_components)


def _improve(
    problem: PlanningProblem, period: IntArray, cost: float, deadline: float, log: list[str]
) -> tuple[IntArray, float]:
    """:func:`_local_search` on ``period``, kept when feasible and cheaper."""
    t1 = time.perf_counter()
    if deadline - t1 < 0.1:
        return period, cost
    better = _local_search(problem, period, deadline)
    if violations(problem, better):
        return period, cost
    new = evaluate(problem, better)["total"]
    log.append(
        f"lagrange: local search {cost:,.2f} -> {min(new, cost):,.2f}"
        f" in {time.perf_counter() - t1:.2f} s"
    )
    return (better, new) if new < cost - 1e-9 else (period, cost)


def _block_job(
    sub: PlanningProblem,
    share: float,
    finish: float,
    gap: float,
    warm_start: IntArray | None,
    polish: bool,
    dual_share: float,
) -> tuple[IntArray, float, list[str]]:
    """One block within ``share`` seconds and before ``finish`` (``perf_counter``)."""
    log: list[str] = []
    budget = min(share, finish - time.perf_counter())
    period, bound = _solve_block(sub, max(budget, 0.05), gap, warm_start, polish, dual_share, log)
    return period, bound, log


def solve_lagrange(
    problem: PlanningProblem,
    *,
    time_limit_s: float | None = None,
    gap: float = 1e-6,
    warm_start: np.ndarray | None = None,
    polish: bool = True,
    dual_share: float = 0.7,
    workers: int = 1,
) -> Plan:
    """Grouped plan with a proven bound by Lagrangian decomposition (see module docstring).

    Spare-part holding is folded into the penalties and the stock rows are relaxed
    (:func:`~optimizer.solvers.stock.fold_holding`); the remaining instance splits into
    independent crew blocks (one per site), each solved by column generation seeded with
    the exact DP's crew-repaired plan, within a share of the budget proportional to its
    size.  The bound is the sum of the blocks' Lagrangian bounds plus the holding
    constant.  When stock can run short the combined plan is then made stock-feasible
    greedily and costed exactly.

    Parameters
    ----------
    problem : PlanningProblem
        The instance (crews shared across systems and/or spare-part stock).
    time_limit_s : float or None
        Wall-clock budget, seconds (default 60).
    gap : float
        Relative gap at which the search stops early.
    warm_start : ndarray of int, shape (n,), or None
        A plan to start from (used when feasible).
    polish : bool
        Run the restricted per-block MILP after the dual phase.
    dual_share : float
        Fraction of each block's budget spent on the dual phase (the rest polishes).
    workers : int
        Processes that solve independent crew blocks in parallel (1: in this process).
        Each block's budget is ``workers`` times its size's share of the time limit.
        Workers are forked (no re-import, no ``__main__`` guard needed in the caller).

    Returns
    -------
    Plan
        ``OPTIMAL`` when the plan's cost meets the bound within ``gap``, else
        ``FEASIBLE`` with the Lagrangian bound; ``INFEASIBLE`` with a diagnosis.

    Raises
    ------
    ValueError
        On malformed input (as :func:`optimizer.solvers.common.check_inputs`).
    """
    t0 = time.perf_counter()
    ws = check_inputs(problem, time_limit_s, gap, warm_start)
    budget = 60.0 if time_limit_s is None else float(time_limit_s)
    deadline = t0 + budget
    pre = pinned_diagnosis(problem)
    if pre:
        return Plan.infeasible(
            problem,
            method="lagrange",
            diagnosis=tuple(pre),
            runtime_s=time.perf_counter() - t0,
        )
    log: list[str] = []
    work, constant, exact_stock = fold_holding(problem)
    if problem.has_parts:
        log.append(
            "lagrange: holding cost folded into the penalties"
            + (
                " (exact: stock cannot run short)"
                if exact_stock
                else " where stock is certainly on the shelf (stock can run short)"
            )
        )
    blocks = _merged_blocks(work)
    period = np.where(problem.pinned_period >= 0, problem.pinned_period, BEYOND).astype(np.int64)
    bound = constant
    todo = sum(len(b) for b in blocks)
    # the last step (stock repair, costing) needs a moment of the budget
    # (the stock repair of a large plan takes a while)
    reserve = 0.5 + 0.02 * budget + (0.0 if exact_stock else 2e-4 * problem.n_components)
    finish = deadline - min(reserve, 0.2 * budget)
    n_workers = max(1, min(int(workers), len(blocks)))
    jobs = [
        (_restrict(work, comps), None if ws is None else ws[comps], len(comps)) for comps in blocks
    ]
    if not exact_stock and len(blocks) == 1 and problem.parts is not None:
        # one block holds every user of every pool: its master carries the stock rows
        # (their purchasing costs stay folded; the rows only restrict the plan)
        parts = problem.parts
        zero = np.zeros(parts.n_parts)
        comps = blocks[0]
        stock_only = replace(
            parts,
            part_of=parts.part_of[comps],
            qty=parts.qty[comps],
            holding_rate_per_year=zero,
            cost_order=zero,
            cost_expedite_premium=zero,
        )
        jobs = [(replace(jobs[0][0], parts=stock_only), jobs[0][1], jobs[0][2])]
        log.append("lagrange: stock rows in the master (one block)")
    elif not exact_stock:
        extra, shift = _stock_prices(problem, work)
        if shift != 0.0:
            work = replace(work, penalty=work.penalty + extra)
            bound += shift
            jobs = [
                (_restrict(work, comps), None if ws is None else ws[comps], len(comps))
                for comps in blocks
            ]
        log.append(
            f"lagrange: stock rows priced for the bound ({len(blocks)} blocks share the"
            " pools; see _stock_prices); plan made stock-feasible afterwards"
        )
    results: list[tuple[IntArray, float, list[str]]]
    if n_workers == 1:
        results = []
        todo = sum(len(b) for b in blocks)
        for sub, sub_ws, size in jobs:
            share = (finish - time.perf_counter()) * size / max(todo, 1)
            todo -= size
            results.append(_block_job(sub, share, finish, gap, sub_ws, polish, dual_share))
    else:
        total = sum(len(b) for b in blocks)
        # W workers share the blocks: each block gets W times its share of the budget
        span = finish - time.perf_counter()
        with ProcessPoolExecutor(
            max_workers=n_workers, mp_context=multiprocessing.get_context("fork")
        ) as pool:
            futures = [
                pool.submit(
                    _block_job,
                    sub,
                    span * n_workers * size / total,
                    finish,
                    gap,
                    sub_ws,
                    polish,
                    dual_share,
                )
                for sub, sub_ws, size in jobs
            ]
            results = [f.result() for f in futures]
        log.append(f"lagrange: blocks solved by {n_workers} worker processes")
    for comps, (p_sub, lb_sub, sub_log) in zip(blocks, results, strict=True):
        period[comps] = p_sub
        bound += lb_sub
        log.extend(sub_log)
    if len(blocks) > 1:
        log.append(f"lagrange: {len(blocks)} independent crew blocks")
    if violations(work, period):
        # greedy found nothing feasible (must-do work against crews)
        plan = solve_milp(problem, time_limit_s=max(deadline - time.perf_counter(), 1.0), gap=gap)
        return replace(plan, method="lagrange", log=(*log, *plan.log))
    if not exact_stock:
        before = period
        period = make_stock_feasible(problem, period)
        moved = int((period != before).sum())
        log.append(f"lagrange: {moved} job(s) moved or deferred for spare-part stock")
        if violations(problem, period):
            left = max(deadline - time.perf_counter(), 1.0)
            plan = solve_milp(problem, time_limit_s=left, gap=gap)
            return replace(plan, method="lagrange", log=(*log, *plan.log))
    cost = evaluate(problem, period)
    objective = cost["total"]
    lower = min(bound, objective)
    status = (
        Status.OPTIMAL if objective - lower <= gap * max(abs(objective), 1e-9) else Status.FEASIBLE
    )
    return Plan(
        period=period,
        objective=objective,
        lower_bound=lower,
        status=status,
        method="lagrange",
        runtime_s=time.perf_counter() - t0,
        cost_split={k: v for k, v in cost.items() if k != "total"},
        log=tuple(log),
    )
