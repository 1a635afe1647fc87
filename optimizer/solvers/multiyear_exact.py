"""Exact multi-year plan of one system: best-first search over its sets of openings.

Problem (one system of :func:`optimizer.solvers.multiyear.solve_multiyear`, ``m``
positions, ``T`` periods): each position ``i`` follows a path of replacement periods
(first-interval cost ``first[i, t]``, later intervals ``w_i(d)``, end state ``end[i, t]``,
or ``beyond[i]`` without a replacement), and every period ``t`` in which one of them is
replaced pays the opening ``S_t`` once.

*Enumeration.*  A plan is fixed by its set of openings ``O``: given ``O``, every position
takes its cheapest path through ``O`` (positions are independent once the openings are
paid).  The search builds ``O`` in increasing order of periods; a node is a prefix
``o_1 < ... < o_J`` (the openings up to ``o_J``, none other before it) and keeps, for
every position, ``F_i(o_j)``: the cheapest cost of its path up to a replacement in
``o_j`` through the prefix (``first`` for its first replacement).  A child adds the next
opening ``t > o_J``: ``F_i(t) = min(first[i, t], min_j F_i(o_j) + w_i(t - o_j))``.  Every
set of openings is one leaf (a node stopped: ``sum_j S_oj + sum_i min(beyond_i,
min_j F_i(o_j) + end[i, o_j])``), so the search is exhaustive.

*Bound of a node* (valid for every plan whose openings up to ``o_J`` are the prefix):
the future is relaxed as in the Lagrangian of the decomposition, with multipliers
``lambda_it >= 0``: any completion with openings ``O'`` after ``o_J`` costs

    sum_{t in O'} S_t + sum_i [future path of i]
      >= sum_i [future path of i priced lambda_it at each replacement]
         + sum_{t > o_J} min(0, S_t - sum_i lambda_it)

(``lambda_it (x_it - y_t) <= 0`` added, then each term minimized separately).  A
position's future is ``H_i(o, t)``: from its last replacement ``o`` (or none yet,
``H0_i(t)``), either no replacement after ``t`` (``end[i, o]``, ``beyond_i``) or a next
one in ``tau > t`` priced ``w_i(tau - o) + lambda_i,tau + G_i(tau)``, with ``G`` the
lambda-priced cost to go (a backward shortest path).  The node's bound is
``sum_j S_oj + Z(o_J) + sum_i min(H0_i(o_J), min_j F_i(o_j) + H_i(o_j, o_J))`` with
``Z(t) = sum_{tau > t} min(0, S_tau - sum_i lambda_i,tau)``; at the root it is the
Lagrangian bound ``L(lambda)``, and a leaf's bound is at most its cost.

*Dominance.*  What a node leaves to the future is, for each position, ``u_i = (stop_i,
F_i(t) for every later opening t)`` with ``stop_i = min(beyond_i, min_j F_i(o_j) +
end[i, o_j])``: a completion with openings ``O'`` costs ``sum_{t in O'} S_t + sum_i
V_i(u_i, O')``, each ``V_i`` nondecreasing in every entry of ``u_i`` and shifted by
``delta`` when all of them are.  So a node ``A`` with the same last opening as ``B``
dominates it when ``c_A + sum_i max_entries(u_A,i - u_B,i) <= c_B`` (``c``: the openings'
cost so far): every completion of ``B`` costs at least the same completion of ``A``, and
``B`` is not expanded (its leaf is evaluated).  This merges the many prefixes that
differ only before a common opening (on ``scenarios/multiyear.yaml`` it cuts the nodes
needed for a proof from millions to ~15,000-31,000 per system).

Nodes are expanded best bound first; the search stops when the smallest open bound
reaches the best plan (proven optimal), at the time limit or at a node limit.  The
returned bound is the smallest bound of the open nodes and of the nodes pruned within
the requested tolerance (``tol``), capped by the best plan: valid at any stop.

The multipliers only change the bound's strength, never its validity; the search is
exponential in general (the number of opening sets whose bound stays below the plan):
:func:`~optimizer.solvers.multiyear.solve_multiyear` runs it on small systems with the
time left, after the subgradient (whose best multipliers of the system it uses).

References
----------
.. [1] M. L. Fisher, "The Lagrangian relaxation method for solving integer programming
   problems", *Management Science* 27(1), 1981, 1-18 (the bound of a node).
.. [2] E. L. Lawler and D. E. Wood, "Branch-and-bound methods: a survey", *Operations
   Research* 14(4), 1966, 699-719 (best-first search).
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass

import numpy as np

from optimizer._typing import BoolArray, FloatArray, IntArray

__all__ = ["SystemSearch", "cost_to_go", "system_search"]

# children of an expanded node: (its openings, their cost, its F (m, J), the children's
# periods, F columns (m, C) and bounds (C,), sorted by bound)
_Family = tuple[tuple[int, ...], float, FloatArray, IntArray, FloatArray, FloatArray]


@dataclass(frozen=True)
class SystemSearch:
    """Result of :func:`system_search` (costs in currency, relative to the problem).

    ``openings``: the best plan's opening periods (``None`` if no leaf beat ``ub``);
    ``cost``: its cost (``ub`` when none); ``lower_bound``: valid bound of the system's
    optimum; ``proven``: the search closed (``lower_bound`` within ``tol`` of ``cost``);
    ``nodes``: nodes expanded.
    """

    openings: IntArray | None
    cost: float
    lower_bound: float
    proven: bool
    nodes: int


_BIG = 1e300  # stands for inf in the dominance test (inf - inf is nan)


class _Seen:
    """The expanded nodes of one last opening: their ``u`` (m, 1 + C) and opening cost."""

    def __init__(self, u: FloatArray) -> None:
        self.u = np.empty((8, *u.shape))
        self.c = np.empty(8)
        self.n = 0

    def dominated(self, u: FloatArray, c_open: float) -> bool:
        """Some node seen costs no more for every future (module docstring)."""
        worst = (self.u[: self.n] - u[None]).max(axis=2).sum(axis=1) + self.c[: self.n]
        return bool((worst <= c_open + 1e-9 * max(1.0, abs(c_open))).any())

    def add(self, u: FloatArray, c_open: float) -> None:
        if self.n == self.c.size:
            self.u = np.concatenate([self.u, np.empty_like(self.u)])
            self.c = np.concatenate([self.c, np.empty_like(self.c)])
        self.u[self.n], self.c[self.n] = u, c_open
        self.n += 1


def cost_to_go(
    interval: FloatArray, end: FloatArray, node_ok: BoolArray, node_cost: FloatArray
) -> FloatArray:
    """Cost to go ``g[i, t]`` after a replacement in ``t`` (its node cost excluded).

    ``g[i, t] = min(end[i, t], min_d interval[i, d] + node_cost[i, t + d] + g[i, t + d])``
    over the lengths ``d`` with ``node_ok[i, t + d]``: the backward pass of the
    per-position shortest path (used by the subgradient of
    :mod:`optimizer.solvers.multiyear` and, with lambda-priced node costs, by the search).

    Parameters
    ----------
    interval : FloatArray
        ``(m, d_max + 1)``: cost of an interval of ``d`` periods between replacements.
    end : FloatArray
        ``(m, n_t)``: cost of the end state after a last replacement in ``t``.
    node_ok : BoolArray
        ``(m, n_t)``: a replacement of position ``i`` may happen in ``t``.
    node_cost : FloatArray
        ``(m, n_t)``: price of a replacement in ``t`` (e.g. Lagrange multipliers).

    Returns
    -------
    FloatArray
        ``(m, n_t)`` cost to go.
    """
    m, n_t = end.shape
    d_max = interval.shape[1] - 1
    g = np.empty((m, n_t))
    h = np.full((m, n_t), np.inf)  # node cost + cost to go, where a replacement may be
    w = np.ascontiguousarray(interval[:, 1:])  # column j <-> d = j + 1
    for t in range(n_t - 1, -1, -1):
        best = end[:, t].copy()
        dm = min(n_t - 1 - t, d_max)
        if dm > 0:
            np.minimum(best, (h[:, t + 1 : t + 1 + dm] + w[:, :dm]).min(axis=1), out=best)
        g[:, t] = best
        h[:, t] = np.where(node_ok[:, t], node_cost[:, t] + best, np.inf)
    return g


def system_search(
    first: FloatArray,
    interval: FloatArray,
    end: FloatArray,
    beyond: FloatArray,
    node_ok: BoolArray,
    opening_cost: FloatArray,
    lam: FloatArray,
    *,
    ub: float = np.inf,
    tol: float = 0.0,
    deadline: float = np.inf,
    max_nodes: int = 10**6,
    dominance: bool = True,
) -> SystemSearch:
    """Best-first search over the opening sets of one system (module docstring).

    Parameters
    ----------
    first, end : ndarray, shape (m, T)
        First-replacement and end-state cost of each position in each period, currency
        (``inf``: not allowed).
    interval : ndarray, shape (m, D + 1)
        Cost of a later interval of ``d`` periods, currency (``inf``: not allowed).
    beyond : ndarray, shape (m,)
        Cost of no replacement in the horizon, currency.
    node_ok : ndarray of bool, shape (m, T)
        A later replacement is allowed in ``t``.
    opening_cost : ndarray, shape (T,)
        Cost of opening the system in ``t``, currency (``inf``: not allowed).
    lam : ndarray, shape (m, T)
        Multipliers of the bound (negative entries are taken as 0).
    ub : float
        Cost of a known plan (nodes whose bound reaches it are pruned).
    tol : float
        Absolute tolerance: nodes whose bound is within ``tol`` of the best plan are
        pruned too (their bounds still count in the returned bound).
    deadline : float
        ``time.perf_counter()`` value at which to stop.
    max_nodes : int
        Largest number of nodes expanded (memory: ``8 (1 + T) m`` bytes, doubled by the
        growth of the arrays, per node expanded, for the dominance test).
    dominance : bool
        Skip the nodes dominated by one expanded before (module docstring).

    Returns
    -------
    SystemSearch
    """
    first = np.asarray(first, dtype=np.float64)
    m, n_t = first.shape
    interval = np.asarray(interval, dtype=np.float64)
    lam = np.maximum(np.asarray(lam, dtype=np.float64), 0.0)
    lams = lam.reshape((-1, m, n_t))  # K sets of multipliers: the bound is the largest
    s_open = np.asarray(opening_cost, dtype=np.float64)
    end = np.asarray(end, dtype=np.float64)
    beyond = np.asarray(beyond, dtype=np.float64)
    w_pad = np.concatenate([interval, np.full((m, n_t + 1), np.inf)], axis=1)
    w_pad[:, 0] = np.inf
    tau = np.arange(n_t)
    d = tau[None, :] - tau[:, None]  # (o, tau)
    dd = np.where(d > 0, d, 0)
    w_of = w_pad[:, dd]  # (m, o, t): w_i(t - o), inf unless t > o
    w_of = np.where(node_ok[:, None, :], w_of, np.inf)
    h_k, h0_k, z_k, root_k = [], [], [], []
    for lk in lams:
        g = cost_to_go(interval, end, node_ok, lk)
        nxt = np.where(node_ok, lk + g, np.inf)  # price of a later replacement in tau, on
        # H[i, o, t]: last replacement in o, none in (o, t]; next in tau > t or none
        a = w_of + nxt[:, None, :]  # (m, o, tau)
        # suffix minimum over tau > t: M[i, o, t] = min_{tau > t} a[i, o, tau]
        suf = np.minimum.accumulate(a[:, :, ::-1], axis=2)[:, :, ::-1]
        m_after = np.concatenate([suf[:, :, 1:], np.full((m, n_t, 1), np.inf)], axis=2)
        h_k.append(np.minimum(end[:, :, None], m_after))
        a0 = first + lk + g
        suf0 = np.minimum.accumulate(a0[:, ::-1], axis=1)[:, ::-1]
        h0_after = np.concatenate([suf0[:, 1:], np.full((m, 1), np.inf)], axis=1)
        h0_k.append(np.minimum(beyond[:, None], h0_after))  # (m, t): none in [0, t]
        slack = np.where(np.isfinite(s_open), np.minimum(0.0, s_open - lk.sum(axis=0)), 0.0)
        z_k.append(np.concatenate([np.cumsum(slack[::-1])[::-1][1:], [0.0]]))  # tau > t
        root_k.append(float(slack.sum()) + float(np.minimum(beyond, suf0[:, 0]).sum()))
    h = np.stack(h_k)  # (K, m, o, t)
    h0 = np.stack(h0_k)  # (K, m, t)
    z_after = np.stack(z_k)  # (K, t)
    diag = h[:, :, tau, tau]  # (K, m, t): H_i(t, t), replaced in t
    cand = np.flatnonzero(np.isfinite(s_open))

    best_cost = float(ub)
    best_open: IntArray | None = None
    pruned_lb = np.inf
    root_lb = max(root_k)
    # A node keeps, over the periods t after its last opening, each position's
    # keep[i, t] = min_j F_i(o_j) + H_i(o_j, t) (no replacement in (o_J, t]) and
    # via[i, t] = min_j F_i(o_j) + w_i(t - o_j) (the next replacement in t); a child
    # opening in t has F_i(t) = min(first[i, t], via[i, t]).  Both are built when the
    # node is expanded from its parent's and its own column (most nodes never are).
    inf_row = np.full((m, n_t), np.inf)
    # The children of an expanded node are sorted by bound and enter the heap one at a
    # time: an entry is (bound of the child, id, its family, its rank there); popping it
    # expands that child and pushes its next sibling (two heap operations per node
    # instead of one per child).  A family holds the parent's openings, opening cost
    # and F (m, J), and its children's periods, F columns and bounds (only those kept),
    # so memory grows by a few hundred bytes per node.
    fam_root: _Family = (
        (),
        0.0,
        np.zeros((m, 0)),
        np.array([-1]),
        np.zeros((m, 1)),
        np.array([root_lb]),
    )
    heap: list[tuple[float, int, _Family, int]] = [(root_lb, 0, fam_root, 0)]
    count = 1
    nodes = 0
    seen: dict[int, _Seen] = {}
    while heap:
        if heap[0][0] >= best_cost - tol or nodes >= max_nodes or time.perf_counter() > deadline:
            break
        _, _, fam, r = heapq.heappop(heap)
        p_opens, p_cost, p_f, p_ch, p_cols, p_lbs = fam
        if r + 1 < p_ch.size:
            heapq.heappush(heap, (float(p_lbs[r + 1]), count, fam, r + 1))
            count += 1
        nodes += 1
        t_last = int(p_ch[r])
        if t_last >= 0:
            opens = (*p_opens, t_last)
            c_open = p_cost + float(s_open[t_last])
            f = np.concatenate([p_f, p_cols[:, r : r + 1]], axis=1)
            o = np.asarray(opens)
            # keep[i, t] = min_j F_i(o_j) + H_i(o_j, t): no replacement in (o_J, t];
            # via[i, t] = min_j F_i(o_j) + w_i(t - o_j): the next replacement in t
            keep = (f[None, :, :, None] + h[:, :, o, :]).min(axis=2)  # (K, m, t)
            via = (f[:, :, None] + w_of[:, o, :]).min(axis=1)
            # leaf: no opening after the prefix (H_i(o, T - 1) = end_i(o))
            leaf = c_open + float(np.minimum(beyond, keep[0, :, -1]).sum())
        else:
            opens, c_open, f = (), 0.0, p_f
            keep, via = inf_row[None], inf_row
            leaf = float(beyond.sum())
        if leaf < best_cost:
            best_cost, best_open = leaf, np.asarray(opens, dtype=np.int64)
        ch = cand[np.searchsorted(cand, t_last, side="right") :]
        if ch.size == 0:
            continue
        f_new = np.minimum(first[:, ch], via[:, ch])
        if t_last >= 0 and dominance:
            # u[i] = (stop, F_i(t) for every later opening t) fixes position i's future
            u = np.concatenate([np.minimum(beyond, keep[0, :, -1])[:, None], f_new], axis=1)
            u = np.where(np.isfinite(u), u, _BIG)
            store = seen.get(t_last)
            if store is None:
                seen[t_last] = store = _Seen(u)
            elif store.dominated(u, c_open):
                continue
            store.add(u, c_open)
        best_i = np.minimum(np.minimum(h0[:, :, ch], keep[:, :, ch]), f_new + diag[:, :, ch])
        lbs = c_open + s_open[ch] + (z_after[:, ch] + best_i.sum(axis=1)).max(axis=0)
        cut = best_cost - tol
        near = (lbs >= cut) & (lbs < best_cost)
        if near.any():
            pruned_lb = min(pruned_lb, float(lbs[near].min()))
        good = np.flatnonzero(lbs < cut)
        if good.size:
            good = good[np.argsort(lbs[good], kind="stable")]
            fam = (opens, c_open, f, ch[good], f_new[:, good], lbs[good])
            heapq.heappush(heap, (float(lbs[good[0]]), count, fam, 0))
            count += 1
    open_lb = heap[0][0] if heap else np.inf
    lower = min(open_lb, pruned_lb, best_cost)
    proven = lower >= best_cost - tol - 1e-9 * max(1.0, abs(best_cost))
    return SystemSearch(best_open, best_cost, float(lower), bool(proven), nodes)
