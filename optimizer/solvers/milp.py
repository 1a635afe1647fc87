"""Grouped maintenance scheduling as a MILP, solved by HiGHS.

Model (see ``shared/design.md``, "Grouping").  Over sparse index sets only -- a pair
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

* :func:`build_pyomo_model` -- a Pyomo ``ConcreteModel`` (one builder per constraint
  family, oemof-solph style), solved through Pyomo's APPSI HiGHS interface;
* :func:`build_direct_model` -- the constraint matrix assembled as a sparse CSR matrix
  with numpy and passed to ``highspy`` in one ``passModel`` call.

Both read the same :class:`GroupingIndex`, so they agree by construction on which
variables and rows exist.  ``solve_milp(..., backend="direct")`` is the default because
building the Pyomo model costs a Python object per variable and constraint term
(``benchmarks/bench_milp.py``, 365 daily periods: building and loading into HiGHS takes
0.06 s direct vs 3.8 s Pyomo at 1,000 components with a 60-day eligibility window, and
0.5 s vs 18 s with every period eligible -- 35-66x); the
Pyomo path stays for readability, for users who want to extend the model
algebraically, and as a cross-check in the tests.

References
----------
.. [1] R. E. Wildeman, R. Dekker, A. C. J. M. Smit, "A dynamic policy for grouping
   maintenance activities", European Journal of Operational Research 99 (1997).
.. [2] Q. Huangfu, J. A. J. Hall, "Parallelizing the dual revised simplex method",
   Mathematical Programming Computation 10 (2018) -- HiGHS.
.. [3] oemof-solph: one ``_..._rule`` / builder per constraint family with the constraint
   written out in its docstring (https://github.com/oemof/oemof-solph).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import highspy
import numpy as np
import scipy.sparse as sp

from optimizer._typing import BoolArray, FloatArray, IntArray
from optimizer.problem.data import NO_PIN, PIN_BEYOND, PlanningProblem
from optimizer.problem.plan import (
    BEYOND,
    Plan,
    Status,
    crew_load_h,
    evaluate,
    span_cells,
    spanned_min,
    violations,
)
from optimizer.solvers.common import check_inputs
from optimizer.solvers.incumbent import IncumbentCallback, IncumbentFeed

__all__ = [
    "DirectModel",
    "GroupingIndex",
    "build_direct_model",
    "build_pyomo_model",
    "check_inputs",
    "diagnose_infeasibility",
    "empty_plan",
    "fallback_period",
    "grouping_index",
    "pinned_diagnosis",
    "plan_from_period",
    "root_lp_bound",
    "solve_milp",
    "solve_milp_direct",
    "solve_milp_pyomo",
    "trivial_lower_bound",
]

Backend = Literal["pyomo", "direct"]

_REL_TOL = 1e-9
"""Relative tolerance when comparing technician-hours (loads are sums of floats)."""

HEURISTIC = True
"""Run the LP-guided start heuristic before the full solve on crew-capacitated models
(:func:`_heuristic_start`; tests switch it off to compare)."""

ABANDON_GRACE_S = 0.5
"""Seconds a time-limited HiGHS run may exceed its deadline before it is abandoned.

HiGHS checks its ``time_limit`` (and the interrupt callbacks) only between phases of
work; some phases never check it.  Measured with highspy 1.16 on the 210k-column
``fleet1k`` model (benchmarks/bench_fleet.py) with a 7 s limit: the presolve rule
*Enumeration* ran 33 s past the limit and the MIP setup's objective clique partition
(``HighsObjectiveFunction::setupCliquePartition``) 17 s, and ``kCallbackMipInterrupt``
was first called after both (so an interrupt callback cannot stop them either).  A
time-limited run therefore runs in a worker thread (highspy releases the GIL); if it
has not returned ``ABANDON_GRACE_S`` after the deadline, the caller goes on without
it (no incumbent from that run) and the thread ends by itself at HiGHS's next
time-limit check."""

ENUMERATION_OFF_COLS = 100_000
"""Columns above which the HiGHS presolve rule *Enumeration* is switched off in a
time-limited MILP solve (it ignores the time limit, see :data:`ABANDON_GRACE_S`)."""

_PRESOLVE_RULE_ENUMERATION = 1 << 16
"""Bit of the HiGHS option ``presolve_rule_off`` for the Enumeration rule (rule 16)."""


# --------------------------------------------------------------------------------------
# Input checks, sparse index sets
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


def _eligible(problem: PlanningProblem, *, crew_filter: bool) -> BoolArray:
    """Pairs ``(i, t)`` that get an ``x`` column (pins already checked feasible)."""
    k = problem.system_of
    elig = (
        problem.allowed
        & problem.open_allowed[k]
        & np.isfinite(problem.penalty)
        & np.isfinite(problem.opening_cost[k])
    )
    if crew_filter and problem.n_components and len(problem.skill_ids):
        load = problem.load_per_period_h
        # a job whose per-period share exceeds the whole capacity of its skill in some
        # period it would span can never start in t
        cap = spanned_min(problem.crew_hours, problem.skill_of, problem.span_periods)
        elig &= load[:, None] <= cap * (1 + _REL_TOL) + _REL_TOL
    pin = problem.pinned_period
    elig[pin != NO_PIN] = False
    pinned = np.flatnonzero(pin >= 0)
    elig[pinned, pin[pinned]] = True
    return np.asarray(elig, dtype=np.bool_)


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
    need = total > cap_u * (1 + _REL_TOL) + _REL_TOL
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
    big = ld > c / 2 * (1 + _REL_TOL) + _REL_TOL
    n_big = np.bincount(gid, weights=big, minlength=len(ukeys)).astype(np.int64)
    # big jobs come first in their group (sorted by decreasing load); m_v = number of
    # big jobs u of v's group with load[u] > C - load[v], found by a binary search on
    # a key that orders groups first and loads decreasing within a group
    span = 4.0 * float(np.max(np.abs(ld))) + 1.0
    comp = gid * span - ld
    bpos = np.flatnonzero(big)
    small = np.flatnonzero(~big)
    thr = c[small] * (1 + _REL_TOL) + _REL_TOL - ld[small]
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
    need = potential > cap_u * (1 + _REL_TOL) + _REL_TOL
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
        The instance (pins assumed consistent: see :func:`pinned_diagnosis`).
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
    elig = _eligible(problem, crew_filter=crew_filter)
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


# --------------------------------------------------------------------------------------
# Diagnosis
# --------------------------------------------------------------------------------------


def _date(problem: PlanningProblem, t: int) -> str:
    return problem.period_start(int(t)).date().isoformat()


def pinned_diagnosis(problem: PlanningProblem) -> list[str]:
    """Obvious infeasibilities, found without solving: pins and must-do work.

    Checks, in plain language: a pin to a period where the work is not allowed or its
    system may not open; the technician-hours of pinned work per skill and period
    (spread over the periods each job spans) against the crew capacity; a component
    that may not be deferred (infinite ``penalty_beyond``) but has no period where it
    could be done.

    Returns
    -------
    list of str
        One sentence per violated condition (empty if none found).
    """
    out: list[str] = []
    pin = problem.pinned_period
    for i in np.flatnonzero(pin >= 0):
        t = int(pin[i])
        cid = problem.component_ids[i]
        k = int(problem.system_of[i])
        if not problem.allowed[i, t] or not np.isfinite(problem.penalty[i, t]):
            out.append(
                f"component {cid} is pinned to period {t} ({_date(problem, t)})"
                " but its work is not allowed then"
            )
        if not problem.open_allowed[k, t] or not np.isfinite(problem.opening_cost[k, t]):
            out.append(
                f"system {problem.system_ids[k]} must open in period {t} ({_date(problem, t)})"
                f" for pinned work on {cid} but may not open then"
            )
    pinned = np.flatnonzero(pin >= 0)
    if len(pinned) and len(problem.skill_ids):
        load = crew_load_h(problem, np.where(pin >= 0, pin, BEYOND))
        over = load > problem.crew_hours * (1 + _REL_TOL) + _REL_TOL
        span = problem.span_periods
        for s, t in np.argwhere(over):
            who = [
                problem.component_ids[i]
                for i in pinned
                if problem.skill_of[i] == s and pin[i] <= t < pin[i] + span[i]
            ]
            out.append(
                f"skill {problem.skill_ids[s]} needs {load[s, t]:.1f} h in period {t}"
                f" ({_date(problem, t)}), has {problem.crew_hours[s, t]:.1f} h"
                f" (pinned work on {', '.join(who)})"
            )
    must = np.flatnonzero((pin == NO_PIN) & ~np.isfinite(problem.penalty_beyond))
    if len(must):
        elig = _eligible(problem, crew_filter=False)
        for i in must[~elig[must].any(axis=1)]:
            out.append(
                f"component {problem.component_ids[i]} must be replaced within the horizon"
                " but has no period where its work is allowed and its system"
                f" {problem.system_ids[problem.system_of[i]]} may open"
            )
    if problem.has_parts and not out:
        from optimizer.problem.purchasing import must_do_shortages

        out.extend(must_do_shortages(problem, _eligible(problem, crew_filter=True)))
    return out


def diagnose_infeasibility(
    problem: PlanningProblem, *, time_limit_s: float | None = None
) -> tuple[str, ...]:
    """Explain why no plan exists, in plain sentences.

    First the checks of :func:`pinned_diagnosis`.  If they find nothing, the remaining
    coupling is the crew capacity shared by work that may not be deferred; an *elastic*
    variant of the MILP (crew rows get a slack column priced 1 per technician-hour,
    every other cost set to zero, no crew-based pruning of pairs) is solved, and every
    skill and period whose slack is positive is reported with the load the least
    overloaded plan puts there.

    Parameters
    ----------
    problem : PlanningProblem
        The infeasible instance.
    time_limit_s : float or None
        Time limit of the elastic solve, seconds.

    Returns
    -------
    tuple of str
    """
    pre = pinned_diagnosis(problem)
    if pre:
        return tuple(pre)
    model = build_direct_model(problem, strengthen=False, crew_filter=False, elastic=True)
    res = _run_highs(model, time_limit_s=time_limit_s, gap=1e-9, warm_col=None, relax=False)
    if res.col_value is None:
        return (
            "no plan satisfies the assignment, window and crew constraints together"
            " (the elastic crew relaxation found no plan either)",
        )
    period = model.period_from_columns(res.col_value, problem.n_components)
    load = crew_load_h(problem, period)
    over = load > problem.crew_hours * (1 + 1e-7) + 1e-7
    out = [
        f"skill {problem.skill_ids[s]} needs {load[s, t]:.1f} h in period {t}"
        f" ({_date(problem, t)}), has {problem.crew_hours[s, t]:.1f} h"
        " (work that may not be deferred)"
        for s, t in np.argwhere(over)
    ]
    return tuple(out) or ("the solver reports the model infeasible; no single cause found",)


# --------------------------------------------------------------------------------------
# Plans, fallbacks, bounds
# --------------------------------------------------------------------------------------


def trivial_lower_bound(problem: PlanningProblem) -> float:
    """A valid lower bound without solving: each component at its cheapest option.

    ``sum_i min(min_t h_i(t) over eligible t, b_i)`` plus the negative part of opening
    costs (openings are non-negative in practice, so usually nothing).
    """
    if problem.n_components == 0:
        return 0.0
    elig = _eligible(problem, crew_filter=True)
    pen = np.where(elig, problem.penalty, np.inf).min(axis=1, initial=np.inf)
    pin = problem.pinned_period
    pb = np.where(pin == NO_PIN, problem.penalty_beyond, np.inf)
    pb = np.where(pin == PIN_BEYOND, problem.penalty_beyond, pb)
    pen = np.where(pin == PIN_BEYOND, np.inf, pen)
    best = np.minimum(pen, pb)
    neg_open = np.minimum(np.where(np.isfinite(problem.opening_cost), problem.opening_cost, 0), 0)
    return float(best[np.isfinite(best)].sum() + neg_open.sum())


def fallback_period(problem: PlanningProblem, warm_start: IntArray | None) -> IntArray:
    """A plan to return when the solver stopped before finding one.

    The warm start if it is feasible; otherwise pinned work at its pin and every other
    component deferred (always feasible when pins are), or at its own cheapest eligible
    period when it may not be deferred.
    """
    if warm_start is not None and not violations(problem, warm_start):
        return warm_start
    pin = problem.pinned_period
    period = np.where(pin >= 0, pin, BEYOND).astype(np.int64)
    must = (pin == NO_PIN) & ~np.isfinite(problem.penalty_beyond)
    if must.any():
        elig = _eligible(problem, crew_filter=True)
        pen = np.where(elig, problem.penalty, np.inf)
        own = np.argmin(pen, axis=1)
        ok = must & np.isfinite(pen.min(axis=1, initial=np.inf))
        period[ok] = own[ok]
    return period


def plan_from_period(
    problem: PlanningProblem,
    period: IntArray,
    *,
    status: Status,
    lower_bound: float,
    method: str,
    runtime_s: float,
    log: tuple[str, ...] = (),
) -> Plan:
    """Wrap an assignment into a :class:`Plan`, costed exactly with :func:`evaluate`.

    The bound is clipped to the objective (a solver bound can exceed the re-evaluated
    objective by rounding) and to the trivial bound from below.
    """
    cost = evaluate(problem, period)
    obj = cost["total"]
    lb = max(float(lower_bound), trivial_lower_bound(problem))
    lb = min(lb, obj)
    return Plan(
        period=period,
        objective=obj,
        lower_bound=lb,
        status=status,
        method=method,
        runtime_s=runtime_s,
        cost_split={k: v for k, v in cost.items() if k != "total"},
        log=log,
    )


def _infeasible_plan(
    problem: PlanningProblem,
    diagnosis: tuple[str, ...],
    method: str,
    t0: float,
    log: tuple[str, ...],
) -> Plan:
    return Plan(
        period=np.full(problem.n_components, BEYOND, dtype=np.int64),
        objective=float("inf"),
        lower_bound=float("inf"),
        status=Status.INFEASIBLE,
        method=method,
        runtime_s=time.perf_counter() - t0,
        diagnosis=diagnosis,
        log=log,
    )


def empty_plan(problem: PlanningProblem, method: str, t0: float) -> Plan:
    """The plan of an instance without components (nothing to do, cost 0)."""
    return plan_from_period(
        problem,
        np.zeros(0, dtype=np.int64),
        status=Status.OPTIMAL,
        lower_bound=0.0,
        method=method,
        runtime_s=time.perf_counter() - t0,
        log=("no components",),
    )


# --------------------------------------------------------------------------------------
# Direct (numpy -> CSR -> highspy) model
# --------------------------------------------------------------------------------------


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
    )


@dataclass(frozen=True)
class StockBlock:
    """Rows and columns that model spare-part stock and new orders (see :func:`stock_block`).

    Columns (in order): stock ``I[p, t]`` (continuous, >= 0), order quantity
    ``q[p, a]`` (continuous) and order ``o[p, a]`` (binary) for every arrival period
    ``a`` a new order can reach.  Rows: one balance row per ``(p, t)`` and one link row
    ``q[p, a] <= M_p o[p, a]`` per order.
    """

    n_stock: int
    n_orders: int
    stock_part: IntArray
    stock_period: IntArray
    order_part: IntArray
    order_period: IntArray
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


def stock_block(problem: PlanningProblem, idx: GroupingIndex) -> StockBlock:
    """Spare-part stock of the grouping model (``problem.parts`` set).

    ::

        I[p,t] - I[p,t-1] - q[p,t] + sum_{i uses p} qty_i x[i,t] = A[p,t]   (balance)
        q[p,a] - M_p o[p,a] <= 0                                            (order link)
        cost  +=  hold_p I[p,t] + premium_p [a < lead_p] q[p,a] + K_p o[p,a]

    with ``A[p,0] = on_hand_p + arrivals[p,0]``, ``A[p,t] = arrivals[p,t]``, ``I >= 0``
    (no stock-out), orders arriving from the expedited lead time on (regular lead time
    when the part cannot be expedited), and ``M_p`` the units every job of ``p`` could
    use.  For a fixed ``x`` the cheapest ``I, q, o`` is the Wagner-Whitin plan of
    :mod:`optimizer.problem.purchasing`, so the objective equals
    :func:`optimizer.problem.plan.evaluate` at every optimum.
    """
    parts = problem.parts
    assert parts is not None
    n_p, n_t = parts.n_parts, problem.n_periods
    first = np.clip(parts.expedite_periods(problem.period_h), 0, n_t)
    lead = parts.lead_periods(problem.period_h)
    hold = parts.holding_per_unit_period(problem.period_h)
    xi, xt = idx.x_comp, idx.x_period
    xp = parts.part_of[xi]
    use = (xp >= 0) & (parts.qty[xi] > 0)
    j_use = np.flatnonzero(use)
    x_row = xp[j_use] * n_t + xt[j_use]
    x_coef = parts.qty[xi[j_use]].astype(np.float64)
    big = np.bincount(
        parts.part_of[parts.part_of >= 0],
        weights=parts.qty[parts.part_of >= 0].astype(np.float64),
        minlength=n_p,
    )
    n_stock = n_p * n_t
    o_len = n_t - first
    o_part = np.repeat(np.arange(n_p), o_len)
    o_first = np.cumsum(o_len) - o_len
    o_per = first[o_part] + (np.arange(int(o_len.sum())) - o_first[o_part])
    n_o = len(o_part)
    # own columns: I (n_stock), q (n_o), o (n_o)
    s_idx = np.arange(n_stock)
    sp_part, sp_t = np.divmod(s_idx, n_t)
    prev = np.flatnonzero(sp_t > 0)
    rows = [s_idx, prev, o_part * n_t + o_per, n_stock + np.arange(n_o), n_stock + np.arange(n_o)]
    cols = [
        s_idx,
        prev - 1,
        n_stock + np.arange(n_o),
        n_stock + np.arange(n_o),
        n_stock + n_o + np.arange(n_o),
    ]
    vals = [np.ones(n_stock), -np.ones(len(prev)), -np.ones(n_o), np.ones(n_o), -big[o_part]]
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
        n_balance=n_stock,
        n_rows=n_stock + n_o,
        x_row=x_row,
        x_col=j_use,
        x_coef=x_coef,
        own=own,
        cost=np.concatenate(
            [
                hold[sp_part],
                np.where(o_per < lead[o_part], parts.cost_expedite_premium[o_part], 0.0),
                parts.cost_order[o_part],
            ]
        ),
        col_lb=np.zeros(n_stock + 2 * n_o),
        col_ub=np.concatenate([np.full(n_stock + n_o, np.inf), np.ones(n_o)]),
        row_lb=np.concatenate([rhs.ravel(), np.full(n_o, -np.inf)]),
        row_ub=np.concatenate([rhs.ravel(), np.zeros(n_o)]),
        integer=np.concatenate([np.zeros(n_stock + n_o, dtype=bool), np.ones(n_o, dtype=bool)]),
    )


def _stock_columns(problem: PlanningProblem, model: DirectModel, period: IntArray) -> FloatArray:
    """Values of the stock/order columns for an assignment (its Wagner-Whitin orders)."""
    from optimizer.problem.purchasing import purchase_plan

    assert model.parts_cols is not None
    s0, q0, o0 = model.parts_cols
    n_t = problem.n_periods
    pp = purchase_plan(problem, period)
    out = np.zeros(len(model.cost) - s0)
    out[: q0 - s0] = pp.stock.ravel()
    n_o = o0 - q0
    parts = problem.parts
    assert parts is not None
    first = np.clip(parts.expedite_periods(problem.period_h), 0, n_t)
    o_len = n_t - first
    o_first = np.cumsum(o_len) - o_len
    for o in pp.orders:
        j = int(o_first[o.part] + (o.arrival_period - first[o.part]))
        if 0 <= o.arrival_period - first[o.part] < o_len[o.part]:
            out[q0 - s0 + j] += o.qty
            out[q0 - s0 + n_o + j] = 1.0
    return out


@dataclass(frozen=True)
class _HighsResult:
    status: Any  # highspy.HighsModelStatus
    col_value: FloatArray | None
    objective: float
    dual_bound: float
    solve_s: float
    abandoned: bool = False
    """True when the run outlasted its deadline and was left to finish on its own."""


def _call_bounded(fn: Callable[[], Any], hard_deadline: float) -> tuple[bool, Any]:
    """Call ``fn()`` in a daemon thread and wait for it until ``hard_deadline`` at most.

    Returns ``(True, fn's result)``, or ``(False, None)`` when ``fn`` is still running at
    ``hard_deadline`` (a :func:`time.perf_counter` instant): the thread is abandoned and
    ends by itself; the caller must not touch what ``fn`` uses any more.  HiGHS releases
    the GIL while it runs, so waiting with a timeout works.  An exception raised by
    ``fn`` is re-raised here.
    """
    import threading

    out: list[Any] = []
    failed: list[BaseException] = []

    def target() -> None:
        try:
            out.append(fn())
        except BaseException as exc:  # re-raised in the caller's thread
            failed.append(exc)

    worker = threading.Thread(target=target, name="highs-run", daemon=True)
    worker.start()
    worker.join(max(hard_deadline - time.perf_counter(), 0.0))
    if worker.is_alive():
        return False, None
    if failed:
        raise failed[0]
    return True, out[0]


_BANNER_SHOWN = False


def _quiet_highs() -> Any:
    """A ``Highs`` object, created with the C-level stdout silenced the first time.

    HiGHS prints its copyright banner to the process's stdout when the first solver
    object is created, before any option can turn output off; that would corrupt
    machine-readable output (``opportune plan --json``), so fd 1 is pointed at
    ``/dev/null`` for that one call.
    """
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()  # type: ignore[no-untyped-call]
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        _BANNER_SHOWN = True
    return h


def _highs() -> Any:
    h = _quiet_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    return h


def _run_highs(
    model: DirectModel,
    *,
    time_limit_s: float | None,
    gap: float,
    warm_col: FloatArray | None,
    relax: bool,
    options: dict[str, int | float] | None = None,
    on_solution: Callable[[FloatArray, float], None] | None = None,
    deadline: float | None = None,
) -> _HighsResult:
    """Pass ``model`` to highspy in one call, solve, read solution and bound.

    ``options``: further HiGHS options (e.g. ``mip_max_nodes``) for this solve.
    ``on_solution(col_value, dual_bound)`` is called from HiGHS's improving-solution
    callback with each new incumbent (MIP only).  ``deadline``: a
    :func:`time.perf_counter` instant the run must not outlast; the HiGHS time limit
    is the smaller of ``time_limit_s`` and the time left to it, and a run still busy
    :data:`ABANDON_GRACE_S` after it is abandoned (status ``kTimeLimit``, no solution,
    bound ``-inf``; see :data:`ABANDON_GRACE_S`).
    """
    start = time.perf_counter()
    limit = time_limit_s
    if deadline is not None:
        left = max(deadline - start, 1e-3)
        limit = left if limit is None else min(limit, left)
    h = _highs()
    if limit is not None:
        h.setOptionValue("time_limit", float(limit))
        if not relax and model.matrix.shape[1] > ENUMERATION_OFF_COLS:
            h.setOptionValue("presolve_rule_off", _PRESOLVE_RULE_ENUMERATION)
    h.setOptionValue("mip_rel_gap", float(gap))
    for name, value in (options or {}).items():
        h.setOptionValue(name, value)
    a = model.matrix
    lp = highspy.HighsLp()
    lp.num_col_ = a.shape[1]
    lp.num_row_ = a.shape[0]
    lp.col_cost_ = model.cost
    lp.col_lower_ = model.col_lb
    lp.col_upper_ = model.col_ub
    lp.row_lower_ = model.row_lb
    lp.row_upper_ = model.row_ub
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    n_int = model.index.n_x + model.index.n_y + len(model.index.z_lb)
    if not relax:
        if model.integer is not None:
            kinds = [
                highspy.HighsVarType.kInteger if v else highspy.HighsVarType.kContinuous
                for v in model.integer.tolist()
            ]
        else:
            kinds = [highspy.HighsVarType.kInteger] * n_int
            kinds += [highspy.HighsVarType.kContinuous] * (a.shape[1] - n_int)
        lp.integrality_ = kinds
    h.passModel(lp)
    if warm_col is not None:
        sol = highspy.HighsSolution()
        sol.col_value = warm_col
        sol.value_valid = True
        h.setSolution(sol)
    raised: list[BaseException] = []
    abandoned: list[bool] = []
    if on_solution is not None and not relax:

        def improving(event: Any) -> None:
            # An exception must not unwind through HiGHS's C++ frames: keep it, re-raise.
            # An abandoned run must not report plans after its caller has returned.
            if raised or abandoned:
                event.interrupt()
                return
            try:
                out = event.data_out
                on_solution(np.array(out.mip_solution, dtype=np.float64), out.mip_dual_bound)
            except BaseException as exc:
                raised.append(exc)
                event.interrupt()

        h.cbMipImprovingSolution.subscribe(improving)
    t0 = time.perf_counter()
    if limit is None:
        h.run()
    elif not _call_bounded(h.run, start + limit + ABANDON_GRACE_S)[0]:
        abandoned.append(True)
        return _HighsResult(
            status=highspy.HighsModelStatus.kTimeLimit,
            col_value=None,
            objective=np.inf,
            dual_bound=-np.inf,
            solve_s=time.perf_counter() - t0,
            abandoned=True,
        )
    if raised:
        raise raised[0]
    solve_s = time.perf_counter() - t0
    status = h.getModelStatus()
    info = h.getInfo()
    has_sol = int(info.primal_solution_status) == int(
        highspy.SolutionStatus.kSolutionStatusFeasible
    )
    col = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_sol else None
    if relax:
        bound = float(info.objective_function_value) if has_sol else -np.inf
    elif status == highspy.HighsModelStatus.kOptimal and has_sol:
        bound = float(info.mip_dual_bound)
    else:
        bound = float(info.mip_dual_bound)
        if not np.isfinite(bound):
            bound = -np.inf
    return _HighsResult(
        status=status,
        col_value=col,
        objective=float(info.objective_function_value) if has_sol else np.inf,
        dual_bound=bound,
        solve_s=solve_s,
    )


def root_lp_bound(problem: PlanningProblem, *, strengthen: bool = True) -> float:
    """Optimal value of the LP relaxation of the grouping MILP (HiGHS simplex).

    Used to measure what the crew/opening strengthening rows buy: the root gap is
    ``(z_MILP - z_LP) / z_MILP``.
    """
    if pinned_diagnosis(problem):
        return float("inf")
    model = build_direct_model(problem, strengthen=strengthen)
    return _run_highs(model, time_limit_s=None, gap=0.0, warm_col=None, relax=True).dual_bound


_ERROR_STATUSES = (
    highspy.HighsModelStatus.kLoadError,
    highspy.HighsModelStatus.kModelError,
    highspy.HighsModelStatus.kPresolveError,
    highspy.HighsModelStatus.kSolveError,
    highspy.HighsModelStatus.kPostsolveError,
    highspy.HighsModelStatus.kMemoryLimit,
)


def _infeasible_status(status: Any) -> bool:
    return bool(
        status == highspy.HighsModelStatus.kInfeasible
        or status == highspy.HighsModelStatus.kUnboundedOrInfeasible
    )


def solve_milp_direct(
    problem: PlanningProblem,
    *,
    time_limit_s: float | None = None,
    gap: float = 1e-6,
    warm_start: np.ndarray | None = None,
    strengthen: bool = True,
    on_incumbent: IncumbentCallback | None = None,
) -> Plan:
    """Solve the grouping MILP with HiGHS on a numpy-built sparse model.

    Parameters and return as :func:`solve_milp` (``backend="direct"``).
    """
    t0 = time.perf_counter()
    ws = check_inputs(problem, time_limit_s, gap, warm_start)
    # the limit is wall clock from here: model build, start heuristic and full solve
    deadline = None if time_limit_s is None else t0 + time_limit_s
    pre = pinned_diagnosis(problem)
    if pre:
        return _infeasible_plan(problem, tuple(pre), "milp", t0, ("backend=direct",))
    if problem.n_components == 0:
        return empty_plan(problem, "milp", t0)
    model = build_direct_model(problem, strengthen=strengthen)
    build_s = time.perf_counter() - t0
    warm_col = model.columns_from_period(ws) if ws is not None else None
    if warm_col is not None and ws is not None and model.parts_cols is not None:
        warm_col[model.parts_cols[0] :] = _stock_columns(problem, model, ws)
    feed = IncumbentFeed(on_incumbent)

    def offer(period: IntArray, bound: float, note: str) -> None:
        feed.offer(
            plan_from_period(
                problem,
                period,
                status=Status.FEASIBLE,
                lower_bound=bound if np.isfinite(bound) else -np.inf,
                method="milp",
                runtime_s=time.perf_counter() - t0,
                log=(note,),
            )
        )

    def improving(col: FloatArray, bound: float) -> None:
        period = model.period_from_columns(col, problem.n_components)
        if not violations(problem, period):
            offer(period, bound, "incumbent")

    warm_col, ws, lp_bound, heur_log = _heuristic_start(
        problem, model, ws, warm_col, time_limit_s, gap, deadline
    )
    fam = ", ".join(f"{k} {v}" for k, v in model.n_rows_by_family.items())
    if heur_log and warm_col is not None and ws is not None and not violations(problem, ws):
        if feed.active:
            # the start heuristic's plan is the first incumbent (the full MILP may not run)
            offer(ws, lp_bound, "incumbent (start heuristic)")
        start_cost = float(model.cost @ warm_col)
        if start_cost - lp_bound <= gap * max(abs(start_cost), 1e-9):
            # the LP bound already proves the starting plan within the requested gap
            log = (
                f"backend=direct (numpy CSR -> highspy), build {build_s:.3f} s",
                f"columns: x {model.index.n_x}, y {model.index.n_y},"
                f" z {problem.n_components}; rows: {fam}",
                *heur_log,
                "within the gap of the LP bound: full MILP not run",
            )
            return _finish(
                problem,
                highspy.HighsModelStatus.kOptimal,
                None,
                lp_bound,
                model,
                ws,
                t0,
                log,
                period=ws,
                deadline=deadline,
            )
    res = _run_highs(
        model,
        time_limit_s=None,
        gap=gap,
        warm_col=warm_col,
        relax=False,
        on_solution=improving if feed.active else None,
        deadline=deadline,
    )
    log = (
        f"backend=direct (numpy CSR -> highspy), build {build_s:.3f} s, solve {res.solve_s:.3f} s",
        f"columns: x {model.index.n_x}, y {model.index.n_y}, z {problem.n_components}; rows: {fam}",
        *heur_log,
        f"HiGHS status {res.status}",
    )
    if res.abandoned:
        log = (*log, f"HiGHS still busy {ABANDON_GRACE_S} s after the deadline: abandoned")
    return _finish(
        problem,
        res.status,
        res.col_value,
        max(res.dual_bound, lp_bound),
        model,
        ws,
        t0,
        log,
        deadline=deadline,
    )


def _heuristic_start(
    problem: PlanningProblem,
    model: DirectModel,
    ws: IntArray | None,
    warm_col: FloatArray | None,
    time_limit_s: float | None,
    gap: float,
    deadline: float | None = None,
) -> tuple[FloatArray | None, IntArray | None, float, tuple[str, ...]]:
    """Starting incumbent for the full solve: the better of ``ws`` and the LP heuristic.

    The LP-guided heuristic (:mod:`optimizer.solvers.lp_heuristic`) runs only when crew
    rows couple the components (there HiGHS finds good plans late; without crews the
    model is solved quickly as it is).  It never removes anything from the full model,
    so the optimum is unchanged; its LP value is a valid lower bound.

    Returns
    -------
    (warm_col, warm_period, lp_bound, log)
        The incumbent to pass to HiGHS (column vector and assignment), the LP bound
        (``-inf`` if not computed) and log lines.
    """
    if not model.n_rows_by_family.get("crew", 0) or not HEURISTIC:
        return warm_col, ws, -np.inf, ()
    from optimizer.solvers.lp_heuristic import opening_heuristic

    heur = opening_heuristic(problem, model, time_limit_s=time_limit_s, gap=gap, deadline=deadline)
    if heur.col_value is None:
        return warm_col, ws, heur.lp_bound, (heur.log,)
    if warm_col is not None and ws is not None and not violations(problem, ws):
        if float(model.cost @ warm_col) <= heur.objective:
            return warm_col, ws, heur.lp_bound, (heur.log, "kept the given warm start (cheaper)")
    period = model.period_from_columns(heur.col_value, problem.n_components)
    return heur.col_value, period, heur.lp_bound, (heur.log,)


def _finish(
    problem: PlanningProblem,
    status: Any,
    col_value: FloatArray | None,
    bound: float,
    model: DirectModel | None,
    ws: IntArray | None,
    t0: float,
    log: tuple[str, ...],
    period: IntArray | None = None,
    deadline: float | None = None,
) -> Plan:
    """Map a HiGHS outcome to a :class:`Plan` (shared by the two builders).

    ``deadline`` (a :func:`time.perf_counter` instant or None) bounds the
    infeasibility diagnosis.
    """
    if _infeasible_status(status):
        left = None if deadline is None else max(deadline - time.perf_counter(), 0.05)
        diag = diagnose_infeasibility(problem, time_limit_s=left)
        return _infeasible_plan(problem, diag, "milp", t0, log)
    if status in _ERROR_STATUSES:
        raise RuntimeError(f"HiGHS failed on the grouping model: {status}; log: {log}")
    if period is None and col_value is not None and model is not None:
        period = model.period_from_columns(col_value, problem.n_components)
    if status == highspy.HighsModelStatus.kOptimal and period is not None:
        st = Status.OPTIMAL
    else:
        st = Status.TIME_LIMIT
        if period is None:
            period = fallback_period(problem, ws)
            log = (*log, "no incumbent at the limit: returned the warm start / deferral plan")
    return plan_from_period(
        problem,
        period,
        status=st,
        lower_bound=bound,
        method="milp",
        runtime_s=time.perf_counter() - t0,
        log=log,
    )


# --------------------------------------------------------------------------------------
# Pyomo model: one builder per constraint family
# --------------------------------------------------------------------------------------


def _pyomo_sets(m: Any, problem: PlanningProblem, idx: GroupingIndex) -> None:
    """Sparse index sets ``X = {(i, t)}``, ``Y = {(k, t)}``, ``I``, crew and strengthening rows."""
    import pyomo.environ as pyo

    m.I = pyo.Set(initialize=range(problem.n_components), ordered=True)
    m.X = pyo.Set(
        initialize=list(zip(idx.x_comp.tolist(), idx.x_period.tolist(), strict=True)), dimen=2
    )
    m.Y = pyo.Set(
        initialize=list(zip(idx.y_sys.tolist(), idx.y_period.tolist(), strict=True)), dimen=2
    )
    m.C = pyo.Set(initialize=range(len(idx.crew_cap_h)))
    m.ST = pyo.Set(initialize=range(len(idx.st_cap_h)))


def _pyomo_variables(m: Any, problem: PlanningProblem, idx: GroupingIndex) -> None:
    """Binary ``x[i,t]``, ``y[k,t]``, ``z[i]``; pins fix ``x[i,p] = 1`` or ``z[i] = 1``.

    ``z[i]`` is fixed to 0 when deferral is not allowed (pinned to a period, or
    infinite ``penalty_beyond``).
    """
    import pyomo.environ as pyo

    m.x = pyo.Var(m.X, domain=pyo.Binary)
    m.y = pyo.Var(m.Y, domain=pyo.Binary)
    m.z = pyo.Var(m.I, domain=pyo.Binary)
    for j in np.flatnonzero(idx.x_fixed):
        m.x[int(idx.x_comp[j]), int(idx.x_period[j])].fix(1)
    for i in range(problem.n_components):
        if idx.z_ub[i] == 0:
            m.z[i].fix(0)
        elif idx.z_lb[i] == 1:
            m.z[i].fix(1)


def _pyomo_objective(m: Any, problem: PlanningProblem, idx: GroupingIndex) -> None:
    """``min sum_{(i,t) in X} h_i(t) x[i,t] + sum_{(k,t) in Y} S_k(t) y[k,t] + sum_i b_i z[i]``.

    Plus the purchasing cost of the stock family (:func:`_pyomo_stock`) when the
    problem models spare parts.
    """
    import pyomo.environ as pyo

    h = problem.penalty
    oc = problem.opening_cost
    expr = (
        pyo.quicksum(float(h[i, t]) * m.x[i, t] for i, t in m.X)
        + pyo.quicksum(float(oc[k, t]) * m.y[k, t] for k, t in m.Y)
        + pyo.quicksum(float(idx.z_cost[i]) * m.z[i] for i in m.I)
    )
    if hasattr(m, "stock_cost"):
        expr = expr + m.stock_cost
    m.cost = pyo.Objective(expr=expr, sense=pyo.minimize)


def _pyomo_stock(m: Any, problem: PlanningProblem, idx: GroupingIndex) -> None:
    """Spare-part stock (only when the problem models parts; see :func:`stock_block`):

    ``I[p,t] = I[p,t-1] + A[p,t] + q[p,t] - sum_{i uses p} qty_i x[i,t]``, ``I >= 0``,
    ``q[p,a] <= M_p o[p,a]``; cost ``hold_p I + premium_p [a < lead_p] q + K_p o``.
    """
    if not problem.has_parts:
        return
    import pyomo.environ as pyo

    blk = stock_block(problem, idx)
    n_t = problem.n_periods
    m.S = pyo.Set(initialize=range(blk.n_stock))
    m.O = pyo.Set(initialize=range(blk.n_orders))
    m.stock = pyo.Var(m.S, domain=pyo.NonNegativeReals)
    m.order_qty = pyo.Var(m.O, domain=pyo.NonNegativeReals)
    m.order = pyo.Var(m.O, domain=pyo.Binary)
    uses: list[list[tuple[int, float]]] = [[] for _ in range(blk.n_stock)]
    for r, j, c in zip(blk.x_row.tolist(), blk.x_col.tolist(), blk.x_coef.tolist(), strict=True):
        uses[r].append((j, c))
    arrive: dict[int, int] = {
        int(p * n_t + a): o
        for o, (p, a) in enumerate(
            zip(blk.order_part.tolist(), blk.order_period.tolist(), strict=True)
        )
    }
    xi, xt = idx.x_comp, idx.x_period
    rhs = blk.row_lb[: blk.n_stock]

    def balance(m: Any, r: int) -> Any:
        prev = m.stock[r - 1] if r % n_t else 0.0
        q = m.order_qty[arrive[r]] if r in arrive else 0.0
        used = pyo.quicksum(c * m.x[int(xi[j]), int(xt[j])] for j, c in uses[r])
        return m.stock[r] - prev - q + used == float(rhs[r])

    m.stock_balance = pyo.Constraint(m.S, rule=balance)
    big = -blk.own.toarray()[blk.n_stock :, blk.n_stock + blk.n_orders :].diagonal()

    def link(m: Any, o: int) -> Any:
        return m.order_qty[o] <= float(big[o]) * m.order[o]

    m.order_link = pyo.Constraint(m.O, rule=link)
    c = blk.cost
    m.stock_cost = (
        pyo.quicksum(float(c[r]) * m.stock[r] for r in m.S)
        + pyo.quicksum(float(c[blk.n_stock + o]) * m.order_qty[o] for o in m.O)
        + pyo.quicksum(float(c[blk.n_stock + blk.n_orders + o]) * m.order[o] for o in m.O)
    )


def _pyomo_assignment(m: Any, problem: PlanningProblem, idx: GroupingIndex) -> None:
    """Assignment: ``sum_{t: (i,t) in X} x[i,t] + z[i] = 1`` for every component ``i``."""
    import pyomo.environ as pyo

    periods: list[list[int]] = [[] for _ in range(problem.n_components)]
    for i, t in zip(idx.x_comp.tolist(), idx.x_period.tolist(), strict=True):
        periods[i].append(t)

    def rule(m: Any, i: int) -> Any:
        return pyo.quicksum(m.x[i, t] for t in periods[i]) + m.z[i] == 1

    m.assignment = pyo.Constraint(m.I, rule=rule)


def _pyomo_linking(m: Any, problem: PlanningProblem, idx: GroupingIndex) -> None:
    """Linking: ``x[i,t] <= y[k(i),t]`` for every ``(i,t) in X`` (work opens its system).

    Left out for the ``x`` in a clique row (:func:`_pyomo_cliques`), which implies it.
    """
    import pyomo.environ as pyo

    k = problem.system_of
    linked = np.flatnonzero(idx.x_linked)
    m.XL = pyo.Set(
        initialize=list(
            zip(idx.x_comp[linked].tolist(), idx.x_period[linked].tolist(), strict=True)
        ),
        dimen=2,
    )

    def rule(m: Any, i: int, t: int) -> Any:
        return m.x[i, t] <= m.y[int(k[i]), t]

    m.linking = pyo.Constraint(m.XL, rule=rule)


def _pyomo_crew(m: Any, problem: PlanningProblem, idx: GroupingIndex) -> None:
    """Crew capacity: ``sum_{i: skill(i)=s} sum_{u=t-n_i+1..t} l_i x[i,u] <= C[s,t]``.

    ``l_i = d_i q_i / n_i`` is the share of the job in each of the ``n_i`` periods it
    spans.  Only for skill/period pairs whose eligible load can exceed the finite
    capacity (others are redundant).
    """
    import pyomo.environ as pyo

    members: list[list[tuple[int, float]]] = [[] for _ in range(len(idx.crew_cap_h))]
    for j, r, c in zip(
        idx.crew_x.tolist(), idx.crew_row.tolist(), idx.crew_coef_h.tolist(), strict=True
    ):
        members[r].append((j, c))
    xi, xt = idx.x_comp, idx.x_period

    def rule(m: Any, r: int) -> Any:
        return pyo.quicksum(c * m.x[int(xi[j]), int(xt[j])] for j, c in members[r]) <= float(
            idx.crew_cap_h[r]
        )

    m.crew = pyo.Constraint(m.C, rule=rule)


def _pyomo_strengthening(m: Any, problem: PlanningProblem, idx: GroupingIndex) -> None:
    """Crew/opening strengthening (valid, tighter LP):

    ``sum_{i in k, skill s} l_i x[i,t] <= min(C[s,t], sum_{i in k,s} l_i) * y[k,t]``.

    Written against the opening variable, so a fractional ``y`` must pay for the
    crew time its system's work uses; only where the load can exceed ``C[s,t]``.
    Only jobs *starting* in ``t`` appear (with their period-``t`` share ``l_i``): they
    are the ones that imply ``y[k,t]``, which keeps the row valid for spanning jobs.
    """
    import pyomo.environ as pyo

    members: list[list[int]] = [[] for _ in range(len(idx.st_cap_h))]
    for j in np.flatnonzero(idx.x_st_row >= 0):
        members[int(idx.x_st_row[j])].append(int(j))
    xi, xt, load = idx.x_comp, idx.x_period, idx.x_load_h

    def rule(m: Any, r: int) -> Any:
        yj = int(idx.st_y[r])
        lhs = pyo.quicksum(float(load[j]) * m.x[int(xi[j]), int(xt[j])] for j in members[r])
        y = m.y[int(idx.y_sys[yj]), int(idx.y_period[yj])]
        return lhs <= float(idx.st_cap_h[r]) * y

    m.strengthening = pyo.Constraint(m.ST, rule=rule)


def _pyomo_cliques(m: Any, problem: PlanningProblem, idx: GroupingIndex) -> None:
    """Cliques: ``sum_{i in Q} x[i,t] <= y[k,t]`` (valid, tighter LP).

    ``Q``: jobs of system ``k`` and one skill starting in ``t``, no two of which fit the
    capacity ``C[s,t]`` together (per-period loads ``l_i + l_j > C[s,t]``); maximal
    such sets, see :func:`_clique_rows`.
    """
    import pyomo.environ as pyo

    members: list[list[int]] = [[] for _ in range(len(idx.cl_y))]
    for j, r in zip(idx.cl_x.tolist(), idx.cl_row.tolist(), strict=True):
        members[r].append(j)
    xi, xt = idx.x_comp, idx.x_period
    m.Q = pyo.Set(initialize=range(len(idx.cl_y)))

    def rule(m: Any, r: int) -> Any:
        yj = int(idx.cl_y[r])
        lhs = pyo.quicksum(m.x[int(xi[j]), int(xt[j])] for j in members[r])
        return lhs <= m.y[int(idx.y_sys[yj]), int(idx.y_period[yj])]

    m.cliques = pyo.Constraint(m.Q, rule=rule)


_PYOMO_FAMILIES: tuple[Callable[[Any, PlanningProblem, GroupingIndex], None], ...] = (
    _pyomo_sets,
    _pyomo_variables,
    _pyomo_stock,
    _pyomo_objective,
    _pyomo_assignment,
    _pyomo_linking,
    _pyomo_crew,
    _pyomo_strengthening,
    _pyomo_cliques,
)


def build_pyomo_model(problem: PlanningProblem, *, strengthen: bool = True) -> Any:
    """Build the grouping MILP as a Pyomo ``ConcreteModel``.

    Parameters
    ----------
    problem : PlanningProblem
        The instance (pins consistent: see :func:`pinned_diagnosis`).
    strengthen : bool
        Add the crew/opening strengthening rows.

    Returns
    -------
    pyomo.environ.ConcreteModel
        With ``x``, ``y``, ``z`` variables, ``cost`` objective and one constraint block
        per family (``assignment``, ``linking``, ``crew``, ``strengthening``,
        ``cliques``); the index
        is attached as ``model.grouping_index``.
    """
    import pyomo.environ as pyo

    idx = grouping_index(problem, strengthen=strengthen)
    m = pyo.ConcreteModel(name="grouped_maintenance")
    for family in _PYOMO_FAMILIES:
        family(m, problem, idx)
    m.grouping_index = idx
    return m


def solve_milp_pyomo(
    problem: PlanningProblem,
    *,
    time_limit_s: float | None = None,
    gap: float = 1e-6,
    warm_start: np.ndarray | None = None,
    strengthen: bool = True,
) -> Plan:
    """Solve the grouping MILP built with Pyomo, through Pyomo's APPSI HiGHS interface.

    ``results.best_objective_bound`` is HiGHS's ``mip_dual_bound``; the solution is
    loaded only when HiGHS holds a feasible one (``load_solution=False`` then
    ``results.solution_loader.load_vars()``).  Parameters and return as
    :func:`solve_milp`.
    """
    from pyomo.contrib.appsi.base import TerminationCondition
    from pyomo.contrib.appsi.solvers import Highs

    t0 = time.perf_counter()
    ws = check_inputs(problem, time_limit_s, gap, warm_start)
    pre = pinned_diagnosis(problem)
    if pre:
        return _infeasible_plan(problem, tuple(pre), "milp", t0, ("backend=pyomo",))
    if problem.n_components == 0:
        return empty_plan(problem, "milp", t0)
    m = build_pyomo_model(problem, strengthen=strengthen)
    idx: GroupingIndex = m.grouping_index
    if ws is not None:
        for (i, t), var in m.x.items():
            if not var.fixed:
                var.set_value(float(ws[i] == t))
        on_y = {(int(problem.system_of[i]), int(ws[i])) for i in np.flatnonzero(ws >= 0)}
        for key, var in m.y.items():
            var.set_value(float(key in on_y))
        for i, var in m.z.items():
            if not var.fixed:
                var.set_value(float(ws[i] == BEYOND))
    build_s = time.perf_counter() - t0
    opt = Highs()
    opt.config.load_solution = False
    opt.config.stream_solver = False
    opt.config.mip_gap = gap
    opt.config.warmstart = ws is not None
    opt.highs_options = {"random_seed": 0, "threads": 1}
    t1 = time.perf_counter()
    deadline = None
    if time_limit_s is not None:
        # Wall clock from the start of this call: the Pyomo build and APPSI's
        # translation of the model into highspy (``set_instance``, done here so that
        # it counts) use the limit too; ``solve`` then only re-checks the model.
        deadline = t0 + time_limit_s
        opt.set_instance(m)
        for key in opt.update_config:
            if key.startswith(("check_for_", "update_")):
                # nothing changed since set_instance: skip APPSI's model scan
                setattr(opt.update_config, key, False)
        left = deadline - time.perf_counter()
        if left <= 0:
            log = (
                f"backend=pyomo (Pyomo ConcreteModel -> APPSI HiGHS), build {build_s:.3f} s,"
                f" APPSI set_instance {time.perf_counter() - t1:.3f} s",
                f"columns: x {idx.n_x}, y {idx.n_y}, z {problem.n_components}",
                "time limit reached before HiGHS could start",
            )
            return _finish(
                problem, highspy.HighsModelStatus.kTimeLimit, None, -np.inf, None, ws, t0, log
            )
        opt.config.time_limit = left
        if idx.n_x + idx.n_y > ENUMERATION_OFF_COLS:
            opt.highs_options = {
                **opt.highs_options,
                "presolve_rule_off": _PRESOLVE_RULE_ENUMERATION,
            }
    # No worker thread here (unlike the direct backend): APPSI redirects the process's
    # stdout (fd 1) while HiGHS runs, so an abandoned solve would leave it redirected.
    # HiGHS's MIP setup phases that ignore the time limit can therefore make this
    # backend overrun it (see ABANDON_GRACE_S and benchmarks/README.md).
    res = opt.solve(m)
    solve_s = time.perf_counter() - t1
    tc = res.termination_condition
    status: Any
    if tc == TerminationCondition.optimal:
        status = highspy.HighsModelStatus.kOptimal
    elif tc in (TerminationCondition.infeasible, TerminationCondition.infeasibleOrUnbounded):
        status = highspy.HighsModelStatus.kInfeasible
    else:
        status = highspy.HighsModelStatus.kTimeLimit
    period: IntArray | None = None
    if res.best_feasible_objective is not None:
        res.solution_loader.load_vars()
        xv = np.array([m.x[i, t].value or 0.0 for i, t in m.X], dtype=np.float64)
        period = np.full(problem.n_components, BEYOND, dtype=np.int64)
        on = xv > 0.5
        period[idx.x_comp[on]] = idx.x_period[on]
    bound = res.best_objective_bound
    log = (
        f"backend=pyomo (Pyomo ConcreteModel -> APPSI HiGHS), build {build_s:.3f} s,"
        f" solve {solve_s:.3f} s",
        f"columns: x {idx.n_x}, y {idx.n_y}, z {problem.n_components}",
        f"termination {tc}",
    )
    return _finish(
        problem,
        status,
        None,
        -np.inf if bound is None else float(bound),
        None,
        ws,
        t0,
        log,
        period=period,
        deadline=deadline,
    )


def solve_milp(
    problem: PlanningProblem,
    *,
    time_limit_s: float | None = None,
    gap: float = 1e-6,
    warm_start: np.ndarray | None = None,
    backend: Backend = "direct",
    strengthen: bool = True,
    on_incumbent: IncumbentCallback | None = None,
) -> Plan:
    """Solve the grouped maintenance MILP with HiGHS.

    Parameters
    ----------
    problem : PlanningProblem
        The instance.
    time_limit_s : float or None
        Wall-clock limit from the start of the call, seconds: it covers the model
        build, the start heuristic and the full solve.  With ``backend="direct"`` it is
        hard (a HiGHS run still busy :data:`ABANDON_GRACE_S` after it is abandoned and
        the best plan known is returned); with ``backend="pyomo"`` HiGHS gets what is
        left after the build and may overrun it in setup phases that do not check it.
    gap : float
        Relative MIP gap at which HiGHS stops (``mip_rel_gap``).
    warm_start : ndarray of int, shape (n,), or None
        A plan's ``period`` array; passed to HiGHS as a starting incumbent (ignored by
        HiGHS if infeasible) and returned at a time limit if no better plan was found.
    backend : {"direct", "pyomo"}
        ``"direct"`` (default, faster to build: numpy CSR -> highspy) or ``"pyomo"``
        (Pyomo model -> APPSI HiGHS).  Same model, same optimum.
    strengthen : bool
        Add the crew/opening strengthening and clique rows (tighter LP bound).
    on_incumbent : callable or None
        Called with each improved feasible plan HiGHS finds (status ``feasible``, its
        exact objective and the bound at that moment); ``backend="direct"`` only.

    Returns
    -------
    Plan
        ``OPTIMAL``; ``TIME_LIMIT`` with the incumbent (or the warm start / deferral
        plan when HiGHS had none), its exact cost and the solver bound; or
        ``INFEASIBLE`` with a plain-language ``diagnosis``.  ``objective`` is always
        recomputed with :func:`optimizer.problem.plan.evaluate`.

    Raises
    ------
    ValueError
        On invalid arguments (see :func:`check_inputs`) or an unknown ``backend``.
    """
    if backend == "direct":
        return solve_milp_direct(
            problem,
            time_limit_s=time_limit_s,
            gap=gap,
            warm_start=warm_start,
            strengthen=strengthen,
            on_incumbent=on_incumbent,
        )
    if backend == "pyomo":
        return solve_milp_pyomo(
            problem,
            time_limit_s=time_limit_s,
            gap=gap,
            warm_start=warm_start,
            strengthen=strengthen,
        )
    raise ValueError(f"backend: expected 'direct' or 'pyomo', got {backend!r}")
