"""The grouping MILP as numpy arrays: sparse index sets and a CSR constraint matrix.

Model (README, "How it decides": grouping).  Over sparse index sets only -- a pair
``(i, t)`` exists when component ``i`` may be replaced in period ``t`` *and* its system
may open then (and, for free components, when the job alone fits the crew capacity of
every period it spans):

::

    min  sum_(i,t) h_i(t) x[i,t] + sum_(k,t) S_k(t) y[k,t] + sum_i b_i z[i]
    s.t. sum_t x[i,t] + z[i] = 1                         for every i        (assignment)
         x[i,t] <= y[k(i),t]                             for every (i,t)    (linking)
         sum_(i in s) sum_(u = t-n_i+1..t) l_i x[i,u] <= C[s,t]   finite C  (crew capacity)
         sum_(i in k,s) l_i x[i,t]
             <= min(C[s,t], sum_(i in k,s) l_i) y[k,t]                      (strengthening)
         sum_(i in Q) x[i,t] <= y[k,t]      Q: jobs of k,s no two of which fit  (cliques)

with ``x, y, z`` binary, pinned work fixed (``x[i, p] = 1`` or ``z[i] = 1``).  A job
spans ``n_i = span_periods[i]`` consecutive periods and loads each of them with
``l_i = d_i q_i / n_i`` technician-hours (so a job started in ``u`` appears in the crew
rows of ``u .. u + n_i - 1``; periods past the horizon are not counted).  The
strengthening row of ``(k, s, t)`` contains only the jobs of ``k`` that *start* in
``t`` (those are the ones that imply ``y[k, t]``), with their period-``t`` load: if
``y[k, t] = 0`` they are all 0, and if it is 1 their load is part of the period-``t``
crew row, so the inequality stays valid for any span.

The clique rows are valid for the same reason: two jobs of ``(k, s)`` starting in ``t``
whose period-``t`` loads add up to more than ``C[s, t]`` cannot both start then, so of a
set ``Q`` of pairwise such jobs at most one starts, and only if ``k`` opens.  The sets
are the maximal cliques of this "cannot share" graph, which for one capacity is a
threshold graph: every job with ``l > C/2`` conflicts with every other such job, and a
job with ``l <= C/2`` with the large jobs ``l' > C - l`` only.  These rows are what
HiGHS's presolve finds by clique merging (on the ``tight200`` benchmark the LP bound
of the model with them equals HiGHS's root bound, 185,228 against 181,266 without);
written into the model, the LP relaxation that :mod:`optimizer.solvers.lp_heuristic`
solves has the same bound.  A job in a clique row needs no linking row of its own
(``x[i,t] <= sum_Q x = y[k,t]``), so those are left out.

Two builders produce the same model:

* :func:`build_direct_model` (this module) -- the constraint matrix assembled as a
  sparse CSR matrix with numpy, passed to ``highspy`` in one ``passModel`` call
  (:func:`optimizer.solvers.highs.run_highs`);
* :func:`optimizer.solvers.milp_pyomo.build_pyomo_model` -- a Pyomo ``ConcreteModel``
  (one builder per constraint family, oemof-solph style), solved through Pyomo's APPSI
  HiGHS interface.

Both read the same :class:`GroupingIndex`, so they agree by construction on which
variables and rows exist.  The solve itself is in :mod:`optimizer.solvers.milp`.

References
----------
.. [1] R. E. Wildeman, R. Dekker, A. C. J. M. Smit, "A dynamic policy for grouping
   maintenance activities", European Journal of Operational Research 99 (1997).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from optimizer._typing import BoolArray, FloatArray, IntArray
from optimizer.problem.data import NO_PIN, PIN_BEYOND, PlanningProblem
from optimizer.problem.plan import BEYOND, span_cells
from optimizer.problem.purchasing import purchase_plan
from optimizer.solvers.common import CAP_TOL, eligible_pairs

__all__ = [
    "DirectModel",
    "GroupingIndex",
    "StockBlock",
    "build_direct_model",
    "grouping_index",
    "stock_block",
    "stock_columns",
]


# --------------------------------------------------------------------------------------
# Sparse index sets
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupingIndex:
    """Sparse index sets of the grouping model, shared by every builder.

    Columns: ``x`` (one per eligible pair ``(x_comp, x_period)``), ``y`` (one per system
    opening ``(y_sys, y_period)`` used by some ``x``), ``z`` (one per component).
    Rows: assignment (one per component), linking (one per ``x``), crew capacity (one per
    skill/period whose eligible load can exceed the capacity) and strengthening (one per
    system/skill/period whose load of jobs starting there can exceed the capacity).

    Attributes
    ----------
    x_comp, x_period : ndarray of int, shape (nx,)
        Component and period of each ``x`` column (sorted by component, then period).
    x_y : ndarray of int, shape (nx,)
        Index of the ``y`` column ``x`` links to.
    x_load_h : ndarray of float, shape (nx,)
        Technician-hours ``d_i q_i / span_i`` the job puts into each period it spans.
    x_fixed : ndarray of bool, shape (nx,)
        True for the single ``x`` of a component pinned to a period (fixed to 1).
    y_sys, y_period : ndarray of int, shape (ny,)
        System and period of each ``y`` column.
    z_lb, z_ub, z_cost : ndarray of float, shape (n,)
        Bounds and cost of ``z`` (``z_ub = 0`` when deferral is not allowed).
    crew_skill, crew_period : ndarray of int, shape (nc,)
        Skill and period of each crew-capacity row.
    crew_cap_h : ndarray of float, shape (nc,)
        Its capacity, technician-hours.
    crew_x, crew_row : ndarray of int, shape (ne,)
        Entries of the crew rows: column ``x`` ``crew_x[e]`` has coefficient
        ``crew_coef_h[e]`` in crew row ``crew_row[e]`` (a job spanning several periods
        appears in the row of each of them).
    crew_coef_h : ndarray of float, shape (ne,)
        Coefficient of each entry, technician-hours.
    st_y, st_skill : ndarray of int, shape (ns,)
        ``y`` column and skill of each strengthening row.
    st_cap_h : ndarray of float, shape (ns,)
        Coefficient ``min(C_st, sum d q)`` of ``y`` in the row.
    x_st_row : ndarray of int, shape (nx,)
        Strengthening row of each ``x`` (-1 when it has none).
    cl_y : ndarray of int, shape (nq,)
        ``y`` column of each clique row ``sum_{j in Q} x_j <= y``.
    cl_x, cl_row : ndarray of int, shape (nqe,)
        Entries of the clique rows: column ``x`` ``cl_x[e]`` is in row ``cl_row[e]``.
    x_linked : ndarray of bool, shape (nx,)
        True if ``x`` has its own linking row (False when a clique row implies it).
    """

    x_comp: IntArray
    x_period: IntArray
    x_y: IntArray
    x_load_h: FloatArray
    x_fixed: BoolArray
    y_sys: IntArray
    y_period: IntArray
    z_lb: FloatArray
    z_ub: FloatArray
    z_cost: FloatArray
    crew_skill: IntArray
    crew_period: IntArray
    crew_cap_h: FloatArray
    crew_x: IntArray
    crew_row: IntArray
    crew_coef_h: FloatArray
    st_y: IntArray
    st_skill: IntArray
    st_cap_h: FloatArray
    x_st_row: IntArray
    cl_y: IntArray
    cl_x: IntArray
    cl_row: IntArray
    x_linked: BoolArray

    @property
    def n_x(self) -> int:
        """Number of ``x`` columns."""
        return len(self.x_comp)

    @property
    def n_y(self) -> int:
        """Number of ``y`` columns."""
        return len(self.y_sys)


def _groups(
    keys: IntArray, load: FloatArray, cap: FloatArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Rows for the groups (equal ``keys``) whose total ``load`` can exceed ``cap``.

    Returns ``(row_of_member, kept_keys, first_member_of_kept)``; ``row_of_member`` is
    -1 for members of groups whose constraint is redundant.
    """
    ukeys, first, inv = np.unique(keys, return_index=True, return_inverse=True)
    total = np.bincount(inv, weights=load, minlength=len(ukeys))
    cap_u = cap[first]
    need = total > cap_u * (1 + CAP_TOL) + CAP_TOL
    new_id = np.full(len(ukeys), -1, dtype=np.int64)
    new_id[need] = np.arange(int(need.sum()))
    return new_id[inv], ukeys[need], first[need]


def _clique_rows(
    keys: IntArray, load: FloatArray, cap: FloatArray, cols: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Maximal cliques of jobs that cannot start together, per group of equal ``keys``.

    In a group (one system, skill and start period) with capacity ``C``, jobs ``u`` and
    ``v`` conflict when ``load[u] + load[v] > C``.  With ``K`` the jobs of load
    ``> C/2`` sorted by decreasing load, the maximal cliques are ``K[:m_v] + {v}`` for
    every other job ``v`` conflicting with ``m_v >= 1`` of them (a prefix, since ``K``
    is sorted), and ``K`` itself when no ``v`` conflicts with all of ``K`` and
    ``|K| >= 2``.

    Parameters
    ----------
    keys, load, cap, cols : ndarray, shape (m,)
        Group key, per-period load (h), capacity (h) and ``x`` column of each job.

    Returns
    -------
    (entry_col, entry_row, row_first)
        ``x`` column and clique row of every entry, and for each row one member's
        position in the inputs (to read its group's ``y``).
    """
    none = np.zeros(0, dtype=np.int64)
    if not len(keys):
        return none, none, none
    order = np.lexsort((-load, keys))
    k, ld, c, col = keys[order], load[order], cap[order], cols[order]
    ukeys, first, gid = np.unique(k, return_index=True, return_inverse=True)
    big = ld > c / 2 * (1 + CAP_TOL) + CAP_TOL
    n_big = np.bincount(gid, weights=big, minlength=len(ukeys)).astype(np.int64)
    # big jobs come first in their group (sorted by decreasing load); m_v = number of
    # big jobs u of v's group with load[u] > C - load[v], found by a binary search on
    # a key that orders groups first and loads decreasing within a group
    span = 4.0 * float(np.max(np.abs(ld))) + 1.0
    comp = gid * span - ld
    bpos = np.flatnonzero(big)
    small = np.flatnonzero(~big)
    thr = c[small] * (1 + CAP_TOL) + CAP_TOL - ld[small]
    m_v = np.searchsorted(comp[bpos], gid[small] * span - thr, side="left")
    # bpos index of the first big job of each group
    big_start = np.searchsorted(bpos, first)
    m_v = np.clip(m_v - big_start[gid[small]], 0, n_big[gid[small]])
    has = m_v >= 1
    v_rows, v_m = small[has], m_v[has]
    full = np.zeros(len(ukeys), dtype=np.bool_)
    full[gid[v_rows[v_m == n_big[gid[v_rows]]]]] = True
    k_groups = np.flatnonzero((n_big >= 2) & ~full)
    # rows: one per v (prefix of m_v big jobs + v), then one per K-only group
    sizes = np.concatenate([v_m + 1, n_big[k_groups]])
    n_rows = len(sizes)
    if not n_rows:
        return none, none, none
    row_of = np.repeat(np.arange(n_rows), sizes)
    offset = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    start = np.concatenate([first[gid[v_rows]], first[k_groups]])
    pos = start[row_of] + offset
    # the last entry of a v row is v itself, not the (m_v+1)-th big job
    is_v = np.zeros(len(pos), dtype=np.bool_)
    is_v[np.cumsum(sizes[: len(v_rows)]) - 1] = True
    pos[is_v] = v_rows
    return col[pos].astype(np.int64), row_of.astype(np.int64), order[start].astype(np.int64)


def _crew_rows(
    problem: PlanningProblem, xi: IntArray, xt: IntArray, x_load: FloatArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Crew-capacity rows of the ``x`` columns ``(xi, xt)`` with per-period loads ``x_load``.

    Column ``j`` loads the cells ``(skill_of[xi[j]], u)`` for ``u`` in
    ``xt[j] .. xt[j] + span - 1`` (inside the horizon).  A row is kept for a finite
    cell whose *potential* load -- every component that could cover it counted once,
    since a component starts at most once -- exceeds the capacity; other rows are
    redundant.

    Returns
    -------
    (keys, entry_x, entry_row)
        ``keys = s * T + t`` of the kept rows (sorted), and the ``(x column, row)`` of
        every non-zero of those rows.
    """
    n_t, n_s = problem.n_periods, len(problem.skill_ids)
    none = np.zeros(0, dtype=np.int64)
    if not n_s or not len(xi):
        return none, none, none
    ex, et = span_cells(xt, problem.span_periods[xi], n_t)
    es = problem.skill_of[xi[ex]]
    fin = np.isfinite(problem.crew_hours[es, et])
    ex, keys = ex[fin], es[fin] * n_t + et[fin]
    if not len(ex):
        return none, none, none
    ukeys, inv = np.unique(keys, return_inverse=True)
    # one contribution per (component, cell), however many of its starts cover the cell
    _, first = np.unique(xi[ex] * len(ukeys) + inv, return_index=True)
    potential = np.bincount(inv[first], weights=x_load[ex[first]], minlength=len(ukeys))
    cap_u = problem.crew_hours.ravel()[ukeys]
    need = potential > cap_u * (1 + CAP_TOL) + CAP_TOL
    new_id = np.full(len(ukeys), -1, dtype=np.int64)
    new_id[need] = np.arange(int(need.sum()))
    keep = need[inv]
    return ukeys[need].astype(np.int64), ex[keep].astype(np.int64), new_id[inv[keep]]


def grouping_index(
    problem: PlanningProblem, *, strengthen: bool = True, crew_filter: bool = True
) -> GroupingIndex:
    """Build the sparse index sets of the grouping model.

    Parameters
    ----------
    problem : PlanningProblem
        The instance (pins assumed consistent: see
        :func:`optimizer.solvers.common.pinned_diagnosis`).
    strengthen : bool
        Create the per-system crew/opening strengthening rows.
    crew_filter : bool
        Drop pairs whose job alone exceeds the crew capacity of a period it spans
        (False for the elastic diagnosis model, where capacities may be exceeded at a
        price).

    Returns
    -------
    GroupingIndex
    """
    n_t, n_s = problem.n_periods, len(problem.skill_ids)
    elig = eligible_pairs(problem, crew_filter=crew_filter)
    xi, xt = np.nonzero(elig)
    xi = xi.astype(np.int64)
    xt = xt.astype(np.int64)
    k = problem.system_of[xi]
    ukey, x_y = np.unique(k * n_t + xt, return_inverse=True)
    y_sys, y_period = np.divmod(ukey, n_t)
    x_load = problem.load_per_period_h[xi]
    pin = problem.pinned_period
    pb = problem.penalty_beyond
    z_ub = (((pin == NO_PIN) & np.isfinite(pb)) | (pin == PIN_BEYOND)).astype(np.float64)
    z_lb = (pin == PIN_BEYOND).astype(np.float64)
    z_cost = np.where(np.isfinite(pb), pb, 0.0)

    s = problem.skill_of[xi] if n_s else np.zeros(len(xi), dtype=np.int64)
    cap = problem.crew_hours[s, xt] if n_s else np.full(len(xi), np.inf)
    fin = np.flatnonzero(np.isfinite(cap))
    x_st_row = np.full(len(xi), -1, dtype=np.int64)
    st_first = np.zeros(0, dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    cl_x, cl_row, cl_first = none, none, none
    crew_keys, crew_x, crew_row = _crew_rows(problem, xi, xt, x_load)
    if len(fin) and strengthen:
        # jobs of system k starting in t, with their period-t share (see module docstring)
        st_keys = (k[fin] * max(n_s, 1) + s[fin]) * n_t + xt[fin]
        rows, _, first = _groups(st_keys, x_load[fin], cap[fin])
        x_st_row[fin] = rows
        st_first = fin[first]
        # cliques only where the group can overload its crew (its strengthening row)
        in_st = rows >= 0
        fin_st = fin[in_st]
        cl_x, cl_row, cl_first = _clique_rows(st_keys[in_st], x_load[fin_st], cap[fin_st], fin_st)
        cl_first = fin_st[cl_first]
    x_linked = np.ones(len(xi), dtype=np.bool_)
    x_linked[cl_x] = False
    crew_skill, crew_period = np.divmod(crew_keys, n_t)
    return GroupingIndex(
        x_comp=xi,
        x_period=xt,
        x_y=x_y.astype(np.int64),
        x_load_h=x_load,
        x_fixed=pin[xi] >= 0,
        y_sys=y_sys.astype(np.int64),
        y_period=y_period.astype(np.int64),
        z_lb=z_lb,
        z_ub=z_ub,
        z_cost=z_cost,
        crew_skill=crew_skill.astype(np.int64),
        crew_period=crew_period.astype(np.int64),
        crew_cap_h=problem.crew_hours[crew_skill, crew_period] if len(crew_keys) else np.zeros(0),
        crew_x=crew_x,
        crew_row=crew_row,
        crew_coef_h=x_load[crew_x],
        st_y=x_y[st_first].astype(np.int64),
        st_skill=s[st_first].astype(np.int64),
        # the row is only created when the group's load exceeds C_st, so min(...) = C_st
        st_cap_h=cap[st_first].astype(np.float64),
        x_st_row=x_st_row,
        cl_y=x_y[cl_first].astype(np.int64),
        cl_x=cl_x,
        cl_row=cl_row,
        x_linked=x_linked,
    )


@dataclass(frozen=True)
class DirectModel:
    """The grouping MILP as arrays: ``min c'v  s.t.  row_lb <= A v <= row_ub``.

    Column order: ``x`` (``index.n_x``), ``y`` (``index.n_y``), ``z`` (n), then crew
    slacks (elastic variant only).
    """

    index: GroupingIndex
    cost: FloatArray
    col_lb: FloatArray
    col_ub: FloatArray
    row_lb: FloatArray
    row_ub: FloatArray
    matrix: sp.csr_matrix
    n_rows_by_family: dict[str, int]
    integer: BoolArray | None = None
    """Integrality of every column (``None``: ``x``, ``y``, ``z`` integer, rest continuous)."""
    parts_cols: tuple[int, int, int] | None = None
    """Offsets of the stock ``I``, order quantity ``q`` and order ``o`` columns (parts)."""
    parts_offset: float = 0.0
    """Constant cost outside the columns (none today; kept for additive terms)."""
    stock: StockBlock | None = None
    """The stock block behind the ``parts_cols`` (parts)."""

    def period_from_columns(self, col_value: FloatArray, n: int) -> IntArray:
        """Assignment encoded by a column vector (``x > 0.5``)."""
        idx = self.index
        period = np.full(n, BEYOND, dtype=np.int64)
        on = col_value[: idx.n_x] > 0.5
        period[idx.x_comp[on]] = idx.x_period[on]
        return period

    def columns_from_period(self, period: IntArray) -> FloatArray:
        """Column vector of an assignment (``x``, implied ``y``, ``z``; slacks 0).

        Pairs of the assignment that have no column are ignored (the vector is then
        infeasible and HiGHS discards it).
        """
        idx = self.index
        n = len(period)
        v = np.zeros(len(self.cost))
        xon = period[idx.x_comp] == idx.x_period
        v[: idx.n_x] = xon
        y = np.zeros(idx.n_y)
        y[idx.x_y[xon]] = 1.0
        v[idx.n_x : idx.n_x + idx.n_y] = y
        v[idx.n_x + idx.n_y : idx.n_x + idx.n_y + n] = period == BEYOND
        return v


def build_direct_model(
    problem: PlanningProblem,
    *,
    strengthen: bool = True,
    crew_filter: bool = True,
    elastic: bool = False,
) -> DirectModel:
    """Assemble the grouping MILP as sparse arrays with numpy (no per-element Python).

    Rows, in order (``X_i`` = columns of component ``i``):

    * assignment ``sum_{t in X_i} x_it + z_i = 1`` (n rows);
    * linking ``x_it - y_k(i)t <= 0`` (one per ``x``);
    * crew ``sum_{i in s} sum_{u=t-n_i+1..t} l_i x_iu <= C_st`` (+ slack ``- e_st`` if
      ``elastic``), ``l_i = d_i q_i / n_i`` per spanned period;
    * strengthening ``sum_{i in k,s} l_i x_it - min(C_st, sum l) y_kt <= 0`` (jobs
      starting in ``t``);
    * cliques ``sum_{i in Q} x_it - y_kt <= 0`` (with ``strengthen``; their members
      have no linking row).

    Parameters
    ----------
    problem : PlanningProblem
        The instance (pins consistent).
    strengthen : bool
        Add the strengthening and clique rows.
    crew_filter : bool
        Prune pairs whose single job exceeds its period's capacity.
    elastic : bool
        Diagnosis variant: one slack column per crew row priced 1 per hour, all other
        costs zero.

    Returns
    -------
    DirectModel
    """
    idx = grouping_index(problem, strengthen=strengthen and not elastic, crew_filter=crew_filter)
    n, nx, ny = problem.n_components, idx.n_x, idx.n_y
    nc, ns = len(idx.crew_cap_h), len(idx.st_cap_h)
    n_slack = nc if elastic else 0
    n_col = nx + ny + n + n_slack
    y0, z0, e0 = nx, nx + ny, nx + ny + n
    ax = np.arange(nx)

    # assignment rows 0..n-1
    r_assign = np.concatenate([idx.x_comp, np.arange(n)])
    c_assign = np.concatenate([ax, z0 + np.arange(n)])
    v_assign = np.ones(nx + n)
    # linking rows (x not in a clique row; a clique row implies the others' linking)
    linked = np.flatnonzero(idx.x_linked)
    nl = len(linked)
    r_link = np.concatenate([n + np.arange(nl), n + np.arange(nl)])
    c_link = np.concatenate([linked, y0 + idx.x_y[linked]])
    v_link = np.concatenate([np.ones(nl), -np.ones(nl)])
    # crew rows
    base_c = n + nl
    r_crew = base_c + idx.crew_row
    c_crew = idx.crew_x
    v_crew = idx.crew_coef_h
    if elastic:
        r_crew = np.concatenate([r_crew, base_c + np.arange(nc)])
        c_crew = np.concatenate([c_crew, e0 + np.arange(nc)])
        v_crew = np.concatenate([v_crew, -np.ones(nc)])
    # strengthening rows
    base_s = base_c + nc
    in_s = idx.x_st_row >= 0
    r_st = np.concatenate([base_s + idx.x_st_row[in_s], base_s + np.arange(ns)])
    c_st = np.concatenate([ax[in_s], y0 + idx.st_y])
    v_st = np.concatenate([idx.x_load_h[in_s], -idx.st_cap_h])
    # clique rows
    base_q = base_s + ns
    nq = len(idx.cl_y)
    r_cl = np.concatenate([base_q + idx.cl_row, base_q + np.arange(nq)])
    c_cl = np.concatenate([idx.cl_x, y0 + idx.cl_y])
    v_cl = np.concatenate([np.ones(len(idx.cl_x)), -np.ones(nq)])
    n_row = base_q + nq

    matrix = sp.csr_matrix(
        (
            np.concatenate([v_assign, v_link, v_crew, v_st, v_cl]),
            (
                np.concatenate([r_assign, r_link, r_crew, r_st, r_cl]),
                np.concatenate([c_assign, c_link, c_crew, c_st, c_cl]),
            ),
        ),
        shape=(n_row, n_col),
    )
    row_lb = np.concatenate([np.ones(n), np.full(nl + nc + ns + nq, -np.inf)])
    row_ub = np.concatenate([np.ones(n), np.zeros(nl), idx.crew_cap_h, np.zeros(ns), np.zeros(nq)])

    if elastic:
        cost = np.concatenate([np.zeros(nx + ny + n), np.ones(n_slack)])
    else:
        cost = np.concatenate(
            [
                problem.penalty[idx.x_comp, idx.x_period],
                problem.opening_cost[idx.y_sys, idx.y_period],
                idx.z_cost,
            ]
        )
    col_lb = np.concatenate(
        [idx.x_fixed.astype(np.float64), np.zeros(ny), idx.z_lb, np.zeros(n_slack)]
    )
    col_ub = np.concatenate([np.ones(nx + ny), idx.z_ub, np.full(n_slack, np.inf)])
    families = {
        "assignment": n,
        "linking": nl,
        "crew": nc,
        "strengthening": ns,
        "cliques": nq,
    }
    if not problem.has_parts or elastic:
        return DirectModel(
            index=idx,
            cost=cost,
            col_lb=col_lb,
            col_ub=col_ub,
            row_lb=row_lb,
            row_ub=row_ub,
            matrix=matrix,
            n_rows_by_family=families,
        )
    blk = stock_block(problem, idx)
    n0 = matrix.shape[1]
    x_part = sp.csr_matrix((blk.x_coef, (blk.x_row, blk.x_col)), shape=(blk.n_rows, idx.n_x))
    lower = sp.hstack([x_part, sp.csr_matrix((blk.n_rows, n0 - idx.n_x)), blk.own], format="csr")
    upper = sp.hstack([matrix, sp.csr_matrix((matrix.shape[0], blk.n_cols))], format="csr")
    full = sp.vstack([upper, lower], format="csr")
    integer = np.concatenate(
        [np.ones(nx + ny + n, dtype=bool), np.zeros(n_slack, dtype=bool), blk.integer]
    )
    families |= {"stock balance": blk.n_balance, "order link": blk.n_rows - blk.n_balance}
    return DirectModel(
        index=idx,
        cost=np.concatenate([cost, blk.cost]),
        col_lb=np.concatenate([col_lb, blk.col_lb]),
        col_ub=np.concatenate([col_ub, blk.col_ub]),
        row_lb=np.concatenate([row_lb, blk.row_lb]),
        row_ub=np.concatenate([row_ub, blk.row_ub]),
        matrix=full,
        n_rows_by_family=families,
        integer=integer,
        parts_cols=(n0, n0 + blk.n_stock, n0 + blk.n_stock + blk.n_orders),
        stock=blk,
    )


@dataclass(frozen=True)
class StockBlock:
    """Rows and columns that model spare-part stock and new orders (see :func:`stock_block`).

    Columns (in order): stock ``J[p, j]`` (continuous, >= 0) held from event period
    ``stock_period[j]`` of pool ``stock_part[j]`` up to the pool's next event period,
    order quantity ``q[p, a]`` (continuous) and order ``o[p, a]`` (binary) for every
    arrival period ``a`` a new order may use.  Rows: one balance row per stock column
    (its event period) and one link row ``q[p, a] <= M[p, a] o[p, a]`` per order.
    """

    n_stock: int
    n_orders: int
    stock_part: IntArray
    stock_period: IntArray
    order_part: IntArray
    order_period: IntArray
    order_row: IntArray
    """Balance row (stock column) each order's quantity enters."""
    order_big: FloatArray
    """``M[p, a]`` of each order's link row, units."""
    n_balance: int
    n_rows: int
    x_row: IntArray
    x_col: IntArray
    x_coef: FloatArray
    own: sp.csr_matrix
    cost: FloatArray
    col_lb: FloatArray
    col_ub: FloatArray
    row_lb: FloatArray
    row_ub: FloatArray
    integer: BoolArray

    @property
    def n_cols(self) -> int:
        """Number of stock and order columns."""
        return self.n_stock + 2 * self.n_orders


def _stock_events(
    problem: PlanningProblem, idx: GroupingIndex
) -> tuple[list[IntArray], list[IntArray], list[IntArray]]:
    """Per pool: event periods, order arrival periods and ``M[p, a]`` of each order.

    Event periods are period 0, every period with an arrival of an order already placed
    and every period in which some job using the pool has a column (the only periods in
    which the stock level can change); order arrivals are the job periods from the
    pool's first possible arrival on; ``M[p, a]`` is the units of every job of the pool
    that has a column in period ``a`` or later (see :func:`stock_block`).
    """
    parts = problem.parts
    assert parts is not None
    n_t = problem.n_periods
    first = np.clip(parts.expedite_periods(problem.period_h), 0, n_t)
    xp = parts.part_of[idx.x_comp]
    use = (xp >= 0) & (parts.qty[idx.x_comp] > 0)
    events, arrive, big = [], [], []
    for p in range(parts.n_parts):
        mine = use & (xp == p)
        jt = np.unique(idx.x_period[mine])
        ev = np.union1d(np.union1d(jt, np.flatnonzero(parts.arrivals[p] > 0)), [0])
        events.append(ev.astype(np.int64))
        a = jt[jt >= first[p]].astype(np.int64)
        arrive.append(a)
        # latest column of each job of the pool: its units can be used at a only if a <= it
        comp = idx.x_comp[mine]
        last = np.full(problem.n_components, -1, dtype=np.int64)
        np.maximum.at(last, comp, idx.x_period[mine])
        jobs = np.flatnonzero(last >= 0)
        units = parts.qty[jobs].astype(np.float64)
        order = np.argsort(last[jobs])
        ends, units = last[jobs][order], units[order]
        tail = np.concatenate([np.cumsum(units[::-1])[::-1], [0.0]])
        big.append(tail[np.searchsorted(ends, a, side="left")])
    return events, arrive, big


def stock_block(problem: PlanningProblem, idx: GroupingIndex) -> StockBlock:
    """Spare-part stock of the grouping model (``problem.parts`` set).

    Written on each pool's *event periods* ``e_0 = 0 < e_1 < ... < e_m`` (period 0,
    arrivals of orders already placed, periods in which a job using the pool has a
    column) with ``e_(m+1) = T``::

        J[p,j] - J[p,j-1] - q[p,e_j] + sum_{i uses p} qty_i x[i,e_j] = A[p,e_j]  (balance)
        q[p,a] - M[p,a] o[p,a] <= 0                                           (order link)
        cost  +=  hold_p (e_(j+1) - e_j) J[p,j] + premium_p [a < lead_p] q[p,a] + K_p o[p,a]

    with ``A[p,0] = on_hand_p + arrivals[p,0]``, ``A[p,t] = arrivals[p,t]``, ``J >= 0`` (no
    stock-out), orders arriving in job periods from the expedited lead time on (regular
    lead time when the part cannot be expedited), and ``M[p,a]`` the units of the jobs
    of ``p`` that have a column in period ``a`` or later.

    Why this is the per-period model ``I[p,t] - I[p,t-1] - q[p,t] + use[p,t] = A[p,t]``,
    ``q[p,t] <= M_p o[p,t]`` for every ``t`` (same optimum for every ``x``):

    * *orders only in job periods*: an order arriving in ``a`` whose units are first
      used in ``a' > a`` (no job of the pool in between) can arrive in ``a'`` instead:
      the stock of ``a .. a' - 1`` drops by its quantity and stays non-negative (nothing
      was used there), holding falls, the premium ``[a' < lead]`` does not rise, and an
      order already arriving in ``a'`` absorbs it (one fee less); an order none of whose
      units is ever used is dropped.  So some cheapest order plan of every ``x`` arrives
      only in job periods;
    * *one stock column per event*: between two event periods nothing arrives and
      nothing is used, so ``I[p,t]`` is constant there and ``I[p,t] >= 0`` for all of
      them is ``J[p,j] >= 0``; its holding is ``hold_p`` per period it is held;
    * *``M[p,a]``*: ordering more in ``a`` than the jobs able to use it later leaves at
      least the excess in stock at every period from ``a`` on, so removing the excess
      keeps the stock non-negative and costs no more (holding and premium >= 0).

    For a fixed ``x`` the cheapest ``J, q, o`` is the Wagner-Whitin plan of
    :mod:`optimizer.problem.purchasing`, so the objective equals
    :func:`optimizer.problem.plan.evaluate` at every optimum.  Restricted problems (a
    re-solve around a plan, the start heuristic) have few job periods and get a small
    stock block.
    """
    parts = problem.parts
    assert parts is not None
    n_p, n_t = parts.n_parts, problem.n_periods
    lead = parts.lead_periods(problem.period_h)
    hold = parts.holding_per_unit_period(problem.period_h)
    events, arrive, bigs = _stock_events(problem, idx)
    n_ev = np.array([len(e) for e in events], dtype=np.int64)
    n_or = np.array([len(a) for a in arrive], dtype=np.int64)
    ev_start = np.concatenate([[0], np.cumsum(n_ev)])
    n_stock = int(ev_start[-1])
    n_o = int(n_or.sum())
    sp_part = np.repeat(np.arange(n_p), n_ev)
    sp_t = np.concatenate(events) if n_p else np.zeros(0, dtype=np.int64)
    nxt = np.concatenate([np.append(e[1:], n_t) for e in events]) if n_p else sp_t
    o_part = np.repeat(np.arange(n_p), n_or)
    o_per = np.concatenate(arrive) if n_p else np.zeros(0, dtype=np.int64)
    o_big = np.concatenate(bigs).astype(np.float64) if n_p else np.zeros(0)
    # balance row of (p, t): position of t among p's event periods
    o_row = ev_start[o_part] + np.array(
        [int(np.searchsorted(events[p], a)) for p, a in zip(o_part, o_per, strict=True)],
        dtype=np.int64,
    )
    xi, xt = idx.x_comp, idx.x_period
    xp = parts.part_of[xi]
    use = (xp >= 0) & (parts.qty[xi] > 0)
    j_use = np.flatnonzero(use)
    x_row = ev_start[xp[j_use]] + np.array(
        [int(np.searchsorted(events[p], t)) for p, t in zip(xp[j_use], xt[j_use], strict=True)],
        dtype=np.int64,
    )
    x_coef = parts.qty[xi[j_use]].astype(np.float64)
    s_idx = np.arange(n_stock)
    prev = np.flatnonzero(s_idx != ev_start[sp_part])  # not the pool's first event
    rows = [s_idx, prev, o_row, n_stock + np.arange(n_o), n_stock + np.arange(n_o)]
    cols = [
        s_idx,
        prev - 1,
        n_stock + np.arange(n_o),
        n_stock + np.arange(n_o),
        n_stock + n_o + np.arange(n_o),
    ]
    vals = [np.ones(n_stock), -np.ones(len(prev)), -np.ones(n_o), np.ones(n_o), -o_big]
    own = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_stock + n_o, n_stock + 2 * n_o),
    )
    rhs = parts.arrivals.copy()
    rhs[:, 0] += parts.on_hand
    return StockBlock(
        n_stock=n_stock,
        n_orders=n_o,
        stock_part=sp_part,
        stock_period=sp_t,
        order_part=o_part,
        order_period=o_per,
        order_row=o_row,
        order_big=o_big,
        n_balance=n_stock,
        n_rows=n_stock + n_o,
        x_row=x_row,
        x_col=j_use,
        x_coef=x_coef,
        own=own,
        cost=np.concatenate(
            [
                hold[sp_part] * (nxt - sp_t),
                np.where(o_per < lead[o_part], parts.cost_expedite_premium[o_part], 0.0),
                parts.cost_order[o_part],
            ]
        ),
        col_lb=np.zeros(n_stock + 2 * n_o),
        col_ub=np.concatenate([np.full(n_stock + n_o, np.inf), np.ones(n_o)]),
        row_lb=np.concatenate([rhs[sp_part, sp_t], np.full(n_o, -np.inf)]),
        row_ub=np.concatenate([rhs[sp_part, sp_t], np.zeros(n_o)]),
        integer=np.concatenate([np.zeros(n_stock + n_o, dtype=bool), np.ones(n_o, dtype=bool)]),
    )


def stock_columns(problem: PlanningProblem, model: DirectModel, period: IntArray) -> FloatArray:
    """Values of the stock/order columns for an assignment (its Wagner-Whitin orders).

    An order the model has no column for (it arrives outside the pool's job periods)
    leaves the vector infeasible; HiGHS then discards it.
    """
    assert model.parts_cols is not None and model.stock is not None
    blk = model.stock
    s0, q0, o0 = model.parts_cols
    pp = purchase_plan(problem, period)
    out = np.zeros(len(model.cost) - s0)
    out[: q0 - s0] = pp.stock[blk.stock_part, blk.stock_period]
    n_o = o0 - q0
    pairs = zip(blk.order_part.tolist(), blk.order_period.tolist(), strict=True)
    col = {pa: j for j, pa in enumerate(pairs)}
    for o in pp.orders:
        j = col.get((o.part, o.arrival_period))
        if j is not None:
            out[q0 - s0 + j] += o.qty
            out[q0 - s0 + n_o + j] = 1.0
    return out
