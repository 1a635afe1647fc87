"""OR-Tools CP-SAT backend: the grouping period model and the shutdown hour model.

This is the only module of the package that imports ``ortools``.

1. :func:`solve_cpsat` -- the same period model as :mod:`optimizer.solvers.milp`
   (same sparse index sets, :func:`~optimizer.solvers.model.grouping_index`) with Boolean
   variables, ``exactly_one`` assignment, implications for linking and linear crew rows.
2. :func:`min_makespan_cumulative` -- the CP-SAT core of
   :func:`optimizer.solvers.shutdown.schedule_shutdown`: interval variables on a
   cumulative resource per skill, minimizing each skill's working-time makespan.

Integer scaling (CP-SAT only takes integer coefficients)
--------------------------------------------------------
* Costs are multiplied by ``cost_scale`` and rounded to the nearest integer.  Default:
  the largest power of 10 that keeps the sum of all objective coefficients below
  ``2**40`` (about ``1.1e12``; for realistic fleets this is finer than a cent).  Every
  plan has at most ``n`` replaced-or-deferred terms and at most ``n`` openings, so the
  scaled objective differs from the exact one by at most ``n / cost_scale``; the
  plan's ``objective`` is recomputed exactly with :func:`optimizer.problem.plan.evaluate` and
  ``lower_bound`` is the CP-SAT bound minus that rounding allowance (valid).
* Technician-hours are counted in units of ``1/HOURS_SCALE`` h; a job's load is
  rounded *up* and a capacity *down* (within 1e-6 units, so exact decimal hours such as
  2.5 h stay exact), so a CP-SAT plan never overloads a crew in real hours.
* A job spanning ``n_i`` periods puts ``L_i / n_i`` units into each (``L_i`` its
  rounded-up total).  To keep that share exact (``30 h / 3`` or ``10 h / 3`` alike),
  every crew row is multiplied by ``G``, the least common multiple of the spans: the
  coefficient of a job becomes ``L_i * G / n_i`` and the capacity ``floor(C) * G``.
  When ``G`` is so large that a row could overflow 62-bit integers, the share is
  rounded up instead (``ceil(L_i / n_i)``; still never overloads a crew, but may
  reject a plan that fills a crew exactly).

References
----------
.. [1] L. Perron, F. Didier, "CP-SAT", Google OR-Tools v9.x,
   https://developers.google.com/optimization.
.. [2] P. Baptiste, C. Le Pape, W. Nuijten, "Constraint-Based Scheduling",
   Kluwer (2001) -- cumulative resources and interval variables.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from optimizer._typing import FloatArray, IntArray
from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import BEYOND, Plan, Status, span_cells
from optimizer.solvers.common import (
    check_inputs,
    fallback_period,
    plan_from_period,
    presolved_plan,
)
from optimizer.solvers.highs import diagnose_infeasibility
from optimizer.solvers.incumbent import IncumbentCallback, IncumbentFeed
from optimizer.solvers.model import GroupingIndex, grouping_index

__all__ = [
    "HOURS_SCALE",
    "CumulativeResult",
    "auto_cost_scale",
    "min_makespan_cumulative",
    "solve_cpsat",
]

HOURS_SCALE = 1000
"""Technician-hours are integer multiples of ``1 / HOURS_SCALE`` h in the CP-SAT model."""

_MAX_OBJ_SUM = 2.0**40
_MAX_INT = 2.0**62
"""Bound on the scaled crew-row sums (CP-SAT works in 64-bit integers)."""


def auto_cost_scale(coefficients: FloatArray) -> float:
    """Largest power of 10 keeping ``sum |coefficients| * scale`` below ``2**40``.

    Parameters
    ----------
    coefficients : ndarray of float
        Objective coefficients (finite), currency.

    Returns
    -------
    float
        Scale factor, clipped to ``[1e-6, 1e9]``.
    """
    total = float(np.abs(coefficients).sum())
    if total <= 0:
        return 1e9
    exp = math.floor(math.log10(_MAX_OBJ_SUM / total))
    return float(10.0 ** min(max(exp, -6), 9))


def _round_up(a: FloatArray) -> IntArray:
    return np.ceil(a * HOURS_SCALE - 1e-6).astype(np.int64)


def _round_down(a: FloatArray) -> IntArray:
    return np.floor(a * HOURS_SCALE + 1e-6).astype(np.int64)


def solve_cpsat(
    problem: PlanningProblem,
    *,
    time_limit_s: float | None = None,
    gap: float = 1e-6,
    warm_start: np.ndarray | None = None,
    cost_scale: float | None = None,
    num_workers: int = 2,
    on_incumbent: IncumbentCallback | None = None,
) -> Plan:
    """Solve the grouped maintenance period model with CP-SAT.

    Parameters
    ----------
    problem : PlanningProblem
        The instance.
    time_limit_s : float or None
        Wall-clock limit from the start of the call (model building included),
        seconds; CP-SAT's ``max_time_in_seconds`` is what is left of it after the build.
    gap : float
        ``relative_gap_limit`` of CP-SAT (on the scaled objective).
    warm_start : ndarray of int, shape (n,), or None
        A plan's ``period`` array, given to CP-SAT as a solution hint and returned at a
        time limit if CP-SAT found nothing.
    cost_scale : float or None
        Multiplier applied to costs before rounding to integers (``None``: see
        :func:`auto_cost_scale`).
    num_workers : int
        CP-SAT search workers (default 2).
    on_incumbent : callable or None
        Called with each improved feasible plan CP-SAT finds (status ``feasible``, its
        exact objective and CP-SAT's bound at that moment).

    Returns
    -------
    Plan
        ``OPTIMAL`` (CP-SAT OPTIMAL), ``TIME_LIMIT`` (CP-SAT FEASIBLE, or UNKNOWN with
        the warm start / deferral plan) or ``INFEASIBLE`` with a diagnosis.  The
        objective is recomputed exactly with :func:`optimizer.problem.plan.evaluate`.

    Raises
    ------
    ValueError
        On invalid arguments.
    RuntimeError
        If CP-SAT rejects the model (MODEL_INVALID).
    """
    t0 = time.perf_counter()
    ws = check_inputs(problem, time_limit_s, gap, warm_start)
    if cost_scale is not None and not (cost_scale > 0 and np.isfinite(cost_scale)):
        raise ValueError(f"cost_scale: must be a positive finite number, got {cost_scale}")
    if num_workers < 1:
        raise ValueError(f"num_workers: must be >= 1, got {num_workers}")
    done = presolved_plan(problem, method="cpsat", t0=t0)
    if done is not None:
        return done

    idx = grouping_index(problem, strengthen=False)
    n = problem.n_components
    cx = problem.penalty[idx.x_comp, idx.x_period]
    cy = problem.opening_cost[idx.y_sys, idx.y_period]
    cz = np.where(idx.z_ub > idx.z_lb, idx.z_cost, 0.0)  # free deferral variables only
    scale = cost_scale if cost_scale is not None else auto_cost_scale(np.concatenate([cx, cy, cz]))
    ix = np.rint(cx * scale).astype(np.int64)
    iy = np.rint(cy * scale).astype(np.int64)
    iz = np.rint(cz * scale).astype(np.int64)

    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x_{i}_{t}") for i, t in zip(idx.x_comp, idx.x_period, strict=True)]
    y = [m.new_bool_var(f"y_{k}_{t}") for k, t in zip(idx.y_sys, idx.y_period, strict=True)]
    free_z = np.flatnonzero(idx.z_ub > idx.z_lb)
    z = {int(i): m.new_bool_var(f"z_{i}") for i in free_z}

    # assignment: exactly one of {x[i, t] for t} U {z[i]} (pinned-beyond components have
    # no column at all; a pinned period has a single x, fixed to 1 below)
    members: list[list[cp_model.IntVar]] = [[] for _ in range(n)]
    for j, i in enumerate(idx.x_comp.tolist()):
        members[i].append(x[j])
    for i in range(n):
        if i in z:
            members[i].append(z[i])
        if idx.z_lb[i] == 0:
            m.add_exactly_one(members[i])
    for j in np.flatnonzero(idx.x_fixed).tolist():
        m.add(x[j] == 1)
    # linking: x[i, t] => y[k(i), t]
    for j, yj in enumerate(idx.x_y.tolist()):
        m.add_implication(x[j], y[yj])
    # crew: integer technician-hours per skill and period, every finite (s, t) group
    exact_crew = _add_crew_rows(m, problem, idx.x_comp, idx.x_period, x)

    m.minimize(
        cp_model.LinearExpr.weighted_sum(x, ix.tolist())
        + cp_model.LinearExpr.weighted_sum(y, iy.tolist())
        + cp_model.LinearExpr.weighted_sum([z[int(i)] for i in free_z], iz[free_z].tolist())
    )
    if ws is not None:
        for j, (i, t) in enumerate(zip(idx.x_comp.tolist(), idx.x_period.tolist(), strict=True)):
            m.add_hint(x[j], bool(ws[i] == t))
        on_y = set(zip(problem.system_of[ws >= 0].tolist(), ws[ws >= 0].tolist(), strict=True))
        for j, (k, t) in enumerate(zip(idx.y_sys.tolist(), idx.y_period.tolist(), strict=True)):
            m.add_hint(y[j], (k, t) in on_y)
        for i, var in z.items():
            m.add_hint(var, bool(ws[i] == BEYOND))

    solver = cp_model.CpSolver()
    if time_limit_s is not None:
        # wall clock from the start of this call: the model build counts (1.8 s of a
        # 10 s limit on the 1,000-component fleet benchmark)
        left = time_limit_s - (time.perf_counter() - t0)
        solver.parameters.max_time_in_seconds = max(left, 1e-3)
    solver.parameters.relative_gap_limit = float(gap)
    solver.parameters.num_workers = int(num_workers)
    solver.parameters.random_seed = 0
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    const = float(problem.penalty_beyond[(idx.z_lb == 1)].sum())
    allowance = 2.0 * n * 0.5 / scale
    feed = IncumbentFeed(on_incumbent)
    callback = _Incumbents(problem, idx, x, feed, scale, const - allowance, t0)
    status = solver.solve(m, callback if feed.active else None)
    if callback.raised:
        raise callback.raised[0]
    solve_s = time.perf_counter() - t1
    log: tuple[str, ...] = (
        f"cpsat: build {build_s:.3f} s, solve {solve_s:.3f} s, CP-SAT status of its model"
        f" (integer-scaled costs, no spare-part stock): {solver.status_name(status)}",
        f"columns: x {idx.n_x}, y {idx.n_y}, z {len(z)}; cost_scale {scale:g}",
    )
    if not exact_crew:
        log = (*log, "cpsat: spans too diverse for exact crew shares; shares rounded up")
    if status == cp_model.INFEASIBLE:
        return Plan.infeasible(
            problem,
            method="cpsat",
            diagnosis=diagnose_infeasibility(problem, time_limit_s=time_limit_s),
            runtime_s=time.perf_counter() - t0,
            log=log,
        )
    if status == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT rejected the grouping model: {m.validate()}")
    # constant part of the objective (pinned-beyond deferrals) and rounding allowance
    bound = float(solver.best_objective_bound) / scale + const - allowance
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        xv = np.array([solver.boolean_value(v) for v in x], dtype=np.bool_)
        period = np.full(n, BEYOND, dtype=np.int64)
        period[idx.x_comp[xv]] = idx.x_period[xv]
        st = Status.OPTIMAL if status == cp_model.OPTIMAL else Status.TIME_LIMIT
    else:  # UNKNOWN: stopped before any solution
        period = fallback_period(problem, ws)
        st = Status.TIME_LIMIT
        log = (*log, "no solution at the limit: returned the warm start / deferral plan")
    return plan_from_period(
        problem,
        period,
        status=st,
        lower_bound=bound,
        method="cpsat",
        runtime_s=time.perf_counter() - t0,
        log=log,
    )


class _Incumbents(cp_model.CpSolverSolutionCallback):
    """CP-SAT solution callback: each new solution, as a costed plan, to an
    :class:`IncumbentFeed` (CP-SAT calls it only with improving solutions when it
    optimizes)."""

    def __init__(
        self,
        problem: PlanningProblem,
        idx: GroupingIndex,
        x: list[cp_model.IntVar],
        feed: IncumbentFeed,
        scale: float,
        offset: float,
        t0: float,
    ) -> None:
        super().__init__()
        self.problem = problem
        self.idx = idx
        self.x = x
        self.feed = feed
        self.scale = scale
        self.offset = offset
        self.t0 = t0
        self.raised: list[BaseException] = []

    def on_solution_callback(self) -> None:
        if self.raised:
            return
        try:
            xv = np.array([self.boolean_value(v) for v in self.x], dtype=np.bool_)
            period = np.full(self.problem.n_components, BEYOND, dtype=np.int64)
            period[self.idx.x_comp[xv]] = self.idx.x_period[xv]
            self.feed.offer(
                plan_from_period(
                    self.problem,
                    period,
                    status=Status.FEASIBLE,
                    lower_bound=float(self.best_objective_bound) / self.scale + self.offset,
                    method="cpsat",
                    runtime_s=time.perf_counter() - self.t0,
                    log=("incumbent",),
                )
            )
        except BaseException as exc:  # never unwind through the C++ solver
            self.raised.append(exc)
            self.stop_search()


def _add_crew_rows(
    m: cp_model.CpModel,
    problem: PlanningProblem,
    xi: IntArray,
    xt: IntArray,
    x: list[cp_model.IntVar],
) -> bool:
    """Crew rows ``sum_{i in s} sum_{u=t-n_i+1..t} L_i/n_i x[i,u] <= C[s,t]`` in integers.

    ``L_i = ceil(d_i q_i)`` and ``C = floor(C[s,t])`` in 1/HOURS_SCALE h units; the row
    is multiplied by ``G = lcm(n_i)`` so that every share ``L_i G / n_i`` is an integer
    (see the module docstring).  Rows whose scaled eligible load cannot exceed the
    scaled capacity are skipped.

    Returns
    -------
    bool
        True if the shares are exact, False if ``G`` was too large and they were
        rounded up.
    """
    if not len(problem.skill_ids) or not len(xi):
        return True
    span_all = problem.span_periods
    ex, et = span_cells(xt, span_all[xi], problem.n_periods)
    comp = xi[ex]
    s = problem.skill_of[comp]
    cap = problem.crew_hours[s, et]
    fin = np.flatnonzero(np.isfinite(cap))
    if not len(fin):
        return True
    ex, et, comp, s, cap = ex[fin], et[fin], comp[fin], s[fin], cap[fin]
    units = _round_up((problem.duration_h * problem.crew_qty)[comp])
    span = span_all[comp]
    g = int(np.lcm.reduce(np.unique(span)))
    exact = float(g) * float(max(int(units.max()), 1)) * len(ex) < _MAX_INT
    if exact:
        load = units * (g // span)
    else:
        g = 1
        load = -((-units) // span)  # ceil(units / span)
    # capacities beyond every possible load are redundant: clip before scaling by g
    cap_i = _round_down(np.minimum(cap, _MAX_INT / (HOURS_SCALE * g))) * g
    keys = s * problem.n_periods + et
    order = np.argsort(keys, kind="stable")
    keys, load, cap_i, members = keys[order], load[order], cap_i[order], ex[order]
    bounds = np.flatnonzero(np.diff(keys)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(keys)]])
    totals = np.add.reduceat(load, starts)
    for a, b, tot in zip(starts.tolist(), ends.tolist(), totals.tolist(), strict=True):
        if tot <= cap_i[a]:
            continue
        m.add(
            cp_model.LinearExpr.weighted_sum(
                [x[j] for j in members[a:b].tolist()], load[a:b].tolist()
            )
            <= int(cap_i[a])
        )
    return exact


# --------------------------------------------------------------------------------------
# Cumulative scheduling core of the shutdown model
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CumulativeResult:
    """Outcome of :func:`min_makespan_cumulative`.

    Attributes
    ----------
    status : Status
        ``OPTIMAL``, ``TIME_LIMIT`` (feasible, not proven) or ``INFEASIBLE``; also
        ``TIME_LIMIT`` with ``start = None`` when nothing was found in time.
    start : ndarray of int or None
        Start of each job, in working-time units of its group.
    makespan : ndarray of int or None
        Working-time makespan of each group.
    """

    status: Status
    start: IntArray | None
    makespan: IntArray | None


def min_makespan_cumulative(
    duration: IntArray,
    demand: IntArray,
    group: IntArray,
    capacity: IntArray,
    horizon: IntArray,
    *,
    time_limit_s: float | None = 10.0,
    num_workers: int = 2,
    fixed: Sequence[tuple[int, int, int, int]] = (),
) -> CumulativeResult:
    """Place jobs on one cumulative resource per group, minimizing the groups' makespans.

    For every group ``g``: ``cumulative(intervals of its jobs, demands, capacity[g])``,
    ``0 <= start_j``, ``start_j + duration_j <= horizon[g]`` and ``M_g >= end_j``.  The
    groups share no constraint, so minimizing ``sum_g M_g`` minimizes every ``M_g``
    (and any monotone function of them, such as the latest real finish).

    Parameters
    ----------
    duration : ndarray of int, shape (J,)
        Job durations in integer time units (>= 0).
    demand : ndarray of int, shape (J,)
        Units of the group's resource each job holds while it runs.
    group : ndarray of int, shape (J,)
        Group (resource) of each job, ``0 <= group < G``.
    capacity : ndarray of int, shape (G,)
        Resource capacity of each group.
    horizon : ndarray of int, shape (G,)
        Latest allowed end of each group's jobs.
    time_limit_s : float or None
        CP-SAT time limit, seconds.
    num_workers : int
        CP-SAT workers.
    fixed : sequence of (int, int, int, int)
        Fixed loads ``(start, end, demand, group)``: capacity of a group that is not
        available in ``[start, end)`` (fewer on shift, or held by other work); they
        count in the cumulative but not in the makespan.

    Returns
    -------
    CumulativeResult
    """
    n_groups = len(capacity)
    m = cp_model.CpModel()
    starts: list[cp_model.IntVar] = []
    by_group: list[tuple[list[cp_model.IntervalVar], list[int]]] = [
        ([], []) for _ in range(n_groups)
    ]
    ms = [m.new_int_var(0, int(horizon[g]), f"M_{g}") for g in range(n_groups)]
    for j, (d, q, g) in enumerate(
        zip(duration.tolist(), demand.tolist(), group.tolist(), strict=True)
    ):
        hi = int(horizon[g]) - d
        if hi < 0:
            return CumulativeResult(Status.INFEASIBLE, None, None)
        st = m.new_int_var(0, hi, f"s_{j}")
        iv = m.new_fixed_size_interval_var(st, d, f"job_{j}")
        by_group[g][0].append(iv)
        by_group[g][1].append(q)
        m.add(ms[g] >= st + d)
        starts.append(st)
    for a, b, q, g in fixed:
        if b > a and q > 0 and by_group[g][0]:
            by_group[g][0].append(m.new_fixed_size_interval_var(int(a), int(b - a), f"fix_{g}_{a}"))
            by_group[g][1].append(int(q))
    for g in range(n_groups):
        if by_group[g][0]:
            m.add_cumulative(by_group[g][0], by_group[g][1], int(capacity[g]))
    # Makespans first; among equally short schedules the earliest starts (a canonical
    # tie-break, so the returned schedule does not depend on the search path).
    weight = 1 + sum(int(horizon[g]) for g in range(n_groups)) * max(len(starts), 1)
    m.minimize(weight * sum(ms) + sum(starts))
    solver = cp_model.CpSolver()
    if time_limit_s is not None:
        if num_workers == 1:
            # deterministic time: reproducible under any machine load
            solver.parameters.max_deterministic_time = float(time_limit_s)
        else:
            solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = int(num_workers)
    solver.parameters.random_seed = 0
    status = solver.solve(m)
    if status == cp_model.INFEASIBLE:
        return CumulativeResult(Status.INFEASIBLE, None, None)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return CumulativeResult(Status.TIME_LIMIT, None, None)
    return CumulativeResult(
        Status.OPTIMAL if status == cp_model.OPTIMAL else Status.TIME_LIMIT,
        np.array([solver.value(s) for s in starts], dtype=np.int64),
        np.array([solver.value(v) for v in ms], dtype=np.int64),
    )
