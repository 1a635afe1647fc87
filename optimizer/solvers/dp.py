"""Exact grouping dynamic programme over opened periods (set-up coupling only).

Problem (per system ``k``, independent of the other systems when crews do not bind):
choose a set ``O`` of periods in which ``k`` is opened (paying ``opening_cost[k, t]``
for each), and give every component ``i`` of ``k`` the cheapest of its options
``min(min_{t in O} h_i(t), b_i)`` where ``h_i(t) = penalty[i, t]`` (``inf`` where not
allowed) and ``b_i = penalty_beyond[i]`` (deferral beyond the horizon).

Why the classic method is not enough
------------------------------------
Wildeman, Dekker and Smit (1997) sort the activities by their individual optimum and
show that, with a *time-invariant* set-up cost and penalty functions that let every
group choose its own execution time, an optimal grouping consists of blocks that are
consecutive in that order; a DP over blocks (``O(n^2)`` blocks, one 1-D minimisation
each) is then exact.  Here the opening cost varies with the period (maintenance windows,
low-demand periods) and time is a grid of periods, so two components may *cross*: a
component whose own optimum is earlier can be served by a later opening while a later
one is served by an earlier opening (``tests/optimizer/solvers/test_dp.py`` has a
4-component instance where the consecutive-block optimum costs 7 and the true optimum 5).

The open-period DP (this module)
--------------------------------
Let ``m_i`` be a minimiser of row ``h_i``.  If ``h_i`` is *unimodal* (non-increasing
up to ``m_i`` and non-decreasing after it), then for any open set ``O`` the best open
period for ``i`` is one of the two open periods that bracket ``m_i`` (its predecessor
``u <= m_i`` and successor ``v > m_i`` in ``O``).  Adding a virtual first period
``-1`` and last period ``T`` (opening cost 0, never usable), the cost of ``O`` is the
sum over consecutive open periods ``u < v`` of ``S_k(v)`` plus

    seg(u, v) = sum_{i : u <= m_i < v} min(h_i(u), h_i(v), b_i),

so a shortest path over the sorted open periods (state = last opened period) is exact.
Pinned work forces its period into ``O`` (a transition may not jump over it).

Exact pruning keeps it fast.  Let ``cap_i = min(b_i, min_t h_i(t) + S'_k(t))`` where
``S'`` is the opening cost with forced openings free: in an optimal plan no component
is served at a period with ``h_i(t) > cap_i`` (moving it alone to its best solo period,
or deferring it, would be strictly cheaper).  So each component only *saves* against
deferral inside its window ``W_i = {t : h_i(t) <= cap_i}``, an interval around
``m_i``; replacing ``h_i`` by ``b_i`` outside ``W_i`` changes no optimal value.
Writing ``d_i(t) = h_i(t) - b_i <= 0`` on ``W_i`` (0 elsewhere), ``seg(u, v) - sum b_i``
splits into a part separable in ``u`` and ``v`` plus a correction that is non-zero only
when ``u`` and ``v`` lie in a common window.  Two exact evaluations of the recursion
are implemented (and a third for small systems), and the cheapest is picked from the
window sizes:

* *banded* (narrow windows): the correction for all in-window pairs, ``~ sum_i w_i^2``
  entries built with one ``numpy.bincount``, and a forward pass over ``O(T * w)``
  transitions whose minimum over far predecessors is a running minimum;
* *dense* (wide windows, e.g. flat Weibull penalties over a year): columns of the
  transition matrix are streamed period by period for all systems at once; each
  component adds ``O(w_i)`` entries (split points found by merging its two monotone
  halves with one lexicographic ``searchsorted``) and the DP does ``K T^2 / 2`` work.
  ``benchmarks/bench_dp.py``: 10,000 components, 500 systems, 365 daily periods in
  about 0.6 s on 2 cores.
* *hops* (few components per system, no pinned work, e.g. the re-plans of the
  simulator's prescriptive strategy: 2-8 components over 120 daily periods): the full
  transition matrix ``seg(u, v)`` per system and a Bellman-Ford pass limited to
  ``n_k + 1`` edges (an opening that no component strictly prefers can be dropped, so
  some optimal open set has at most ``n_k`` periods), a few numpy calls per hop
  instead of one Python step per period.
* *blocks* (at most ``_BLOCK_MAX`` = 6 components per system that can beat deferral):
  enumerate the partitions of the system's components into blocks served at one period
  each (``2^c - 1`` block minima over the periods, a subset DP of ``3^c`` steps),
  vectorised over all systems with the same count; exact without any shape condition
  on the rows.  ``auto`` solves the systems with up to ``C`` such components this way
  and the others by the path evaluations above, ``C`` chosen by estimated work
  (:func:`_block_limit`).  ``benchmarks/bench_dp.py --systems 5000``: 10,000
  components, 2 per system, 0.20 CPU s of DP instead of 3.1 s (dense).

Exactness conditions (returned by :func:`dp_is_exact`)
------------------------------------------------------
The DP optimum is the optimum of the instance when

1. crews cannot bind: every crew capacity is infinite, or no skill/period could receive
   more technician-hours than it has even if all eligible work were put there (a job
   spanning several periods counts its per-period share in every period it could
   cover); and
2. every free component's row is unimodal *on its window*: the set
   ``{t : h_i(t) <= cap_i}`` is an interval around ``m_i`` and ``h_i`` is non-increasing
   up to ``m_i`` and non-decreasing after it on that interval (``allowed = False`` is
   ``inf``, so a forbidden period inside the window breaks it; forbidden periods or
   bumps outside the window, and ``open_allowed`` restrictions, do not).
   ``penalty_beyond`` needs no shape: deferral is an option that is always available.

Otherwise the module still returns a plan, status ``FEASIBLE`` unless the bound below
closes the gap:

* non-unimodal rows: the lower bound is the exact DP optimum of the relaxation in which
  each row is replaced by its largest unimodal minorant with the same minimiser
  (prefix minimum before ``m_i``, suffix minimum after), which is ``<= h_i`` pointwise;
  the plan is the better of the two DP open sets (on ``h`` and on the minorant), each
  re-assigned with the true costs;
* capacitated crews: the lower bound is the (exact or relaxed) uncapacitated optimum;
  the plan is repaired greedily (repeatedly move the job whose move out of an
  overloaded skill/period costs least per hour relieved, to a period where it fits or
  beyond the horizon).

References
----------
.. [1] R. E. Wildeman, R. Dekker, A. C. J. M. Smit, "A dynamic policy for grouping
   maintenance activities", European Journal of Operational Research 99 (1997) 530-551.
.. [2] A. Wagner, T. M. Whitin, "Dynamic version of the economic lot size model",
   Management Science 5 (1958) 89-96 -- shortest path over set-up periods.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np

from optimizer._typing import BoolArray, FloatArray, IntArray
from optimizer.problem.data import NO_PIN, PIN_BEYOND, PlanningProblem
from optimizer.problem.plan import (
    BEYOND,
    Plan,
    Status,
    crew_load_h,
    evaluate,
    spanned_min,
    violations,
)
from optimizer.solvers.common import (
    CAP_TOL,
    binding_crew_cells,
    check_inputs,
    eligible_mask,
    period_date,
    pinned_diagnosis,
)

__all__ = ["dp_is_exact", "solve_dp"]

_CHUNK_CELLS = 3_000_000
"""Max entries of one chunk's banded pair-cost array (systems x periods x band)."""
_CHUNK_PAIRS = 2_000_000
"""Max in-window component pairs generated at once."""
_STEP_COST = 20_000.0
"""Cost of one Python-level step of numpy calls, in element operations (for ``auto``)."""
_HOP_CELLS = 2_000_000
"""Max entries of the full transition matrix (systems x periods^2) of the ``hops`` mode."""
_BLOCK_MAX = 6
"""Systems with at most this many active components are solved by enumerating blocks."""
_DEADLINE_BATCHES = 8
"""Under a time limit, the systems are solved in up to this many batches (deadline checks)."""


class _Expired(Exception):
    """The deadline passed inside a DP evaluation (its batch is abandoned)."""


def _check(deadline: float | None) -> None:
    """Raise :class:`_Expired` when ``deadline`` (``time.perf_counter`` units) has passed."""
    if deadline is not None and time.perf_counter() > deadline:
        raise _Expired


# --------------------------------------------------------------------------------------
# Windows and the DP core
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Windows:
    """Per-row DP data of the free components (see the module docstring)."""

    m: IntArray  # minimiser of the row
    lo: IntArray  # window start (inclusive)
    hi: IntArray  # window end (inclusive)
    active: BoolArray  # the component can beat deferral somewhere
    b_dp: FloatArray  # deferral cost used by the DP (finite surrogate when b = inf)
    exact: BoolArray  # row unimodal on its window


def _windows(h: FloatArray, b: FloatArray, sys: IntArray, oc_eff: FloatArray) -> _Windows:
    """Minimiser, cap window ``{t : h(t) <= cap}`` around it, and the exactness test."""
    n, n_t = h.shape
    pos = np.arange(n_t)
    if n == 0 or n_t == 0:
        z = np.zeros(n, dtype=np.int64)
        return _Windows(z, z, z - 1, np.zeros(n, bool), np.zeros(n), np.ones(n, bool))
    rows = np.arange(n)
    m = np.argmin(h, axis=1)
    hmin = h[rows, m]
    solo = np.min(h + oc_eff[sys], axis=1)
    active = np.isfinite(solo) & (hmin < b)
    cap = np.minimum(b, solo)
    # A must-do component (b = inf) gets a finite deferral cost strictly above its solo
    # cost: no optimal plan of the surrogate defers it, so optima coincide.
    b_dp = np.where(np.isfinite(b), b, solo + 1.0 + np.abs(solo))
    b_dp = np.where(active, b_dp, 0.0)
    within = (h <= cap[:, None]) & active[:, None]
    mcol = m[:, None]
    lo = np.where(~within & (pos < mcol), pos, -1).max(axis=1) + 1
    hi = np.where(~within & (pos > mcol), pos, n_t).min(axis=1) - 1
    interval = within.sum(axis=1) == hi - lo + 1
    with np.errstate(invalid="ignore"):
        dh = np.diff(h, axis=1)
    p = pos[:-1][None, :]
    left_bad = (p >= lo[:, None]) & (p < mcol) & (dh > 0)
    right_bad = (p >= mcol) & (p < hi[:, None]) & (dh < 0)
    mono = ~(left_bad | right_bad).any(axis=1)
    exact = ~active | (interval & mono)
    lo = np.where(active, lo, 0)
    hi = np.where(active, hi, -1)
    return _Windows(m, lo, hi, active, b_dp, exact)


def _unimodal_majorant(h: FloatArray) -> FloatArray:
    """Smallest unimodal function ``>= h`` with the same (first) minimiser, row-wise."""
    if h.size == 0:
        return h.copy()
    m = np.argmin(h, axis=1)
    pos = np.arange(h.shape[1])[None, :]
    left = np.where(pos <= m[:, None], h, -np.inf)
    right = np.where(pos >= m[:, None], h, -np.inf)
    up_left = np.maximum.accumulate(left[:, ::-1], axis=1)[:, ::-1]
    up_right = np.maximum.accumulate(right, axis=1)
    out: FloatArray = np.where(pos <= m[:, None], up_left, up_right)
    return out


def _unimodal_minorant(h: FloatArray) -> FloatArray:
    """Largest unimodal function ``<= h`` with the same (first) minimiser, row-wise."""
    if h.size == 0:
        return h.copy()
    m = np.argmin(h, axis=1)
    prefix = np.minimum.accumulate(h, axis=1)
    suffix = np.minimum.accumulate(h[:, ::-1], axis=1)[:, ::-1]
    out: FloatArray = np.where(np.arange(h.shape[1])[None, :] <= m[:, None], prefix, suffix)
    return out


def _chunks(
    sys_sorted: IntArray, pairs: IntArray, n_sys: int, cells_per_sys: int
) -> list[tuple[int, int]]:
    """Split systems ``[0, K)`` into ranges bounded in memory (cells and pairs)."""
    pairs_per_sys = np.bincount(sys_sorted, weights=pairs, minlength=n_sys)
    out: list[tuple[int, int]] = []
    k0, cells, npairs = 0, 0, 0.0
    for k in range(n_sys):
        if k > k0 and (
            cells + cells_per_sys > _CHUNK_CELLS or npairs + pairs_per_sys[k] > _CHUNK_PAIRS
        ):
            out.append((k0, k))
            k0, cells, npairs = k, 0, 0.0
        cells += cells_per_sys
        npairs += pairs_per_sys[k]
    if n_sys:
        out.append((k0, n_sys))
    return out


def _dp_open_sets(
    h: FloatArray,
    sys: IntArray,
    win: _Windows,
    oc: FloatArray,
    forced: BoolArray,
    mode: str = "auto",
    deadline: float | None = None,
) -> tuple[FloatArray, BoolArray]:
    """Optimal open sets of all systems: blocks for small systems, paths for the rest.

    ``mode="auto"`` solves every system with at most ``_BLOCK_MAX`` active components by
    :func:`_block_open_sets` and the others by :func:`_path_open_sets` (its own
    ``"auto"`` choice); ``"blocks"`` requires every system to be small; the other modes
    go to :func:`_path_open_sets` for all systems.  Same returns as
    :func:`_path_open_sets`.
    """
    if mode not in ("auto", "blocks"):
        return _path_open_sets(h, sys, win, oc, forced, mode, deadline)
    n_k = oc.shape[0]
    act = win.active
    count = np.bincount(sys[act], minlength=n_k)
    if mode == "blocks":
        if count.max(initial=0) > _BLOCK_MAX:
            raise ValueError(
                f"mode 'blocks' needs at most {_BLOCK_MAX} active components per system"
            )
        small = np.ones(n_k, dtype=bool)
    else:
        small = count <= _block_limit(count, win, sys, oc.shape[1] + 2, bool(forced.any()))
    value = np.zeros(n_k)
    opened = np.zeros(oc.shape, dtype=bool)
    if small.any():
        ks = np.flatnonzero(small)
        value[ks], opened[ks] = _block_open_sets(h, sys, win, oc, forced, ks, count)
        _check(deadline)
    if not small.all():
        big = np.flatnonzero(~small)
        local = np.full(n_k, -1, dtype=np.int64)
        local[big] = np.arange(len(big))
        rows = np.flatnonzero(~small[sys])
        sub = _Windows(
            win.m[rows],
            win.lo[rows],
            win.hi[rows],
            win.active[rows],
            win.b_dp[rows],
            win.exact[rows],
        )
        value[big], opened[big] = _path_open_sets(
            h[rows], local[sys[rows]], sub, oc[big], forced[big], "auto", deadline
        )
    return value, opened


def _block_limit(count: IntArray, win: _Windows, sys: IntArray, tp2: int, forced: bool) -> int:
    """Largest component count ``C`` whose systems ``auto`` solves by blocks.

    Minimises the estimated work (element operations, ``_STEP_COST`` per Python-level
    step of numpy calls) of blocks for the systems with ``<= C`` active components plus
    the cheapest path evaluation (same estimates as :func:`_path_open_sets`) for the rest.
    """
    act = np.flatnonzero(win.active)
    w = (win.hi - win.lo + 1)[act]
    c_row = count[sys[act]]
    n_of = np.bincount(count, minlength=_BLOCK_MAX + 1)
    best_c, best, blocks = 0, np.inf, 0.0
    for c in range(_BLOCK_MAX + 1):
        if c and n_of[c]:
            blocks += float(n_of[c]) * (1 << c) * c * tp2 + _STEP_COST * ((1 << c) + 3**c / 2)
        rest = c_row > c
        n_rest = int((count > c).sum())
        path = 0.0
        if n_rest:
            pairs = float((w[rest] * (w[rest] - 1) // 2).sum())
            band = max(1, int(w[rest].max()) - 1)
            n_e = float(w[rest].sum())
            n_a = int(rest.sum())
            hops = int(count.max()) + 1
            banded = 8.0 * pairs + 3.0 * n_rest * tp2 * band + _STEP_COST * tp2
            dense = 1.0 * n_rest * tp2 * tp2 + 30.0 * n_e + _STEP_COST * tp2
            hop = (2.0 * hops + n_a) * n_rest * tp2 * tp2 + _STEP_COST * (hops + n_a / 4.0)
            if forced or n_rest * tp2 * tp2 > _HOP_CELLS:
                hop = np.inf
            path = min(banded, dense, hop)
        if blocks + path < best:
            best_c, best = c, blocks + path
    return best_c


def _block_open_sets(
    h: FloatArray,
    sys: IntArray,
    win: _Windows,
    oc: FloatArray,
    forced: BoolArray,
    ks: IntArray,
    count: IntArray,
) -> tuple[FloatArray, BoolArray]:
    """Exact open sets of systems with few active components, by enumerating blocks.

    Any open set ``O`` induces a partition of the active components of a system into
    the deferred ones and blocks served at one open period each; conversely every such
    partition with one period per block is realised by the open set of its periods at
    a cost no lower than its own (components may only move to cheaper open periods).
    So the optimum is ``min`` over partitions of ``sum_blocks min_t [S'(t) + sum_{i in
    block} d_i(t)]`` with ``d_i = h_i - b_i`` (deferral costs 0 in these units) and
    ``S'`` the opening cost with forced openings free (they are paid once, added to the
    value).  No shape condition on the rows is used.  Per system with ``c`` components:
    ``2^c - 1`` block minima over ``T`` periods and a subset DP of ``3^c`` steps,
    vectorised over all systems with the same ``c`` (``c <= _BLOCK_MAX``).

    Parameters
    ----------
    h, sys, win, oc, forced
        As in :func:`_dp_open_sets`.
    ks : ndarray of int
        The systems to solve.
    count : ndarray of int, shape (K,)
        Active components per system.

    Returns
    -------
    value : ndarray, shape (len(ks),)
        Same units as :func:`_path_open_sets` (openings, forced ones included, plus
        savings ``d``).
    opened : ndarray of bool, shape (len(ks), T)
    """
    n_t = oc.shape[1]
    oc_eff = np.where(forced, 0.0, oc)
    paid = np.where(forced & np.isfinite(oc), oc, 0.0).sum(axis=1)
    value = paid[ks].copy()
    opened = forced[ks].copy()
    pos_of = np.full(oc.shape[0], -1, dtype=np.int64)
    pos_of[ks] = np.arange(len(ks))
    act = np.flatnonzero(win.active)
    act = act[np.argsort(sys[act], kind="stable")]
    for c in range(1, _BLOCK_MAX + 1):
        grp = ks[count[ks] == c]
        if len(grp) == 0:
            continue
        rows = act[np.isin(sys[act], grp)].reshape(len(grp), c)  # sorted by system
        grp = sys[rows[:, 0]]
        d = h[rows] - win.b_dp[rows][:, :, None]  # (G, c, T)
        n_m = 1 << c
        blk = np.zeros((len(grp), n_m))
        arg = np.zeros((len(grp), n_m), dtype=np.int64)
        base = oc_eff[grp]
        for mask in range(1, n_m):
            members = [j for j in range(c) if mask >> j & 1]
            tot = base + d[:, members, :].sum(axis=1)
            arg[:, mask] = np.argmin(tot, axis=1)
            blk[:, mask] = tot[np.arange(len(grp)), arg[:, mask]]
        f = np.zeros((len(grp), n_m))
        choice = np.zeros((len(grp), n_m), dtype=np.int64)
        for mask in range(1, n_m):
            low = mask & -mask
            best = f[:, mask ^ low].copy()  # the lowest component deferred
            pick = np.zeros(len(grp), dtype=np.int64)
            rest = mask ^ low
            sub = rest
            while True:
                s = sub | low
                cand = blk[:, s] + f[:, mask ^ s]
                better = cand < best
                best = np.where(better, cand, best)
                pick = np.where(better, s, pick)
                if sub == 0:
                    break
                sub = (sub - 1) & rest
            f[:, mask] = best
            choice[:, mask] = pick
        p = pos_of[grp]
        value[p] += f[:, n_m - 1]
        cur = np.full(len(grp), n_m - 1, dtype=np.int64)
        g_rows = np.arange(len(grp))
        for _ in range(c):
            blk_of = choice[g_rows, cur]
            use = blk_of > 0
            opened[p[use], arg[g_rows[use], blk_of[use]]] = True
            cur = np.where(use, cur ^ blk_of, cur ^ (cur & -cur))
    assert opened.shape[1] == n_t
    return value, opened


def _path_open_sets(
    h: FloatArray,
    sys: IntArray,
    win: _Windows,
    oc: FloatArray,
    forced: BoolArray,
    mode: str = "auto",
    deadline: float | None = None,
) -> tuple[FloatArray, BoolArray]:
    """Shortest path over opened periods, all systems at once.

    Two exact evaluations of the same recursion: ``"banded"`` enumerates the in-window
    component pairs (cost ``~ sum_i w_i^2``, cheap for narrow windows) and
    ``"dense"`` streams whole columns of the transition matrix (cost
    ``~ K T^2 / 2`` plus ``sum_i w_i``, cheap for wide windows); ``"auto"`` picks the
    cheaper estimate.

    Parameters
    ----------
    h : ndarray, shape (n_free, T)
        Penalty rows of the free components (``inf`` = not allowed).
    sys : ndarray of int, shape (n_free,)
        System of each row.
    win : _Windows
        Windows of the rows (only ``active`` rows take part).
    oc : ndarray, shape (K, T)
        Opening cost, ``inf`` where the system may not open.
    forced : ndarray of bool, shape (K, T)
        Openings forced by pinned work.
    mode : {"auto", "banded", "dense", "hops"}
        Evaluation scheme (same result).
    deadline : float or None
        ``time.perf_counter()`` value after which the evaluation raises ``_Expired``
        (checked between periods).

    Returns
    -------
    value : ndarray, shape (K,)
        Optimal cost per system of openings plus savings ``d`` (add ``sum b_dp`` of the
        active rows for the full cost).
    opened : ndarray of bool, shape (K, T)
        The optimal open periods.
    """
    n_k, n_t = oc.shape
    tp2 = n_t + 2
    act = np.flatnonzero(win.active)
    order = act[np.argsort(sys[act], kind="stable")]
    sys_a = sys[order]
    m_a, lo_a, hi_a = win.m[order], win.lo[order], win.hi[order]
    w_a = hi_a - lo_a + 1
    n_a = len(order)
    starts = np.cumsum(w_a) - w_a
    n_e = int(w_a.sum())
    # One entry per (active component, period in its window), component-major.
    ids = np.repeat(np.arange(n_a), w_a)
    t_e = lo_a[ids] + (np.arange(n_e) - starts[ids])
    d_e = h[order[ids], t_e] - win.b_dp[order[ids]]
    left = t_e <= m_a[ids]
    key = sys_a[ids] * tp2 + t_e + 1
    r_k: FloatArray = (
        np.bincount(key[left], weights=d_e[left], minlength=n_k * tp2)
        .reshape(n_k, tp2)
        .astype(np.float64)
    )
    l_k: FloatArray = (
        np.bincount(key[~left], weights=d_e[~left], minlength=n_k * tp2)
        .reshape(n_k, tp2)
        .astype(np.float64)
    )
    cover = np.zeros((n_k, tp2), dtype=np.int64)
    np.add.at(cover, (sys_a, lo_a), 1)
    np.add.at(cover, (sys_a, hi_a + 1), -1)
    cover = np.cumsum(cover, axis=1)[:, :n_t]
    finite_oc = np.isfinite(oc)
    cand = np.zeros((n_k, tp2), dtype=bool)
    cand[:, 1 : n_t + 1] = finite_oc & (forced | (cover > 0))
    cand[:, n_t + 1] = True
    ocs = np.zeros((n_k, tp2))
    ocs[:, 1 : n_t + 1] = np.where(finite_oc, oc, 0.0)
    forced_s = np.zeros((n_k, tp2), dtype=bool)
    forced_s[:, 1 : n_t + 1] = forced

    band = max(1, int(w_a.max()) - 1) if n_a else 1
    pairs = w_a * (w_a - 1) // 2
    hops = int(np.bincount(sys_a, minlength=n_k).max()) + 1 if n_a else 1
    if mode == "auto":
        # banded and dense run one Python-level step of numpy calls per period
        banded_cost = 8.0 * float(pairs.sum()) + 3.0 * n_k * tp2 * band + _STEP_COST * tp2
        dense_cost = 1.0 * n_k * tp2 * tp2 + 30.0 * n_e + _STEP_COST * tp2
        hop_cost = (2.0 * hops + n_a) * n_k * tp2 * tp2 + _STEP_COST * (hops + n_a / 4.0)
        if forced.any() or n_k * tp2 * tp2 > _HOP_CELLS:
            hop_cost = np.inf
        costs = {"banded": banded_cost, "dense": dense_cost, "hops": hop_cost}
        mode = min(costs, key=costs.__getitem__)
    if mode == "hops":
        if forced.any():
            raise ValueError("mode 'hops' does not handle pinned work (forced openings)")
        value, path = _hop_open_sets(t_e, d_e, m_a, sys_a, ids, ocs, cand, hops)
        return value, path[:, 1 : n_t + 1]
    if mode == "dense":
        value, path = _dense_open_sets(
            ids, t_e, d_e, left, m_a, lo_a, sys_a, n_a, ocs, cand, forced_s, deadline
        )
        return value, path[:, 1 : n_t + 1]
    if mode != "banded":
        raise ValueError(f"mode: expected 'auto', 'banded', 'dense' or 'hops', got {mode!r}")
    pair_start = np.cumsum(pairs) - pairs
    comp_start = np.searchsorted(sys_a, np.arange(n_k + 1))
    value = np.zeros(n_k)
    opened = np.zeros((n_k, n_t), dtype=bool)
    for k0, k1 in _chunks(sys_a, pairs, n_k, tp2 * band):
        kc = k1 - k0
        c0, c1 = int(comp_start[k0]), int(comp_start[k1])
        corr = _pair_corrections(
            c0, c1, pairs, pair_start, starts, d_e, lo_a, m_a, sys_a - k0, kc, tp2, band
        )
        val, path = _forward_pass(
            corr,
            r_k[k0:k1],
            l_k[k0:k1],
            ocs[k0:k1],
            cand[k0:k1],
            forced_s[k0:k1],
            band,
            deadline,
        )
        value[k0:k1] = val
        opened[k0:k1] = path[:, 1 : n_t + 1]
    return value, opened


def _pair_corrections(
    c0: int,
    c1: int,
    pairs: IntArray,
    pair_start: IntArray,
    starts: IntArray,
    d_e: FloatArray,
    lo_a: IntArray,
    m_a: IntArray,
    sys_local: IntArray,
    kc: int,
    tp2: int,
    band: int,
) -> FloatArray:
    """Banded ``corr[k, v, band - (v - u)]`` from all in-window pairs ``u < v``.

    For a component with window ``W`` and minimiser ``m`` and periods ``p < q`` in
    ``W`` the correction to ``R(p) + L(q)`` is ``-d(p)`` if ``q <= m``, ``-d(q)`` if
    ``p > m`` and ``-max(d(p), d(q))`` if ``p <= m < q`` (then the pair's cost is
    ``min(d(p), d(q))``).
    """
    corr = np.zeros(kc * tp2 * band)
    if c1 <= c0:
        return corr.reshape(kc, tp2, band)
    n_p = int(pairs[c0:c1].sum())
    if n_p == 0:
        return corr.reshape(kc, tp2, band)
    comp = np.repeat(np.arange(c0, c1), pairs[c0:c1])
    kk = np.arange(n_p, dtype=np.int64) - (pair_start[comp] - pair_start[c0])
    # Decode pair index kk = q (q - 1) / 2 + p, 0 <= p < q, by the triangular root.
    q = np.floor((1.0 + np.sqrt(1.0 + 8.0 * kk)) / 2.0).astype(np.int64)
    q -= q * (q - 1) // 2 > kk
    q += (q + 1) * q // 2 <= kk
    p = kk - q * (q - 1) // 2
    base = starts[comp]
    d_p = d_e[base + p]
    d_q = d_e[base + q]
    lo = lo_a[comp]
    t_p = lo + p
    t_q = lo + q
    mm = m_a[comp]
    term = np.where(t_q <= mm, -d_p, np.where(t_p > mm, -d_q, -np.maximum(d_p, d_q)))
    flat = (sys_local[comp] * tp2 + t_q + 1) * band + (band + t_p - t_q)
    corr += np.bincount(flat, weights=term, minlength=kc * tp2 * band)
    return corr.reshape(kc, tp2, band)


def _forward_pass(
    corr: FloatArray,
    r_k: FloatArray,
    l_k: FloatArray,
    ocs: FloatArray,
    cand: BoolArray,
    forced_s: BoolArray,
    band: int,
    deadline: float | None = None,
) -> tuple[FloatArray, BoolArray]:
    """``F(v) = S(v) + L(v) + min_u [F(u) + R(u) + corr(u, v)]`` over shifted periods.

    Index 0 is the virtual start (period -1), ``T + 1`` the virtual end.  Predecessors
    ``u`` with ``v - u > band`` have ``corr = 0`` and are covered by a running minimum
    of ``G(u) = F(u) + R(u)``; a forced opening resets it (no transition may skip it).
    """
    kc, tp2 = r_k.shape
    rows = np.arange(kc)
    inf = np.inf
    g_pad = np.full((kc, band + tp2), inf)
    g_pad[:, band] = r_k[:, 0]
    pred = np.zeros((kc, tp2), dtype=np.int64)
    far_min = np.full(kc, inf)
    far_arg = np.zeros(kc, dtype=np.int64)
    last_forced = np.zeros(kc, dtype=np.int64)
    offsets = np.arange(-band, 0)
    f_end = np.zeros(kc)
    for v in range(1, tp2):
        if v % 64 == 0:
            _check(deadline)
        u_new = v - band - 1
        if u_new >= 0:
            g = g_pad[:, band + u_new]
            better = (u_new >= last_forced) & (g < far_min)
            far_min = np.where(better, g, far_min)
            far_arg = np.where(better, u_new, far_arg)
        near = g_pad[:, v : v + band] + corr[:, v, :]
        near = np.where(v + offsets[None, :] < last_forced[:, None], inf, near)
        j = np.argmin(near, axis=1)
        near_min = near[rows, j]
        use_far = far_min < near_min
        best = np.where(use_far, far_min, near_min)
        pred[:, v] = np.where(use_far, far_arg, v - band + j)
        f_v = np.where(cand[:, v], best + ocs[:, v] + l_k[:, v], inf)
        g_pad[:, band + v] = f_v + r_k[:, v]
        fv = forced_s[:, v]
        far_min = np.where(fv, inf, far_min)
        last_forced = np.where(fv, v, last_forced)
        f_end = f_v
    return f_end, _backtrack(pred)


def _backtrack(pred: IntArray) -> BoolArray:
    """Open periods (shifted indices) on the path ending at the virtual last period."""
    kc, tp2 = pred.shape
    rows = np.arange(kc)
    path = np.zeros((kc, tp2), dtype=bool)
    cur = np.full(kc, tp2 - 1)
    for _ in range(tp2):
        alive = cur > 0
        if not alive.any():
            break
        cur = np.where(alive, pred[rows, cur], 0)
        path[rows[cur > 0], cur[cur > 0]] = True
    return path


def _hop_open_sets(
    t_e: IntArray,
    d_e: FloatArray,
    m_a: IntArray,
    sys_a: IntArray,
    ids: IntArray,
    ocs: FloatArray,
    cand: BoolArray,
    hops: int,
) -> tuple[FloatArray, BoolArray]:
    """Hop-limited Bellman-Ford on the full transition matrix (few components per system).

    The transition matrix ``seg(u, v) = sum_{i : u <= m_i < v} min(d_i(u), d_i(v))``
    (shifted indices, ``d = 0`` outside the window and at the virtual ends) is built
    outright, one block per component, and the shortest path is found by relaxing all
    edges at once ``hops`` times.  Exact: an opening that no component strictly
    prefers can be dropped at no extra cost (opening costs are ``>= 0`` and, with rows
    unimodal on their windows, every component can still reach its best open period),
    so some optimal open set has at most ``n_k`` periods, i.e. a path of at most
    ``n_k + 1`` edges; ``hops`` is the largest ``n_k + 1``.  No pinned work (a forced
    opening would make the path length unbounded by ``n_k``).  Cost ``O(hops K T^2)``
    with a handful of numpy calls per hop instead of one Python step per period.

    Returns the same ``(value, path)`` as :func:`_dense_open_sets` (shifted indices).
    """
    n_k, tp2 = ocs.shape
    n_a = len(m_a)
    big = np.zeros((n_a, tp2))
    big[ids, t_e + 1] = d_e
    seg = np.zeros((n_k, tp2, tp2))
    for c in range(n_a):
        s = int(m_a[c]) + 2  # rows u <= m + 1, columns v > m + 1 (shifted)
        row = big[c, :s]
        seg[sys_a[c], :s, s:] += np.minimum(row[:, None], big[c, None, s:])
    upper = np.triu(np.ones((tp2, tp2), dtype=bool), 1)
    seg = np.where(upper[None, :, :], seg, np.inf)
    arrive = np.where(cand, ocs, np.inf)  # cost of opening v (0 at the virtual end)
    arrive[:, 0] = np.inf
    f = np.full((n_k, tp2), np.inf)
    f[:, 0] = 0.0
    rows = np.arange(n_k)[:, None]
    cols = np.arange(tp2)[None, :]
    preds: list[IntArray] = []
    for _ in range(hops):
        step = f[:, :, None] + seg
        u = np.argmin(step, axis=1)
        new = step[rows, u, cols] + arrive
        better = new < f
        if not better.any():
            break
        preds.append(np.where(better, u, -1))
        f = np.where(better, new, f)
    path = np.zeros((n_k, tp2), dtype=bool)
    for k in range(n_k):
        v, j = tp2 - 1, len(preds) - 1
        while v > 0 and j >= 0:
            u_k = int(preds[j][k, v])
            if u_k >= 0:
                v = u_k
                if v > 0:
                    path[k, v] = True
            j -= 1
    return f[:, tp2 - 1].copy(), path


def _dense_open_sets(
    ids: IntArray,
    t_e: IntArray,
    d_e: FloatArray,
    left: BoolArray,
    m_a: IntArray,
    lo_a: IntArray,
    sys_a: IntArray,
    n_a: int,
    ocs: FloatArray,
    cand: BoolArray,
    forced_s: BoolArray,
    deadline: float | None = None,
) -> tuple[FloatArray, BoolArray]:
    """Column-streaming evaluation of the DP (wide windows).

    With ``d = g - b <= 0`` (0 outside the window) a component with minimiser ``m``
    contributes ``min(d(u), d(v))`` to ``seg(u, v)`` for ``u <= m < v``.  On the left
    ``d`` is non-increasing and on the right non-decreasing, so for a fixed column
    ``v`` the rows split at ``l(v)`` (last ``u`` with ``d(u) >= d(v)``): rows
    ``u <= l(v)`` get the constant ``d(v)`` (a range add, "A"), rows ``u > l(v)``
    get ``d(u)``.  Row ``u`` joins the second set at column ``r(u) + 1`` (``r(u)`` the
    last right period with ``d <= d(u)``) and stays there ("B", an accumulator).  The
    split points come from merging each component's two monotone halves, done for all
    components at once by ``searchsorted`` on lexicographic (component, value) keys.
    """
    n_k, tp2 = ocs.shape
    rows = np.arange(n_k)
    li = np.flatnonzero(left)
    ri = np.flatnonzero(~left)
    cl, dl, tl = ids[li], d_e[li], t_e[li]
    cr, dr = ids[ri], d_e[ri]
    n_left = np.bincount(cl, minlength=n_a)
    n_right = np.bincount(cr, minlength=n_a)
    l_start = np.cumsum(n_left) - n_left
    r_start = np.cumsum(n_right) - n_right
    # Left halves reversed so that every component's values are non-decreasing; the
    # complex keys (component + 1j * value) then sort lexicographically.
    rank = np.arange(len(li)) - l_start[cl]
    rev = l_start[cl] + n_left[cl] - 1 - rank
    l_keys = np.empty(len(li), dtype=np.complex128)
    l_keys[rev] = cl + 1j * dl
    r_keys = cr + 1j * dr
    # A: column v = t + 1 (t a right-window period) gets d(t) on rows [0, l_s], with
    # l_s = lo + #(left-half values >= d(t)).
    n_lt = np.searchsorted(l_keys, r_keys, side="left") - l_start[cr]
    l_s = lo_a[cr] + (n_left[cr] - n_lt)
    hi_a = m_a + n_right
    # B: row u = tl + 1 gets d(u) from column r(u) + 2 (shifted) on, where r(u) is the
    # last right-half period with d <= d(u).
    n_le_rev = np.searchsorted(r_keys, l_keys, side="right")
    n_le = n_le_rev[rev] - r_start[cl]
    b_step = m_a[cl] + n_le + 2
    keep = b_step < tp2
    b_step, b_k, b_u, b_w = b_step[keep], sys_a[cl[keep]], tl[keep] + 1, dl[keep]
    b_order = np.argsort(b_step.astype(np.int16 if tp2 < 2**15 else np.int64), kind="stable")
    b_flat = (b_u * n_k + b_k)[b_order]
    b_w = b_w[b_order]
    b_bound = np.searchsorted(b_step[b_order], np.arange(tp2 + 1))

    # Period-major layout [u, k] so that the column operations run over contiguous rows.
    f = np.full((tp2, n_k), np.inf)
    f[0] = 0.0
    pred = np.zeros((tp2, n_k), dtype=np.int64)
    b_acc = np.zeros(tp2 * n_k)
    b_acc2 = b_acc.reshape(tp2, n_k)
    slab = np.zeros(tp2 * n_k)
    slab2 = slab.reshape(tp2, n_k)
    cand_t = np.ascontiguousarray(cand.T)
    ocs_t = np.ascontiguousarray(ocs.T)
    forced_t = np.ascontiguousarray(forced_s.T)
    last_forced = np.zeros(n_k, dtype=np.int64)
    any_forced = bool(forced_s.any())
    for v in range(1, tp2):
        if v % 16 == 0:
            _check(deadline)
        b0, b1 = b_bound[v], b_bound[v + 1]
        if b1 > b0:
            np.add.at(b_acc, b_flat[b0:b1], b_w[b0:b1])
        t = v - 1
        comps = np.flatnonzero((m_a < t) & (hi_a >= t))
        slab2[: v + 1] = 0.0
        if len(comps):
            idx = r_start[comps] + (t - m_a[comps] - 1)
            d_v = dr[idx]
            k_v = sys_a[comps]
            np.add.at(slab2[0], k_v, d_v)
            np.add.at(slab, (l_s[idx] + 1) * n_k + k_v, -d_v)
        near = np.add.accumulate(slab2[:v], axis=0)
        near += f[:v]
        near += b_acc2[:v]
        if any_forced:
            near[np.arange(v)[:, None] < last_forced[None, :]] = np.inf
        j = np.argmin(near, axis=0)
        best = near[j, rows]
        f[v] = np.where(cand_t[v], best + ocs_t[v], np.inf)
        pred[v] = j
        if any_forced:
            last_forced = np.where(forced_t[v], v, last_forced)
    return f[tp2 - 1].copy(), _backtrack(np.ascontiguousarray(pred.T))


# --------------------------------------------------------------------------------------
# Assignment, repair, orchestration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Instance:
    h: FloatArray  # (n, T) penalty, inf where not allowed
    b: FloatArray  # (n,) deferral cost (may be inf)
    oc: FloatArray  # (K, T) opening cost, inf where the system may not open
    forced: BoolArray  # (K, T) openings forced by pinned work
    free: IntArray  # indices of unpinned components


def _instance(problem: PlanningProblem) -> _Instance:
    h = np.where(problem.allowed, problem.penalty, np.inf)
    oc = np.where(problem.open_allowed, problem.opening_cost, np.inf)
    pin = problem.pinned_period
    forced = np.zeros((problem.n_systems, problem.n_periods), dtype=bool)
    pinned = pin >= 0
    forced[problem.system_of[pinned], pin[pinned]] = True
    free = np.flatnonzero(pin == NO_PIN)
    return _Instance(h, problem.penalty_beyond.copy(), oc, forced, free)


@dataclass(frozen=True)
class _Relaxation:
    value: float  # optimal (uncapacitated) objective of the DP instance (or a bound)
    opened: BoolArray  # (K, T)
    exact_rows: BoolArray  # (n_free,)
    solved: int = -1  # systems solved exactly before the deadline (-1: all)


def _cheap_system_bounds(
    h: FloatArray, sys: IntArray, win: _Windows, oc: FloatArray, forced: BoolArray
) -> tuple[FloatArray, BoolArray]:
    """Per-system lower bound on the DP value and a feasible open set, without the DP.

    Same units as :func:`_dp_open_sets` (openings, forced ones included, plus savings
    ``d_i = h_i - b_i`` of the active rows; ``sum b_dp`` is added by the caller).

    Bound: let ``O`` be any open set of system ``k`` (it contains the forced periods
    ``F``, whose opening cost ``P_k`` is paid whatever else opens), and ``S'`` the opening
    cost with forced periods free.  If ``O`` is empty every component is deferred:
    savings 0 and no opening, value ``0 = P_k`` (``F`` is empty).  Otherwise the
    openings cost at least ``P_k + min_t S'(t)`` (one period at least; ``min S' = 0``
    when ``F`` is not empty) and component ``i`` saves at most
    ``dmin_i = min_t h_i(t) - b_i`` (its best period, opening ignored).  Hence
    ``value_k >= P_k + min(0, min_t S'(t) + sum_i min(dmin_i, 0))``, a valid bound for
    every open set, so for the optimum.  Must-do rows use the surrogate ``b_dp``, whose
    optimum equals the true one (see :func:`_windows`).

    Plan: open the forced periods and each active component's solo best period
    ``argmin_t h_i(t) + S'(t)`` (finite for active rows); the caller re-assigns every
    component to its cheapest open period or beyond.
    """
    n_k, n_t = oc.shape
    oc_eff = np.where(forced, 0.0, oc)
    paid = np.where(forced & np.isfinite(oc), oc, 0.0).sum(axis=1)
    act = np.flatnonzero(win.active)
    opened = forced.copy()
    if n_t == 0 or len(act) == 0:
        return paid, opened
    d_min = np.minimum(h[act].min(axis=1) - win.b_dp[act], 0.0)
    saving = np.bincount(sys[act], weights=d_min, minlength=n_k)
    min_open = np.min(oc_eff, axis=1)
    has = np.bincount(sys[act], minlength=n_k) > 0
    value = paid + np.where(has, np.minimum(0.0, min_open + saving), 0.0)
    solo_t = np.argmin(h[act] + oc_eff[sys[act]], axis=1)
    opened[sys[act], solo_t] = True
    return value, opened


def _batched_open_sets(
    h: FloatArray,
    sys: IntArray,
    win: _Windows,
    oc: FloatArray,
    forced: BoolArray,
    mode: str,
    deadline: float,
) -> tuple[FloatArray, BoolArray, int]:
    """:func:`_dp_open_sets` in batches of systems, stopping at ``deadline``.

    Systems whose batch finished get their exact DP value and open set; the others
    (a batch interrupted inside its evaluation, and the batches not started) get
    :func:`_cheap_system_bounds`.  The sum of the returned values is therefore a valid
    lower bound of the DP optimum.  Returns the values, the open sets and the number
    of systems solved exactly.
    """
    value, opened = _cheap_system_bounds(h, sys, win, oc, forced)
    n_k = oc.shape[0]
    cuts = np.linspace(0, n_k, min(n_k, _DEADLINE_BATCHES) + 1).round().astype(np.int64)
    solved = 0
    for k0, k1 in itertools.pairwise(cuts):
        if time.perf_counter() > deadline:
            break
        rows = np.flatnonzero((sys >= k0) & (sys < k1))
        sub = _Windows(
            win.m[rows],
            win.lo[rows],
            win.hi[rows],
            win.active[rows],
            win.b_dp[rows],
            win.exact[rows],
        )
        try:
            val, op = _dp_open_sets(
                h[rows], sys[rows] - k0, sub, oc[k0:k1], forced[k0:k1], mode, deadline
            )
        except _Expired:
            break
        value[k0:k1], opened[k0:k1] = val, op
        solved = int(k1)
    return value, opened, solved


def _solve_uncapacitated(
    problem: PlanningProblem,
    inst: _Instance,
    h_free: FloatArray,
    mode: str = "auto",
    deadline: float | None = None,
) -> _Relaxation | BoolArray:
    """DP optimum of the uncapacitated instance with free rows ``h_free``.

    Returns the per-row exactness mask instead when some row is not unimodal on its
    window (the DP must not run on such rows).  With a ``deadline``
    (``time.perf_counter`` units) the systems are solved in batches; when it passes,
    ``value`` is a lower bound and ``solved`` the number of systems solved exactly
    (see :func:`_batched_open_sets`).
    """
    sys = problem.system_of[inst.free]
    b = inst.b[inst.free]
    oc_eff = np.where(inst.forced, 0.0, inst.oc)
    win = _windows(h_free, b, sys, oc_eff)
    if not win.exact.all():
        return win.exact
    solved = -1
    if deadline is None:
        value, opened = _dp_open_sets(h_free, sys, win, inst.oc, inst.forced, mode)
    else:
        value, opened, solved = _batched_open_sets(
            h_free, sys, win, inst.oc, inst.forced, mode, deadline
        )
        if solved == problem.n_systems:
            solved = -1
    pin = problem.pinned_period
    pinned = np.flatnonzero(pin >= 0)
    fixed = float(problem.penalty[pinned, pin[pinned]].sum())
    fixed += float(inst.b[pin == PIN_BEYOND].sum())
    idle = ~win.active
    total = float(value.sum()) + float(win.b_dp[win.active].sum()) + float(b[idle].sum()) + fixed
    return _Relaxation(total, opened, win.exact, solved)


def _assign(problem: PlanningProblem, inst: _Instance, opened: BoolArray) -> IntArray:
    """Best period of every free component among the open periods (or beyond)."""
    n = problem.n_components
    period = np.full(n, BEYOND, dtype=np.int64)
    pin = problem.pinned_period
    period[pin >= 0] = pin[pin >= 0]
    free = inst.free
    if len(free) == 0 or problem.n_periods == 0:
        return period
    sys = problem.system_of[free]
    cost = np.where(opened[sys], inst.h[free], np.inf)
    t_best = np.argmin(cost, axis=1)
    c_best = cost[np.arange(len(free)), t_best]
    b = inst.b[free]
    period[free] = np.where(c_best < b, t_best, BEYOND)
    # Must-do work left without an open period (heuristic open sets only): open its
    # cheapest period alone.
    for j in np.flatnonzero((period[free] == BEYOND) & ~np.isfinite(b)):
        i = int(free[j])
        now = np.zeros(problem.n_periods, dtype=bool)
        now[period[(problem.system_of == sys[j]) & (period >= 0)]] = True
        solo = inst.h[i] + np.where(now, 0.0, inst.oc[sys[j]])
        if np.isfinite(solo.min()):
            period[i] = int(np.argmin(solo))
    return period


def _repair(
    problem: PlanningProblem,
    inst: _Instance,
    period: IntArray,
    deadline: float | None = None,
) -> tuple[IntArray, int, bool]:
    """Greedy crew-capacity repair; returns the plan, the number of moves (``-1``: no
    feasible plan found) and whether the deadline cut the greedy short.

    While a skill/period is overloaded, move the free job loading that cell whose move
    (to another start where it fits in every period it spans, or beyond the horizon)
    costs least per technician-hour of overload it relieves.  A move never overloads
    a cell (its own load is taken out before the fit test, and a window that covers an
    overloaded cell cannot fit), so a moved job never loads an overloaded cell again:
    each job moves at most once and the loop ends.

    Each move costs ``O(jobs x periods)``; when ``deadline`` (``time.perf_counter``
    units) passes, the remaining overloads are cleared by :func:`_defer_overloads`
    instead (deferral only, ``O(jobs)`` per overloaded cell).
    """
    period = period.copy()
    cap = problem.crew_hours
    share = problem.load_per_period_h
    span = problem.span_periods
    load = crew_load_h(problem, period)
    n_t = problem.n_periods
    sys_of, skill_of = problem.system_of, problem.skill_of
    free_mask = problem.pinned_period == NO_PIN
    hosts = np.zeros((problem.n_systems, n_t), dtype=np.int64)
    done = period >= 0
    np.add.at(hosts, (sys_of[done], period[done]), 1)
    elig = eligible_mask(problem)
    pos = np.arange(n_t)
    moves = 0
    while True:
        over = load > cap * (1 + CAP_TOL) + CAP_TOL
        if not over.any():
            return period, moves, False
        if deadline is not None and time.perf_counter() > deadline:
            period, deferred = _defer_overloads(problem, inst, period, load, hosts)
            return period, (moves + deferred if deferred >= 0 else -1), True
        s, t = (int(x) for x in np.argwhere(over)[0])
        excess = load[s, t] - cap[s, t]
        covering = (period >= 0) & (period <= t) & (t < period + span)
        jobs = np.flatnonzero(free_mask & covering & (skill_of == s))
        if len(jobs) == 0:
            return period, -1, False
        ks, start, n_j = sys_of[jobs], period[jobs], span[jobs]
        leave = inst.h[jobs, start] + np.where(hosts[ks, start] == 1, inst.oc[ks, start], 0.0)
        # headroom of skill s per period with the job itself taken out, one row per job
        own = (pos[None, :] >= start[:, None]) & (pos[None, :] < (start + n_j)[:, None])
        room = cap[s] * (1 + CAP_TOL) + CAP_TOL - load[s]
        room = room[None, :] + own * share[jobs, None]
        fits = spanned_min(room, np.arange(len(jobs)), n_j) >= share[jobs, None]
        ok = elig[jobs] & fits
        ok[np.arange(len(jobs)), start] = False
        arrive = np.where(ok, inst.h[jobs] + np.where(hosts[ks] == 0, inst.oc[ks], 0.0), np.inf)
        delta = np.concatenate([arrive, inst.b[jobs][:, None]], axis=1) - leave[:, None]
        relief = np.maximum(np.minimum(share[jobs], excess), 1e-12)[:, None]
        score = np.where(delta > 0, delta / relief, delta * relief)
        if not np.isfinite(score).any():
            return period, -1, False
        a, c = np.unravel_index(int(np.argmin(score)), score.shape)
        i, new = int(jobs[a]), (int(c) if c < n_t else BEYOND)
        old = int(period[i])
        load[s, old : old + span[i]] -= share[i]
        hosts[sys_of[i], old] -= 1
        if new >= 0:
            load[s, new : new + span[i]] += share[i]
            hosts[sys_of[i], new] += 1
        period[i] = new
        moves += 1


def _defer_overloads(
    problem: PlanningProblem,
    inst: _Instance,
    period: IntArray,
    load: FloatArray,
    hosts: IntArray,
) -> tuple[IntArray, int]:
    """Clear every crew overload by deferring jobs beyond the horizon (repair fallback).

    For each overloaded skill/period in turn, the free deferrable jobs loading it are
    deferred in increasing order of cost increase per technician-hour relieved until the
    cell fits.  Deferring only takes load out, so no cell becomes overloaded and each
    job is deferred at most once.  ``load`` and ``hosts`` (jobs per system and start
    period) are those of ``period`` and are updated in place.

    Returns
    -------
    (ndarray of int, int)
        The plan and the number of jobs deferred, ``-1`` when a cell stays overloaded
        (only must-do or pinned work loads it).
    """
    period = period.copy()
    cap = problem.crew_hours * (1 + CAP_TOL) + CAP_TOL
    share, span = problem.load_per_period_h, problem.span_periods
    free_mask = (problem.pinned_period == NO_PIN) & np.isfinite(inst.b)
    sys_of, skill_of = problem.system_of, problem.skill_of
    deferred = 0
    while True:
        over = np.argwhere(load > cap)
        if len(over) == 0:
            return period, deferred
        s, t = (int(x) for x in over[0])
        covering = (period >= 0) & (period <= t) & (t < period + span)
        jobs = np.flatnonzero(free_mask & covering & (skill_of == s))
        if len(jobs) == 0:
            return period, -1
        ks, start = sys_of[jobs], period[jobs]
        leave = inst.h[jobs, start] + np.where(hosts[ks, start] == 1, inst.oc[ks, start], 0.0)
        order = jobs[np.argsort((inst.b[jobs] - leave) / share[jobs], kind="stable")]
        excess = load[s, t] - cap[s, t]
        take = int(np.searchsorted(np.cumsum(share[order]), excess, side="left")) + 1
        for i in order[:take].tolist():
            old = int(period[i])
            load[s, old : old + span[i]] -= share[i]
            hosts[sys_of[i], old] -= 1
            period[i] = BEYOND
            deferred += 1


def _row_reason(problem: PlanningProblem, inst: _Instance, exact_rows: BoolArray) -> str:
    bad = inst.free[~exact_rows]
    names = ", ".join(problem.component_ids[i] for i in bad[:5])
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    return (
        f"penalty row of component {names}{more} is not unimodal on its cost window"
        " (the periods where doing it can beat deferral or a solo opening), so the best"
        " open period need not bracket its minimiser"
    )


def dp_is_exact(problem: PlanningProblem) -> tuple[bool, str]:
    """Whether :func:`solve_dp` returns a certified optimum for ``problem``, and why.

    Exact when (1) crew capacity cannot bind (all ``inf``, or no skill/period could
    receive more technician-hours than it has) and (2) every free component's penalty
    row is unimodal on its cost window (see the module docstring).  Instances whose
    pinned work is infeasible are also exact: the infeasibility is diagnosed directly.

    Parameters
    ----------
    problem : PlanningProblem
        The instance.

    Returns
    -------
    (bool, str)
        The verdict and a plain-language reason.
    """
    check_inputs(problem, None, 0.0, None, nonnegative_opening=True)
    diag = pinned_diagnosis(problem)
    if diag:
        return True, "pinned work is infeasible (" + diag[0] + "); the DP diagnoses it exactly"
    cells = binding_crew_cells(problem)
    if cells:
        s, t, pot = cells[0]
        return False, (
            f"crew capacity can bind: skill {problem.skill_ids[s]} could receive {pot:.1f} h"
            f" in period {t} ({period_date(problem, t)}) but has {problem.crew_hours[s, t]:.1f} h"
            f" ({len(cells)} such skill/period cells); the DP ignores crews"
        )
    inst = _instance(problem)
    sys = problem.system_of[inst.free]
    win = _windows(inst.h[inst.free], inst.b[inst.free], sys, np.where(inst.forced, 0.0, inst.oc))
    if not win.exact.all():
        return False, _row_reason(problem, inst, win.exact)
    return True, (
        "crews cannot bind and every penalty row is unimodal on its cost window:"
        " the open-period DP is exact"
    )


def solve_dp(
    problem: PlanningProblem,
    *,
    time_limit_s: float | None = None,
    gap: float = 1e-6,
    warm_start: np.ndarray | None = None,
    mode: str = "auto",
) -> Plan:
    """Grouped plan by the open-period dynamic programme.

    Parameters
    ----------
    problem : PlanningProblem
        The instance.
    time_limit_s : float or None
        Wall-clock limit, seconds.  The systems are then solved in batches with the
        deadline checked between batches and between periods inside a batch; on
        expiry the systems solved so far keep their exact open sets, the others open
        their forced periods and each component's solo best period, and the bound is
        the sum of the exact values and of a cheap per-system bound (proved in
        :func:`_cheap_system_bounds`); status ``TIME_LIMIT``.  The greedy crew repair
        checks the deadline before each move; past it, the jobs still overloading a crew
        are deferred beyond the horizon (:func:`_defer_overloads`), the bound stays the
        uncapacitated one, and the status is ``TIME_LIMIT`` unless the plan closes the gap.
    gap : float
        Relative gap within which a plan counts as ``OPTIMAL`` when the DP is not exact
        but its bound closes the gap anyway.
    warm_start : ndarray of int, shape (n,), or None
        A plan (``BEYOND`` = deferred); used if it satisfies every constraint and is
        cheaper than the DP's plan (only possible when the DP is not exact).
    mode : {"auto", "banded", "dense", "hops", "blocks"}
        Evaluation scheme of the DP recursion (same optimum; for tests and tuning;
        ``"hops"`` only without pinned work, ``"blocks"`` only with at most
        ``_BLOCK_MAX`` active components per system).

    Returns
    -------
    Plan
        ``OPTIMAL`` with ``lower_bound == objective`` when :func:`dp_is_exact` holds;
        ``TIME_LIMIT`` with a valid (finite unless must-do work cannot be done)
        lower bound when the time limit stopped the DP; otherwise ``FEASIBLE`` with a
        valid lower bound (or ``OPTIMAL`` if it meets the objective within ``gap``);
        ``INFEASIBLE`` with a diagnosis for infeasible pins.

    Raises
    ------
    ValueError
        On NaN or -inf costs, negative opening costs, durations or capacities, pins out
        of range, or a malformed ``warm_start``, ``gap`` or ``time_limit_s``.

    References
    ----------
    .. [1] R. E. Wildeman, R. Dekker, A. C. J. M. Smit, "A dynamic policy for grouping
       maintenance activities", European Journal of Operational Research 99 (1997).
    """
    t0 = time.perf_counter()
    ws = check_inputs(problem, time_limit_s, gap, warm_start, nonnegative_opening=True)
    log: list[str] = []
    deadline = None if time_limit_s is None else t0 + time_limit_s
    diag = pinned_diagnosis(problem)
    if diag:
        return Plan.infeasible(
            problem,
            method="dp",
            diagnosis=tuple(diag),
            runtime_s=time.perf_counter() - t0,
            log=tuple(log),
        )
    inst = _instance(problem)
    h_free = inst.h[inst.free]
    relax = _solve_uncapacitated(problem, inst, h_free, mode, deadline)
    stopped = -1
    if isinstance(relax, _Relaxation):
        rows_exact = True
        plans = [_assign(problem, inst, relax.opened)]
        lower = relax.value
        stopped = relax.solved
        log.append("dp: every penalty row is unimodal on its cost window")
    else:
        # Not exact: bound from the largest unimodal minorant of each row, plans from
        # the open sets of the minorant and of the smallest unimodal majorant.
        rows_exact = False
        below = _solve_uncapacitated(problem, inst, _unimodal_minorant(h_free), mode, deadline)
        assert isinstance(below, _Relaxation)
        lower = below.value
        stopped = below.solved
        plans = [_assign(problem, inst, below.opened)]
        if stopped < 0:
            above = _solve_uncapacitated(problem, inst, _unimodal_majorant(h_free), mode, deadline)
            assert isinstance(above, _Relaxation)
            plans.append(_assign(problem, inst, above.opened))
        log.append(
            "dp: not exact: "
            + _row_reason(problem, inst, relax)
            + "; lower bound from the unimodal-minorant relaxation"
        )
    crews_bind = bool(binding_crew_cells(problem))
    repair_cut = False
    if crews_bind:
        repaired = []
        for p in plans:
            rp, moves, cut = _repair(problem, inst, p, deadline)
            repair_cut |= cut
            if moves > 0:
                log.append(f"dp: crew repair moved {moves} job(s)")
            if moves >= 0:
                repaired.append(rp)
        plans = repaired
        if repair_cut:
            log.append(
                f"dp: time limit {time_limit_s:g} s reached during the crew repair; the"
                " jobs still overloading a crew were deferred beyond the horizon"
            )
        log.append("dp: crews may bind; lower bound is the uncapacitated optimum")
    if ws is not None:
        plans.append(ws)
    best: IntArray | None = None
    split: dict[str, float] = {}
    for p in plans:
        if violations(problem, p):
            continue
        cost = evaluate(problem, p)
        if best is None or cost["total"] < split["total"]:
            best, split = p, cost
    if ws is not None and best is ws:
        log.append("dp: the warm start is better than the DP plan and is returned")
    exact = rows_exact and not crews_bind and stopped < 0
    if stopped >= 0:
        log.append(
            f"dp: time limit {time_limit_s:g} s reached after solving {stopped} of"
            f" {problem.n_systems} systems exactly; the others open their forced periods"
            " and each component's solo best period; the bound adds a cheap per-system"
            " bound for them"
        )
    if best is None:
        # Heuristic repair failed (must-do work and crews); not a proof of infeasibility.
        return Plan(
            period=plans[0] if plans else np.full(problem.n_components, BEYOND),
            objective=float("inf"),
            lower_bound=lower,
            status=Status.TIME_LIMIT if stopped >= 0 or repair_cut else Status.FEASIBLE,
            method="dp",
            runtime_s=time.perf_counter() - t0,
            diagnosis=(
                "the DP's greedy crew repair found no feasible plan; infeasibility"
                " is not proven (try method='milp')",
            ),
            log=tuple(log),
        )
    objective = split["total"]
    scale = max(abs(objective), 1e-9)
    if exact and abs(objective - lower) > 1e-7 * max(abs(objective), 1.0):  # pragma: no cover
        # Internal consistency guard: never claim optimality on a mismatch.
        log.append(f"dp: internal check failed: plan cost {objective} != DP optimum {lower}")
        exact = False
        lower = -np.inf
    if exact:
        status, lower = Status.OPTIMAL, objective
    else:
        lower = min(lower, objective)
        status = Status.OPTIMAL if objective - lower <= gap * scale else Status.FEASIBLE
        if (stopped >= 0 or repair_cut) and status is not Status.OPTIMAL:
            status = Status.TIME_LIMIT
    return Plan(
        period=best,
        objective=objective,
        lower_bound=lower,
        status=status,
        method="dp",
        runtime_s=time.perf_counter() - t0,
        cost_split=split,
        log=tuple(log),
    )
