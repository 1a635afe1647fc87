"""Exact solver of multi-year plans of the opportunistic replacement (ORP) form.

Form (:func:`orp_form`)
    A multi-year problem (:class:`optimizer.problem.multiyear.MultiYearProblem`) is of
    ORP form when every position's path cost depends only on its number of replacements
    ``m``: ``pathcost_i = K_i + alpha_i m`` with ``alpha_i >= 0``.  That holds when, for
    some slope ``beta_i``, the interval costs are affine in the length,
    ``w_i(d) = alpha_i + beta_i d`` for the allowed lengths ``1 <= d <= D_i``, the
    first-replacement costs are ``F_i + beta_i t`` and the end costs ``E_i - beta_i t``
    (the ``beta`` terms telescope; ``K_i = F_i + E_i - alpha_i``, also the cost of no
    replacement when that is allowed), the first replacement is allowed in the periods
    ``t <= a_i`` in which its unit may open, later ones in every period the unit may open,
    and the end in the periods ``t >= b_i``.  Parts that do not fail, with a life limit
    and the end state unpriced (``plan.end_state: unpriced``), are of this form with
    ``alpha_i = c_p,i``: this is the deterministic ORP of Dickman, Epstein and
    Wilamowsky (1991)

        min  sum_t ( sum_i c_i x_it + d_t z_t )
        s.t. sum_{t=l+1}^{l+U_i} x_it >= 1  (every window of the life limit U_i),
             x_it <= z_t,   x, z binary,

    with the end condition ``t_last >= b_i`` (survive ``r`` periods past the horizon).

Algorithm (:func:`solve_orp`)
    Units (systems) are independent (no crews or stock couple them in this mode); one
    unit at a time.  Two exchange arguments make the search small:

    1. *Latest replacement.*  Given the set ``Z`` of occasions (periods in which the unit
       opens), a position's cheapest schedule minimizes its number of replacements, and
       replacing at the latest occasion before its deadline (the previous replacement
       plus ``D_i``, or ``a_i``) until the last one is at or after ``b_i`` is optimal
       (interval covering).  So at an occasion ``t`` followed by ``s``, exactly the
       positions whose deadline is before ``s`` are replaced; a position whose last
       replacement reached ``b_i`` is done.
    2. *Latest occasion* (opening cost constant over the periods the unit may open).
       An occasion can be postponed to the next period without raising the cost while
       every position it replaces has a later deadline, the period is open and the
       next occasion is not passed (a later replacement only moves deadlines later and
       meets the end condition sooner); so the next occasion is the earliest deadline
       of the positions left, or of the ones just replaced, snapped back to the latest
       period the unit may open.  The choice at an occasion is then only *how many*
       positions (in deadline order) it replaces.  With opening costs varying by
       period (windows) every period up to that one is tried instead.

    The states ``(t, deadlines)`` are searched depth first, each kept with its cheapest
    cost so far (a state reached again at no lower cost is cut), and cut by the bound
    ``sum_i alpha_i k_i + S_min(t) max_i min(k_i, k'_i)`` where ``k_i`` is position
    ``i``'s least number of replacements left (at its deadline, then every ``D_i``, up to
    ``b_i``), ``k'_i`` the least after ``t`` when replaced at ``t``, and ``S_min(t)`` the
    cheapest opening after ``t`` (every later occasion costs at least that, and each
    position needs ``min(k_i, k'_i)`` occasions after ``t``).  Positions of a unit with the
    same ``(a_i, D_i, b_i)`` follow the same schedule (symmetry): they are merged, their
    ``alpha_i`` added.  The search is exact: its optimum is proven (bound = cost).

On the published 10-part instance (``scenarios/orp10.yaml``) it proves the optimum 615
for ``T = 100`` and 762 for ``T = 125`` in a fraction of a CPU second
(``benchmarks/bench_multiyear.py``).  :func:`optimizer.solvers.multiyear.solve_multiyear`
seeds it with the decomposition's repaired plan (``incumbent``), without which a random
12-part instance is not proven in 60 s, with which it is in about 5 CPU s.  Limits: the
counting bound is weak when many parts of different lives must share occasions; when the
search runs out of its time, ``solve_multiyear`` falls back to the decomposition.

References
----------
.. [1] B. Dickman, S. Epstein and Y. Wilamowsky, "A mixed integer linear programming
   formulation for multi-component deterministic opportunistic replacement", *J. Oper.
   Res. Soc. India* 28, 1991, 165-175.
.. [2] T. Almgren, N. Andreasson, M. Patriksson, A.-B. Stromberg, A. Wojciechowski and
   M. Onnheim, "The opportunistic replacement problem: theoretical analyses and numerical
   tests", *Math. Methods Oper. Res.* 76, 2012, 289-319.
.. [3] R. Wildeman, R. Dekker and A. Smit, "A dynamic policy for grouping maintenance
   activities", *EJOR* 99, 1997, 530-551 (set-up sharing).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from optimizer._typing import BoolArray, FloatArray, IntArray

__all__ = ["OrpForm", "orp_form", "solve_orp"]

_RTOL = 1e-7  # relative tolerance of the affine-cost test
_CHECK_EVERY = 2048  # search nodes between two looks at the clock
_DONE = 1 << 40  # deadline of a position that needs no more replacement


@dataclass(frozen=True)
class OrpForm:
    """A multi-year problem whose path costs are ``K_i + alpha_i m`` (see the module).

    Parameters
    ----------
    alpha : ndarray, shape (n,)
        Cost of one replacement, currency.
    constant : ndarray, shape (n,)
        ``K_i``: cost of the position's plan without replacement, currency.
    first_by : ndarray of int, shape (n,)
        ``a_i``: last period allowed for the first replacement (``-1``: none).
    max_gap : ndarray of int, shape (n,)
        ``D_i``: longest interval between replacements, periods.
    end_from : ndarray of int, shape (n,)
        ``b_i``: the last replacement must be in a period ``>= b_i``.
    keep_ok : ndarray of bool, shape (n,)
        The position may go without replacement over the horizon.
    system_of : ndarray of int, shape (n,)
        Unit of each position.
    occasion_ok : ndarray of bool, shape (K, T)
        Periods in which each unit may open.
    opening : ndarray, shape (K, T)
        Opening cost of each unit per period, currency.
    """

    alpha: FloatArray
    constant: FloatArray
    first_by: IntArray
    max_gap: IntArray
    end_from: IntArray
    keep_ok: BoolArray
    system_of: IntArray
    occasion_ok: BoolArray
    opening: FloatArray


def _close(a: FloatArray, b: float | FloatArray, scale: float) -> bool:
    return bool(np.all(np.abs(np.asarray(a) - b) <= _RTOL * (1.0 + scale)))


def orp_form(
    first: FloatArray,
    interval: FloatArray,
    end: FloatArray,
    beyond: FloatArray,
    node_ok: BoolArray,
    system_of: IntArray,
    opening: FloatArray,
    open_allowed: BoolArray,
) -> OrpForm | None:
    """The ORP form of a multi-year problem's arrays, or ``None`` when it is not one.

    Parameters
    ----------
    first, end : ndarray, shape (n, T)
        Cost of the first (resp. last) replacement in period ``t`` (``inf``: forbidden).
    interval : ndarray, shape (n, D + 1)
        Cost of an interval of ``d`` periods (``inf``: forbidden).
    beyond : ndarray, shape (n,)
        Cost of no replacement in the horizon (``inf``: forbidden).
    node_ok : ndarray of bool, shape (n, T)
        Later replacements allowed.
    system_of : ndarray of int, shape (n,)
    opening : ndarray, shape (K, T)
    open_allowed : ndarray of bool, shape (K, T)

    Returns
    -------
    OrpForm or None
        ``None`` unless every position passes the tests of the module docstring.
    """
    n, n_t = first.shape
    n_k = opening.shape[0]
    occ = np.zeros((n_k, n_t), dtype=bool)
    seen = np.zeros(n_k, dtype=bool)
    alpha = np.zeros(n)
    const = np.zeros(n)
    first_by = np.full(n, -1, dtype=np.int64)
    max_gap = np.zeros(n, dtype=np.int64)
    end_from = np.full(n, n_t, dtype=np.int64)
    t = np.arange(n_t)
    for i in range(n):
        k = int(system_of[i])
        ok_i = node_ok[i] & open_allowed[k]
        if not seen[k]:
            occ[k], seen[k] = ok_i, True
        elif not np.array_equal(occ[k], ok_i):
            return None
        if not np.array_equal(node_ok[i], ok_i):
            return None
        w = interval[i]
        fin = np.flatnonzero(np.isfinite(w[1:])) + 1
        f_fin = np.isfinite(first[i])
        if fin.size == 0:
            if f_fin.any():
                return None  # a replacement would need a later interval
            fin = np.array([1])
            w = np.array([np.inf, 0.0])
        d_max = int(fin.max())
        if not np.array_equal(fin, np.arange(1, d_max + 1)):
            return None
        scale = float(np.max(np.abs(w[fin]), initial=0.0))
        beta = float(w[2] - w[1]) if d_max >= 2 else 0.0
        a_i = float(w[1] - beta)
        if not _close(
            w[fin], np.asarray(a_i + beta * fin, dtype=np.float64), scale
        ) or a_i < -_RTOL * (1.0 + scale):
            return None
        fv = np.flatnonzero(f_fin)
        a_last = int(fv.max()) if fv.size else -1
        if not np.array_equal(f_fin, (t <= a_last) & occ[k]):
            return None
        e_fin = np.isfinite(end[i])
        ev = np.flatnonzero(e_fin)
        b_i = int(ev.min()) if ev.size else n_t
        if not np.array_equal(e_fin, t >= b_i):
            return None
        f0 = first[i, fv] - beta * fv
        e0 = end[i, ev] + beta * ev
        scale = max(scale, float(np.max(np.abs(f0), initial=0.0)))
        scale = max(scale, float(np.max(np.abs(e0), initial=0.0)))
        if fv.size and not _close(f0, float(f0[0]), scale):
            return None
        if ev.size and not _close(e0, float(e0[0]), scale):
            return None
        if fv.size and ev.size:
            k_i = float(f0[0] + e0[0] - a_i)
        elif np.isfinite(beyond[i]):
            k_i = float(beyond[i])
        else:
            k_i = math.inf
        if np.isfinite(beyond[i]) and fv.size and ev.size:
            if not _close(np.array([beyond[i]]), k_i, scale):
                return None
        alpha[i] = max(a_i, 0.0)
        const[i] = k_i
        first_by[i] = a_last
        max_gap[i] = d_max
        end_from[i] = b_i
    return OrpForm(
        alpha=alpha,
        constant=const,
        first_by=first_by,
        max_gap=max_gap,
        end_from=end_from,
        keep_ok=np.isfinite(np.asarray(beyond)),
        system_of=np.asarray(system_of, dtype=np.int64),
        occasion_ok=occ | ~seen[:, None] & open_allowed,
        opening=np.asarray(opening, dtype=np.float64),
    )


_Path = tuple[tuple[int, tuple[int, ...]], ...]
"""Occasions of a search branch: (period, merged classes replaced there)."""


@dataclass
class _Search:
    """Depth-first search of one unit (see the module docstring)."""

    alpha: list[float]
    gap: list[int]
    end_from: list[int]
    occ: list[bool]
    opening: list[float]
    uniform: bool
    n_t: int
    deadline: float
    best: float = math.inf
    best_path: _Path = ()
    nodes: int = 0
    timed_out: bool = False

    def __post_init__(self) -> None:
        n_t = self.n_t
        # latest open period <= t, and the cheapest opening after t
        self.latest = [-1] * n_t
        last = -1
        for t in range(n_t):
            if self.occ[t]:
                last = t
            self.latest[t] = last
        self.min_after = [math.inf] * (n_t + 1)
        for t in range(n_t - 1, -1, -1):
            here = self.opening[t] if self.occ[t] else math.inf
            self.min_after[t] = min(self.min_after[t + 1], here)
        self.memo: dict[tuple[int, tuple[int, ...]], float] = {}

    def bound(self, t: int, dl: tuple[int, ...]) -> float:
        """Lower bound of the cost still to pay from occasion ``t`` (see the module)."""
        tot = 0.0
        occ = 0
        for i, d in enumerate(dl):
            if d >= _DONE:
                continue
            b, g = self.end_from[i], self.gap[i]
            if b >= self.n_t or d < t:
                return math.inf
            k = 1 + max(0, -(-(b - d) // g))
            k2 = max(0, -(-(b - t) // g))
            tot += self.alpha[i] * k
            occ = max(occ, min(k, k2))
        if occ:
            tot += occ * self.min_after[t + 1 if t + 1 <= self.n_t else self.n_t]
        return tot

    def run(self, t: int, dl: tuple[int, ...], cost: float, path: _Path) -> None:
        self.nodes += 1
        if self.nodes % _CHECK_EVERY == 0 and time.perf_counter() > self.deadline:
            self.timed_out = True
        if self.timed_out:
            return
        if cost + self.bound(t, dl) >= self.best - 1e-9 * (1.0 + abs(self.best)):
            return
        key = (t, dl)
        if self.memo.get(key, math.inf) <= cost:
            return
        self.memo[key] = cost
        live = sorted((d, i) for i, d in enumerate(dl) if d < _DONE)
        # R = the positions with the j smallest deadlines (all those due at t at least)
        due = sum(1 for d, _ in live if d <= t)
        for j in range(max(due, 1), len(live) + 1):
            if j < len(live) and live[j][0] == live[j - 1][0]:
                continue  # equal deadlines go together
            rep = [i for _, i in live[:j]]
            add = sum(self.alpha[i] for i in rep)
            new = list(dl)
            for i in rep:
                new[i] = _DONE if t >= self.end_from[i] else t + self.gap[i]
            nxt = min(new)
            step = (*path, (t, tuple(rep)))
            if nxt >= _DONE:  # every position done: stop here
                if cost + add < self.best:
                    self.best, self.best_path = cost + add, step
                continue
            cap = self.latest[min(nxt, self.n_t - 1)]
            if cap <= t:
                continue
            nd = tuple(new)
            cands = [cap] if self.uniform else [s for s in range(cap, t, -1) if self.occ[s]]
            for s in cands:
                self.run(s, nd, cost + add + self.opening[s], step)


def solve_orp(
    form: OrpForm, *, time_limit_s: float | None = None, incumbent: BoolArray | None = None
) -> tuple[BoolArray, float, dict[str, int]] | None:
    """Proven optimal plan of an ORP-form problem, or ``None`` past the time limit.

    Parameters
    ----------
    form : OrpForm
        From :func:`orp_form`.
    time_limit_s : float or None
        Wall-clock limit, seconds (``None``: none).
    incumbent : ndarray of bool, shape (n, T), optional
        A feasible plan (e.g. the decomposition's repair): its cost on each unit (its
        replacements of the positions that need one, and the openings they use) starts
        the search as the bound to beat, and it is returned for a unit where nothing
        cheaper exists.  A good incumbent cuts the search by orders of magnitude.

    Returns
    -------
    (x, cost, stats) or None
        ``x[i, t]``: position ``i`` replaced in period ``t`` (shape ``(n, T)``); ``cost``:
        ``sum_i K_i + sum_i alpha_i m_i + openings`` (currency, ``inf`` when infeasible);
        ``stats``: search nodes and merged position classes.  ``None`` when the search
        ran out of time (no proof).
    """
    deadline = time.perf_counter() + (math.inf if time_limit_s is None else time_limit_s)
    n = form.alpha.size
    n_t = form.occasion_ok.shape[1]
    x = np.zeros((n, n_t), dtype=bool)
    total = 0.0
    nodes = classes = 0
    for k in np.unique(form.system_of):
        members = np.flatnonzero(form.system_of == k)
        keep = members[form.keep_ok[members]]
        total += float(form.constant[keep].sum())
        need = members[~form.keep_ok[members]]
        if need.size == 0:
            continue
        total += float(form.constant[need].sum())
        groups: dict[tuple[int, int, int], list[int]] = {}
        for i in need:
            key = (int(form.first_by[i]), int(form.max_gap[i]), int(form.end_from[i]))
            groups.setdefault(key, []).append(int(i))
        keys = list(groups)
        classes += len(keys)
        occ = form.occasion_ok[k]
        cost_k = form.opening[k]
        vals = cost_k[occ]
        uniform = bool(vals.size == 0 or np.ptp(vals) <= _RTOL * (1.0 + float(np.abs(vals).max())))
        search = _Search(
            alpha=[float(form.alpha[groups[g]].sum()) for g in keys],
            gap=[g[1] for g in keys],
            end_from=[g[2] for g in keys],
            occ=[bool(v) for v in occ],
            opening=[float(v) for v in cost_k],
            uniform=uniform,
            n_t=n_t,
            deadline=deadline,
        )
        ub = math.inf
        if incumbent is not None:
            inc = np.asarray(incumbent, dtype=bool)[need]
            used: BoolArray = np.asarray(inc.any(axis=0), dtype=bool)
            ub = float(form.alpha[need] @ inc.sum(axis=1) + cost_k[used].sum())
            ok = bool(used[occ].sum() == used.sum()) and bool(inc.any(axis=1).all())
            if ok and np.isfinite(ub):
                search.best = ub
        dl = tuple(g[0] if g[0] >= 0 else -1 for g in keys)
        start = search.latest[min(min(dl), n_t - 1)] if min(dl) >= 0 else -1
        cands: list[int] = []
        if start >= 0:
            cands = [start] if uniform else [s for s in range(start, -1, -1) if occ[s]]
        for s in cands:
            search.run(s, dl, float(cost_k[s]), ())
        nodes += search.nodes
        if search.timed_out:
            return None
        if not math.isfinite(search.best):
            return np.zeros((n, n_t), dtype=bool), math.inf, {"nodes": nodes, "classes": classes}
        total += search.best
        if not search.best_path and incumbent is not None:
            x[need] = np.asarray(incumbent, dtype=bool)[need]  # nothing cheaper exists
        for t, rep in search.best_path:
            for c in rep:
                x[groups[keys[c]], t] = True
    return x, total, {"nodes": nodes, "classes": classes}
