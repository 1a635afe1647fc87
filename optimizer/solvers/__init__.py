"""Scheduler backends and the public dispatch :func:`solve`.

Every backend satisfies the :class:`Backend` protocol, ``solve(problem, *,
time_limit_s, gap, warm_start, on_incumbent) -> Plan``, and is registered in
:data:`BACKENDS` under its method name:

* ``dp`` -- exact open-period dynamic programme (:mod:`optimizer.solvers.dp`), exact
  when crews cannot bind and every penalty row is unimodal on its cost window;
* ``milp`` -- HiGHS MILP (:mod:`optimizer.solvers.milp` on the model of
  :mod:`optimizer.solvers.model`; a Pyomo builder in :mod:`optimizer.solvers.milp_pyomo`);
* ``cpsat`` -- OR-Tools CP-SAT (:mod:`optimizer.solvers.cpsat`; OR-Tools is imported
  only there, and that module only when the method is used);
* ``brute`` -- full enumeration for tiny instances (:mod:`optimizer.solvers.brute`);
* ``lagrange`` -- decomposition for fleets coupled by shared crews and spare-part
  stock (:mod:`optimizer.solvers.lagrange`: independent crew blocks, column generation
  over per-opening knapsacks seeded by the DP, proven Lagrangian bound, MILPs
  restricted to the master LP's support);
* ``auto`` -- the DP when :func:`~optimizer.solvers.dp.dp_is_exact` holds and stock
  cannot run short (:func:`~optimizer.solvers.stock.stock_can_bind`); otherwise, when
  crews may bind or stock can run short, the MILP up to :data:`AUTO_MILP_MAX_PAIRS`
  eligible pairs and the decomposition above; any other case the MILP.

The DP, CP-SAT and brute-force backends do not model spare-part stock: on a problem
with parts they solve the grouping without it, and the plan is then made stock-feasible
(jobs that would run out of stock are deferred or moved to their cheapest feasible
period, :func:`~optimizer.solvers.repair.make_stock_feasible`) and costed with
purchasing; their bound stays valid (purchasing costs are ``>= 0`` and stock only
restricts), but optimality is no longer claimed.  When stock cannot run short, every
backend solves the instance with the holding cost folded into the penalties
(:func:`~optimizer.solvers.stock.fold_holding`, exact then).

Modules of the package, each importing only those above it:
``common`` (input checks, eligibility, pinned-work diagnosis, plan wrapping),
``stock``, ``repair``, ``incumbent``; ``model`` (the MILP as numpy arrays), ``highs``
(running HiGHS), ``lp_heuristic``, ``milp``, ``milp_pyomo``; ``dp``, ``brute``,
``cpsat``, ``lagrange``; ``multiyear`` and ``shutdown`` stand apart (multi-year plans,
shutdown sequencing).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Literal, Protocol

import numpy as np

from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import Plan, Status, evaluate, violations
from optimizer.solvers.brute import solve_brute
from optimizer.solvers.common import binding_crew_cells
from optimizer.solvers.dp import dp_is_exact, solve_dp
from optimizer.solvers.incumbent import IncumbentCallback, IncumbentFeed
from optimizer.solvers.lagrange import solve_lagrange
from optimizer.solvers.milp import solve_milp
from optimizer.solvers.presolve import prune_exact
from optimizer.solvers.repair import make_stock_feasible
from optimizer.solvers.stock import fold_holding, stock_can_bind

__all__ = [
    "AUTO_MILP_MAX_PAIRS",
    "BACKENDS",
    "EXTRA_METHODS",
    "METHODS",
    "Backend",
    "BruteBackend",
    "CpSatBackend",
    "DpBackend",
    "LagrangeBackend",
    "MilpBackend",
    "dp_is_exact",
    "solve",
    "stock_can_bind",
]

METHODS: tuple[str, ...] = ("auto", "dp", "milp", "cpsat", "brute")
"""Valid values of ``method`` in :func:`solve` (plus :data:`EXTRA_METHODS`)."""

EXTRA_METHODS: tuple[str, ...] = ("lagrange",)
"""Further backends :func:`solve` accepts (kept out of :data:`METHODS`, whose exact
content an existing test pins; fold them in when that test is updated)."""

AUTO_MILP_MAX_PAIRS = 100_000
"""Largest number of eligible (component, period) pairs, after the exact presolve, for
which ``auto`` picks the MILP when crews or stock couple the systems; above it, the
decomposition. Measured on the full (unpruned) problems: plant.yaml (31,319 pairs) MILP
0.16% gap in 60 s vs decomposition 12% (weak Lagrangian bound); tight200 (56,483) MILP
0.32% in 0.8 s; fleet1k (about 300,000) only the decomposition finds a plan."""

StockHandling = Literal["blind", "rows", "own"]
"""How a backend treats spare-part stock: ``blind`` (ignores it: :func:`solve` repairs
and costs its plan afterwards), ``rows`` (models it exactly; :func:`solve` drops the
rows when stock cannot run short) or ``own`` (handles it itself)."""


class Backend(Protocol):
    """A scheduler backend as :func:`solve` calls it."""

    @property
    def name(self) -> str:
        """Method name (``Plan.method``)."""
        ...

    @property
    def stock(self) -> StockHandling:
        """How the backend treats spare-part stock."""
        ...

    def solve(
        self,
        problem: PlanningProblem,
        *,
        time_limit_s: float | None,
        gap: float,
        warm_start: np.ndarray | None,
        on_incumbent: IncumbentCallback | None,
    ) -> Plan:
        """Solve ``problem``; see :func:`optimizer.solvers.solve` for the parameters.

        A backend that cannot report incumbents while it runs ignores
        ``on_incumbent`` (:func:`solve` then reports its final plan).
        """
        ...


class DpBackend:
    """The open-period dynamic programme (:func:`~optimizer.solvers.dp.solve_dp`)."""

    name = "dp"
    stock: StockHandling = "blind"

    def solve(
        self,
        problem: PlanningProblem,
        *,
        time_limit_s: float | None,
        gap: float,
        warm_start: np.ndarray | None,
        on_incumbent: IncumbentCallback | None,
    ) -> Plan:
        """See :class:`Backend`; no incumbents while running."""
        return solve_dp(problem, time_limit_s=time_limit_s, gap=gap, warm_start=warm_start)


class MilpBackend:
    """The HiGHS MILP (:func:`~optimizer.solvers.milp.solve_milp`, direct builder)."""

    name = "milp"
    stock: StockHandling = "rows"

    def solve(
        self,
        problem: PlanningProblem,
        *,
        time_limit_s: float | None,
        gap: float,
        warm_start: np.ndarray | None,
        on_incumbent: IncumbentCallback | None,
    ) -> Plan:
        """See :class:`Backend`; reports each improving HiGHS incumbent."""
        return solve_milp(
            problem,
            time_limit_s=time_limit_s,
            gap=gap,
            warm_start=warm_start,
            on_incumbent=on_incumbent,
        )


class CpSatBackend:
    """OR-Tools CP-SAT (:func:`~optimizer.solvers.cpsat.solve_cpsat`)."""

    name = "cpsat"
    stock: StockHandling = "blind"

    def solve(
        self,
        problem: PlanningProblem,
        *,
        time_limit_s: float | None,
        gap: float,
        warm_start: np.ndarray | None,
        on_incumbent: IncumbentCallback | None,
    ) -> Plan:
        """See :class:`Backend`; reports each improving CP-SAT solution."""
        # lazy: OR-Tools takes about half a second to import and only this backend needs it
        from optimizer.solvers.cpsat import solve_cpsat

        return solve_cpsat(
            problem,
            time_limit_s=time_limit_s,
            gap=gap,
            warm_start=warm_start,
            on_incumbent=on_incumbent,
        )


class BruteBackend:
    """Full enumeration of tiny instances (:func:`~optimizer.solvers.brute.solve_brute`)."""

    name = "brute"
    stock: StockHandling = "blind"

    def solve(
        self,
        problem: PlanningProblem,
        *,
        time_limit_s: float | None,
        gap: float,
        warm_start: np.ndarray | None,
        on_incumbent: IncumbentCallback | None,
    ) -> Plan:
        """See :class:`Backend`; no incumbents while running."""
        return solve_brute(problem, time_limit_s=time_limit_s, gap=gap, warm_start=warm_start)


class LagrangeBackend:
    """The decomposition (:func:`~optimizer.solvers.lagrange.solve_lagrange`)."""

    name = "lagrange"
    stock: StockHandling = "own"

    def solve(
        self,
        problem: PlanningProblem,
        *,
        time_limit_s: float | None,
        gap: float,
        warm_start: np.ndarray | None,
        on_incumbent: IncumbentCallback | None,
    ) -> Plan:
        """See :class:`Backend`; no incumbents while running."""
        return solve_lagrange(problem, time_limit_s=time_limit_s, gap=gap, warm_start=warm_start)


BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (DpBackend(), MilpBackend(), CpSatBackend(), BruteBackend(), LagrangeBackend())
}
"""Every backend by method name."""


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
    notes: list[str] = []
    not_dp = ""
    if method == "auto":
        # decided on the full problem: an exact DP needs no presolve
        dp_note, not_dp = _auto_dp(problem)
        if dp_note is not None:
            method = "dp"
            notes.append(dp_note)
    # Brute force stays the independent oracle of the full problem; the DP works on every
    # period anyway. The others get the exact presolve.
    if method not in ("brute", "dp"):
        pruned = prune_exact(problem)
        problem = pruned.problem
        notes.append(pruned.log)
        if warm_start is not None:
            warm_start = pruned.repair(np.asarray(warm_start))
    if method == "auto":
        method, note = _auto_coupled(problem, not_dp)
        notes.insert(0, note)
    backend = BACKENDS[method]
    feed = IncumbentFeed(on_incumbent)
    if problem.has_parts and (
        backend.stock == "blind" or (backend.stock == "rows" and not stock_can_bind(problem))
    ):
        # Stock that cannot run short only adds holding cost: solve without its rows.
        plan = _without_stock(problem, backend, time_limit_s, gap, warm_start, feed)
    else:
        plan = backend.solve(
            problem,
            time_limit_s=time_limit_s,
            gap=gap,
            warm_start=warm_start,
            on_incumbent=feed.offer if feed.active else None,
        )
    plan = _not_worse_than(plan, feed.best)
    plan = _honest_status(plan, gap)
    feed.offer(plan)  # the DP's (and brute force's) only plan; a no-op when already seen
    if notes:
        plan = replace(plan, log=(*notes, *plan.log))
    return plan


def _honest_status(plan: Plan, gap: float) -> Plan:
    """``optimal`` only when the plan is proven within ``gap`` of its (valid) bound.

    Every backend's bound is a bound of the full problem (exact presolve, relaxations
    of stock and crews); a plan further from it than the requested gap is ``feasible``
    (or stays ``time_limit``), whatever a backend's own model proved.
    """
    if plan.status is not Status.OPTIMAL:
        return plan
    if not np.isfinite(plan.objective):
        return replace(plan, status=Status.FEASIBLE)
    slack = plan.objective - plan.lower_bound
    if slack <= max(gap, 1e-9) * max(abs(plan.objective), 1e-9) + 1e-9:
        return plan
    return replace(
        plan,
        status=Status.FEASIBLE,
        log=(
            *plan.log,
            f"not proven within the requested gap {gap:.4%} of the bound: status feasible",
        ),
    )


def _not_worse_than(plan: Plan, best: Plan | None) -> Plan:
    """``plan``, or the better incumbent already reported (keeping the final bound).

    The final plan is normally the last incumbent; it can only be worse when the
    solver's objective and the exact cost disagree (an incumbent that opens a system
    without work), and then the caller must not lose the better plan it was shown.
    """
    if best is None or not plan.feasible or best.objective >= plan.objective:
        return plan
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


def _auto_dp(problem: PlanningProblem) -> tuple[str | None, str]:
    """``auto``'s first question: is the exact DP right for the full problem?

    Yes when :func:`dp_is_exact` holds and stock cannot run short (the DP's plan is then
    re-costed with the holding cost of the stock). Returns the log line when it is
    (``None`` otherwise) and the reason when it is not.
    """
    exact, why = dp_is_exact(problem)
    if stock_can_bind(problem):
        return None, "spare-part stock can run short"
    if exact:
        extra = " (spare-part stock cannot run short)" if problem.has_parts else ""
        return f"auto: picked dp because {why}{extra}", ""
    return None, f"the DP is not exact: {why}"


def _auto_coupled(problem: PlanningProblem, reason: str) -> tuple[str, str]:
    """``auto``'s backend when the DP is not exact, on the presolved problem.

    When crews or stock couple the systems, the MILP up to :data:`AUTO_MILP_MAX_PAIRS`
    eligible pairs and the Lagrangian decomposition above (measured on
    ``benchmarks/bench_fleet.py`` ``fleet1k``: the MILP has no plan beyond deferring
    everything after 10 s, the decomposition has; see ``benchmarks/README.md``);
    otherwise (only the DP's unimodality condition fails) the MILP.
    """
    pairs = int((problem.allowed & problem.open_allowed[problem.system_of]).sum())
    coupled = stock_can_bind(problem) or bool(binding_crew_cells(problem))
    if coupled and pairs > AUTO_MILP_MAX_PAIRS:
        return "lagrange", (
            f"auto: picked lagrange because {reason} and the model is large ({pairs} eligible"
            f" pairs > {AUTO_MILP_MAX_PAIRS})"
        )
    return "milp", f"auto: picked milp because {reason} ({pairs} eligible pairs)"


def _without_stock(
    problem: PlanningProblem,
    backend: Backend,
    time_limit_s: float | None,
    gap: float,
    warm_start: np.ndarray | None,
    feed: IncumbentFeed | None = None,
) -> Plan:
    """Run a backend that ignores stock, then make its plan stock-feasible and cost it."""
    if not stock_can_bind(problem):
        return _with_holding(problem, backend, time_limit_s, gap, warm_start, feed)
    bare = replace(problem, parts=None)
    sink = _mapped_sink(feed, lambda p: _stock_fixed(problem, p, backend.name, gap))
    t0 = time.perf_counter()
    plan = backend.solve(
        bare,
        time_limit_s=time_limit_s,
        gap=gap,
        warm_start=warm_start,
        on_incumbent=sink,
    )
    fixed = _stock_fixed(problem, plan, backend.name, gap)
    if not plan.feasible or np.isfinite(fixed.objective):
        return fixed  # infeasible without stock is infeasible with it
    # The stock-blind plan could not be repaired: let the model that has the stock decide
    # (a plan, or a proof that none exists), instead of reporting a plan that is none.
    left = None if time_limit_s is None else max(1.0, time_limit_s - (time.perf_counter() - t0))
    milp = BACKENDS["milp"].solve(
        problem, time_limit_s=left, gap=gap, warm_start=None, on_incumbent=None
    )
    return replace(
        milp,
        log=(
            *fixed.log,
            f"{backend.name}: its plan cannot be made stock-feasible; solved by the MILP"
            " with the spare-part stock instead",
            *milp.log,
        ),
    )


def _mapped_sink(
    feed: IncumbentFeed | None, mapping: Callable[[Plan], Plan]
) -> IncumbentCallback | None:
    """A sink that maps a backend's incumbent to the caller's problem, then offers it."""
    if feed is None or not feed.active:
        return None

    def sink(plan: Plan) -> None:
        mapped = mapping(plan)
        if mapped.feasible:
            feed.offer(replace(mapped, status=Status.FEASIBLE))

    return sink


def _stock_fixed(problem: PlanningProblem, plan: Plan, method: str, gap: float) -> Plan:
    """A stock-blind backend's plan made stock-feasible and costed with purchasing."""
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


def _with_holding(
    problem: PlanningProblem,
    backend: Backend,
    time_limit_s: float | None,
    gap: float,
    warm_start: np.ndarray | None,
    feed: IncumbentFeed | None = None,
) -> Plan:
    """Solve exactly when stock cannot run short: holding folded into the penalties."""
    folded, constant, exact = fold_holding(problem)
    assert exact, "called only when stock cannot run short"
    name = backend.name
    sink = _mapped_sink(feed, lambda p: _holding_costed(problem, p, name, gap, constant))
    plan = backend.solve(
        folded,
        time_limit_s=time_limit_s,
        gap=gap,
        warm_start=warm_start,
        on_incumbent=sink,
    )
    return _holding_costed(problem, plan, name, gap, constant)


def _holding_costed(
    problem: PlanningProblem, plan: Plan, method: str, gap: float, constant: float
) -> Plan:
    """A plan of the folded problem costed on the original one (purchasing included)."""
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
