"""Scheduler backends and the public dispatch :func:`solve`.

Backends share one signature, ``solve_X(problem, *, time_limit_s=None, gap=1e-6,
warm_start=None) -> Plan``:

* ``dp`` -- exact open-period dynamic programme (:mod:`optimizer.solvers.dp`), exact
  when crews cannot bind and every penalty row is unimodal on its cost window;
* ``milp`` -- Pyomo/HiGHS MILP (:mod:`optimizer.solvers.milp`);
* ``cpsat`` -- OR-Tools CP-SAT (:mod:`optimizer.solvers.cpsat`; OR-Tools is imported
  only there);
* ``brute`` -- full enumeration for tiny instances (:mod:`optimizer.solvers.brute`);
* ``lagrange`` -- decomposition for fleets coupled by shared crews and spare-part
  stock (:mod:`optimizer.solvers.lagrange`: independent crew blocks, column generation
  over per-opening knapsacks seeded by the DP, proven Lagrangian bound, MILPs
  restricted to the master LP's support);
* ``auto`` -- the DP when :func:`~optimizer.solvers.dp.dp_is_exact` holds and stock
  cannot run short (:func:`stock_can_bind`); otherwise, when crews may bind or stock
  can run short, the MILP up to :data:`AUTO_MILP_MAX_PAIRS` eligible pairs and the
  decomposition above; any other case the MILP.

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

from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import Plan
from optimizer.solvers.dp import dp_is_exact
from optimizer.solvers.incumbent import IncumbentCallback, IncumbentFeed

__all__ = [
    "AUTO_MILP_MAX_PAIRS",
    "EXTRA_METHODS",
    "METHODS",
    "dp_is_exact",
    "solve",
    "stock_can_bind",
]

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
    on_incumbent: IncumbentCallback | None = None,
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
    on_incumbent : callable or None
        Called with each improved feasible plan while solving (status ``feasible``,
        exact objective, the backend's bound at that moment): by the MILP and CP-SAT
        as they find incumbents, and for the other backends once with their final
        plan.  Objectives are strictly decreasing from call to call, and the returned
        plan is never worse than the last one reported.  It runs in the solver's
        thread, so it should return quickly (keep the plan, convert it elsewhere).

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
    feed = IncumbentFeed(on_incumbent)
    if problem.has_parts and (
        method in ("dp", "cpsat", "brute") or (method == "milp" and not stock_can_bind(problem))
    ):
        # Stock that cannot run short only adds holding cost: solve without its rows.
        plan = _without_stock(problem, method, time_limit_s, gap, warm_start, feed)
    else:
        plan = _backend(method)(
            problem,
            time_limit_s=time_limit_s,
            gap=gap,
            warm_start=warm_start,
            **_incumbent_kw(method, feed.offer if feed.active else None),
        )
    plan = _not_worse_than(plan, feed.best)
    feed.offer(plan)  # the DP's (and brute force's) only plan; a no-op when already seen
    if note is not None:
        plan = replace(plan, log=(note, *plan.log))
    return plan


_REPORTS_INCUMBENTS = frozenset({"milp", "cpsat"})


def _incumbent_kw(method: str, sink: IncumbentCallback | None) -> dict[str, IncumbentCallback]:
    """``{"on_incumbent": sink}`` for backends that report incumbents, else ``{}``."""
    return {"on_incumbent": sink} if sink is not None and method in _REPORTS_INCUMBENTS else {}


def _not_worse_than(plan: Plan, best: Plan | None) -> Plan:
    """``plan``, or the better incumbent already reported (keeping the final bound).

    The final plan is normally the last incumbent; it can only be worse when the
    solver's objective and the exact cost disagree (an incumbent that opens a system
    without work), and then the caller must not lose the better plan it was shown.
    """
    if best is None or not plan.feasible or best.objective >= plan.objective:
        return plan
    from optimizer.problem.plan import Status

    lower = min(plan.lower_bound, best.objective)
    status = plan.status
    if status is Status.OPTIMAL and best.objective - lower > 1e-9 * max(1.0, best.objective):
        status = Status.FEASIBLE
    return replace(
        plan,
        period=best.period,
        objective=best.objective,
        lower_bound=lower,
        status=status,
        cost_split=best.cost_split,
        log=(*plan.log, "kept an earlier incumbent that costs less than the final plan"),
    )


def stock_can_bind(problem: PlanningProblem) -> bool:
    """Whether spare-part stock could ever run short, whatever the plan.

    It cannot when every pool holds at the plan start at least the units that all the
    work eligible in the horizon could consume; then stock adds only holding cost.
    """
    parts = problem.parts
    if parts is None:
        return False
    eligible = (problem.allowed & problem.open_allowed[problem.system_of]).any(axis=1)
    use = parts.part_of >= 0
    demand = np.zeros(len(parts.part_ids))
    np.add.at(demand, parts.part_of[use & eligible], parts.qty[use & eligible])
    return bool((demand > parts.on_hand + 1e-9).any())


def _auto(problem: PlanningProblem) -> tuple[str, str]:
    """Backend picked by ``method="auto"`` and the reason.

    The exact DP when its conditions hold and stock cannot run short (its plan is then
    re-costed with the holding cost of the stock).  Otherwise, when crews or stock
    couple the systems, the MILP up to :data:`AUTO_MILP_MAX_PAIRS` eligible pairs and
    the Lagrangian decomposition above (measured on ``benchmarks/bench_fleet.py``
    ``fleet1k``, 264,139 eligible pairs: the MILP has no incumbent and no useful bound
    after 100 s, the decomposition a plan with a certified gap of about 1% after 8-11
    CPU seconds; see ``benchmarks/README.md``).  Instances that only fail the DP's
    unimodality condition keep the MILP.
    """
    exact, why = dp_is_exact(problem)
    binds = stock_can_bind(problem)
    if exact and not binds:
        extra = " (spare-part stock cannot run short)" if problem.has_parts else ""
        return "dp", f"auto: picked dp because {why}{extra}"
    reason = "spare-part stock can run short" if binds else f"the DP is not exact: {why}"
    pairs = int((problem.allowed & problem.open_allowed[problem.system_of]).sum())
    from optimizer.solvers.dp import _binding_crew_cells

    coupled = binds or bool(_binding_crew_cells(problem))
    if coupled and pairs > AUTO_MILP_MAX_PAIRS:
        return "lagrange", (
            f"auto: picked lagrange because {reason} and the model is large ({pairs} eligible"
            f" pairs > {AUTO_MILP_MAX_PAIRS})"
        )
    return "milp", f"auto: picked milp because {reason} ({pairs} eligible pairs)"


def _without_stock(
    problem: PlanningProblem,
    method: str,
    time_limit_s: float | None,
    gap: float,
    warm_start: np.ndarray | None,
    feed: IncumbentFeed | None = None,
) -> Plan:
    """Run a backend that ignores stock, then make its plan stock-feasible and cost it."""
    if not stock_can_bind(problem):
        return _with_holding(problem, method, time_limit_s, gap, warm_start, feed)
    bare = replace(problem, parts=None)
    sink = _mapped_sink(feed, lambda p: _stock_fixed(problem, p, method, gap))
    plan = _backend(method)(
        bare,
        time_limit_s=time_limit_s,
        gap=gap,
        warm_start=warm_start,
        **_incumbent_kw(method, sink),
    )
    return _stock_fixed(problem, plan, method, gap)


def _mapped_sink(
    feed: IncumbentFeed | None, mapping: Callable[[Plan], Plan]
) -> IncumbentCallback | None:
    """A sink that maps a backend's incumbent to the caller's problem, then offers it."""
    if feed is None or not feed.active:
        return None

    def sink(plan: Plan) -> None:
        from optimizer.problem.plan import Status

        mapped = mapping(plan)
        if mapped.feasible:
            feed.offer(replace(mapped, status=Status.FEASIBLE))

    return sink


def _stock_fixed(problem: PlanningProblem, plan: Plan, method: str, gap: float) -> Plan:
    """A stock-blind backend's plan made stock-feasible and costed with purchasing."""
    from optimizer.problem.plan import Status, evaluate, violations
    from optimizer.solvers.lagrange import make_stock_feasible

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


def holding_terms(problem: PlanningProblem) -> tuple[np.ndarray, np.ndarray, float]:
    """Holding cost of stock that cannot run short, as linear terms of the plan.

    With no order ever needed, the stock of pool ``p`` at the end of period ``t`` is
    ``I_p(t) = on_hand_p + arrivals_p(0..t) - used_p(0..t)`` and holding costs
    ``sum_p sum_t hold_p I_p(t)``: a unit used in period ``t`` saves ``hold_p (T - t)``.
    Adding ``qty_i hold_p t`` to every period option of component ``i`` and
    ``qty_i hold_p T`` to its deferral (the same constant on all options of ``i``, so
    non-negative and decision-equivalent) makes ``objective + constant`` exact.

    Returns
    -------
    (extra_penalty (n, T), extra_beyond (n,), constant)
        ``purchasing(plan) = extra(plan) + constant`` for every plan.
    """
    parts = problem.parts
    assert parts is not None
    n_t = problem.n_periods
    hold = parts.holding_per_unit_period(problem.period_h)
    use = parts.part_of >= 0
    per_unit = np.where(use, hold[np.maximum(parts.part_of, 0)] * parts.qty, 0.0)
    t = np.arange(n_t, dtype=float)
    extra = per_unit[:, None] * t[None, :]
    extra_beyond = per_unit * n_t
    level = parts.on_hand[:, None] + np.cumsum(parts.arrivals, axis=1)
    constant = float((hold[:, None] * level).sum()) - float(extra_beyond.sum())
    return extra, extra_beyond, constant


def _with_holding(
    problem: PlanningProblem,
    method: str,
    time_limit_s: float | None,
    gap: float,
    warm_start: np.ndarray | None,
    feed: IncumbentFeed | None = None,
) -> Plan:
    """Solve exactly when stock cannot run short: holding folded into the penalties."""
    extra, extra_beyond, constant = holding_terms(problem)
    folded = replace(
        problem,
        parts=None,
        penalty=problem.penalty + extra,
        penalty_beyond=problem.penalty_beyond + extra_beyond,
    )
    sink = _mapped_sink(feed, lambda p: _holding_costed(problem, p, method, gap, constant))
    plan = _backend(method)(
        folded,
        time_limit_s=time_limit_s,
        gap=gap,
        warm_start=warm_start,
        **_incumbent_kw(method, sink),
    )
    return _holding_costed(problem, plan, method, gap, constant)


def _holding_costed(
    problem: PlanningProblem, plan: Plan, method: str, gap: float, constant: float
) -> Plan:
    """A plan of the folded problem costed on the original one (purchasing included)."""
    from optimizer.problem.plan import Status, evaluate

    if not plan.feasible:
        return plan
    cost = evaluate(problem, plan.period)
    obj = cost["total"]
    lower = plan.lower_bound + constant
    status = plan.status
    if obj - lower > max(gap, 1e-9) * max(abs(obj), 1e-9) and status is Status.OPTIMAL:
        status = Status.FEASIBLE
    return replace(
        plan,
        objective=obj,
        lower_bound=min(lower, obj),
        status=status,
        cost_split={k: v for k, v in cost.items() if k != "total"},
        log=(
            *plan.log,
            f"{method}: spare-part stock cannot run short; its holding cost is folded into"
            " the penalties (exact)",
        ),
    )
