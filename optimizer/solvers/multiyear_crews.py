"""Opening knapsacks: a stronger Lagrangian bound for multi-year plans with crews.

:func:`optimizer.solvers.multiyear.solve_multiyear` relaxes the opening rows ``x_it <=
y_kt`` with multipliers ``lambda_it >= 0`` and the crew rows with ``mu_sc >= 0``.  Its
opening term ``min(0, S_kt - sum_{i in k} lambda_it)`` lets one opening collect the
multipliers of *all* its positions, however many technician-hours their jobs need: with
crews that bind, the bound is then little more than the LP bound of the crew rows.

Here the opening side keeps a copy ``x'`` of the replacements (``lambda (x - x')``
relaxed instead of ``lambda (x - y)``) with the rows every feasible plan satisfies:
``x'_it <= y_kt`` and, per skill pool ``s`` with finite hours,

    sum_{i in k, s_i = s} load_i x'_it <= C_st

(the jobs *started* in ``t`` by system ``k`` alone load cell ``(s, t)`` with at most what
all jobs covering it load, so a plan within the crews satisfies it).  The opening term
becomes

    min(0, S_kt - sum_{i in k, uncapacitated} lambda_it - sum_s KS_kts(lambda)),

``KS_kts`` the 0/1 knapsack ``max sum lambda_it x'_i`` over the positions of system
``k`` with skill ``s`` within ``C_st``, solved exactly by the dynamic programme of the
single-horizon decomposition (:func:`optimizer.solvers.lagrange.knapsacks`) on the
capacity unit of :func:`optimizer.solvers.repair.capacity_unit` (exact when the loads
are multiples of it; otherwise weights are rounded down, which only relaxes).  The
capacity is floored with the checker's slack :data:`~optimizer.solvers.repair.CAP_SLACK_H`
(a plan may exceed a crew by it), so every feasible plan's ``x`` is feasible for the
knapsacks.

*Validity.*  For a plan ``(x, y)`` within the crews, ``x' = x`` satisfies the rows above,
so ``cost(x, y) >= [paths priced by lambda + mu load] + sum_kt (S_kt y_kt - sum_i
lambda_it x_it) - sum mu C`` and the opening part is at least the knapsack term: the
Lagrangian stays a lower bound.  It is never below the plain one (the knapsack value is
at most the sum of the multipliers).  The subgradient of ``lambda_it`` is ``x_it -
x'_it`` (``x'`` = the knapsack's picks in the opened periods).  The same strengthening
is the single-horizon decomposition's knapsack per opening (Fisher 1981, [1] of
:mod:`optimizer.solvers.multiyear`; Guignard and Kim, "Lagrangean decomposition",
*Mathematical Programming* 39, 1987, 215-228, for the copy ``x'``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from optimizer._typing import BoolArray, FloatArray, IntArray
from optimizer.problem.multiyear import MultiYearProblem
from optimizer.problem.plan import span_cells
from optimizer.solvers.highs import new_highs
from optimizer.solvers.lagrange import knapsacks
from optimizer.solvers.repair import CAP_SLACK_H, capacity_unit

__all__ = ["OpeningKnapsacks", "opening_knapsacks", "opening_terms_knapsack", "window_replan"]


@dataclass(frozen=True)
class OpeningKnapsacks:
    """Items and groups of the opening knapsacks (fixed over the iterations).

    ``item_i``, ``item_t``: the capacitated ``(position, period)`` cells (skill with
    finite hours in ``t``); ``grp``: their group ``(k, t, s)``, ``0 .. n_g - 1``;
    ``w``: weights and ``g_cap``: capacities in capacity units; ``g_k``, ``g_t``: the
    opening of each group; ``unit_h``: the capacity unit, technician-hours.
    """

    item_i: IntArray
    item_t: IntArray
    grp: IntArray
    w: IntArray
    g_cap: IntArray
    g_k: IntArray
    g_t: IntArray
    n_g: int
    unit_h: float


def opening_knapsacks(mp: MultiYearProblem, usable: BoolArray) -> OpeningKnapsacks:
    """The knapsack groups of ``mp``: one per system, period and capacitated skill.

    Parameters
    ----------
    mp : MultiYearProblem
    usable : ndarray of bool, shape (n, T)
        Cells where a replacement may happen (``lambda`` is kept at 0 elsewhere).
    """
    pb = mp.base
    n_t = pb.n_periods
    n_s = max(len(pb.skill_ids), 1)
    cap = pb.crew_hours
    load = pb.load_per_period_h
    ii, tt = np.nonzero(usable & np.isfinite(cap[pb.skill_of]) & (load > 0)[:, None])
    unit = capacity_unit(load, cap)
    s_of = pb.skill_of[ii]
    key = (pb.system_of[ii] * n_t + tt) * n_s + s_of
    ug, grp = np.unique(key, return_inverse=True)
    g_kt, g_s = np.divmod(ug, n_s)
    g_k, g_t = np.divmod(g_kt, n_t)
    g_cap = np.floor(np.maximum(cap[g_s, g_t] + CAP_SLACK_H, 0.0) / unit + 1e-9).astype(np.int64)
    # exact multiples round to themselves (loads are sums of floats), others round down
    w = np.floor(load[ii] / unit + 1e-9).astype(np.int64)
    return OpeningKnapsacks(
        item_i=ii,
        item_t=tt,
        grp=grp.astype(np.int64),
        w=w,
        g_cap=g_cap,
        g_k=g_k.astype(np.int64),
        g_t=g_t.astype(np.int64),
        n_g=len(ug),
        unit_h=unit,
    )


def opening_terms_knapsack(
    mp: MultiYearProblem, kn: OpeningKnapsacks, lam: FloatArray, s_cost: FloatArray
) -> tuple[FloatArray, BoolArray]:
    """Reduced opening costs and the copy ``x'`` at multipliers ``lam``.

    Parameters
    ----------
    mp : MultiYearProblem
    kn : OpeningKnapsacks
        From :func:`opening_knapsacks`.
    lam : ndarray of float, shape (n, T)
        Opening multipliers ``lambda_it >= 0``, currency.
    s_cost : ndarray of float, shape (K, T)
        Opening costs ``S_kt`` (0 where not allowed), currency.

    Returns
    -------
    (ndarray of float, ndarray of bool)
        ``slack[k, t] = S_kt - (the most multipliers one opening can collect within the
        crews)`` (open where negative) and ``x'`` of shape ``(n, T)``: the cells the
        opened periods collect (every uncapacitated cell of an opened period, the
        knapsack's picks of the capacitated ones).
    """
    pb = mp.base
    n_k, n_t = pb.n_systems, pb.n_periods
    capped = np.zeros(lam.shape, dtype=bool)
    capped[kn.item_i, kn.item_t] = True
    free_lam = np.where(capped, 0.0, lam)
    collect = np.zeros((n_k, n_t))
    np.add.at(collect, pb.system_of, free_lam)
    val, pick = knapsacks(-lam[kn.item_i, kn.item_t], kn.grp, kn.w, kn.g_cap, kn.n_g)
    np.add.at(collect, (kn.g_k, kn.g_t), -val)
    slack: FloatArray = s_cost - collect
    opened = (slack < 0.0) & pb.open_allowed
    xp = ~capped & opened[pb.system_of]
    sel = pick & opened[pb.system_of[kn.item_i], kn.item_t]
    xp[kn.item_i[sel], kn.item_t[sel]] = True
    return slack, xp


def window_replan(
    mp: MultiYearProblem,
    first: FloatArray,
    interval: FloatArray,
    end: FloatArray,
    beyond: FloatArray,
    node_ok: BoolArray,
    x: BoolArray,
    a: int,
    b: int,
    time_limit_s: float,
    rows: IntArray | None = None,
) -> BoolArray | None:
    """Re-plan every replacement in the periods ``a .. b - 1`` exactly (HiGHS MILP).

    The replacements outside the window stay; inside it every position chooses a new,
    possibly empty, sequence of replacements that joins its last replacement before
    ``a`` (``p``, or the horizon start) to its first from ``b`` on (``q``, or the end):
    an arc-flow path per position from a source to a sink over the window's periods,
    arc costs those of the full problem (first replacement, interval of ``d`` periods,
    end state, none in the horizon; ``inf`` arcs left out; a replacement in ``t`` other
    than the first needs ``node_ok``), the openings ``y_kt`` of the window (``x_it <=
    y_kt``, cost ``S_kt``) and the crew rows of the cells its jobs cover (the fixed
    jobs' load subtracted from the hours).  Everything outside the segment ``p .. q``
    of a position's path is unchanged, so the MILP's objective is the plan's cost up to
    a constant: its optimum is the best plan that differs from ``x`` only in the window
    (a large-neighbourhood search move; a solution no cheaper than ``x`` is discarded).
    ``first``, ``interval``, ``end``, ``beyond``, ``node_ok``: the path costs of
    :func:`optimizer.solvers.multiyear.solve_multiyear`
    (currency; ``interval`` of shape ``(n, D + 1)``, ``D >= T - 1``).  ``rows``: the
    positions re-planned (default all); the others keep their plan, their load and
    openings in the window fixed.

    Returns
    -------
    ndarray of bool or None
        The new plan (shape of ``x``) when HiGHS found one cheaper than ``x`` within the
        crews, else ``None``.
    """
    pb = mp.base
    n, n_t = x.shape
    d_max = interval.shape[1] - 1
    win = np.arange(a, b)
    w = win.size
    if w == 0:
        return None
    cost_l: list[float] = []
    pos_l: list[int] = []
    u_l: list[int] = []  # -1: source, else window index
    v_l: list[int] = []  # w: sink, else window index
    start_cols: list[int] = []

    def arc(d: int, i: int) -> float:
        return float(interval[i, d]) if 1 <= d <= d_max else np.inf

    free = np.zeros(n, dtype=bool)
    free[np.arange(n) if rows is None else rows] = True
    for i in np.flatnonzero(free).tolist():
        ts = np.flatnonzero(x[i])
        before, inside, after = ts[ts < a], ts[(ts >= a) & (ts < b)], ts[ts >= b]
        p = int(before[-1]) if before.size else -1
        q = int(after[0]) if after.size else -1
        q_ok = q < 0 or bool(node_ok[i, q])

        def src(t: int, i: int = i, p: int = p) -> float:
            if p >= 0:
                return arc(t - p, i) if node_ok[i, t] else np.inf
            return float(first[i, t])

        def snk(t: int, i: int = i, q: int = q, q_ok: bool = q_ok) -> float:
            if q >= 0:
                return arc(q - t, i) if q_ok else np.inf
            return float(end[i, t])

        if p >= 0 and q >= 0:
            direct = arc(q - p, i)
        elif p >= 0:
            direct = float(end[i, p])
        elif q >= 0:
            direct = float(first[i, q])
        else:
            direct = float(beyond[i])
        chosen = [int(t) - a for t in inside]
        path = [-1, *chosen, w]
        used = set(itertools.pairwise(path))
        cand: list[tuple[int, int, float]] = [(-1, w, direct)]
        for j in range(w):
            t = a + j
            cand.append((-1, j, src(t)))
            cand.append((j, w, snk(t)))
            for j2 in range(j + 1, w):
                cand.append((j, j2, arc(j2 - j, i) if node_ok[i, a + j2] else np.inf))
        for u, v, c in cand:
            if np.isfinite(c) or (u, v) in used:
                if (u, v) in used:
                    start_cols.append(len(cost_l))
                pos_l.append(i)
                u_l.append(u)
                v_l.append(v)
                cost_l.append(c if np.isfinite(c) else 1e12)
    n_f = len(cost_l)
    pos = np.asarray(pos_l, dtype=np.int64)
    uu = np.asarray(u_l, dtype=np.int64)
    vv = np.asarray(v_l, dtype=np.int64)
    k_of = pb.system_of
    # openings of the window: one column per (system, window period) allowed
    yk, yj = np.nonzero(pb.open_allowed[:, a:b])
    y_col = np.full((pb.n_systems, w), -1, dtype=np.int64)
    y_col[yk, yj] = n_f + np.arange(yk.size)
    n_col = n_f + yk.size
    cost = np.r_[np.asarray(cost_l), pb.opening_cost[yk, a + yj]]
    blocks: list[sparse.coo_matrix] = []
    lo: list[FloatArray] = []
    hi: list[FloatArray] = []
    # flow: source out = 1 per position; in = out at every (position, window period)
    src_rows = sparse.coo_matrix(
        (np.ones(int(np.sum(uu < 0))), (pos[uu < 0], np.flatnonzero(uu < 0))), (n, n_col)
    )
    blocks.append(src_rows)
    lo.append(free.astype(np.float64))
    hi.append(free.astype(np.float64))
    into = vv < w
    outof = uu >= 0
    r_in = pos[into] * w + vv[into]
    r_out = pos[outof] * w + uu[outof]
    bal = sparse.coo_matrix(
        (
            np.r_[np.ones(r_in.size), -np.ones(r_out.size)],
            (np.r_[r_in, r_out], np.r_[np.flatnonzero(into), np.flatnonzero(outof)]),
        ),
        (n * w, n_col),
    )
    blocks.append(bal)
    lo.append(np.zeros(n * w))
    hi.append(np.zeros(n * w))
    # x_it <= y_kt: inflow of (i, t) at most the opening (none where it may not open)
    ycell = y_col[k_of[np.repeat(np.arange(n), w)], np.tile(np.arange(w), n)]
    has = ycell >= 0
    link = sparse.coo_matrix(
        (
            np.r_[np.ones(r_in.size), -np.ones(int(has.sum()))],
            (np.r_[r_in, np.flatnonzero(has)], np.r_[np.flatnonzero(into), ycell[has]]),
        ),
        (n * w, n_col),
    )
    blocks.append(link)
    lo.append(np.full(n * w, -np.inf))
    hi.append(np.zeros(n * w))
    # crews: the cells the window's jobs cover, hours left by the fixed jobs
    span = pb.span_periods
    fixed = x.copy()
    fixed[free, a:b] = False
    load_fixed = np.zeros_like(pb.crew_hours)
    fi, ft = np.nonzero(fixed)
    owner, cell = span_cells(ft, span[fi], n_t)
    np.add.at(load_fixed, (pb.skill_of[fi[owner]], cell), pb.load_per_period_h[fi[owner]])
    cr_r: list[IntArray] = []
    cr_c: list[IntArray] = []
    cr_v: list[FloatArray] = []
    cols_in = np.flatnonzero(into)
    t_in = a + vv[into]
    i_in = pos[into]
    for off in range(int(span.max())):
        cov = off < span[i_in]
        c_cell = t_in + off
        cov &= c_cell < n_t
        s_ = pb.skill_of[i_in]
        cov &= np.isfinite(pb.crew_hours[s_, np.minimum(c_cell, n_t - 1)])
        cr_r.append(s_[cov] * n_t + c_cell[cov])
        cr_c.append(cols_in[cov])
        cr_v.append(pb.load_per_period_h[i_in[cov]])
    rr = np.concatenate(cr_r) if cr_r else np.zeros(0, np.int64)
    ukey, r_idx = np.unique(rr, return_inverse=True)
    if ukey.size:
        crew = sparse.coo_matrix(
            (np.concatenate(cr_v), (r_idx, np.concatenate(cr_c))), (ukey.size, n_col)
        )
        s_k, c_k = np.divmod(ukey, n_t)
        blocks.append(crew)
        lo.append(np.full(ukey.size, -np.inf))
        hi.append(pb.crew_hours[s_k, c_k] - load_fixed[s_k, c_k] + 1e-6)
    a_mat = sparse.vstack(blocks).tocsr()
    h = new_highs()
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = a_mat.shape[0]
    lp.col_cost_ = cost
    # openings the fixed positions use in the window stay open (their cost is sunk)
    used_fixed = np.zeros((pb.n_systems, w), dtype=bool)
    fi_w, ft_w = np.nonzero(x[~free, a:b])
    used_fixed[k_of[np.flatnonzero(~free)[fi_w]], ft_w] = True
    col_lb = np.zeros(n_col)
    col_lb[y_col[used_fixed & (y_col >= 0)]] = 1.0
    lp.col_lower_ = col_lb
    lp.col_upper_ = np.ones(n_col)
    lp.row_lower_ = np.concatenate(lo)
    lp.row_upper_ = np.concatenate(hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a_mat.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a_mat.indices.astype(np.int32)
    lp.a_matrix_.value_ = a_mat.data.astype(np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_col
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.01)))
    h.setOptionValue("mip_rel_gap", 1e-6)
    h.passModel(lp)
    x0 = np.zeros(n_col)
    x0[np.asarray(start_cols, dtype=np.int64)] = 1.0
    open0 = np.zeros((pb.n_systems, w), dtype=bool)
    ii, tt = np.nonzero(x[:, a:b])
    open0[k_of[ii], tt] = True
    x0[y_col[open0]] = 1.0
    start_obj = float(cost @ x0)
    # no MIP start: with the current plan passed by setSolution, highspy 1.16 returned
    # that plan as "optimal" on a 3-position case whose optimum is 23% cheaper (its log
    # showed an incumbent cost that was neither); the caller checks the new plan
    h.run()
    info = h.getInfo()
    if int(info.primal_solution_status) != int(highspy.SolutionStatus.kSolutionStatusFeasible):
        return None
    col = np.asarray(h.getSolution().col_value)
    if float(cost @ col) >= start_obj - 1e-7 * max(1.0, abs(start_obj)):
        return None
    out = fixed
    take = (col[:n_f] > 0.5) & into
    out[pos[take], a + vv[take]] = True
    return out
