"""Repeated replacements over a long horizon: Lagrangian decomposition and arc-flow MILP.

Problem (:class:`optimizer.problem.multiyear.MultiYearProblem`): each position ``i`` chooses a
path of replacement periods ``t_1 < ... < t_m`` (cost: first-interval penalty, interval
costs, end state, or deferral), and every period ``t`` in which system ``k`` hosts a
replacement pays the opening ``S_kt`` once.  With ``x_it = 1`` when position ``i`` is
replaced in ``t`` and ``y_kt = 1`` when ``k`` opens in ``t``:

    min  sum_i pathcost_i(x_i) + sum_kt S_kt y_kt    s.t.  x_it <= y_k(i)t.

Without the openings each position is a shortest path over a DAG of periods, solved by
:func:`shortest_paths` for all positions at once (numpy, one vectorized step per
period).  The opening coupling is relaxed with multipliers ``lambda_it >= 0``:

    L(lambda) = sum_i min_paths [pathcost_i + sum_t lambda_it x_it]
                + sum_kt min(0, S_kt - sum_{i in k} lambda_it)

is a lower bound for every ``lambda >= 0`` (weak duality); its maximum equals the LP
bound of the arc-flow model (the subproblems are integral).  It is maximized by
projected subgradient steps (Polyak step towards the best plan's cost, halved when the
bound stalls), each a vectorized shortest-path sweep.  Plans come from a repair:
starting from the subproblem's paths, every position in turn takes its best path given
the openings the others use (an opening already paid by another position is free,
else it costs ``S_kt``), one position per system at a time for all systems together.
Each such move lowers the plan's total cost (the change of a position's cost given the
others *is* the change of the total), so the repair terminates in a local optimum.

Crews (skill pools of ``crew_hours[s, c]`` technician-hours per period, as single-horizon
plans: :attr:`PlanningProblem.load_per_period_h` in each period ``c`` a job covers) add
the rows ``sum_{i: s_i = s} sum_{t: c in span_i(t)} load_i x_it <= C_sc``.  They are
priced by multipliers ``mu_sc >= 0`` (zero where ``C_sc = inf``) in the same shortest
paths: replacing ``i`` in ``t`` costs ``lambda_it + sum_{c in span_i(t)} mu_{s_i c}
load_i`` more, and

    L(lambda, mu) = [the terms above] - sum_sc mu_sc C_sc.

*Validity.*  For any plan ``(x, y)`` feasible for openings and crews and any ``lambda,
mu >= 0``: ``lambda_it (x_it - y_kt) <= 0`` and ``mu_sc (load_sc(x) - C_sc) <= 0``, so
``cost(x, y) >= cost(x, y) + sum lambda (x - y) + sum mu (load(x) - C)``; the right
side separates into each position's path priced by ``lambda + mu load`` (at least its
shortest path), each opening's ``(S_kt - sum lambda) y_kt`` (at least ``min(0, .)``) and
the constant ``- sum mu C``; hence ``L(lambda, mu) <= cost(x, y)`` and, over the feasible
plans, ``L(lambda, mu) <= OPT``.  The subgradient of ``mu`` is ``load(x(lambda, mu)) -
C`` (projected on ``mu >= 0``), stepped together with ``lambda``.  That bound is the
LP bound of the crew rows (one opening collects every position's ``lambda`` however
many hours their jobs need); with crews the opening term is instead a knapsack per
system, period and skill pool (:mod:`optimizer.solvers.multiyear_crews`: an opening
collects only what fits its crews; still valid, never weaker).  The dominance pruning
of :func:`arcs_kept` is skipped with crews (a longer interval saves crew hours).  The
plans start from the plan without crews (best responses and opening search), fitted by
:func:`_crew_fit` (jobs moved or dropped one at a time until every pool fits, then
crew-aware best responses) or, when that does not finish in a third of its time (heavy
overloads), built position by position within the crews (:func:`_crew_greedy`); then
:func:`_crew_search` moves whole openings within the crews (the opening search with
every period where a job does not fit forbidden, each system's move kept only if the
plan still fits or fits again cheaper), and at the end exact re-plans of windows of
:data:`_WINDOW` periods (:func:`_crew_windows`, HiGHS on the window's arc-flow model
with the crew rows; a new plan kept when cheaper) choose which jobs each opening keeps.  With
crews the plan was the weak side (a 20-position, 52-week case: the bound within 0.01%
of HiGHS's optimum, the repaired plan 6.6% above it, the window re-plans reach the
optimum).  When no fitting plan is found the status is ``TIME_LIMIT`` with no plan and
the reason (not ``INFEASIBLE``: nothing is proven).

*Plans, per system.*  The openings of a system fix its positions' best plans (each its
cheapest path through them), so the repair ends with a local search over each system's
*set* of openings (:func:`_opening_search`: add an opening, drop one, or shift one by a
few periods, each priced exactly for all positions by a forward and a backward
shortest-path sweep), and before the subgradient the same search is restarted from each
position's own cheapest path (:func:`_restarts`, a quarter of the time limit: the
life-limited positions first, whose replacements the others must fit).  Without crews
the systems are independent: the best plan found for each system is kept, whichever
repair or restart found it.

*Bound, per system.*  Without crews ``L(lambda)`` is a sum over systems of
``L_k(lambda_k)`` (each a bound of system ``k``'s own optimum), so each system keeps its
best value over the iterations (the sum of those is a bound of the whole problem: the
optimum is the sum of the systems' optima) and takes its own Polyak step towards its
own best plan's cost, with its own step factor; a system whose plan meets its bound
stops.  With crews the pools couple the systems and they form one block.

*Beyond the LP bound, per system.*  ``max L_k`` is the LP bound of the arc model, which
on small systems with few, costly openings lies far below the optimum
(``scenarios/multiyear.yaml``: about half the controllable cost).  Without crews, a
system of at most :data:`_EXACT_MAX_POSITIONS` positions left with a gap is then
searched exactly (:func:`optimizer.solvers.multiyear_exact.system_search`: best-first
over its sets of openings, each node bounded by the exact cost of its openings so far
plus the Lagrangian bound of the rest at the system's best multipliers); the search's
bound is valid at any stop, so the system's bound becomes the larger of the two, and
its best plan replaces the system's when cheaper.  When every system is small enough
and the instance small (:data:`_EXACT_SHARE_MAX_N` positions) the subgradient stops at
:data:`_EXACT_SHARE` of the time left and the search gets the rest.

When every position's cost is a cost per replacement (parts that do not fail, end state
unpriced: the opportunistic replacement problem), :func:`solve_multiyear` first runs the
exact search of :mod:`optimizer.solvers.orp` (method ``multiyear-orp``, proven optimal;
with crews only when its plan fits them, the optimum of a relaxation being feasible)
and falls back to the decomposition only when it runs out of its time.

Every :class:`~optimizer.problem.plan.Plan` carries the best bound and the gap; ``period``
holds each position's first replacement and ``replacements`` all of them.

:func:`solve_multiyear_milp` is the monolithic reference: the arc-flow model in Pyomo
solved by HiGHS (APPSI), same arcs, for agreement tests and the benchmark.

References
----------
.. [1] M. L. Fisher, "The Lagrangian relaxation method for solving integer programming
   problems", *Management Science* 27(1), 1981, 1-18 (bound, subgradient, Polyak step).
.. [2] R. Wildeman, R. Dekker and A. Smit, "A dynamic policy for grouping maintenance
   activities", *EJOR* 99, 1997, 530-551 (set-up sharing, penalty functions).
.. [3] D. Monderer and L. S. Shapley, "Potential games", *Games and Economic Behavior*
   14, 1996, 124-143 (best-response moves in a potential game terminate).
.. [4] P. M. Camerini, L. Fratta and F. Maffioli, "On improving relaxation methods by
   modified gradient techniques", *Mathematical Programming Study* 3, 1975, 26-34.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from optimizer._typing import BoolArray, FloatArray, IntArray
from optimizer.problem.data import NO_PIN, PIN_BEYOND
from optimizer.problem.multiyear import MultiYearProblem
from optimizer.problem.plan import BEYOND, Plan, Status, opening_terms, span_cells
from optimizer.solvers.multiyear_crews import (
    opening_knapsacks,
    opening_terms_knapsack,
    window_replan,
)
from optimizer.solvers.multiyear_exact import cost_to_go, system_search
from optimizer.solvers.orp import orp_form, solve_orp

_CHUNK = 256  # rows per block of the shortest-path sweep
_REPAIR_EVERY = 25  # subgradient iterations between repairs from the subproblem's paths
# Subgradient settings (tuned on the test and bench instances, 2026-11-26): Polyak step
# factor at the start, halved after _STALL iterations without a better bound; the
# direction is deflected by _DEFLECT times the previous one (Camerini, Fratta and
# Maffioli 1975), which damps the zig-zag of plain subgradient steps.  Starting from
# the plan's cost shares instead of an even split gave much weaker bounds.
# Systems of at most _EXACT_MAX_POSITIONS positions are searched exactly after the
# subgradient (multiyear_exact; ~0.1 ms and ~10 kB a node on multiyear.yaml's systems,
# ~0.2 ms and ~80 kB on multiyear20's), at most _EXACT_NODES nodes each; the subgradient
# then stops at _EXACT_SHARE of the time left instead of 3/4 (its multipliers are the
# search's; the search moves the bound beyond the LP bound, the subgradient does not)
_EXACT_MAX_POSITIONS = 24
_EXACT_NODES = 400_000
_EXACT_BYTES = 1.0e9  # memory of a search's dominance test, at most (16 (T + 1) m a node)
_EXACT_SHARE = 0.4
# ... when the instance has at most _EXACT_SHARE_MAX_N positions: on the 2,000-position
# fleet (100 systems of 20) the subgradient's multipliers after its ~60-90 iterations
# are too far from the dual optimum for the search to close a system in its share
# (measured 2026-12-08: 2-7 CPU s a system without a proof), so it keeps 3/4 there
_EXACT_SHARE_MAX_N = 200
_ORP_LIMIT_S = 10.0  # exact ORP search without a time limit (then the decomposition)
# Re-tuned 2026-12-07 on multiyear20 (one system, so the same single dual block as
# before), bound after 150 / 200 / 300 / 1,000 iterations: (theta0, stall, deflection)
# = (1.0, 15, 0.5): 76,280 / 76,455 / 76,687 / 77,356; (1.0, 100, 0.8): 76,801 /
# 77,366 / 77,744 / 78,561 (LP bound 79,246, plan 79,272).  theta0 = 1.5 ends higher
# after 1,000 iterations (78,922) but stays at the start value for 150, too long for the
# 2,000-position fleet (about 200 iterations a minute).  With few iterations a shorter
# patience is better ((1.0, 30, 0.8): 76,287 after 100 iterations, against 74,971 with
# 100): the loop uses a tenth of the iterations its budget allows, within 15..100.
_THETA0 = 1.0
_STALL = 100
_DEFLECT = 0.8
# Without crews, on fleets of more than _SYS_MIN_N positions, the subgradient runs
# system by system (_system_lagrange): each system a small problem with its own step,
# with its own patience (_SYS_STALL), from zero multipliers (_SYS_ZERO_START; the
# fleet-wide loop starts from the even split of each opening): sum of the
# 2,000-position fleet's system bounds after 100 / 200 / 300 / 400 sweeps, measured
# 2026-12-08: even split, patience 10: 13.43 / 13.47 / 13.49 / 13.51 M (most systems'
# steps halved to nothing); even, 30: 13.51 / 13.67 / 13.72 / 13.77 M; zero, 30:
# 12.62 / 13.16 / 13.47 / 13.65 M; zero, 10: 12.94 / 13.59 / 13.85 / 13.95 M (kept: two
# workers give each system ~300-400 sweeps in a 60 s limit); 14.13 M after 1,500
# sweeps (zero, 30); the restarts of the opening search get
# _SYS_RESTART_SHARE of the time limit (instead of 1/4: they took ~29 s of the 60 s on
# the 2,000-position fleet at load 9) and the subgradient _SYS_SHARE of the time left
_SYS_STALL = 10
_SYS_ZERO_START = True
_SYS_RESTART_SHARE = 0.1
_SYS_MIN_N = 200
_SYS_SEARCH_S = 2.0  # wall seconds of exact search a system at least (_exact_systems)
_SYS_SEARCH_MAX_POSITIONS = 40
_SYS_SHARE = 0.5  # of the time left, the rest to the repair and the exact search

__all__ = [
    "Paths",
    "arcs_kept",
    "count_arcs",
    "crew_load_multiyear",
    "crew_overload",
    "crews_can_bind",
    "evaluate_multiyear",
    "shortest_paths",
    "solve_multiyear",
    "solve_multiyear_milp",
]


@dataclass(frozen=True)
class _Data:
    """Per-position arrays of the path problem (``inf`` = arc or node forbidden)."""

    first: FloatArray  # (n, T) first replacement in t
    interval: FloatArray  # (n, D + 1) later interval of d periods (pruned)
    end: FloatArray  # (n, T) last replacement in t
    beyond: FloatArray  # (n,) none in the horizon
    node_ok: BoolArray  # (n, T) later replacement allowed in t


@dataclass(frozen=True)
class Paths:
    """Shortest paths of a set of positions.

    ``cost[i]`` includes node costs; ``x[i, t]`` is True where position ``i`` is
    replaced in period ``t``.
    """

    cost: FloatArray
    x: BoolArray


def arcs_kept(mp: MultiYearProblem) -> BoolArray:
    """Interval lengths that can appear in an optimal plan, shape ``(n, T)``.

    An interval of ``d`` periods is dominated when splitting it in two feasible ones
    (``d = d1 + d2``) costs no more even after paying a full extra opening:
    ``w(d1) + w(d2) + max_t S_kt <= w(d)``.  The split node lies strictly inside the
    interval, so it is an allowed period whenever the system may open in every period
    (checked; otherwise nothing is pruned).  Exact: removing dominated arcs does not
    change the optimum when only openings couple the positions (not used with crews:
    splitting an interval adds crew load).
    """
    pb = mp.base
    w = np.asarray(mp.interval_cost)
    keep = np.isfinite(w)
    n_t = pb.n_periods
    s_max = np.where(pb.open_allowed, pb.opening_cost, -np.inf).max(axis=1)[pb.system_of]
    all_open = np.asarray(pb.open_allowed.all(axis=1))[pb.system_of]
    best_split = np.full_like(w, np.inf)
    for d1 in range(1, n_t // 2 + 1):
        d2 = np.arange(d1, n_t - d1)  # d = d1 + d2 with d2 >= d1
        if d2.size == 0:
            break
        cand = w[:, d1 : d1 + 1] + w[:, d2]
        np.minimum(best_split[:, d1 + d2], cand, out=best_split[:, d1 + d2])
    with np.errstate(invalid="ignore"):
        dominated = best_split + s_max[:, None] <= w - 1e-9 * (1.0 + np.abs(w))
    keep &= ~(dominated & all_open[:, None])
    out: BoolArray = keep
    return out


def _data(mp: MultiYearProblem, prune: bool = True) -> _Data:
    pb = mp.base
    ok = pb.allowed & pb.open_allowed[pb.system_of]
    pin = pb.pinned_period
    for i in np.flatnonzero(pin >= 0):
        row = np.zeros(pb.n_periods, dtype=bool)
        row[pin[i]] = True
        ok[i] = row
    ok[pin == PIN_BEYOND] = False
    first = np.where(ok, pb.penalty, np.inf)
    beyond = np.where(pin == NO_PIN, pb.penalty_beyond, np.inf)
    beyond[pin == PIN_BEYOND] = np.where(
        np.isfinite(pb.penalty_beyond[pin == PIN_BEYOND]), pb.penalty_beyond[pin == PIN_BEYOND], 0.0
    )
    w = np.array(mp.interval_cost)
    if prune:
        w[~arcs_kept(mp)] = np.inf
    fin = np.isfinite(w).any(axis=0)
    d_max = int(np.flatnonzero(fin).max()) if fin.any() else 0
    return _Data(first, w[:, : d_max + 1], np.asarray(mp.end_cost), beyond, mp.node_ok)


def shortest_paths(
    first: FloatArray,
    interval: FloatArray,
    end: FloatArray,
    beyond: FloatArray,
    node_ok: BoolArray,
    node_cost: FloatArray,
) -> Paths:
    """Cheapest replacement path of every position (all positions at once).

    ``f[i, t] = node_cost[i, t] + min(first[i, t], min_d f[i, t - d] + interval[i, d])``
    (the second term only where ``node_ok[i, t]``), and the path's cost is
    ``min(beyond[i], min_t f[i, t] + end[i, t])``.  One numpy step per period over an
    ``(n, D)`` block, ``D = interval.shape[1] - 1``; backtracking is vectorized too.

    Parameters
    ----------
    first, end, node_cost : ndarray, shape (n, T)
    interval : ndarray, shape (n, D + 1)
    beyond : ndarray, shape (n,)
    node_ok : ndarray of bool, shape (n, T)

    Returns
    -------
    Paths
    """
    n, n_t = first.shape
    f = np.empty((n, n_t))
    pred = np.zeros((n, n_t), dtype=np.int32)
    # rows in chunks whose (rows x lengths) block stays in cache: ~4x faster than one
    # sweep over all rows (measured on 2,000 x 260 x 259)
    for a in range(0, n, _CHUNK):
        b = min(n, a + _CHUNK)
        f[a:b], pred[a:b] = _forward(first[a:b], interval[a:b], node_ok[a:b], node_cost[a:b])
    rows = np.arange(n)
    tot = f + end
    last = np.argmin(tot, axis=1)
    val = tot[rows, last]
    use = val < beyond
    cost = np.where(use, val, beyond)
    x = np.zeros((n, n_t), dtype=bool)
    cur = np.where(use & np.isfinite(val), last, -1)
    while (cur >= 0).any():
        on = np.flatnonzero(cur >= 0)
        x[on, cur[on]] = True
        step = pred[on, cur[on]]
        cur[on] = np.where(step > 0, cur[on] - step, -1)
    return Paths(np.asarray(cost, dtype=np.float64), x)


def _forward(
    first: FloatArray,
    interval: FloatArray,
    node_ok: BoolArray,
    node_cost: FloatArray,
    pre: FloatArray | None = None,
) -> tuple[FloatArray, NDArray[np.int32]]:
    """Forward pass of :func:`shortest_paths` on a block of rows.

    ``pre`` (optional, shape ``(m, T)``) receives the cheapest cost of reaching a
    replacement in ``t`` *before* its node cost (what it costs were ``t`` free).
    """
    m, n_t = first.shape
    d_max = interval.shape[1] - 1
    f = np.full((m, n_t), np.inf)
    pred = np.zeros((m, n_t), dtype=np.int32)
    rows = np.arange(m)
    w_rev = np.ascontiguousarray(interval[:, 1:][:, ::-1])  # column j <-> d = d_max - j
    for t in range(n_t):
        best = first[:, t].copy()
        dm = min(t, d_max)
        if dm > 0:
            cand = f[:, t - dm : t] + w_rev[:, d_max - dm :]
            j = np.argmin(cand, axis=1)
            v = cand[rows, j]
            better = (v < best) & node_ok[:, t]
            best = np.where(better, v, best)
            pred[:, t] = np.where(better, dm - j, 0)
        if pre is not None:
            pre[:, t] = best
        f[:, t] = best + node_cost[:, t]
    return f, pred


def count_arcs(mp: MultiYearProblem, prune: bool = True) -> int:
    """Number of arcs of the monolithic arc-flow model (:func:`solve_multiyear_milp`).

    Source arcs to allowed first periods and to the sink, interval arcs from every
    reachable period ``t`` to ``t + d`` (kept length, allowed period), and end arcs from
    reachable periods; computed without building the model, to know its size first.
    """
    data = _data(mp, prune=prune)
    n_t = data.first.shape[1]
    kept = np.isfinite(data.interval)
    d_max = kept.shape[1] - 1
    reach = np.isfinite(data.first).copy()
    total = int(reach.sum() + np.isfinite(data.beyond).sum())
    for t in range(n_t):
        dm = min(t, d_max)
        if dm > 0:
            into = (reach[:, t - dm : t] & kept[:, dm:0:-1]).any(axis=1) & data.node_ok[:, t]
            reach[:, t] |= into
        hi = min(n_t - 1 - t, d_max)
        if hi > 0:
            outs = (kept[:, 1 : hi + 1] & data.node_ok[:, t + 1 : t + hi + 1]).sum(axis=1)
            total += int(outs[reach[:, t]].sum())
    total += int((reach & np.isfinite(data.end)).sum())
    return total


def evaluate_multiyear(mp: MultiYearProblem, x: BoolArray) -> dict[str, float]:
    """Cost of a replacement plan by category, currency (``inf`` if infeasible).

    Parameters
    ----------
    mp : MultiYearProblem
        The instance.
    x : ndarray of bool, shape (n, T)
        ``x[i, t]``: position ``i`` is replaced in period ``t``.

    Returns
    -------
    dict
        ``first`` (first-interval penalties), ``intervals`` (later intervals),
        ``end_state``, ``deferral`` (positions without replacement), ``setup`` and
        ``production_loss`` (:func:`~optimizer.problem.plan.opening_terms`),
        ``base`` (the constant ``sum(mp.offset)``) and ``total``.
    """
    pb = mp.base
    x = np.asarray(x, dtype=bool)
    out = {"first": 0.0, "intervals": 0.0, "end_state": 0.0, "deferral": 0.0}
    data = _data(mp, prune=False)
    for i in range(pb.n_components):
        ts = np.flatnonzero(x[i])
        if ts.size == 0:
            out["deferral"] += float(data.beyond[i])
            continue
        out["first"] += float(data.first[i, ts[0]])
        gaps = np.diff(ts)
        out["intervals"] += float(mp.interval_cost[i, gaps].sum()) if gaps.size else 0.0
        if gaps.size and not mp.node_ok[i, ts[1:]].all():
            out["intervals"] = np.inf
        out["end_state"] += float(mp.end_cost[i, ts[-1]])
    y = np.zeros((pb.n_systems, pb.n_periods), dtype=bool)
    ii, tt = np.nonzero(x)
    y[pb.system_of[ii], tt] = True
    terms = opening_terms(pb, y)
    if (y & ~pb.open_allowed).any():
        terms = {k: np.inf for k in terms}
    out.update(terms)
    out["base"] = float(np.sum(mp.offset))
    out["total"] = sum(out.values())
    return out


def crew_load_multiyear(mp: MultiYearProblem, x: BoolArray) -> FloatArray:
    """Technician-hours a multi-year plan uses per skill pool and period, shape ``(S, T)``.

    Every replacement ``x[i, t]`` puts ``load_per_period_h[i]`` technician-hours into
    each period ``t .. t + span_periods[i] - 1`` of the horizon on skill
    ``skill_of[i]`` (:func:`optimizer.problem.plan.span_cells`, as single-horizon plans).
    """
    pb = mp.base
    ii, tt = np.nonzero(np.asarray(x, dtype=bool))
    load = np.zeros((len(pb.skill_ids), pb.n_periods))
    job, cell = span_cells(tt, pb.span_periods[ii], pb.n_periods)
    comp = ii[job]
    np.add.at(load, (pb.skill_of[comp], cell), pb.load_per_period_h[comp])
    return load


def crew_overload(mp: MultiYearProblem, x: BoolArray, tol: float = 1e-6) -> list[str]:
    """Where a multi-year plan needs more technician-hours than the crews have.

    Checks :func:`crew_load_multiyear` against ``crew_hours`` per skill pool and period
    (:func:`solve_multiyear` respects the crews; this is the independent check of a
    plan, e.g. one from :func:`solve_multiyear_milp` with ``relax``).

    Parameters
    ----------
    mp : MultiYearProblem
    x : ndarray of bool, shape (n, T)
        ``x[i, t]``: position ``i`` replaced in period ``t``.
    tol : float
        Absolute tolerance, technician-hours.

    Returns
    -------
    list of str
        One line per skill pool short in some period (empty: the crews suffice).
    """
    pb = mp.base
    load = crew_load_multiyear(mp, x)
    out = []
    for s_ in range(load.shape[0]):
        over = np.flatnonzero(load[s_] > pb.crew_hours[s_] + tol)
        if over.size:
            t = int(over[np.argmax(load[s_, over] - pb.crew_hours[s_, over])])
            day = pb.local(pb.period_start(t))
            out.append(
                f"skill {pb.skill_ids[s_]}: the plan needs more technician-hours than the"
                f" crews have in {over.size} period(s) (worst: {day:%Y-%m-%d},"
                f" {load[s_, t]:,.1f} h of {pb.crew_hours[s_, t]:,.1f} h)"
            )
    return out


def crews_can_bind(mp: MultiYearProblem) -> bool:
    """Whether some skill pool could be short in some period, whatever the plan.

    The most a pool can be asked for in a period is every position of its skill
    replaced with its full load in each of the ``span_periods`` starts that cover the
    period; when that fits everywhere, the crews never bind and the problem is the
    uncapacitated one (dominance pruning and all).
    """
    pb = mp.base
    if not pb.capacitated:
        return False
    most = np.zeros(len(pb.skill_ids))
    np.add.at(most, pb.skill_of, pb.load_per_period_h * pb.span_periods)
    return bool((most[:, None] > pb.crew_hours + 1e-9).any())


def _crew_price(mp: MultiYearProblem, mu: FloatArray) -> FloatArray:
    """Price ``sum_c mu[s_i, c] * load_i`` of replacing ``i`` in ``t``, shape ``(n, T)``.

    ``c`` runs over the periods ``t .. t + span_i - 1`` of the horizon (the job's cells).
    """
    pb = mp.base
    n, n_t = pb.n_components, pb.n_periods
    m = mu[pb.skill_of]
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(m, axis=1)], axis=1)
    t = np.arange(n_t)
    hi = np.minimum(t[None, :] + pb.span_periods[:, None], n_t)
    out: FloatArray = (np.take_along_axis(csum, hi, axis=1) - csum[:, :n_t]) * pb.load_per_period_h[
        :, None
    ]
    return out


def _fits(mp: MultiYearProblem, i: int, others: FloatArray, tol: float = 1e-6) -> BoolArray:
    """Start periods where position ``i``'s job fits its pool beside ``others`` (S, T)."""
    pb = mp.base
    n_t = pb.n_periods
    s_ = int(pb.skill_of[i])
    bad = (others[s_] + pb.load_per_period_h[i] > pb.crew_hours[s_] + tol).astype(np.int64)
    csum = np.r_[0, np.cumsum(bad)]
    t = np.arange(n_t)
    hi = np.minimum(t + int(pb.span_periods[i]), n_t)
    out: BoolArray = (csum[hi] - csum[t]) == 0
    return out


def _crew_fit(
    mp: MultiYearProblem, data: _Data, x0: BoolArray, deadline: float, passes: int = 3
) -> tuple[BoolArray, bool]:
    """Move or drop jobs until every pool's hours fit, then crew-aware best responses.

    Phase 1: while some ``(skill, period)`` is overloaded, each position with a job in
    the worst cell takes its best path given the others' openings and crew load, over
    the start periods where its job fits beside the others (its deferral, when allowed,
    uses no crew); the cheapest such move (least increase of its system's cost) is
    made.  It removes the position's load from the cell and adds none where it does not
    fit, so the total overload strictly decreases.  Phase 2: ``passes`` rounds of the
    same best response for every position in turn, kept when its system's cost falls
    (each move keeps the plan within the crews).

    Returns
    -------
    (ndarray of bool, bool)
        The plan and whether it fits the crews.
    """
    pb = mp.base
    k_of = pb.system_of
    cap = pb.crew_hours
    s_cost = np.where(pb.open_allowed, pb.opening_cost, np.inf)
    x = x0.copy()
    load = crew_load_multiyear(mp, x)
    count = np.asarray(_incidence(mp) @ x.astype(np.float64))

    def responses(rows: IntArray) -> BoolArray:
        """Best crew-fitting paths of ``rows``, each given the others as they are now."""
        node = np.empty((rows.size, pb.n_periods))
        for r, i in enumerate(rows.tolist()):
            k = int(k_of[i])
            others = load - _own_load(mp, i, x[i])
            share = np.where(count[k] - x[i] > 0.5, 0.0, s_cost[k])
            node[r] = np.where(_fits(mp, i, others), share, np.inf)
        p = shortest_paths(
            data.first[rows],
            data.interval[rows],
            data.end[rows],
            data.beyond[rows],
            data.node_ok[rows],
            node,
        )
        return np.where(np.isfinite(p.cost)[:, None], p.x, x[rows])

    def delta(i: int, row: BoolArray) -> float:
        """Change of the total cost if ``i`` takes ``row`` (inf: it does not fit now)."""
        others = load - _own_load(mp, i, x[i])
        if not _fits(mp, i, others)[row].all():
            return np.inf
        k = int(k_of[i])
        rest = count[k] - x[i]
        y_new, y_old = (rest + row) > 0.5, count[k] > 0.5
        opening = float(
            np.where(y_new, s_cost[k], 0.0).sum() - np.where(y_old, s_cost[k], 0.0).sum()
        )
        return _path_cost(mp, data, i, row) - _path_cost(mp, data, i, x[i]) + opening

    def apply(i: int, row: BoolArray) -> None:
        nonlocal load
        k = int(k_of[i])
        load = load - _own_load(mp, i, x[i]) + _own_load(mp, i, row)
        count[k] += row.astype(np.float64) - x[i]
        x[i] = row

    # phase 1 (the overload strictly decreases, so it ends; at the deadline the plan
    # does not fit yet: returned as not fitting); with many overloaded cells, the worst
    # eighth is handled in one round from responses computed together
    while True:
        if time.perf_counter() > deadline:
            return x, False
        over = load - cap
        cells = np.argwhere(over > 1e-6)
        if not len(cells):
            break
        # worst first; a few cells: the worst alone (fresh responses choose better moves)
        cells = cells[np.argsort(-over[cells[:, 0], cells[:, 1]], kind="stable")]
        cells = cells[: max(1, len(cells) // 8)] if len(cells) > 16 else cells[:1]
        cx = np.concatenate([np.zeros((pb.n_components, 1)), np.cumsum(x, axis=1)], axis=1)
        per_cell = []
        for s_, t in cells.tolist():
            lo = np.maximum(t - pb.span_periods + 1, 0)
            on = (pb.skill_of == s_) & (cx[:, t + 1] - cx[np.arange(pb.n_components), lo] > 0)
            per_cell.append(np.flatnonzero(on))
        cand = np.unique(np.concatenate(per_cell)) if per_cell else np.zeros(0, np.int64)
        if cand.size == 0:
            return x, False
        resp = responses(cand)
        where = {int(i): r for r, i in enumerate(cand.tolist())}
        progress = False
        for (s_, t), users in zip(cells.tolist(), per_cell, strict=True):
            if load[s_, t] <= cap[s_, t] + 1e-6:
                continue
            best_d, best_i = np.inf, -1
            for i in users.tolist():
                row = resp[where[i]]
                lo_i = max(t - int(pb.span_periods[i]) + 1, 0)
                if not x[i, lo_i : t + 1].any() or (row == x[i]).all():
                    continue  # moved off the cell already, or no other fitting path
                d = delta(i, row)
                if d < best_d:
                    best_d, best_i = d, i
            if best_i >= 0 and np.isfinite(best_d):
                apply(best_i, resp[where[best_i]])
                progress = True
        if not progress:
            return x, False
    everyone = np.arange(pb.n_components)
    for _ in range(passes):
        if time.perf_counter() > deadline:
            break
        rows = responses(everyone)
        changed = False
        for i in np.flatnonzero((rows != x).any(axis=1)).tolist():
            dd = delta(i, rows[i])
            if dd < -1e-9 * max(1.0, abs(dd)):
                apply(i, rows[i])
                changed = True
        if not changed:
            break
    return x, True


def _crew_greedy(
    mp: MultiYearProblem, data: _Data, guide: BoolArray, deadline: float
) -> tuple[BoolArray, bool]:
    """A plan within the crews built position by position (when :func:`_crew_fit` fails).

    Positions are placed one at a time, life-limited first (fewest choices), then the
    largest jobs: each takes its cheapest path over the start periods where its job fits
    beside the positions already placed (:func:`_fits`), an opening of its system
    already used by a placed position or one of ``guide``'s (the openings of the plan
    without crews) costing nothing extra, any other its opening cost (the opening costs
    of the guide's openings are added back when the plan is scored).  Every placement
    fits, so the plan fits unless some position finds no fitting path.

    Returns
    -------
    (ndarray of bool, bool)
        The plan and whether every position was placed.
    """
    pb = mp.base
    n, n_t = pb.n_components, pb.n_periods
    k_of = pb.system_of
    s_cost = np.where(pb.open_allowed, pb.opening_cost, np.inf)
    y = np.zeros((pb.n_systems, n_t), dtype=bool)
    ii, tt = np.nonzero(guide)
    y[k_of[ii], tt] = True
    x = np.zeros((n, n_t), dtype=bool)
    load = np.zeros_like(pb.crew_hours)
    used = np.zeros((pb.n_systems, n_t), dtype=bool)
    limited = np.isfinite(mp.limit_h)
    order = np.lexsort((np.arange(n), -pb.load_per_period_h, ~limited))
    for i in order.tolist():
        if time.perf_counter() > deadline:
            return x, False
        k = int(k_of[i])
        node = np.where(_fits(mp, i, load), np.where(used[k] | y[k], 0.0, s_cost[k]), np.inf)
        p = shortest_paths(
            data.first[i : i + 1],
            data.interval[i : i + 1],
            data.end[i : i + 1],
            data.beyond[i : i + 1],
            data.node_ok[i : i + 1],
            node[None, :],
        )
        if not np.isfinite(p.cost[0]):
            return x, False
        x[i] = p.x[0]
        load += _own_load(mp, i, x[i])
        used[k] |= x[i]
    return x, True


def _fits_all(mp: MultiYearProblem, x: BoolArray, load: FloatArray, tol: float = 1e-6) -> BoolArray:
    """Where each position's job would fit beside the others' load, shape ``(n, T)``.

    :func:`_fits` for every position at once: the others' load in a cell is the plan's
    ``load`` minus the position's own jobs covering it (``x``'s starts spread over
    their spans).
    """
    pb = mp.base
    n, n_t = x.shape
    span = pb.span_periods
    rows = np.arange(n)[:, None]
    c = np.arange(n_t)[None, :]
    cx = np.concatenate([np.zeros((n, 1)), np.cumsum(x, axis=1)], axis=1)
    cover = cx[rows, c + 1] - cx[rows, np.maximum(c - span[:, None] + 1, 0)]
    h = pb.load_per_period_h[:, None]
    others = load[pb.skill_of] - h * cover
    bad = (others + h > pb.crew_hours[pb.skill_of] + tol).astype(np.int64)
    csum = np.concatenate([np.zeros((n, 1), dtype=np.int64), np.cumsum(bad, axis=1)], axis=1)
    hi = np.minimum(c + span[:, None], n_t)
    out: BoolArray = (csum[rows, hi] - csum[rows, c]) == 0
    return out


def _crew_search(
    mp: MultiYearProblem, data: _Data, x0: BoolArray, deadline: float, rounds: int = 50
) -> BoolArray:
    """Opening search within the crews, from a plan ``x0`` that fits them.

    Each round runs :func:`_opening_search` (add, drop or shift whole openings, every
    position of a system re-routed exactly) with every start period where a position's
    job does not fit beside the others' load forbidden (:func:`_fits_all`); the systems
    whose plan got cheaper are then taken one by one, largest saving first, each only if
    the plan with its new paths still fits every pool (positions of one system, or of
    two systems moving into the same room, may each fit alone but not together), then
    crew-aware best responses (:func:`_crew_fit`).  Every accepted change lowers the
    cost and keeps the crews; ends when a round accepts nothing.
    """
    pb = mp.base
    k_of = pb.system_of
    cap = pb.crew_hours
    x = x0.copy()
    cost_k = _system_costs(mp, data, x)
    for _ in range(rounds):
        if time.perf_counter() > deadline:
            break
        load = crew_load_multiyear(mp, x)
        price = np.where(_fits_all(mp, x, load), 0.0, np.inf)
        trial = _opening_search(mp, data, x, deadline, price=price)
        new_k = _system_costs(mp, data, trial)
        gain = cost_k - new_k
        accepted = False
        for k in np.argsort(-gain, kind="stable").tolist():
            if not gain[k] > 1e-9 * max(1.0, abs(float(cost_k[k]))):
                break
            if not new_k[k] < cost_k[k] - 1e-9 * max(1.0, abs(float(cost_k[k]))):
                continue  # an earlier fit moved this system's jobs: not cheaper any more
            rows = np.flatnonzero(k_of == k)
            cand = load.copy()
            for i in rows.tolist():
                cand += _own_load(mp, i, trial[i]) - _own_load(mp, i, x[i])
            if (cand > cap + 1e-6).any():
                # the move overloads: taken when fitting it again (moving single
                # jobs off the overloaded cells) still leaves the plan cheaper
                moved = x.copy()
                moved[rows] = trial[rows]
                moved, ok = _crew_fit(mp, data, moved, deadline, passes=0)
                if not ok:
                    continue
                moved_k = _system_costs(mp, data, moved)
                if moved_k.sum() >= cost_k.sum() - 1e-9 * max(1.0, abs(float(cost_k.sum()))):
                    continue
                x, cost_k = moved, moved_k
                load = crew_load_multiyear(mp, x)
                accepted = True
                continue
            x[rows] = trial[rows]
            load, cost_k[k] = cand, new_k[k]
            accepted = True
        if not accepted:
            break
        x, ok = _crew_fit(mp, data, x, deadline)
        if not ok:  # cannot happen from a fitting plan (phase 1 has nothing to do)
            break
        cost_k = _system_costs(mp, data, x)
    return x


_WINDOW = 8  # periods re-planned together by window_replan (small case: optimum in one sweep)
_WINDOW_S = 5.0  # HiGHS seconds per window, at most (2 s under load 8: 4.6% above the optimum)


def _crew_windows(
    mp: MultiYearProblem, data: _Data, x0: BoolArray, deadline: float, log: list[str]
) -> BoolArray:
    """Sweeps of exact window re-plans (:func:`~optimizer.solvers.multiyear_crews.window_replan`).

    Windows of :data:`_WINDOW` periods, half-overlapping, from the horizon start; each
    re-plans exactly within the crews (HiGHS, at most :data:`_WINDOW_S` s) the
    replacements inside it, kept when cheaper at its true cost and within the crews.
    On fleets above :data:`_SYS_MIN_N` positions only those of positions replaced in
    the window or whose skill pool is tight there (some cell where its largest job
    would not fit any more) are re-planned (a 20-position case: with every position
    the optimum in one sweep;
    with the tight pools alone: 4.6% above it).  Sweeps repeat, each over the windows
    within :data:`_WINDOW` periods of a change of the previous ones, until none is left
    or the deadline.
    """
    pb = mp.base
    n_t = pb.n_periods
    cap = pb.crew_hours
    # a pool is tight in a cell when its largest job would not fit there any more
    most = np.zeros(cap.shape[0])
    np.maximum.at(most, pb.skill_of, pb.load_per_period_h)
    room = np.where(np.isfinite(cap), cap, np.inf) + 1e-6
    x = x0.copy()
    step = max(1, _WINDOW // 2)
    starts = [a for a in range(0, max(n_t - _WINDOW, 0) + step, step) if a < n_t]
    dirty = np.ones(len(starts), dtype=bool)  # windows whose neighbourhood changed
    sweeps = solved = 0
    before = float(_system_costs(mp, data, x).sum())
    while time.perf_counter() < deadline and dirty.any():
        # the windows where the crews are fullest first (there the repair moved jobs;
        # under a short time limit few windows are solved)
        load = crew_load_multiyear(mp, x)
        full = np.where(np.isfinite(cap), load > cap - most[:, None], False).sum(axis=0)
        order = np.argsort([-int(full[a : a + _WINDOW].sum()) for a in starts], kind="stable")
        for w_i in order.tolist():
            a = starts[w_i]
            left = deadline - time.perf_counter()
            if left <= 0.05:
                break
            if not dirty[w_i]:
                continue
            dirty[w_i] = False
            b = min(n_t, a + _WINDOW)
            near = crew_load_multiyear(mp, x)[:, a:b] > cap[:, a:b] - most[:, None]
            tight: BoolArray = np.asarray(near.any(axis=1), dtype=bool)
            rows = np.flatnonzero(
                tight[pb.skill_of] | x[:, a:b].any(axis=1) | (pb.n_components <= _SYS_MIN_N)
            )
            if rows.size == 0:
                continue
            solved += 1
            z = window_replan(
                mp,
                data.first,
                data.interval,
                data.end,
                data.beyond,
                data.node_ok,
                x,
                a,
                b,
                min(_WINDOW_S, left),
                rows,
            )
            if z is not None and not (
                float(_system_costs(mp, data, z).sum()) < float(_system_costs(mp, data, x).sum())
                and (crew_load_multiyear(mp, z) <= room).all()
            ):
                z = None  # kept only when cheaper at its true cost and within the crews
            if z is not None:
                cols = np.flatnonzero((z != x).any(axis=0))
                x = z
                if cols.size:
                    # the windows near the change are solved again in the next sweep
                    lo, hi = int(cols[0]) - _WINDOW, int(cols[-1]) + _WINDOW
                    for j, a2 in enumerate(starts):
                        if a2 <= hi and a2 + _WINDOW > lo and j != w_i:
                            dirty[j] = True
        sweeps += 1
    after = float(_system_costs(mp, data, x).sum())
    log.append(
        f"multiyear: {sweeps} sweep(s) of exact {_WINDOW}-period windows within the crews"
        f" ({solved} solved):"
        f" plan {before:,.2f} -> {after:,.2f} (relative cost)"
    )
    return x


def _own_load(mp: MultiYearProblem, i: int, row: BoolArray) -> FloatArray:
    """Crew load ``(S, T)`` of position ``i``'s replacements ``row`` alone."""
    pb = mp.base
    load = np.zeros((len(pb.skill_ids), pb.n_periods))
    tt = np.flatnonzero(row)
    _, cell = span_cells(tt, np.full(tt.size, pb.span_periods[i]), pb.n_periods)
    np.add.at(load[int(pb.skill_of[i])], cell, pb.load_per_period_h[i])
    return load


def _path_cost(mp: MultiYearProblem, data: _Data, i: int, row: BoolArray) -> float:
    """Cost of position ``i``'s replacements ``row`` without openings, currency."""
    ts = np.flatnonzero(row)
    if ts.size == 0:
        return float(data.beyond[i])
    cost = float(data.first[i, ts[0]] + data.end[i, ts[-1]])
    return cost + float(mp.interval_cost[i, np.diff(ts)].sum())


def _incidence(mp: MultiYearProblem) -> sparse.csr_matrix:
    pb = mp.base
    n = pb.n_components
    return sparse.csr_matrix((np.ones(n), (pb.system_of, np.arange(n))), shape=(pb.n_systems, n))


def _position_costs(mp: MultiYearProblem, data: _Data, x: BoolArray) -> FloatArray:
    """Path cost of every position (no openings), vectorized, shape ``(n,)``."""
    n = x.shape[0]
    ii, tt = np.nonzero(x)  # sorted by position, then period
    out = np.array(data.beyond, dtype=np.float64)
    if ii.size == 0:
        return out
    has = np.zeros(n, dtype=bool)
    has[ii] = True
    start = np.r_[True, ii[1:] != ii[:-1]]
    stop = np.r_[ii[1:] != ii[:-1], True]
    cost = np.zeros(n)
    cost[ii[start]] += data.first[ii[start], tt[start]]
    cost[ii[stop]] += data.end[ii[stop], tt[stop]]
    inner = ~start
    gaps = tt[inner] - tt[np.flatnonzero(inner) - 1]
    cost += np.bincount(ii[inner], weights=mp.interval_cost[ii[inner], gaps], minlength=n)
    out[has] = cost[has]
    return out


def _system_costs(mp: MultiYearProblem, data: _Data, x: BoolArray) -> FloatArray:
    """Cost of every system's plan (its positions' paths + its openings), shape ``(K,)``."""
    pb = mp.base
    paths = _position_costs(mp, data, x)
    y = np.zeros((pb.n_systems, pb.n_periods), dtype=bool)
    ii, tt = np.nonzero(x)
    y[pb.system_of[ii], tt] = True
    opening = np.where(y, np.where(pb.open_allowed, pb.opening_cost, np.inf), 0.0).sum(axis=1)
    out: FloatArray = np.bincount(pb.system_of, weights=paths, minlength=pb.n_systems) + opening
    return out


def _best_response(
    mp: MultiYearProblem,
    data: _Data,
    x: BoolArray,
    rounds: list[IntArray],
    deadline: float,
    systems: BoolArray | None = None,
) -> BoolArray:
    """Best-response passes until no system improves (see the module docstring).

    ``systems`` (bool, shape (K,)): move only these systems' positions, each system
    until a pass leaves its own cost unchanged (so a system's result does not depend on
    the others: the same in any group of :func:`_in_groups`); ``None``: all, until a
    pass leaves the total unchanged.
    """
    pb = mp.base
    k_of = pb.system_of
    s_cost = np.where(pb.open_allowed, pb.opening_cost, np.inf)
    x = x.copy()
    count = np.asarray(_incidence(mp) @ x.astype(np.float64))
    best = _system_costs(mp, data, x).sum()
    moving = None if systems is None else systems.copy()
    best_k = _system_costs(mp, data, x)
    for _ in range(50):
        for sel in rounds:
            if moving is not None:
                sel = sel[moving[k_of[sel]]]
                if sel.size == 0:
                    continue
            others = count[k_of[sel]] - x[sel]
            node_cost = np.where(others > 0.5, 0.0, s_cost[k_of[sel]])
            p = shortest_paths(
                data.first[sel],
                data.interval[sel],
                data.end[sel],
                data.beyond[sel],
                data.node_ok[sel],
                node_cost,
            )
            count[k_of[sel]] += p.x.astype(np.float64) - x[sel]
            x[sel] = p.x
        if moving is not None:
            new_k = _system_costs(mp, data, x)
            moving &= new_k < best_k - 1e-9 * np.maximum(1.0, np.abs(best_k))
            best_k = new_k
            if not moving.any() or time.perf_counter() > deadline:
                break
            continue
        new = _system_costs(mp, data, x).sum()
        if new >= best - 1e-9 * max(1.0, abs(best)) or time.perf_counter() > deadline:
            break
        best = new
    return x


def _drop_openings(
    mp: MultiYearProblem,
    data: _Data,
    x: BoolArray,
    deadline: float,
    systems: BoolArray | None = None,
) -> tuple[BoolArray, bool]:
    """Try closing each opening; its users re-route (one try per system at a time).

    For every system at once, the least used untried opening ``t_k`` is closed: its
    users take their best paths with its other openings free, ``t_k``
    forbidden and any other period at its full opening cost.  A system keeps the
    change when its cost (true openings counted once) decreases.  This joint move
    escapes the coordination failures of one-position best responses (several
    positions leaving a shutdown together).  ``systems``: only these (bool, shape (K,)).
    """
    pb = mp.base
    k_of = pb.system_of
    s_cost = np.where(pb.open_allowed, pb.opening_cost, np.inf)
    x = x.copy()
    improved = False
    tried = np.zeros((pb.n_systems, pb.n_periods), dtype=bool)
    if systems is not None:
        tried[~systems] = True  # never tried: another group's
    cur = _system_costs(mp, data, x)
    while time.perf_counter() < deadline:
        count = np.asarray(_incidence(mp) @ x.astype(np.float64))
        cand = np.where((count > 0) & ~tried, count, np.inf)
        t_k = np.argmin(cand, axis=1)
        active = np.isfinite(cand[np.arange(pb.n_systems), t_k])
        if not active.any():
            break
        tried[np.flatnonzero(active), t_k[active]] = True
        # only the users of the closed opening re-route (the others keep their paths)
        rows = np.flatnonzero(active[k_of] & x[np.arange(pb.n_components), t_k[k_of]])
        kk = k_of[rows]
        node_cost = np.where(count[kk] > 0.5, 0.0, s_cost[kk])
        node_cost[np.arange(rows.size), t_k[kk]] = np.inf
        p = shortest_paths(
            data.first[rows],
            data.interval[rows],
            data.end[rows],
            data.beyond[rows],
            data.node_ok[rows],
            node_cost,
        )
        trial = x.copy()
        trial[rows] = p.x
        new = _system_costs(mp, data, trial)
        better = new < cur - 1e-9 * np.maximum(1.0, np.abs(cur))
        if better.any():
            take = better[k_of]
            x[take] = trial[take]
            cur = np.where(better, new, cur)
            tried[better] = False
            improved = True
    return x, improved


def _via(
    first: FloatArray,
    interval: FloatArray,
    end: FloatArray,
    beyond: FloatArray,
    node_ok: BoolArray,
    node_cost: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Cheapest path of every row, and the cheapest path through each period made free.

    Returns ``(cost, via)``: ``cost[i]`` as :func:`shortest_paths`; ``via[i, t]`` the
    cheapest path with a replacement in ``t`` when ``t``'s node cost is set to 0 (the
    other nodes as given): the cheapest way to reach ``t`` before its node cost
    (:func:`_forward`'s ``pre``) plus the cost to go after it
    (:func:`~optimizer.solvers.multiyear_exact.cost_to_go`).  A
    path visits ``t`` at most once, so setting one node cost to 0 changes a row's
    cheapest path to ``min(cost[i], via[i, t])``: one forward and one backward sweep
    give the effect of opening any single period.
    """
    m, n_t = first.shape
    f = np.empty((m, n_t))
    pre = np.empty((m, n_t))
    g = np.empty((m, n_t))
    for a in range(0, m, _CHUNK):
        b = min(m, a + _CHUNK)
        f[a:b], _ = _forward(first[a:b], interval[a:b], node_ok[a:b], node_cost[a:b], pre[a:b])
        g[a:b] = cost_to_go(interval[a:b], end[a:b], node_ok[a:b], node_cost[a:b])
    with np.errstate(invalid="ignore"):
        cost = np.minimum(beyond, (f + end).min(axis=1, initial=np.inf))
        via = pre + g
    return np.asarray(cost, dtype=np.float64), np.asarray(via, dtype=np.float64)


def _sparse_via(
    data: _Data,
    pos: IntArray,
    nodes: IntArray,
    targets: IntArray,
    price: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """:func:`_via` when each row may be replaced only at its few free ``nodes``.

    Row ``r`` is position ``pos[r]`` whose replacements may only fall in the periods
    ``nodes[r]`` (sorted; ``-1`` pads), at no node cost.  Returns ``cost[r]`` (its
    cheapest path) and ``via[r, j]``: its cheapest path with one more free period
    ``targets[r, j]`` (``inf`` where ``-1``), by the same forward/backward argument as
    :func:`_via`, in ``O(L^2 + M L)`` per row (``L`` nodes, ``M`` targets) instead of
    ``O(T D)``.  ``price`` (shape ``(n, T)``, currency), when given, is added at every
    replacement of position ``i`` in ``t`` (the crews' prices of
    :func:`_crew_search`); the free nodes and the targets then cost their price.
    """
    n_r, n_l = nodes.shape
    d_cap = data.interval.shape[1] - 1
    w = data.interval

    def arc(r_pos: IntArray, d: IntArray) -> FloatArray:
        ok = (d >= 1) & (d <= d_cap)
        out: FloatArray = np.where(ok, w[r_pos, np.clip(d, 0, d_cap)], np.inf)
        return out

    valid = nodes >= 0
    nd = np.where(valid, nodes, 0)
    pc = pos[:, None]
    first_at = np.where(valid, data.first[pc, nd], np.inf)
    end_at = np.where(valid, data.end[pc, nd], np.inf)
    ok_at = valid & data.node_ok[pc, nd]
    pr_at = np.zeros((n_r, n_l)) if price is None else np.where(valid, price[pc, nd], 0.0)
    f = np.full((n_r, n_l), np.inf)
    g = np.full((n_r, n_l), np.inf)
    for j in range(n_l):
        best = first_at[:, j]
        if j:
            cand = (f[:, :j] + arc(pc, nd[:, j : j + 1] - nd[:, :j])).min(axis=1)
            best = np.minimum(best, np.where(ok_at[:, j], cand, np.inf))
        f[:, j] = np.where(valid[:, j], best + pr_at[:, j], np.inf)
    for j in range(n_l - 1, -1, -1):
        best = end_at[:, j]
        if j + 1 < n_l:
            nxt = np.where(ok_at[:, j + 1 :], g[:, j + 1 :] + pr_at[:, j + 1 :], np.inf)
            best = np.minimum(best, (arc(pc, nd[:, j + 1 :] - nd[:, j : j + 1]) + nxt).min(axis=1))
        g[:, j] = np.where(valid[:, j], best, np.inf)
    with np.errstate(invalid="ignore"):
        cost = np.minimum(data.beyond[pos], (f + end_at).min(axis=1, initial=np.inf))
    tv = targets >= 0
    tg = np.where(tv, targets, 0)
    via = np.full(targets.shape, np.inf)
    g_ok = np.where(ok_at, g + pr_at, np.inf)
    pr_t = np.zeros(targets.shape) if price is None else price[pos[:, None], tg]
    for m in range(targets.shape[1]):
        tm = tg[:, m : m + 1]
        pre = np.minimum(
            data.first[pos, tg[:, m]],
            np.where(data.node_ok[pos, tg[:, m]], (f + arc(pc, tm - nd)).min(axis=1), np.inf),
        )
        go = np.minimum(data.end[pos, tg[:, m]], (arc(pc, nd - tm) + g_ok).min(axis=1))
        via[:, m] = np.where(tv[:, m], pre + pr_t[:, m] + go, np.inf)
    return np.asarray(cost, dtype=np.float64), via


_SHIFT = 12  # a swap moves an opening by at most this many periods (sparse mode)
_SWAP_OPENINGS = 256  # openings whose drop/swap moves are evaluated together


def _opening_search(
    mp: MultiYearProblem,
    data: _Data,
    x0: BoolArray,
    deadline: float,
    systems: BoolArray | None = None,
    price: FloatArray | None = None,
) -> BoolArray:
    """Local search over each system's set of openings (add, drop, swap).

    Given the openings ``Y_k`` of every system, each position's cheapest path through
    them (free) is its best plan, and the cost of the system is the sum of those paths
    plus ``sum_{t in Y_k} S_kt``.  Moves, evaluated exactly for every system at once:

    * *add* ``t``: every position's path becomes ``min(c_i, via_i(t))``
      (:func:`_via`: one forward and one backward sweep price every ``t``);
    * *drop* ``t in Y_k``: the positions' paths over ``Y_k - {t}``;
    * *swap* ``t in Y_k`` for ``t'`` (``|t' - t| <= _SHIFT`` periods): over
      ``Y_k - {t}``, then ``t'`` added.

    Drops and swaps re-route every position of the system over ``Y_k - {t}`` with
    :func:`_sparse_via` (only the openings are nodes: ``O(|Y|^2)`` per position instead
    of ``O(T D)``), which also prices every nearby ``t'``.  Each system takes its best
    improving move, all systems together (they are independent: openings couple only
    the positions of a system), and only the systems that moved are evaluated again,
    until none improves or the deadline.  The one-position moves of
    :func:`_best_response` cannot open a period that pays only when several positions
    move to it together, nor shift an opening that several positions share: *add* and
    *swap* can (the add/drop/swap neighbourhoods of facility-location local search).
    Measured: on ``bench_fleet.py``'s 100-position case from the repair's plan,
    -612,154 -> -625,285 (relative cost; 2.6% of the plan's total) in 0.4 CPU s.
    ``price`` (shape ``(n, T)``, currency; crews: :func:`_crew_search`) is added to
    every replacement of position ``i`` in ``t``: the search then lowers the priced cost.

    ``systems`` (bool, shape (K,)): search only these; the other rows keep ``x0``.

    Returns
    -------
    ndarray of bool, shape (n, T)
        The plan: every position's cheapest path through the final openings.
    """
    pb = mp.base
    k_of = pb.system_of
    n_k_sys, n_t = pb.n_systems, pb.n_periods
    s_cost = np.where(pb.open_allowed, pb.opening_cost, np.inf)
    y = np.zeros((n_k_sys, n_t), dtype=bool)
    ii, tt = np.nonzero(x0)
    y[k_of[ii], tt] = True
    members = [np.flatnonzero(k_of == k) for k in range(n_k_sys)]
    size = np.bincount(k_of, minlength=n_k_sys)
    # systems whose openings changed last pass
    active = np.ones(n_k_sys, dtype=bool) if systems is None else systems.copy()
    mine = active.copy()
    while time.perf_counter() < deadline and active.any():
        sel = np.flatnonzero(active[k_of])  # positions of the active systems
        ks = k_of[sel]
        node = np.where(y[ks], 0.0 if price is None else price[sel], np.inf)
        cost_s, via = _via(
            data.first[sel],
            data.interval[sel],
            data.end[sel],
            data.beyond[sel],
            data.node_ok[sel],
            node,
        )
        if not np.isfinite(cost_s).all():
            break  # the start plan leaves a position without a path: keep it as it is
        cost = np.zeros(pb.n_components)
        cost[sel] = cost_s
        scale = 1e-9 * max(1.0, float(np.abs(cost_s).sum()))
        # add t: sum of the positions' savings plus the opening
        save = np.zeros((n_k_sys, n_t))
        if price is not None:
            via = via + price[sel]  # _via's path through t leaves out t's own price
        np.add.at(save, ks, np.minimum(via - cost_s[:, None], 0.0))
        d_add = np.where(~y & pb.open_allowed & active[:, None], s_cost + save, np.inf)
        best_d = d_add.min(axis=1)
        best_move: list[tuple[str, int, int]] = [("add", -1, int(t)) for t in d_add.argmin(axis=1)]
        kk, ot = np.nonzero(y & active[:, None])
        # drop t / swap t for t' (|t' - t| <= _SHIFT): every position of the system
        # re-routed over Y_k - {t} (sparse: only the openings are nodes)
        for lo in range(0, kk.size, _SWAP_OPENINGS):
            qs = np.arange(lo, min(kk.size, lo + _SWAP_OPENINGS))
            cnt = size[kk[qs]]
            pos = np.concatenate([members[k] for k in kk[qs].tolist()]).astype(np.int64)
            op = np.repeat(qs, cnt)
            n_l = max(1, int(y[kk[qs]].sum(axis=1).max()) - 1)
            nodes_q = np.full((qs.size, n_l), -1, dtype=np.int64)
            targ_q = np.full((qs.size, 2 * _SHIFT), -1, dtype=np.int64)
            for r, q in enumerate(qs.tolist()):
                k, t = int(kk[q]), int(ot[q])
                yk = np.flatnonzero(y[k])
                yk = yk[yk != t]
                nodes_q[r, : yk.size] = yk
                cand = np.arange(max(0, t - _SHIFT), min(n_t, t + _SHIFT + 1))
                cand = cand[(cand != t) & ~y[k, cand] & pb.open_allowed[k, cand]]
                targ_q[r, : cand.size] = cand
            c_d, v_d = _sparse_via(data, pos, nodes_q[op - lo], targ_q[op - lo], price)
            starts = np.r_[0, np.cumsum(cnt)[:-1]]
            with np.errstate(invalid="ignore"):
                drop = np.add.reduceat(c_d - cost[pos], starts)
                sw = np.add.reduceat(np.minimum(v_d, c_d[:, None]) - cost[pos][:, None], starts)
            for r, q in enumerate(qs.tolist()):
                k, t = int(kk[q]), int(ot[q])
                d = float(drop[r]) - float(s_cost[k, t])
                if np.isfinite(d) and d < best_d[k]:
                    best_d[k], best_move[k] = d, ("drop", t, -1)
                tq = targ_q[r]
                row = np.where(tq >= 0, sw[r] + s_cost[k, tq] - s_cost[k, t], np.inf)
                m = int(np.argmin(row))
                if row[m] < best_d[k]:
                    best_d[k], best_move[k] = float(row[m]), ("swap", t, int(tq[m]))
        active[:] = False
        for k in np.flatnonzero(best_d < -scale).tolist():
            kind, t, t2 = best_move[k]
            if kind in ("drop", "swap"):
                y[k, t] = False
            if kind in ("add", "swap"):
                y[k, t2] = True
            active[k] = True
    rows = np.flatnonzero(mine[k_of])
    node = np.where(y[k_of[rows]], 0.0 if price is None else price[rows], np.inf)
    p = shortest_paths(
        data.first[rows],
        data.interval[rows],
        data.end[rows],
        data.beyond[rows],
        data.node_ok[rows],
        node,
    )
    out: BoolArray = x0.copy()
    out[rows] = np.where(np.isfinite(p.cost)[:, None], p.x, x0[rows])
    return out


def _repair(
    mp: MultiYearProblem,
    data: _Data,
    x0: BoolArray,
    deadline: float,
    openings: bool = False,
    systems: BoolArray | None = None,
) -> tuple[BoolArray, float]:
    """Local search from ``x0``: best responses, then closing openings, until stable.

    ``openings``: then the opening search (:func:`_opening_search`; without crews).
    ``systems`` (bool, shape (K,)): repair only these, each on its own (a worker's
    group, :func:`_in_groups`; the other rows keep ``x0``).
    """
    pb = mp.base
    k_of = pb.system_of
    # rank of each position inside its system: round r moves one position per system
    order = np.argsort(k_of, kind="stable")
    rank = np.empty(pb.n_components, dtype=np.int64)
    first_of = np.searchsorted(k_of[order], k_of[order], side="left")
    rank[order] = np.arange(pb.n_components) - first_of
    rounds = [np.flatnonzero(rank == r) for r in range(int(rank.max()) + 1)] if len(rank) else []
    x = _best_response(mp, data, x0, rounds, deadline, systems)
    for _ in range(20):
        x, improved = _drop_openings(mp, data, x, deadline, systems)
        if not improved:
            break
        x = _best_response(mp, data, x, rounds, deadline, systems)
    if openings:
        x = _opening_search(mp, data, x, deadline, systems)
    return x, float(_system_costs(mp, data, x).sum())


def _restarts(
    mp: MultiYearProblem,
    data: _Data,
    free_x: BoolArray,
    deadline: float,
    systems: BoolArray | None = None,
) -> Iterator[BoolArray]:
    """Plans of the opening search started from each position's own cheapest path.

    Round ``r`` starts every system from the openings of its ``r``-th position's
    cheapest path alone (the life-limited positions first: their replacements are the
    ones the others must fit); the other positions take their cheapest paths through
    them (paying an opening of their own where that is cheaper), then
    :func:`_opening_search`.  Local optima of the search depend on the start: a
    system whose best plan has few openings (aligned on its most constrained position)
    is not reached from the union of all cheapest paths.  Yields one plan per round
    until the deadline.  ``systems`` (bool, shape (K,)): restart only these (the other
    rows are ``free_x``).
    """
    pb = mp.base
    k_of = pb.system_of
    s_cost = np.where(pb.open_allowed, pb.opening_cost, np.inf)
    limited = np.isfinite(mp.limit_h)
    order = np.lexsort((np.arange(pb.n_components), ~limited, k_of))
    first_of = np.searchsorted(k_of[order], k_of[order], side="left")
    rank = np.empty(pb.n_components, dtype=np.int64)
    rank[order] = np.arange(pb.n_components) - first_of
    mine = np.ones(pb.n_systems, dtype=bool) if systems is None else systems
    rows = np.flatnonzero(mine[k_of])
    for r in range(int(rank.max()) + 1 if rank.size else 0):
        if time.perf_counter() > deadline:
            return
        y = np.zeros((pb.n_systems, pb.n_periods), dtype=bool)
        sel = np.flatnonzero((rank == r) & (mine[k_of]))
        if sel.size == 0:
            return
        y[k_of[sel]] = free_x[sel]
        node = np.where(y[k_of[rows]], 0.0, s_cost[k_of[rows]])
        x0 = free_x.copy()
        x0[rows] = shortest_paths(
            data.first[rows],
            data.interval[rows],
            data.end[rows],
            data.beyond[rows],
            data.node_ok[rows],
            node,
        ).x
        yield _opening_search(mp, data, x0, deadline, systems)


def _why_no_path(mp: MultiYearProblem, data: _Data, i: int) -> str:
    """Plain-language reason why position ``i`` has no feasible replacement path."""
    pb = mp.base
    name = pb.component_ids[i]
    lim_h = float(mp.limit_h[i])
    lim_p = int(np.floor(lim_h / float(mp.period_op_h[i]) + 1e-9)) if np.isfinite(lim_h) else 0
    first = np.flatnonzero(np.isfinite(data.first[i]))
    if not np.isfinite(data.beyond[i]) and first.size == 0:
        return (
            f"{name}: its installed part must be replaced in the horizon (life limit or risk"
            " cap) but no period before its limit is allowed (windows, frozen horizon, pins)"
        )
    closed = ~mp.node_ok[i]
    run = longest = 0
    for c in closed:
        run = run + 1 if c else 0
        longest = max(longest, run)
    if np.isfinite(lim_h):
        return (
            f"{name}: a new part may run at most {lim_h:,.0f} h ({lim_p} periods) but its"
            f" system may not open for {longest} consecutive periods (windows, pins): no"
            " replacement plan respects the life limit over the horizon"
        )
    return f"{name}: no replacement plan respects its windows and pins over the horizon"


def solve_multiyear(
    mp: MultiYearProblem,
    *,
    time_limit_s: float | None = None,
    gap: float = 1e-4,
    max_iter: int | None = None,
    trace: list[tuple[float, float, float]] | None = None,
    workers: int | None = None,
) -> Plan:
    """Plan repeated replacements: Lagrangian bound + best-response repair.

    Parameters
    ----------
    mp : MultiYearProblem
        The instance.
    time_limit_s : float or None
        Wall-clock limit, seconds (``None``: ``max_iter`` subgradient iterations).
    gap : float
        Stop when ``(plan - bound) / |plan| <= gap``.
    max_iter : int or None
        Largest number of subgradient iterations (``None``: until the time limit, or
        300 without one).
    trace : list, optional
        Appended ``(seconds, plan cost, bound)`` after every iteration (relative costs,
        without ``sum(mp.offset)``), for benchmarks.
    workers : int or None
        Processes of the system-by-system path (fleets of more than
        :data:`_SYS_MIN_N` positions without crews: the systems are independent, so
        each process runs the subgradient and the exact search of a group of them;
        the result for a given number of iterations is the same as with one process).
        ``None``: ``min(2, os.cpu_count())``; below 1: ``ValueError``; always 1 inside a
        daemonic process (the service's run processes), which may not start children.
        Not used elsewhere.

    Returns
    -------
    Plan
        ``period``: first replacement of each position (``BEYOND`` if none);
        ``replacements``: every ``(position, period)``; ``lower_bound``: the best
        Lagrangian bound; status ``OPTIMAL`` (gap reached), ``TIME_LIMIT`` or
        ``FEASIBLE`` (iterations exhausted); ``INFEASIBLE`` with a diagnosis when a
        position has no feasible path.
    """
    t0 = time.perf_counter()
    deadline = t0 + (time_limit_s if time_limit_s is not None else np.inf)
    if max_iter is None:
        max_iter = 300 if time_limit_s is None else 10**9
    n_workers = _workers(workers)  # validated whichever path runs
    pb = mp.base
    n, n_t = pb.n_components, pb.n_periods
    crews = crews_can_bind(mp)
    # dominance pruning assumes nothing but openings couples positions: not with crews
    data = _data(mp, prune=not crews)
    log: list[str] = [
        f"multiyear: {n} positions x {n_t} periods, interval lengths up to"
        f" {data.interval.shape[1] - 1} periods"
        + (
            " (crews may bind: priced per skill pool and period, no dominance pruning)"
            if crews
            else " after dominance pruning"
        )
        + f" ({int(np.isfinite(data.interval).sum())} (position, length) arcs kept)"
    ]
    free = shortest_paths(
        data.first, data.interval, data.end, data.beyond, data.node_ok, np.zeros((n, n_t))
    )
    bad = np.flatnonzero(~np.isfinite(free.cost))
    if bad.size:
        diag = tuple(_why_no_path(mp, data, int(i)) for i in bad[:20])
        return Plan.infeasible(
            pb,
            method="multiyear",
            diagnosis=diag,
            runtime_s=time.perf_counter() - t0,
            log=tuple(log),
        )
    exact = _solve_orp_form(mp, data, t0, deadline, gap, log)
    # the optimum without crews bounds the optimum with them (a relaxation)
    floor = -np.inf
    if exact is not None:
        if not crews or not crew_overload(mp, _x_of(mp, exact)):
            return exact  # the optimum without crews fits them: optimal with them too
        floor = exact.lower_bound - float(np.sum(mp.offset))
        log.append("multiyear: the ORP optimum overloads the crews: decomposition instead")
    cap = np.where(np.isfinite(pb.crew_hours), pb.crew_hours, 0.0)
    capped = np.isfinite(pb.crew_hours)
    mu = np.zeros_like(cap)

    # without crews the systems are independent: on fleets above _SYS_MIN_N positions
    # they are repaired, restarted, relaxed and searched in groups by worker processes
    per_system = not crews and n > _SYS_MIN_N
    groups = _system_groups(pb.system_of, pb.n_systems, n_workers if per_system else 1)

    def repair(x0: BoolArray, until: float = deadline) -> tuple[BoolArray, float]:
        if per_system:  # each worker repairs its group of systems
            x, _ = _in_groups(groups, _repair_job, (mp, data, x0, until), log)
            return x, float(_system_costs(mp, data, x).sum())
        # with crews: the openings of the plan without crews, fitted job by job, then
        # the opening search within the crews (whole openings moved; _crew_search)
        # (the opening search without crews on fleets above _SYS_MIN_N positions only
        # without crews: there its openings are mostly moved again to fit)
        x, c = _repair(mp, data, x0, until, openings=not crews or n <= _SYS_MIN_N)
        if not crews:
            return x, c
        # the job-by-job fit gets a third of the time; on heavy overloads (over a tenth
        # of the hours; the 2,000-position fleet: over half) the plan is built position
        # by position within the crews instead (_crew_greedy, seconds)
        now = time.perf_counter()
        load = crew_load_multiyear(mp, x)
        heavy = np.maximum(load - cap, 0.0)[capped].sum() > 0.1 * load[capped].sum()
        ok = False
        if not heavy:
            x_fit, ok = _crew_fit(mp, data, x, now + (until - now) / 3.0)
        if not ok:
            x_fit, ok = _crew_greedy(mp, data, x, until)
            if ok:
                x_fit, ok = _crew_fit(mp, data, x_fit, until)
        if not ok:
            return x_fit, np.inf
        x = _crew_search(mp, data, x_fit, until)
        return x, float(_system_costs(mp, data, x).sum())

    k_of = pb.system_of
    inc = _incidence(mp)
    s_cost = np.where(pb.open_allowed, pb.opening_cost, 0.0)
    usable = (np.isfinite(data.first) | data.node_ok) & pb.open_allowed[k_of]
    # with crews, each opening's share of the multipliers is a knapsack within the crews
    # (optimizer.solvers.multiyear_crews: a stronger, still valid bound)
    knap = opening_knapsacks(mp, usable) if crews else None
    x_open = np.zeros((n, n_t), dtype=bool)
    n_k = np.bincount(k_of, minlength=pb.n_systems).astype(np.float64)
    # Blocks of the dual: without crews every system is its own block (the relaxation
    # separates by system, so each keeps its best bound and its own step size; the sum
    # of the systems' best bounds is a bound, each system's optimum being at least its
    # own); with crews the pools couple the systems: one block.
    blk_sys = np.zeros(pb.n_systems, dtype=np.int64) if crews else np.arange(pb.n_systems)
    n_b = int(blk_sys.max()) + 1 if blk_sys.size else 1
    blk = blk_sys[k_of]
    # start: every opening's cost shared evenly by the system's positions
    lam = np.where(usable, (s_cost / np.maximum(n_k, 1.0)[:, None])[k_of], 0.0)
    best_lb_b = np.full(n_b, -np.inf)
    r0 = time.perf_counter()
    best_x, ub = repair(free.x)
    rep_est = time.perf_counter() - r0  # what one repair costs, seconds
    ub_b: FloatArray = np.bincount(blk_sys, _system_costs(mp, data, best_x), minlength=n_b).astype(
        np.float64
    )
    if not np.isfinite(ub):
        ub_b[:] = np.inf

    def keep(x: BoolArray, c: float) -> None:
        """Keep the better plan: per system without crews (systems independent)."""
        nonlocal best_x, ub, ub_b
        if crews:
            if c < ub:
                ub, best_x = c, x
                ub_b = np.array([c])
            return
        c_b = np.bincount(blk_sys, _system_costs(mp, data, x), minlength=n_b)
        better = c_b < ub_b - 1e-9 * np.maximum(1.0, np.abs(ub_b))
        if better.any():
            best_x = np.where(better[blk][:, None], x, best_x)
            ub_b = np.where(better, c_b, ub_b)
            ub = float(ub_b.sum())

    # without crews the systems are independent: the subgradient runs system by system
    # (_system_lagrange) and the restarts get a smaller share of the time limit
    # (fleets above _SYS_MIN_N positions; the small instances keep the fleet-wide loop,
    # tuned for them, whose periodic repairs and long patience suit their long budgets)
    if not crews:
        # restarts of the opening search, a share of the time limit
        r_share = _SYS_RESTART_SHARE if per_system else 0.25
        until = t0 + r_share * (deadline - t0) if np.isfinite(deadline) else np.inf
        if per_system:  # each worker restarts its group of systems, keeps their best
            keep(*_in_groups(groups, _restart_job, (mp, data, free.x, until), log))
        else:
            for x in _restarts(mp, data, free.x, until):
                keep(x, 0.0)
    best_sub = np.zeros((n, n_t), dtype=bool)
    best_lam = lam.copy()  # multipliers of each block's best bound
    # the subgradient phase gets 3/4 of the time left (_EXACT_SHARE when every system is
    # small enough for the exact search), the final repair and the search the rest
    size = np.bincount(k_of, minlength=pb.n_systems)
    searched = not crews and n <= _EXACT_SHARE_MAX_N and (size <= _EXACT_MAX_POSITIONS).all()
    # (with crews _EXACT_SHARE too: the exact window re-plans of the plan get the rest)
    share = _EXACT_SHARE if searched or crews else (_SYS_SHARE if per_system else 0.75)
    lagrange_until = time.perf_counter() + share * max(0.0, deadline - time.perf_counter())
    theta = np.full(n_b, _THETA0)
    stall = np.zeros(n_b, dtype=np.int64)
    direction = np.zeros_like(lam)
    dir_mu = np.zeros_like(mu)
    it = 0
    status = Status.FEASIBLE
    best_lb = -np.inf
    loop_t0, rep_s = time.perf_counter(), 0.0
    patience = _STALL
    if per_system:
        allowed0 = gap * max(abs(ub + float(np.sum(mp.offset))), 1e-9)
        best_lb_b, best_lam, best_sub, it = _in_groups(
            groups,
            _lagrange_job,
            (
                mp,
                data,
                np.zeros_like(lam) if _SYS_ZERO_START else lam,
                ub_b,
                lagrange_until,
                allowed0,
                max_iter,
            ),
            log,
        )
        if _SYS_ZERO_START:
            # the even split's value too (one sweep): a valid bound of every system,
            # better than the zero start's first ~150 sweeps; kept where it is larger
            lb0, lam0, sub0, _ = _system_lagrange(
                mp, data, lam, ub_b, np.inf, allowed0, 1, [], systems=None
            )
            seed = np.isfinite(lb0) & (~np.isfinite(best_lb_b) | (lb0 > best_lb_b))
            best_lb_b = np.where(seed, lb0, best_lb_b)
            best_lam = np.where(seed[k_of][:, None], lam0, best_lam)
            best_sub = np.where(seed[k_of][:, None], sub0, best_sub)
        best_lb = float(best_lb_b.sum())
        if time.perf_counter() > lagrange_until:
            status = Status.TIME_LIMIT
    for it in range(1, (0 if per_system else max_iter) + 1):
        price = lam + _crew_price(mp, mu) if crews else lam
        sub = shortest_paths(data.first, data.interval, data.end, data.beyond, data.node_ok, price)
        if knap is not None:  # crews: one opening collects what fits its crews
            slack, x_open = opening_terms_knapsack(mp, knap, lam, s_cost)
        else:
            slack = s_cost - np.asarray(inc @ lam)
        y = pb.open_allowed & (slack < 0.0)
        value_b = np.bincount(blk, sub.cost, minlength=n_b) + np.bincount(
            blk_sys, np.where(pb.open_allowed, np.minimum(slack, 0.0), 0.0).sum(axis=1), n_b
        )
        value_b[0] -= float((mu * cap).sum())
        lb_fin = np.where(np.isfinite(best_lb_b), best_lb_b, 0.0)
        up = ~np.isfinite(best_lb_b) | (value_b > lb_fin + 1e-9 * np.maximum(1.0, np.abs(lb_fin)))
        best_lb_b = np.where(up, value_b, best_lb_b)
        best_sub = np.where(up[blk][:, None], sub.x, best_sub)
        best_lam = np.where(up[blk][:, None], lam, best_lam)
        stall = np.where(up, 0, stall + 1)
        if it == 1:
            # patience: a tenth of the iterations the budget allows, within 15..100
            # (short budgets need the step to shrink early; see _STALL)
            per_it = max(time.perf_counter() - loop_t0, 1e-6)
            budget = min(float(max_iter), (lagrange_until - time.perf_counter()) / per_it)
            patience = int(np.clip(budget / 10.0, 15, _STALL))
        theta = np.where(stall >= patience, 0.5 * theta, theta)
        stall = np.where(stall >= patience, 0, stall)
        best_lb = float(best_lb_b.sum())
        # repairs from the subproblem's paths, at most a third of the loop's time when
        # there is a time limit (on large fleets one repair costs many iterations)
        busy = time.perf_counter() - loop_t0
        if it % _REPAIR_EVERY == 0 and (
            not np.isfinite(deadline) or rep_s + rep_est <= 0.5 * (busy - rep_s)
        ):
            r0 = time.perf_counter()
            keep(*repair(sub.x))
            rep_s += time.perf_counter() - r0
        if trace is not None:
            trace.append((time.perf_counter() - t0, ub, best_lb))
        if np.isfinite(ub) and ub - best_lb <= gap * max(abs(ub + float(np.sum(mp.offset))), 1e-9):
            status = Status.OPTIMAL
            break
        if time.perf_counter() > lagrange_until:
            status = Status.TIME_LIMIT
            break
        taken = x_open if knap is not None else y[k_of]  # the openings' copy of x
        grad = np.where(usable, sub.x.astype(np.float64) - taken, 0.0)
        g_mu = np.where(capped, crew_load_multiyear(mp, sub.x) - cap, 0.0) if crews else mu
        g_mu = np.where((mu <= 0.0) & (g_mu < 0.0), 0.0, g_mu)  # projected on mu >= 0
        norm = float((grad * grad).sum() + (g_mu * g_mu).sum())
        if norm == 0.0:
            status = Status.OPTIMAL
            best_lb = max(best_lb, min(ub, float(value_b.sum())))
            break
        direction = grad + _DEFLECT * direction
        dir_mu = g_mu + _DEFLECT * dir_mu
        dn = np.bincount(blk, (direction * direction).sum(axis=1), minlength=n_b)
        dn[0] += float((dir_mu * dir_mu).sum())
        # Polyak step of each block towards its best plan's cost (a fixed target while
        # none fits); a block whose plan meets its bound stops moving
        target = np.where(np.isfinite(ub_b), ub_b, value_b + np.maximum(1.0, np.abs(value_b)))
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(dn > 0.0, theta * (target - value_b) / dn, 0.0)
        done = np.isfinite(ub_b) & (ub_b - best_lb_b <= 1e-9 * np.maximum(1.0, np.abs(ub_b)))
        step = np.where(done, 0.0, step)
        lam = np.maximum(lam + step[blk][:, None] * direction, 0.0)
        mu = np.maximum(mu + step[0] * dir_mu, 0.0)
        if (theta[~done] < 1e-4).all():
            break
    if it and status is not Status.OPTIMAL:
        # last repair from the paths of the best multipliers, with the time left (with
        # crews and a plan: half of it, the window re-plans below the rest)
        now = time.perf_counter()
        half = now + 0.5 * (deadline - now) if crews and np.isfinite(ub) else deadline
        keep(*repair(best_sub, half))
        if trace is not None:
            trace.append((time.perf_counter() - t0, ub, best_lb))
    allowed = gap * max(abs(ub + float(np.sum(mp.offset))), 1e-9)
    if crews and np.isfinite(ub) and ub - best_lb > allowed:
        # with crews the plan is the weak side (tests: the bound within 0.01% of HiGHS's
        # optimum, the repaired plan 6.6% above it): exact window re-plans with the rest
        x_w = _crew_windows(mp, data, best_x, deadline, log)
        keep(x_w, float(_system_costs(mp, data, x_w).sum()))
        if trace is not None:
            trace.append((time.perf_counter() - t0, ub, best_lb))
    const = float(np.sum(mp.offset))
    allowed = gap * max(abs(ub + const), 1e-9)
    if not crews and np.isfinite(ub) and ub - best_lb > allowed:
        if per_system:
            best_x, ub_b, best_lb_b = _in_groups(
                groups,
                _exact_job,
                (mp, data, best_x, ub_b, best_lb_b, best_lam, deadline, allowed),
                log,
            )
        else:
            best_x, ub_b, best_lb_b = _exact_systems(
                mp, data, best_x, ub_b, best_lb_b, best_lam, deadline, allowed, log
            )
        ub, best_lb = float(ub_b.sum()), float(best_lb_b.sum())
    if not np.isfinite(ub):
        log.append(f"multiyear: best bound {best_lb + const:,.2f}; no plan found within the crews")
        # Not "infeasible": that status claims a proof.  No plan was found, the bound
        # stands, so the status is the limit that stopped the search (no plan: gap inf).
        failed = Plan.infeasible(
            pb,
            method="multiyear",
            diagnosis=(
                "crews: no plan found whose technician-hours fit every skill pool and period"
                " (the repair could not move or drop enough jobs; not proven impossible):"
                " add crew hours, allow deferral or give the solver more time",
            ),
            runtime_s=time.perf_counter() - t0,
            log=tuple(log),
        )
        return dataclasses.replace(
            failed, status=Status.TIME_LIMIT, lower_bound=float(best_lb + const)
        )
    cost = evaluate_multiyear(mp, best_x)
    lb = min(max(best_lb, floor) + const, cost["total"])
    if cost["total"] - lb <= gap * max(abs(cost["total"]), 1e-9):
        status = Status.OPTIMAL
    elif status is Status.OPTIMAL:
        # a zero subgradient or the loop's own test on shifted values is no proof: the
        # status follows the gap of the plan actually returned to its valid bound
        status = Status.FEASIBLE
    log.append(
        f"multiyear: {it} subgradient iterations; plan {cost['total']:,.2f}, bound"
        f" {lb:,.2f} (absolute gap {cost['total'] - lb:,.2f}, of which the controllable"
        f" part, openings + relative costs, is {cost['total'] - const:,.2f});"
        f" {int(best_x.sum())} replacements in {int((np.asarray(inc @ best_x) > 0).sum())}"
        " openings"
    )
    return _plan(mp, best_x, cost, lb, status, "multiyear", t0, log)


def _exact_systems(
    mp: MultiYearProblem,
    data: _Data,
    x: BoolArray,
    ub_b: FloatArray,
    lb_b: FloatArray,
    lam: FloatArray,
    deadline: float,
    allowed: float,
    log: list[str],
    fleet: bool = False,
    systems: BoolArray | None = None,
) -> tuple[BoolArray, FloatArray, FloatArray]:
    """Exact search of the small systems left with a gap (:mod:`.multiyear_exact`).

    Systems of at most :data:`_EXACT_MAX_POSITIONS` positions, smallest gap first, each
    with an even share of the time left (and at most :data:`_EXACT_NODES` nodes, fewer
    when their dominance test would need more than :data:`_EXACT_BYTES`), from
    the multipliers ``lam`` of its best Lagrangian value.  ``allowed`` (currency) is the
    absolute gap requested of the whole plan: a tenth of what the other systems leave
    of it, shared by the searched ones, is their tolerance.  A system's bound becomes the larger
    of its Lagrangian bound and the search's (valid at any stop), its plan the search's
    best when cheaper.

    ``fleet`` (the system-by-system path of large fleets without crews): systems of at
    most :data:`_SYS_SEARCH_MAX_POSITIONS` positions, largest gap first, each given at
    least :data:`_SYS_SEARCH_S` seconds (or what is left): an even share of a 60 s limit
    among 100 systems closes none, while a few seconds close or improve the systems of
    largest gap (measured 2026-12-08 on the 2,000-position fleet: a 30-position system
    proven in 1.6 CPU s from 50 iterations' multipliers, its plan 2.8% cheaper than the
    repair's; a 32-position one in 9.4 CPU s from 400 iterations').  ``systems`` (bool,
    shape (K,)): search only these (a worker's group, :func:`_in_groups`).
    """
    pb = mp.base
    k_of = pb.system_of
    size = np.bincount(k_of, minlength=pb.n_systems)
    gaps = ub_b - lb_b
    # smallest gap first: the time a system leaves goes to the next ones
    max_m = _SYS_SEARCH_MAX_POSITIONS if fleet else _EXACT_MAX_POSITIONS
    todo = [
        int(k)
        for k in np.argsort(-gaps if fleet else gaps, kind="stable")
        if gaps[k] > 1e-9 * max(1.0, abs(ub_b[k]))
        and 0 < size[k] <= max_m
        and (systems is None or systems[k])
    ]
    x, ub_b, lb_b = x.copy(), ub_b.copy(), lb_b.copy()
    s_cost = np.where(pb.open_allowed, pb.opening_cost, np.inf)
    others = float(np.delete(gaps, todo).sum()) if todo else 0.0
    # a tenth of their share: a proof closer than asked costs little more (the last
    # nodes of a search are its cheapest) and leaves room for terms outside the bound
    # (purchasing: solve_multiyear_stock)
    tol = 0.1 * max(0.0, allowed - others) / max(len(todo), 1)
    for j, k in enumerate(todo):
        now = time.perf_counter()
        if now >= deadline:
            break
        rows = np.flatnonzero(k_of == k)
        res = system_search(
            data.first[rows],
            data.interval[rows],
            data.end[rows],
            data.beyond[rows],
            data.node_ok[rows],
            s_cost[k],
            lam[rows],
            ub=float(ub_b[k]),
            tol=tol,
            deadline=now + max((deadline - now) / (len(todo) - j), _SYS_SEARCH_S if fleet else 0.0),
            max_nodes=min(
                _EXACT_NODES, int(_EXACT_BYTES / (16.0 * rows.size * (pb.n_periods + 1)))
            ),
        )
        log.append(
            f"multiyear: exact search of system {k} ({rows.size} positions): {res.nodes} nodes,"
            f" plan {res.cost:,.2f}, bound {max(res.lower_bound, lb_b[k]):,.2f}"
            + (" (proven)" if res.proven else "")
        )
        lb_b[k] = max(lb_b[k], min(res.lower_bound, ub_b[k]))
        if res.openings is not None and res.cost < ub_b[k]:
            node = np.full(pb.n_periods, np.inf)
            node[res.openings] = 0.0
            sub = shortest_paths(
                data.first[rows],
                data.interval[rows],
                data.end[rows],
                data.beyond[rows],
                data.node_ok[rows],
                np.broadcast_to(node, (rows.size, pb.n_periods)).copy(),
            )
            xk = np.zeros_like(x)
            xk[rows] = sub.x
            cost_k = float(_system_costs(mp, data, xk)[k])
            if cost_k < ub_b[k]:
                x[rows] = sub.x
                ub_b[k] = cost_k
    return x, ub_b, lb_b


def _workers(workers: int | None) -> int:
    """Processes of the system-by-system path (``None``: up to 2, the CPUs there are)."""
    if workers is not None and int(workers) < 1:
        raise ValueError(f"workers: must be at least 1, got {workers}")
    if multiprocessing.current_process().daemon:
        # a daemonic process (the service runs each plan in one) may not start
        # children; one process gives the same result for the same iterations
        return 1
    if workers is None:
        return max(1, min(2, os.cpu_count() or 1))
    return int(workers)


def _system_groups(k_of: IntArray, n_sys: int, workers: int) -> list[BoolArray]:
    """Systems split in ``workers`` groups of about equal positions (deterministic).

    Largest system first into the group with the fewest positions so far (ties: the
    lower system index, the lower group), the greedy rule of makespan scheduling.
    """
    size = np.bincount(k_of, minlength=n_sys)
    n_g = max(1, min(workers, int((size > 0).sum())))
    load = np.zeros(n_g, dtype=np.int64)
    groups = [np.zeros(n_sys, dtype=bool) for _ in range(n_g)]
    for k in np.lexsort((np.arange(n_sys), -size)).tolist():
        g = int(np.argmin(load))
        groups[g][k] = True
        load[g] += size[k]
    return groups


def _restart_job(
    mp: MultiYearProblem, data: _Data, free_x: BoolArray, until: float, systems: BoolArray
) -> tuple[tuple[BoolArray, float], list[str]]:
    """:func:`_restarts` of one group of systems, each system's best plan kept.

    Returns the plan (the group's rows; the others ``free_x``) and ``0.0``: the arguments
    of ``solve_multiyear``'s ``keep``, which prices the plan system by system.
    """
    best = free_x
    cost = np.full(mp.base.n_systems, np.inf)
    k_of = mp.base.system_of
    for x in _restarts(mp, data, free_x, until, systems):
        c = _system_costs(mp, data, x)
        better = systems & (c < cost)
        best = np.where(better[k_of][:, None], x, best)
        cost = np.where(better, c, cost)
    return (best, 0.0), []


def _repair_job(
    mp: MultiYearProblem, data: _Data, x0: BoolArray, deadline: float, systems: BoolArray
) -> tuple[tuple[BoolArray, float], list[str]]:
    """:func:`_repair` (with the opening search) of one group of systems."""
    x, _ = _repair(mp, data, x0, deadline, openings=True, systems=systems)
    return (x, 0.0), []


def _lagrange_job(
    mp: MultiYearProblem,
    data: _Data,
    lam0: FloatArray,
    ub_b: FloatArray,
    until: float,
    allowed: float,
    max_iter: int,
    systems: BoolArray,
) -> tuple[tuple[FloatArray, FloatArray, BoolArray, int], list[str]]:
    """:func:`_system_lagrange` of one group of systems (a worker process's job)."""
    log: list[str] = []
    out = _system_lagrange(mp, data, lam0, ub_b, until, allowed, max_iter, log, systems=systems)
    return out, log


def _exact_job(
    mp: MultiYearProblem,
    data: _Data,
    x: BoolArray,
    ub_b: FloatArray,
    lb_b: FloatArray,
    lam: FloatArray,
    deadline: float,
    allowed: float,
    systems: BoolArray,
) -> tuple[tuple[BoolArray, FloatArray, FloatArray], list[str]]:
    """:func:`_exact_systems` (fleet mode) of one group of systems (a worker's job)."""
    log: list[str] = []
    out = _exact_systems(mp, data, x, ub_b, lb_b, lam, deadline, allowed, log, True, systems)
    return out, log


def _in_groups(
    groups: list[BoolArray],
    job: Callable[..., tuple[tuple[Any, ...], list[str]]],
    args: tuple[Any, ...],
    log: list[str],
) -> tuple[Any, ...]:
    """Run ``job(*args, group)`` for every group, in parallel processes, and merge.

    The systems are independent without crews, so each group's result is taken for its
    own systems: arrays of shape ``(K,)`` by system, ``(n, T)`` by the systems'
    positions; integers (iterations) by their maximum.  One group: in this process.
    Worker processes are forked (their arguments pickled once per job); the merge
    follows the groups' order, so the result does not depend on which finishes first.
    """
    k_of = args[0].base.system_of
    if len(groups) == 1:
        results = [job(*args, groups[0])]
    else:
        with ProcessPoolExecutor(
            max_workers=len(groups), mp_context=multiprocessing.get_context("fork")
        ) as pool:
            futures = [pool.submit(job, *args, g) for g in groups]
            results = [f.result() for f in futures]
        log.append(f"multiyear: {len(groups)} worker processes, one group of systems each")
    merged = list(results[0][0])
    log.extend(results[0][1])
    for g, (out, sub_log) in zip(groups[1:], results[1:], strict=True):
        log.extend(sub_log)
        for j, v in enumerate(out):
            if isinstance(v, np.ndarray) and v.ndim == 1:
                merged[j] = np.where(g, v, merged[j])
            elif isinstance(v, np.ndarray):
                merged[j] = np.where(g[k_of][:, None], v, merged[j])
            else:
                merged[j] = max(merged[j], v)
    return tuple(merged)


def _system_lagrange(
    mp: MultiYearProblem,
    data: _Data,
    lam0: FloatArray,
    ub_b: FloatArray,
    until: float,
    allowed: float,
    max_iter: int,
    log: list[str],
    systems: BoolArray | None = None,
    trace: list[float] | None = None,
) -> tuple[FloatArray, FloatArray, BoolArray, int]:
    """Subgradient of each system on its own (no crews: the Lagrangian separates by system).

    Without crews or stock the relaxation of ``x_it <= y_kt`` is a sum of independent
    system problems: ``L(lambda) = sum_k L_k(lambda_k)``, and each ``L_k`` bounds system
    ``k``'s optimum at any multipliers (Fisher 1981, [1] of :mod:`.multiyear_exact`), so
    the fleet bound is the sum of each system's best value.  Each system has its own
    Polyak step towards its own plan ``ub_b[k]``, deflected direction and step halving
    after :data:`_SYS_STALL` iterations without a better value (a small problem: short
    patience), and leaves the loop once its bound is within its share of ``allowed``
    (currency) or its step factor is below ``1e-3``: the remaining iterations cost only
    the shortest paths of the systems still moving.  The active systems are swept
    together (one vectorized shortest-path sweep of their rows an iteration: sweeping
    them one by one costs ~5x more per position on the 2,000-position fleet, whose
    systems then got ~20 iterations each in the time limit).  Stops at ``until``
    (``time.perf_counter()`` value) or after ``max_iter`` iterations.

    Returns
    -------
    lb_b : ndarray, shape (K,)
        Each system's best Lagrangian value, currency (relative costs).
    lam : ndarray, shape (n, T)
        The multipliers of each system's best value.
    sub : ndarray of bool, shape (n, T)
        The relaxation's paths at those multipliers.
    iterations : int
        Sweeps done.

    ``systems`` (bool, shape (K,)): the systems to run (default all); the others keep
    ``-inf`` as bound.
    """
    pb = mp.base
    k_of = pb.system_of
    n_sys = pb.n_systems
    allow = pb.open_allowed
    s_all = np.where(allow, pb.opening_cost, 0.0)
    usable = (np.isfinite(data.first) | data.node_ok) & allow[k_of]
    inc = _incidence(mp)
    lam = lam0.copy()
    lam_best = lam0.copy()
    sub_best = np.zeros(lam0.shape, dtype=bool)
    lb_b = np.full(n_sys, -np.inf)
    direction = np.zeros_like(lam)
    theta = np.full(n_sys, _THETA0)
    stall = np.zeros(n_sys, dtype=np.int64)
    tol_k = 0.5 * allowed / max(n_sys, 1)
    active = np.bincount(k_of, minlength=n_sys) > 0
    if systems is not None:
        active &= systems
    it = 0
    while it < max_iter:
        it += 1
        rows = np.flatnonzero(active[k_of])
        sub = shortest_paths(
            data.first[rows],
            data.interval[rows],
            data.end[rows],
            data.beyond[rows],
            data.node_ok[rows],
            lam[rows],
        )
        x = np.zeros(lam.shape, dtype=bool)
        x[rows] = sub.x
        slack = s_all - np.asarray(inc @ lam)
        value = np.bincount(k_of[rows], sub.cost, minlength=n_sys) + np.where(
            allow, np.minimum(slack, 0.0), 0.0
        ).sum(axis=1)
        lb_fin = np.where(np.isfinite(lb_b), lb_b, 0.0)
        up = active & (
            ~np.isfinite(lb_b) | (value > lb_fin + 1e-9 * np.maximum(1.0, np.abs(lb_fin)))
        )
        lb_b = np.where(up, value, lb_b)
        lam_best = np.where(up[k_of][:, None], lam, lam_best)
        sub_best = np.where(up[k_of][:, None], x, sub_best)
        stall = np.where(up, 0, stall + 1)
        if trace is not None:
            trace.append(float(np.where(np.isfinite(lb_b), lb_b, 0.0).sum()))
        theta = np.where(stall >= _SYS_STALL, 0.5 * theta, theta)
        stall = np.where(stall >= _SYS_STALL, 0, stall)
        lb_fin = np.where(np.isfinite(lb_b), lb_b, 0.0)
        target = np.where(np.isfinite(ub_b), ub_b, lb_fin + np.maximum(1.0, np.abs(lb_fin)))
        active &= (target - lb_b > tol_k) & (theta >= 1e-3)
        y = allow & (slack < 0.0)
        grad = np.where(usable & active[k_of][:, None], x.astype(np.float64) - y[k_of], 0.0)
        direction = grad + _DEFLECT * direction
        dn = np.bincount(k_of, (direction * direction).sum(axis=1), minlength=n_sys)
        active &= dn > 0.0  # x = y: the relaxation's paths are a plan, its value the optimum
        if not active.any() or time.perf_counter() > until:
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(active, theta * (target - value) / dn, 0.0)
        lam = np.maximum(lam + step[k_of][:, None] * direction, 0.0)
    log.append(
        f"multiyear: subgradient system by system: {it} sweeps, {int(active.sum())} of"
        f" {n_sys} systems still moving at the end"
    )
    return lb_b, lam_best, sub_best, it


def _x_of(mp: MultiYearProblem, plan: Plan) -> BoolArray:
    """Replacement matrix ``x[i, t]`` of a plan's ``replacements``."""
    x = np.zeros((mp.n_components, mp.n_periods), dtype=bool)
    if plan.replacements is not None and len(plan.replacements):
        x[plan.replacements[:, 0], plan.replacements[:, 1]] = True
    return x


def _solve_orp_form(
    mp: MultiYearProblem,
    data: _Data,
    t0: float,
    deadline: float,
    gap: float,
    log: list[str],
) -> Plan | None:
    """The exact ORP search (:mod:`optimizer.solvers.orp`) when the problem has its form.

    Seeded with the repair of the free paths (a good plan to beat); half the time limit
    at most (10 s without one); ``None`` (fall back to the decomposition) when the
    problem is not of ORP form, the search runs out of time, or its plan's cost does not
    match :func:`evaluate_multiyear` (a safeguard).
    """
    pb = mp.base
    form = orp_form(
        data.first,
        np.asarray(mp.interval_cost),
        data.end,
        data.beyond,
        data.node_ok,
        pb.system_of,
        pb.opening_cost,
        pb.open_allowed,
    )
    if form is None:
        return None
    # the decomposition's repair from the free paths: a good plan to beat, fast
    n, n_t = pb.n_components, pb.n_periods
    free = shortest_paths(
        data.first, data.interval, data.end, data.beyond, data.node_ok, np.zeros((n, n_t))
    )
    x0, _ = _repair(mp, data, free.x, deadline)
    left = deadline - time.perf_counter()
    res = solve_orp(
        form,
        time_limit_s=_ORP_LIMIT_S if not np.isfinite(left) else 0.5 * left,
        incumbent=x0,
    )
    if res is None:
        log.append("multiyear: ORP form, exact search out of time: decomposition instead")
        return None
    x, total, stats = res
    if not np.isfinite(total):
        return None  # the decomposition's diagnosis explains it
    cost = evaluate_multiyear(mp, x)
    const = float(np.sum(mp.offset))
    if abs(cost["total"] - const - total) > 1e-6 * (1.0 + abs(cost["total"])):
        log.append("multiyear: ORP search cost mismatch: decomposition instead")
        return None
    log.append(
        f"multiyear: ORP form (cost per replacement, set-ups): exact search over"
        f" {stats['classes']} position classes, {stats['nodes']} nodes; proven optimum"
        f" {cost['total']:,.2f}; {int(x.sum())} replacements in"
        f" {int((np.asarray(_incidence(mp) @ x) > 0).sum())} openings"
    )
    return _plan(mp, x, cost, cost["total"], Status.OPTIMAL, "multiyear-orp", t0, log)


def _plan(
    mp: MultiYearProblem,
    x: BoolArray,
    cost: dict[str, float],
    lb: float,
    status: Status,
    method: str,
    t0: float,
    log: list[str],
) -> Plan:
    n = mp.n_components
    ii, tt = np.nonzero(x)
    period = np.full(n, BEYOND, dtype=np.int64)
    has = x.any(axis=1)
    period[has] = np.argmax(x[has], axis=1)
    return Plan(
        period,
        float(cost["total"]),
        float(lb),
        status,
        method,
        time.perf_counter() - t0,
        cost_split={k: v for k, v in cost.items() if k != "total"},
        log=tuple(log),
        replacements=np.stack([ii, tt], axis=1) if ii.size else np.zeros((0, 2), np.int64),
    )


def solve_multiyear_milp(
    mp: MultiYearProblem,
    *,
    time_limit_s: float | None = None,
    gap: float = 1e-4,
    prune: bool = True,
    relax: bool = False,
) -> Plan:
    """Monolithic arc-flow model of the same problem in Pyomo, solved by HiGHS (APPSI).

    Variables: arc flows ``f_a in [0, 1]`` of each position's path network (source ->
    first replacement ``t`` -> later replacements ``t + d`` -> sink, or source -> sink),
    ``y_kt in {0, 1}``.  Rows: one unit of flow leaves each source; conservation at
    every period node; ``inflow_i(t) <= y_k(i)t``.  Objective: arc costs + openings.
    For fixed ``y`` the flow problem is a shortest path (integral), so the flows need
    not be binary; the plan is read back as each position's shortest path through the
    opened periods (exact for the solver's ``y``).  The arcs are those of
    :func:`arcs_kept` when ``prune`` and no crew is capacitated.  Crews add one row per
    finite ``(skill, period)``: ``sum load_i * inflow_i(t) <= crew_hours`` over the jobs
    covering the period; the flows are then binary (fixed openings no longer make them
    integral) and the plan is the solver's own flows.  ``relax``: solve the LP relaxation (``y`` in
    ``[0, 1]``); the bound is then the LP optimum and the plan is read from the
    rounded-up openings ``y > 0``.

    Returns
    -------
    Plan
        With HiGHS's bound; ``TIME_LIMIT`` when it stopped early.
    """
    # lazy: Pyomo takes about a second to import and only this cross-check model needs it
    import pyomo.environ as pyo
    from pyomo.contrib.appsi.base import TerminationCondition
    from pyomo.contrib.appsi.solvers import Highs

    t0 = time.perf_counter()
    pb = mp.base
    n, n_t = pb.n_components, pb.n_periods
    crews = crews_can_bind(mp)
    data = _data(mp, prune=prune and not crews)
    k_of = pb.system_of
    arcs: list[tuple[int, int, int, float]] = []  # (i, from, to, cost); -1 source, n_t sink
    for i in range(n):
        reach = np.isfinite(data.first[i])
        for t in np.flatnonzero(reach):
            arcs.append((i, -1, int(t), float(data.first[i, t])))
        if np.isfinite(data.beyond[i]):
            arcs.append((i, -1, n_t, float(data.beyond[i])))
        lens = np.flatnonzero(np.isfinite(data.interval[i]))
        for s_t in range(n_t):
            if not reach[s_t]:
                continue
            to = s_t + lens
            to = to[to < n_t]
            to = to[data.node_ok[i, to]]
            reach[to] = True
            for u in to:
                arcs.append((i, s_t, int(u), float(data.interval[i, u - s_t])))
        for t in np.flatnonzero(reach & np.isfinite(data.end[i])):
            arcs.append((i, int(t), n_t, float(data.end[i, t])))
    m = pyo.ConcreteModel()
    m.A = pyo.RangeSet(0, len(arcs) - 1)
    # with crews the flows of fixed openings are no longer integral: binary arcs
    m.f = pyo.Var(m.A, bounds=(0, 1), domain=pyo.Binary if crews and not relax else pyo.Reals)
    opened = sorted({(int(k_of[a[0]]), a[2]) for a in arcs if 0 <= a[2] < n_t})
    m.Y = pyo.Set(initialize=opened, dimen=2)
    m.y = pyo.Var(m.Y, bounds=(0, 1), domain=pyo.Reals if relax else pyo.Binary)
    out_of: dict[tuple[int, int], list[int]] = {}
    into: dict[tuple[int, int], list[int]] = {}
    for j, (i, a, b, _) in enumerate(arcs):
        out_of.setdefault((i, a), []).append(j)
        into.setdefault((i, b), []).append(j)
    m.obj = pyo.Objective(
        expr=float(np.sum(mp.offset))
        + sum(c * m.f[j] for j, (_, _, _, c) in enumerate(arcs))
        + sum(float(pb.opening_cost[k, t]) * m.y[k, t] for k, t in opened)
    )
    m.src = pyo.Constraint(range(n), rule=lambda mm, i: sum(mm.f[j] for j in out_of[(i, -1)]) == 1)
    nodes = sorted(k for k in into if 0 <= k[1] < n_t)
    m.flow = pyo.Constraint(
        nodes,
        rule=lambda mm, i, t: (
            sum(mm.f[j] for j in into[(i, t)]) == sum(mm.f[j] for j in out_of.get((i, t), []))
        ),
    )
    m.link = pyo.Constraint(
        nodes, rule=lambda mm, i, t: sum(mm.f[j] for j in into[(i, t)]) <= mm.y[int(k_of[i]), t]
    )
    rows_crew: list[tuple[int, int]] = []
    if crews:
        terms: dict[tuple[int, int], list[tuple[float, int]]] = {}
        for j, (i, _, b, _) in enumerate(arcs):
            if 0 <= b < n_t:
                hi = min(b + int(pb.span_periods[i]), n_t)
                for c in range(b, hi):
                    key = (int(pb.skill_of[i]), c)
                    if np.isfinite(pb.crew_hours[key]):
                        terms.setdefault(key, []).append((float(pb.load_per_period_h[i]), j))
        rows_crew = sorted(terms)
        m.crew = pyo.Constraint(
            rows_crew,
            rule=lambda mm, s_, c: (
                sum(h * mm.f[j] for h, j in terms[(s_, c)]) <= float(pb.crew_hours[s_, c])
            ),
        )
    build_s = time.perf_counter() - t0
    opt = Highs()
    opt.config.load_solution = False
    opt.config.stream_solver = False
    opt.config.time_limit = time_limit_s
    opt.config.mip_gap = gap
    opt.highs_options = {"random_seed": 0, "threads": 1}
    t1 = time.perf_counter()
    res = opt.solve(m)
    solve_s = time.perf_counter() - t1
    tc = res.termination_condition
    log = [
        f"multiyear-milp: Pyomo arc-flow model, {len(arcs)} arcs, {len(opened)} opening"
        f" variables, {len(rows_crew)} crew rows; build {build_s:.2f} s, solve"
        f" {solve_s:.2f} s, termination {tc}"
    ]
    bound = res.best_objective_bound
    lb = -np.inf if bound is None else float(bound)
    if res.best_feasible_objective is None:
        return Plan(
            np.full(n, BEYOND),
            float("inf"),
            lb,
            Status.TIME_LIMIT if tc != TerminationCondition.infeasible else Status.INFEASIBLE,
            "multiyear-milp",
            time.perf_counter() - t0,
            diagnosis=("no plan found by HiGHS",),
            log=tuple(log),
        )
    res.solution_loader.load_vars()
    y = np.zeros((pb.n_systems, n_t), dtype=bool)
    for (k, t), var in m.y.items():
        y[k, t] = (var.value or 0.0) > (1e-6 if relax else 0.5)
    if crews and not relax:
        # the solver's own paths (the shortest paths through its openings may not fit)
        xs = np.zeros((n, n_t), dtype=bool)
        for j, (i, _, b, _) in enumerate(arcs):
            if 0 <= b < n_t and (m.f[j].value or 0.0) > 0.5:
                xs[i, b] = True
        paths = Paths(np.zeros(n), xs)
    else:
        node_cost = np.where(y[k_of], 0.0, np.inf)
        paths = shortest_paths(
            data.first, data.interval, data.end, data.beyond, data.node_ok, node_cost
        )
    cost = evaluate_multiyear(mp, paths.x)
    status = Status.OPTIMAL if tc == TerminationCondition.optimal else Status.TIME_LIMIT
    return _plan(mp, paths.x, cost, min(lb, cost["total"]), status, "multiyear-milp", t0, log)


def path_arrays(
    mp: MultiYearProblem,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, BoolArray]:
    """Unpruned path arrays ``(first, interval, end, beyond, node_ok)`` of every position.

    As :func:`shortest_paths` takes them (``inf``: arc or node forbidden, pins applied),
    for the modules that add constraints to a plan (:mod:`optimizer.solvers.multiyear_stock`).
    """
    d = _data(mp, prune=False)
    return d.first, d.interval, d.end, d.beyond, d.node_ok
