"""Plan a scenario end to end: build the problem, solve it, write work orders.

This is the one call the CLI and the HTTP service share, so the same input gives the
same plan through either.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optimizer.planning.workorders import Deferred, WorkOrder, group_id, work_orders
from optimizer.problem.build import BuiltProblem, build_problem
from optimizer.problem.plan import Plan
from optimizer.scenario import Scenario
from optimizer.solvers import solve


@dataclass(frozen=True, eq=False)
class PlanResult:
    """A solved scenario: the plan, its work orders and where the time went."""

    built: BuiltProblem
    plan: Plan
    orders: tuple[WorkOrder, ...]
    deferred: tuple[Deferred, ...]
    timings_s: dict[str, float] = field(default_factory=dict)

    def groups(self) -> list[dict[str, Any]]:
        """One row per shutdown (system opening): date, jobs, opening cost."""
        pb = self.built.problem
        rows: dict[str, dict[str, Any]] = {}
        rel: dict[tuple[str, str], float] = {}
        if self.plan.replacements is not None:  # multi-year plan: every occurrence
            pairs = [(int(i), int(t)) for i, t in self.plan.replacements]
            rel = {
                (w.component_id, w.group_id): float(w.extra.get("relative_cost", 0.0))
                for w in self.orders
            }
        else:
            pairs = [
                (int(i), int(self.plan.period[i])) for i in np.flatnonzero(self.plan.period >= 0)
            ]
        for i, t in pairs:
            k = int(pb.system_of[i])
            gid = group_id(pb, k, t)
            row = rows.setdefault(
                gid,
                {
                    "group_id": gid,
                    "unit": pb.system_ids[k],
                    "start": pb.period_start(t).isoformat(timespec="minutes"),
                    "components": [],
                    "opening_cost": float(pb.opening_cost[k, t]),
                    "penalty_cost": 0.0,
                },
            )
            row["components"].append(pb.component_ids[i])
            if self.plan.replacements is not None:  # the occurrence's own interval cost
                row["penalty_cost"] += rel.get((pb.component_ids[i], gid), 0.0)
            else:
                row["penalty_cost"] += float(pb.penalty[i, t])
        return sorted(rows.values(), key=lambda r: (r["start"], r["group_id"]))

    def purchase_orders(self) -> list[dict[str, Any]]:
        """New purchase orders the plan needs (part, quantity, order and arrival dates,
        expedited or not, the components whose work orders they serve, cost)."""
        from optimizer.problem.purchasing import purchase_orders_table, purchase_plan

        pb = self.built.problem
        if not pb.has_parts or not self.plan.feasible or self.plan.replacements is not None:
            return []
        return purchase_orders_table(pb, purchase_plan(pb, self.plan.period))

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary of the plan (``plan.json``)."""
        p = self.plan
        pb = self.built.problem
        return {
            "scenario": self.built.scenario.name,
            "currency": pb.currency,
            "plan_start": pb.start.isoformat(),
            "periods": pb.n_periods,
            "period_h": pb.period_h,
            "method": p.method,
            "status": str(p.status),
            "objective": p.objective,
            "lower_bound": p.lower_bound,
            "gap": p.gap if np.isfinite(p.gap) else None,
            "runtime_s": p.runtime_s,
            "timings_s": self.timings_s,
            "cost_split": p.cost_split,
            "diagnosis": list(p.diagnosis),
            "log": list(p.log),
            "groups": self.groups(),
            "work_orders": [w.as_dict() for w in self.orders],
            "deferred": [d.as_dict() for d in self.deferred],
            "purchase_orders": self.purchase_orders(),
        }


def plan_scenario(
    scn: Scenario,
    *,
    method: str | None = None,
    time_limit_s: float | None = None,
    gap: float | None = None,
    warm_start: np.ndarray | None = None,
    progress: Callable[[str], None] | None = None,
    on_incumbent: Callable[[BuiltProblem, Plan], None] | None = None,
) -> PlanResult:
    """Build, solve and explain the maintenance plan of a scenario.

    Parameters
    ----------
    scn : Scenario
        A validated scenario.
    method, time_limit_s, gap : optional
        Override the scenario's ``plan`` settings.
    warm_start : ndarray of int, optional
        A previous assignment (period per component, -1 beyond) to start from.
    progress : callable, optional
        Called with a short message at each stage.
    on_incumbent : callable, optional
        ``(built, plan)``, called from the solver's thread with each improved feasible
        plan (see :func:`optimizer.solvers.solve`); turn it into work orders with
        :func:`plan_result` elsewhere, not in the callback, which holds up the solver.

    Returns
    -------
    PlanResult
    """
    say = progress or (lambda _msg: None)
    settings = scn.plan
    if settings.repeated_replacements:
        return _plan_multiyear(scn, method, time_limit_s, gap, say)
    t0 = time.perf_counter()
    say("building penalty curves and the planning problem")
    built = build_problem(scn)
    t1 = time.perf_counter()
    say(f"solving ({method or settings.method})")
    plan = solve(
        built.problem,
        method=method or settings.method,
        time_limit_s=time_limit_s if time_limit_s is not None else settings.time_limit_s,
        gap=gap if gap is not None else settings.gap,
        warm_start=warm_start,
        on_incumbent=None if on_incumbent is None else lambda p: on_incumbent(built, p),
    )
    t2 = time.perf_counter()
    say("writing work orders")
    res = plan_result(built, plan)
    t3 = time.perf_counter()
    timings = {"build": t1 - t0, "solve": t2 - t1, "work_orders": t3 - t2, "total": t3 - t0}
    return PlanResult(built, plan, res.orders, res.deferred, timings)


def plan_result(built: BuiltProblem, plan: Plan) -> PlanResult:
    """A plan of ``built`` with its work orders (no timings): the tail of
    :func:`plan_scenario`, also used for the incumbents it reports."""
    if plan.feasible:
        orders, deferred = work_orders(built, plan)
    else:
        orders, deferred = [], []
    return PlanResult(built, plan, tuple(orders), tuple(deferred))


def _plan_multiyear(
    scn: Scenario,
    method: str | None,
    time_limit_s: float | None,
    gap: float | None,
    say: Callable[[str], None],
) -> PlanResult:
    """``plan_scenario`` with ``plan.repeated_replacements``: every replacement planned.

    ``auto`` runs the Lagrangian decomposition (:func:`~optimizer.solvers.multiyear.
    solve_multiyear`), ``milp`` the monolithic Pyomo/HiGHS arc-flow model (small plans);
    other methods plan only the next replacement and are refused.
    """
    from optimizer.planning.workorders_multiyear import multiyear_work_orders
    from optimizer.problem.multiyear import build_multiyear
    from optimizer.solvers.multiyear import solve_multiyear, solve_multiyear_milp

    settings = scn.plan
    how = method or settings.method
    if how not in ("auto", "milp"):
        raise ValueError(
            f"method: '{how}' plans only the next replacement; with"
            " plan.repeated_replacements use 'auto' or 'milp'"
        )
    limit = time_limit_s if time_limit_s is not None else settings.time_limit_s
    tol = gap if gap is not None else settings.gap
    t0 = time.perf_counter()
    say("building interval costs and the multi-year problem")
    built, mp = build_multiyear(scn)
    t1 = time.perf_counter()
    say(f"solving ({how}, repeated replacements)")
    if how == "milp":
        plan = solve_multiyear_milp(mp, time_limit_s=limit, gap=tol)
    else:
        plan = solve_multiyear(mp, time_limit_s=limit, gap=tol)
    t2 = time.perf_counter()
    say("writing work orders")
    orders, deferred = multiyear_work_orders(built, mp, plan) if plan.feasible else ([], [])
    t3 = time.perf_counter()
    return PlanResult(
        built,
        plan,
        tuple(orders),
        tuple(deferred),
        {"build": t1 - t0, "solve": t2 - t1, "work_orders": t3 - t2, "total": t3 - t0},
    )
