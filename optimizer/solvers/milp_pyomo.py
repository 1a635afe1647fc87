"""The grouping MILP written algebraically with Pyomo, solved through APPSI HiGHS.

The same model as :func:`optimizer.solvers.model.build_direct_model` (both read one
:class:`~optimizer.solvers.model.GroupingIndex`), one builder per constraint family
with the constraint written out in its docstring (oemof-solph style).  Slower to build
than the numpy model (see :mod:`optimizer.solvers.model`); kept for readability, for
users who want to extend the model algebraically, and as a cross-check in the tests.
Pyomo is imported only here, and this module only when ``backend="pyomo"`` is asked
for (:func:`optimizer.solvers.milp.solve_milp`).

References
----------
.. [1] oemof-solph: one ``_..._rule`` / builder per constraint family with the constraint
   written out in its docstring (https://github.com/oemof/oemof-solph).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.appsi.base import TerminationCondition
from pyomo.contrib.appsi.solvers import Highs

from optimizer._typing import IntArray
from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import BEYOND, Plan
from optimizer.solvers.common import check_inputs, presolved_plan
from optimizer.solvers.highs import (
    ENUMERATION_OFF_COLS,
    PRESOLVE_RULE_ENUMERATION,
    plan_from_highs,
)
from optimizer.solvers.model import GroupingIndex, grouping_index, stock_block

__all__ = ["build_pyomo_model", "solve_milp_pyomo"]


def _pyomo_sets(m: Any, problem: PlanningProblem, idx: GroupingIndex) -> None:
    """Sparse index sets ``X = {(i, t)}``, ``Y = {(k, t)}``, ``I``, crew and strengthening rows."""
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

    ``J[p,j] = J[p,j-1] + A[p,e_j] + q[p,e_j] - sum_{i uses p} qty_i x[i,e_j]`` on each
    pool's event periods ``e_j``, ``J >= 0``, ``q[p,a] <= M[p,a] o[p,a]``; cost
    ``hold_p (e_(j+1) - e_j) J + premium_p [a < lead_p] q + K_p o``.
    """
    if not problem.has_parts:
        return
    blk = stock_block(problem, idx)
    m.S = pyo.Set(initialize=range(blk.n_stock))
    m.O = pyo.Set(initialize=range(blk.n_orders))
    m.stock = pyo.Var(m.S, domain=pyo.NonNegativeReals)
    m.order_qty = pyo.Var(m.O, domain=pyo.NonNegativeReals)
    m.order = pyo.Var(m.O, domain=pyo.Binary)
    uses: list[list[tuple[int, float]]] = [[] for _ in range(blk.n_stock)]
    for r, j, c in zip(blk.x_row.tolist(), blk.x_col.tolist(), blk.x_coef.tolist(), strict=True):
        uses[r].append((j, c))
    arrive = {int(r): o for o, r in enumerate(blk.order_row.tolist())}
    first = {int(r) for r in np.flatnonzero(np.diff(np.append(-1, blk.stock_part)) != 0)}
    xi, xt = idx.x_comp, idx.x_period
    rhs = blk.row_lb[: blk.n_stock]

    def balance(m: Any, r: int) -> Any:
        prev = 0.0 if r in first else m.stock[r - 1]
        q = m.order_qty[arrive[r]] if r in arrive else 0.0
        used = pyo.quicksum(c * m.x[int(xi[j]), int(xt[j])] for j, c in uses[r])
        return m.stock[r] - prev - q + used == float(rhs[r])

    m.stock_balance = pyo.Constraint(m.S, rule=balance)
    big = blk.order_big

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
    such sets, see :mod:`optimizer.solvers.model`.
    """
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
        The instance (pins consistent: see
        :func:`optimizer.solvers.common.pinned_diagnosis`).
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
    :func:`optimizer.solvers.milp.solve_milp`.
    """
    t0 = time.perf_counter()
    ws = check_inputs(problem, time_limit_s, gap, warm_start)
    done = presolved_plan(problem, method="milp", t0=t0, log=("backend=pyomo",))
    if done is not None:
        return done
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
            return plan_from_highs(
                problem, highspy.HighsModelStatus.kTimeLimit, None, -np.inf, None, ws, t0, log
            )
        opt.config.time_limit = left
        if idx.n_x + idx.n_y > ENUMERATION_OFF_COLS:
            opt.highs_options = {
                **opt.highs_options,
                "presolve_rule_off": PRESOLVE_RULE_ENUMERATION,
            }
    # No worker thread here (unlike the direct backend): APPSI redirects the process's
    # stdout (fd 1) while HiGHS runs, so an abandoned solve would leave it redirected.
    # HiGHS's MIP setup phases that ignore the time limit can therefore make this
    # backend overrun it (see optimizer.solvers.highs.ABANDON_GRACE_S and
    # benchmarks/README.md).
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
    return plan_from_highs(
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
