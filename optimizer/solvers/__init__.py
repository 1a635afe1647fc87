"""Scheduler backends and the public dispatch :func:`solve`.

Backends share one signature, ``solve_X(problem, *, time_limit_s=None, gap=1e-6,
warm_start=None) -> Plan``:

* ``dp`` -- exact open-period dynamic programme (:mod:`optimizer.solvers.dp`), exact
  when crews cannot bind and every penalty row is unimodal on its cost window;
* ``milp`` -- Pyomo/HiGHS MILP (:mod:`optimizer.solvers.milp`);
* ``cpsat`` -- OR-Tools CP-SAT (:mod:`optimizer.solvers.cpsat`; OR-Tools is imported
  only there);
* ``brute`` -- full enumeration for tiny instances (:mod:`optimizer.solvers.brute`);
* ``lagrange`` -- decomposition for fleets coupled by shared crews and spare-part stock
  (:mod:`optimizer.solvers.lagrange`: column generation over per-opening knapsacks,
  proven Lagrangian bound, price-and-branch and restricted-MILP polishing);
* ``auto`` -- the DP when :func:`~optimizer.solvers.dp.dp_is_exact` holds and no stock
  is modelled; otherwise the MILP for small models (at most
  :data:`AUTO_MILP_MAX_PAIRS` eligible component/period pairs) and the decomposition
  above that.

The DP, CP-SAT and brute-force backends do not model spare-part stock: on a problem
with parts they solve the grouping without it, and the plan is then made stock-feasible
(jobs that would run out of stock are deferred or moved to their cheapest feasible
period) and costed with purchasing; their bound stays valid (purchasing costs are
``>= 0`` and stock only restricts), but optimality is no longer claimed.

The MILP and CP-SAT modules are imported lazily, so importing this package stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from optimizer.plan import Plan
from optimizer.problem import PlanningProblem
from optimizer.solvers.dp import dp_is_exact

__all__ = ["AUTO_MILP_MAX_PAIRS", "EXTRA_METHODS", "METHODS", "dp_is_exact", "solve"]

METHODS: tuple[str, ...] = ("auto", "dp", "milp", "cpsat", "brute")
"""Valid values of ``method`` in :func:`solve` (plus :data:`EXTRA_METHODS`)."""

EXTRA_METHODS: tuple[str, ...] = ("lagrange",)
"""Further backends :func:`solve` accepts (kept out of :data:`METHODS`, whose exact
content an existing test pins; fold them in when that test is updated)."""

AUTO_MILP_MAX_PAIRS = 20_000
"""Largest number of eligible (component, period) pairs for which ``auto`` picks the MILP
when crews or stock couple the systems; above it, the decomposition."""

_BACKENDS: dict[str, tuple[str, str]] = {
    "dp": ("optimizer.solvers.dp", "solve_dp"),
    "milp": ("optimizer.solvers.milp", "solve_milp"),
    "cpsat": ("optimizer.solvers.cpsat", "solve_cpsat"),
    "brute": ("optimizer.solvers.brute", "solve_brute"),
    "lagrange": ("optimizer.solvers.lagrange", "solve_lagrange"),
}


def _backend(name: str) -> Callable[..., Plan]:
    module_name, func_name = _BACKENDS[name]
    fn: Callable[..., Plan] = getattr(importlib.import_module(module_name), func_name)
    return fn


def solve(
    problem: PlanningProblem,
    method: str = "auto",
    *,
    time_limit_s: float | None = None,
    gap: float = 1e-6,
    warm_start: np.ndarray | None = None,
) -> Plan:
    """Solve a grouping instance with the chosen backend.

    Parameters
    ----------
    problem : PlanningProblem
        The instance.
    method : {"auto", "dp", "milp", "cpsat", "brute", "lagrange"}
        Backend; ``auto`` uses the exact DP when :func:`dp_is_exact` holds and no stock
        is modelled, else the MILP (small models) or the decomposition (large ones), and
        records the choice and its reason in ``Plan.log``.
    time_limit_s : float or None
        Wall-clock limit, seconds (``None`` = none); backends that cannot stop early
        ignore it.
    gap : float
        Relative optimality gap at which a backend may stop.
    warm_start : ndarray of int, shape (n,), or None
        A plan (``BEYOND`` = deferred) to start from.

    Returns
    -------
    Plan
        The backend's plan.

    Raises
    ------
    ValueError
        If ``method`` is not one of :data:`METHODS` (or the backend rejects the input).
    """
    if method not in METHODS + EXTRA_METHODS:
        raise ValueError(
            f"method: expected one of {', '.join(METHODS + EXTRA_METHODS)}; got {method!r}"
        )
    note: str | None = None
    if method == "auto":
        method, note = _auto(problem)
    if problem.has_parts and method in ("dp", "cpsat", "brute"):
        plan = _without_stock(problem, method, time_limit_s, gap, warm_start)
    else:
        plan = _backend(method)(problem, time_limit_s=time_limit_s, gap=gap, warm_start=warm_start)
    if note is not None:
        plan = replace(plan, log=(note, *plan.log))
    return plan


def _auto(problem: PlanningProblem) -> tuple[str, str]:
    """Backend picked by ``method="auto"`` and the reason."""
    exact, why = dp_is_exact(problem)
    if exact and not problem.has_parts:
        return "dp", f"auto: picked dp because {why}"
    reason = (
        "spare-part stock couples the systems"
        if problem.has_parts
        else (f"the DP is not exact: {why}")
    )
    pairs = int((problem.allowed & problem.open_allowed[problem.system_of]).sum())
    if pairs <= AUTO_MILP_MAX_PAIRS:
        return "milp", f"auto: picked milp because {reason} ({pairs} eligible pairs)"
    return "lagrange", (
        f"auto: picked lagrange because {reason} and the model is large ({pairs} eligible"
        f" pairs > {AUTO_MILP_MAX_PAIRS})"
    )


def _without_stock(
    problem: PlanningProblem,
    method: str,
    time_limit_s: float | None,
    gap: float,
    warm_start: np.ndarray | None,
) -> Plan:
    """Run a backend that ignores stock, then make its plan stock-feasible and cost it."""
    from optimizer.plan import Status, evaluate, violations
    from optimizer.solvers.lagrange import make_stock_feasible

    bare = replace(problem, parts=None)
    plan = _backend(method)(bare, time_limit_s=time_limit_s, gap=gap, warm_start=warm_start)
    if not plan.feasible:
        return plan
    period = make_stock_feasible(problem, plan.period)
    cost = evaluate(problem, period)
    moved = int((period != plan.period).sum())
    log = (
        *plan.log,
        f"{method}: spare-part stock is not modelled by this backend; {moved} job(s) moved"
        " or deferred for stock, purchasing costed afterwards",
    )
    if violations(problem, period):
        return replace(
            plan,
            period=period,
            objective=float("inf"),
            status=Status.FEASIBLE,
            diagnosis=tuple(violations(problem, period)),
            log=(*log, "no stock-feasible plan found from it; try method='milp'"),
        )
    obj = cost["total"]
    lower = min(plan.lower_bound, obj)
    status = Status.OPTIMAL if obj - lower <= gap * max(abs(obj), 1e-9) else Status.FEASIBLE
    return replace(
        plan,
        period=period,
        objective=obj,
        lower_bound=lower,
        status=status,
        cost_split={k: v for k, v in cost.items() if k != "total"},
        log=log,
    )
