"""Plan a scenario end to end: build, solve, then everything the output stage shows.

This is the one call the CLI and the HTTP service share, so the same input gives the
same plan through either.  After the solve it computes, once per plan, the shutdowns
(groups and their hour-level schedules, :mod:`optimizer.planning.shutdowns`), the
purchase orders (:mod:`optimizer.problem.purchasing`) and the work orders
(:mod:`optimizer.planning.workorders`) into a :class:`PlanResult`; the CLI, the
reports and the service only read and format its fields.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import numpy as np

from optimizer.loading import Problem, ScenarioError
from optimizer.planning.shutdowns import (
    ShutdownGroup,
    ShutdownResult,
    group_id,
    schedule_shutdowns,
    shutdown_groups,
    window_close,
)
from optimizer.planning.workorders import Deferred, WorkOrder, work_orders
from optimizer.planning.workorders_multiyear import multiyear_work_orders
from optimizer.problem.build import BuiltProblem, build_problem
from optimizer.problem.data import PlanningProblem
from optimizer.problem.multiyear import build_multiyear
from optimizer.problem.plan import OPENING_TERMS, Plan, Status, violations
from optimizer.problem.purchasing import (
    PURCHASING_TERMS,
    PurchasePlan,
    purchase_orders_table,
    purchase_plan,
)
from optimizer.scenario import Scenario
from optimizer.solvers import solve
from optimizer.solvers.common import plan_from_period
from optimizer.solvers.multiyear import crew_overload, solve_multiyear_milp
from optimizer.solvers.multiyear_stock import solve_multiyear_stock

__all__ = ["PlanResult", "plan_result", "plan_scenario"]


@dataclass(frozen=True, eq=False, kw_only=True)
class PlanResult:
    """A solved scenario with everything derived from its plan, computed once.

    Build it with :func:`plan_scenario` or :func:`plan_result`; the output stage (CLI,
    reports, service) only reads it.

    Parameters
    ----------
    built : BuiltProblem
        The problem solved, with its scenario and fleet model.
    plan : Plan
        The solver's plan.
    orders : tuple of WorkOrder
        Work orders, sorted by start, group and component (empty when infeasible).
    deferred : tuple of Deferred
        Components left beyond the horizon, with their risk.
    groups : tuple of ShutdownGroup
        One per shutdown (system opening), sorted by start and id.
    shutdowns : mapping of str to ShutdownResult
        Hour-level schedule of each shutdown by group id (empty for multi-year plans,
        whose jobs start at their period's start).
    purchases : PurchasePlan or None
        The plan's purchase orders and stock (every replacement of a multi-year plan);
        ``None`` when the problem models no spare parts or the plan is infeasible.
    purchase_orders : tuple of dict
        ``purchases`` as JSON-friendly rows
        (:func:`~optimizer.problem.purchasing.purchase_orders_table`).
    timings_s : dict of str to float
        Wall-clock seconds: ``build``, ``solve``, ``shutdowns`` (hour-level schedules),
        ``purchasing``, ``work_orders`` (orders and groups) and ``total``.
    """

    built: BuiltProblem
    plan: Plan
    orders: tuple[WorkOrder, ...]
    deferred: tuple[Deferred, ...]
    groups: tuple[ShutdownGroup, ...]
    shutdowns: Mapping[str, ShutdownResult]
    purchases: PurchasePlan | None
    purchase_orders: tuple[dict[str, Any], ...]
    timings_s: dict[str, float] = field(default_factory=dict)

    def budget(self) -> dict[str, float]:
        """Cash the plan spends in the horizon by term, currency (see :data:`OBJECTIVE_BASIS`).

        ``preventive_work`` (direct cost of every planned job: parts at unit price,
        labour, other), ``setup`` and ``production_loss`` (the openings), ``ordering``,
        ``expediting``, ``holding`` and their ``total``.  Expected failure costs are not
        cash planned and are left out.  Empty for an infeasible plan.
        """
        p = self.plan
        if not p.feasible:
            return {}
        cost_pm = self.built.fleet.cost_pm
        jobs = p.replacements[:, 0] if p.replacements is not None else p.period >= 0
        out = {"preventive_work": float(cost_pm[jobs].sum())}
        for term in ("opening", *OPENING_TERMS):
            if term in p.cost_split:
                out[term] = float(p.cost_split[term])
        if self.purchases is not None:
            for term in PURCHASING_TERMS:
                out[term] = float(self.purchases.cost[term])
        out["total"] = float(sum(out.values()))
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary of the plan (``plan.json``)."""
        p = self.plan
        pb = self.built.problem
        return {
            "scenario": self.built.scenario.name,
            "currency": pb.currency,
            "plan_start": pb.local(pb.start).isoformat(),
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
            "cost_basis": OBJECTIVE_BASIS,
            "budget": self.budget(),
            "diagnosis": list(p.diagnosis),
            "log": list(p.log),
            "groups": [g.as_dict() for g in self.groups],
            "work_orders": [w.as_dict() for w in self.orders],
            "deferred": [d.as_dict() for d in self.deferred],
            "purchase_orders": [dict(r) for r in self.purchase_orders],
        }


OBJECTIVE_BASIS = (
    "objective: expected cost relative to each part's long-run cost rate (penalty and"
    " deferral are risk and preventive cost against running each position at its optimal"
    " long-run rate; setup and production_loss are the openings' set-up cost and the"
    " production lost while units are stopped; ordering, expediting and"
    " holding are purchasing fees and carrying cost; the parts' unit price is inside"
    " penalty); the cost_split terms sum to the objective. budget: cash the plan spends in"
    " the horizon (preventive work at its direct cost, parts' unit price included,"
    " openings, order and expedite fees, holding), without expected failure costs."
)
"""What the plan's ``objective`` and ``budget`` measure (in ``plan.json``)."""


PLAN_BASE_MB = 150.0
"""Memory of a plan besides its components x periods arrays, MB (interpreter, libraries)."""
PLAN_BYTES_PER_PAIR = 200.0
"""Peak memory per (component, period) pair while planning, bytes.  Measured: 1,000
components x 3,650 daily periods (3.65 M pairs) planned by the DP peaked at 606 MB RSS,
~130 B per pair above the 128 MB base; 200 leaves room for the MILP's model."""


def plan_memory_mb(n_components: int, n_periods: int) -> float:
    """Estimated peak memory of planning ``n_components`` over ``n_periods``, MB."""
    return PLAN_BASE_MB + PLAN_BYTES_PER_PAIR * n_components * n_periods / 1e6


def available_memory_mb() -> float:
    """Memory this process may still use, MB: the system's available memory, capped by
    the address-space limit (``RLIMIT_AS``, e.g. a worker's memory cap) less what the
    process already maps.  Infinite when neither can be read."""
    avail = float("inf")
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) / 1024.0
                    break
    except OSError:  # pragma: no cover - not Linux
        pass
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        try:
            with open("/proc/self/statm") as fh:
                mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):  # pragma: no cover
            mapped = 0
        avail = min(avail, (soft - mapped) / 2**20)
    return avail


def check_plan_memory(scn: Scenario) -> None:
    """Refuse a plan whose estimated memory exceeds what is available, before any work.

    Raises
    ------
    ScenarioError
        Naming the estimate, the memory available and what to change.
    """
    n_comp = sum(len(system.components) for _, system in scn.systems())
    n_per = scn.calendar.n_periods
    need = plan_memory_mb(n_comp, n_per)
    avail = available_memory_mb()
    if need > avail:
        raise ScenarioError(
            [
                Problem(
                    ("calendar", "period_days"),
                    f"planning {n_comp:,} components x {n_per:,} periods needs about"
                    f" {need:,.0f} MB but only {avail:,.0f} MB are available: use longer"
                    " periods (period_days), a shorter horizon or fewer components",
                )
            ]
        )


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
        Override the scenario's ``plan`` settings.  ``time_limit_s`` (seconds, wall
        clock from the end of the build) bounds the first solve and the hour-level
        rounds together: the first solve gets :data:`FIRST_SOLVE_SHARE` of it, the
        rounds the rest (:func:`round_budget_s`).
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

    Raises
    ------
    ScenarioError
        When the plan would need more memory than is available
        (:func:`check_plan_memory`), before any work.
    """
    say = progress or (lambda _msg: None)
    settings = scn.plan
    check_plan_memory(scn)
    if settings.repeated_replacements:
        return _plan_multiyear(scn, method, time_limit_s, gap, say)
    t0 = time.perf_counter()
    say("building penalty curves and the planning problem")
    built = build_problem(scn)
    t1 = time.perf_counter()
    how = method or settings.method
    limit = time_limit_s if time_limit_s is not None else settings.time_limit_s
    tol = gap if gap is not None else settings.gap
    # The time limit is the request's budget for the first solve and the hour-level
    # rounds together (see FIRST_SOLVE_SHARE): the first solve gets a share of it, the
    # rounds what is left (each round used to get the whole limit again).
    deadline = None if limit is None else t1 + limit
    say(f"solving ({how})")
    plan = solve(
        built.problem,
        method=how,
        time_limit_s=None if limit is None else FIRST_SOLVE_SHARE * limit,
        gap=tol,
        warm_start=warm_start,
        on_incumbent=None if on_incumbent is None else lambda p: on_incumbent(built, p),
    )
    shutdowns = schedule_shutdowns(built, plan) if plan.feasible else {}
    # The period model is a relaxation of the hour-level schedule: an opening can wait
    # past its period for its unit or its crews (a long job of the unit's previous
    # opening, technicians booked by other shutdowns). Such openings are refused and
    # the plan re-solved, so that every opening starts in its period and the plan costs
    # what the solver's objective says (issue #12). The first model's bound stays the
    # bound: it is valid for every plan, the restricted models' are not.
    bound, status0 = plan.lower_bound, plan.status
    notes: list[str] = []
    for rnd in range(1, MAX_HOUR_ROUNDS + 1):
        late = late_openings(built, plan, shutdowns)
        if not late:
            break
        cut = refuse_openings(built, late)
        if cut is built:
            break
        start = as_executed(cut, plan, late)
        round_s = round_budget_s(deadline, rnd)
        names = ", ".join(group_id(built.problem, k, t) for k, t, _ in late)
        if round_s is not None and round_s < MIN_ROUND_S and not violations(cut.problem, start):
            # no time left to re-solve: the late openings move to when their work can
            # start, so the plan's objective prices the plan as it will be executed
            new = plan_from_period(
                cut.problem,
                start,
                status=_not_proven(plan.status),
                lower_bound=plan.lower_bound,
                method=plan.method,
                runtime_s=plan.runtime_s,
                log=plan.log,
            )
            how_done = "moved to when their work can start (no time left to re-solve)"
        else:
            say(f"re-solving without {len(late)} opening(s) that start after their period")
            new = solve(
                around(cut, plan, late),
                method=how,
                time_limit_s=None if round_s is None else max(round_s, MIN_ROUND_S),
                gap=tol,
                warm_start=start,
            )
            how_done = "re-planned without them"
        if not new.feasible:
            notes.append(f"hour-level round {rnd}: no plan without the late openings; kept")
            break
        notes.append(
            f"hour-level round {rnd}: {names} could not start in their period (unit or"
            f" crews busy); {how_done}: {plan.objective:,.2f} -> {new.objective:,.2f}"
        )
        built, plan = cut, new
        shutdowns = schedule_shutdowns(built, plan)
    left = late_openings(built, plan, shutdowns) if notes and plan.feasible else []
    if left:
        names = ", ".join(group_id(built.problem, k, t) for k, t, _ in left)
        notes.append(
            f"hour-level: {names} still cannot start in their period after"
            f" {MAX_HOUR_ROUNDS} rounds; their work orders cost more than the objective"
            " (see opportune check)"
        )
    if notes:
        lb = min(bound, plan.objective)
        proven = status0 is Status.OPTIMAL and plan.status is Status.OPTIMAL
        within = plan.objective - lb <= tol * max(abs(plan.objective), 1e-9) + 1e-9
        plan = replace(
            plan,
            lower_bound=lb,
            status=Status.OPTIMAL if proven and within else _not_proven(plan.status),
            log=(*plan.log, *notes),
        )
    t2 = time.perf_counter()
    say("writing work orders")
    res = plan_result(built, plan, shutdowns=shutdowns)
    timings = {"build": t1 - t0, "solve": t2 - t1, **res.timings_s}
    timings["total"] = time.perf_counter() - t0
    return replace(res, timings_s=timings)


MAX_HOUR_ROUNDS = 4
"""Re-solves at most, refusing openings the hour-level schedule starts after their period."""

FIRST_SOLVE_SHARE = 0.7
"""Share of a request's time limit the first solve may use; the hour-level rounds share
the rest (:func:`round_budget_s`).

With a plain shared budget the plant's first solve used the whole limit and the rounds
got no time, so its plan kept openings that start after their period and its objective
understated what its work orders cost.  The first solve's plan is the one that needs
the time (its bound is the plan's bound); a round only re-plans the late units' jobs
around the rest of the plan (:func:`around`), starting from the plan with the late
openings moved to when their work can start (:func:`as_executed`), and needs no bound.
A round's model is small (the late units' jobs within :data:`ROUND_WINDOW_PERIODS` of
where they are): on the plant it solves in well under a second, so 30% of the limit
leaves every round several times what it needs."""

MIN_ROUND_S = 1.0
"""Seconds a re-solve round needs at least.  With less left of the request's time
limit, a round does not re-solve: it moves the late openings to when their work can
start (:func:`as_executed`) when the period model allows it, so the objective still
prices the plan as executed (what ``opportune check`` computes)."""


def round_budget_s(deadline: float | None, rnd: int) -> float | None:
    """Seconds hour-level round ``rnd`` (1-based) may solve, ``None`` without a limit.

    Half of what is left of the request's time limit (``deadline``, a
    :func:`time.perf_counter` instant), all of it in the last round
    (:data:`MAX_HOUR_ROUNDS`): the first round, which re-plans the most openings, gets
    the most time, and time a round leaves unused goes to the next.  Round ``r`` of
    ``R`` gets at least ``left / 2 ** r`` of the ``left`` seconds the first solve left.
    """
    if deadline is None:
        return None
    left = max(deadline - time.perf_counter(), 0.0)
    return left if rnd >= MAX_HOUR_ROUNDS else left / 2.0


def _not_proven(status: Status) -> Status:
    return Status.FEASIBLE if status is Status.OPTIMAL else status


def late_openings(
    built: BuiltProblem, plan: Plan, shutdowns: Mapping[str, ShutdownResult]
) -> list[tuple[int, int, int]]:
    """Openings of a plan whose hour-level schedule does not start in their period, or
    runs past the maintenance window its opening is priced at.

    Returns
    -------
    list of (unit, period, first period free)
        Each late opening with the first period that starts at or after the moment its
        work can start (the next period when no schedule was found, the crew is
        overbooked or the work runs past its window).
    """
    pb = built.problem
    systems = {sys_.id: sys_ for _, sys_ in built.scenario.systems()}
    out: list[tuple[int, int, int]] = []
    seen: set[tuple[int, int]] = set()
    for j in np.flatnonzero(plan.period >= 0):
        k, t = int(pb.system_of[j]), int(plan.period[j])
        if (k, t) in seen:
            continue
        seen.add((k, t))
        res = shutdowns.get(group_id(pb, k, t))
        if res is None or res.status == "infeasible":
            out.append((k, t, min(t + 1, pb.n_periods)))
            continue
        first = pb.period_start(t) + timedelta(hours=min(a for a, _ in res.slots.values()))
        last = pb.period_start(t) + timedelta(hours=max(b for _, b in res.slots.values()))
        closes = window_close(built, systems[built.fleet.components[j].system_id], t)
        if closes is not None and last > closes:
            out.append((k, t, t + 1))  # runs past the window it is priced at
        elif first >= pb.period_start(t + 1):
            u = t + 1  # the first period that starts when the work can start
            while u < pb.n_periods and pb.period_start(u) < first:
                u += 1
            out.append((k, t, u))
    return out


def refuse_openings(built: BuiltProblem, late: list[tuple[int, int, int]]) -> BuiltProblem:
    """``built`` with unit ``k`` refused to open in periods ``t .. u - 1`` of each late
    opening ``(k, t, u)`` (pinned work keeps its period); ``built`` itself when nothing
    can be refused."""
    pb = built.problem
    open_allowed = pb.open_allowed.copy()
    pinned = {(int(pb.system_of[i]), int(p)) for i, p in enumerate(pb.pinned_period) if p >= 0}
    for k, t, u in late:
        for v in range(t, max(u, t + 1)):
            if (k, v) not in pinned:
                open_allowed[k, v] = False
    if np.array_equal(open_allowed, pb.open_allowed):
        return built
    return replace(built, problem=replace(pb, open_allowed=open_allowed))


def around(
    built: BuiltProblem,
    plan: Plan,
    late: list[tuple[int, int, int]],
    window: int | None = None,
) -> PlanningProblem:
    """The problem of ``built`` with every job of the units not in ``late`` kept where
    ``plan`` has it (deferred ones deferred): the re-solve moves only the late units' jobs
    (a large-neighbourhood step, seconds instead of the full model's minutes).

    ``window`` (periods, default :data:`ROUND_WINDOW_PERIODS`; negative: no window)
    keeps each moving job near where it is: a job of a late opening ``(k, t,
    u)`` within ``t - window .. u + window``, another job of a late unit within
    ``window`` periods of its own period (a deferred one near its unit's late
    openings); deferral stays open to all.  The round's model is then a few hundred
    pairs, not the unit's whole year.  A round is a heuristic step (the plan's bound is
    the first solve's), so the window costs no validity.
    """
    pb = built.problem
    width = ROUND_WINDOW_PERIODS if window is None else window
    free = np.isin(pb.system_of, [k for k, _, _ in late])
    allowed = pb.allowed.copy()
    keep = np.flatnonzero(~free)
    allowed[keep] = False
    done = keep[plan.period[keep] >= 0]
    allowed[done, plan.period[done]] = True
    if width < 0:
        return replace(pb, allowed=allowed)
    n_t = pb.n_periods
    near = np.zeros_like(allowed)
    span: dict[int, tuple[int, int]] = {}
    for k, t, u in late:
        lo, hi = span.get(k, (t, u))
        span[k] = (min(lo, t), max(hi, u))
    for i in np.flatnonzero(free):
        k, cur = int(pb.system_of[i]), int(plan.period[i])
        lo, hi = span[k]
        if cur < 0:
            a, b = lo - width, hi + width
        elif any(k == kk and cur == t for kk, t, _ in late):
            a, b = cur - width, max(u for kk, t, u in late if kk == k and t == cur) + width
        else:
            a, b = cur - width, cur + width
        near[i, max(a, 0) : min(b, n_t - 1) + 1] = True
    # a job that must be done and has no period in its window keeps all of them
    empty = ~(allowed & near).any(axis=1) & ~np.isfinite(pb.penalty_beyond)
    near[empty] = True
    allowed[free] &= near[free]
    return replace(pb, allowed=allowed)


ROUND_WINDOW_PERIODS = 14
"""Periods a job of a late unit may move either way in an hour-level round (:func:`around`)."""


def as_executed(built: BuiltProblem, plan: Plan, late: list[tuple[int, int, int]]) -> np.ndarray:
    """The plan with each late opening ``(k, t, u)`` moved to period ``u``, when its work
    can start, or to the first period after it that its jobs and unit allow (deferred
    only when there is none): a warm start for the re-solve.

    When the moved plan breaks a constraint of the period model (the crew of the new
    period is booked by other work), each late opening in turn goes to the first later
    period that breaks fewer constraints, until none is broken or none helps (greedy):
    the warm start is then usually feasible (a re-solve starts from it, and without
    time to re-solve it is the plan).
    """
    pb = built.problem
    out = np.array(plan.period, dtype=np.int64, copy=True)
    moves = []
    for k, t, u in late:
        jobs = np.flatnonzero((out == t) & (pb.system_of == k))
        moves.append((k, jobs, u))
        out = _moved(pb, out, k, jobs, u)
    broken = len(violations(pb, out))
    for k, jobs, u in moves:
        if not broken:
            break
        for v in range(u + 1, pb.n_periods):
            if not pb.open_allowed[k, v]:
                continue
            trial = _moved(pb, out, k, jobs, v)
            now = len(violations(pb, trial))
            if now < broken:
                out, broken = trial, now
                break
    return out


def _moved(pb: PlanningProblem, period: np.ndarray, k: int, jobs: np.ndarray, u: int) -> np.ndarray:
    """``period`` with ``jobs`` of unit ``k`` each at the first period from ``u`` on that
    it and its unit allow (deferred when there is none and deferral is allowed)."""
    out = period.copy()
    for i in jobs:
        ok = np.flatnonzero(pb.allowed[i, u:] & pb.open_allowed[k, u:])
        if ok.size:
            out[i] = u + int(ok[0])
        elif np.isfinite(pb.penalty_beyond[i]):
            out[i] = -1
    return out


def plan_result(
    built: BuiltProblem, plan: Plan, *, shutdowns: Mapping[str, ShutdownResult] | None = None
) -> PlanResult:
    """A next-replacement plan of ``built`` with everything derived from it.

    The tail of :func:`plan_scenario`, also used for the incumbents it reports: the
    hour-level shutdown schedules, the purchase plan, the work orders and the shutdown
    groups, each computed once.  ``timings_s`` holds the seconds of each step.
    """
    pb = built.problem
    if not plan.feasible:
        return PlanResult(
            built=built,
            plan=plan,
            orders=(),
            deferred=(),
            groups=shutdown_groups(built, plan),  # whatever assignment the solver left
            shutdowns={},
            purchases=None,
            purchase_orders=(),
        )
    t0 = time.perf_counter()
    if shutdowns is None:
        shutdowns = schedule_shutdowns(built, plan)
    t1 = time.perf_counter()
    purchases = purchase_plan(pb, plan.period) if pb.has_parts else None
    rows = purchase_orders_table(pb, purchases) if purchases is not None else []
    t2 = time.perf_counter()
    orders, deferred = work_orders(built, plan, shutdowns=shutdowns, purchases=purchases)
    groups = shutdown_groups(built, plan)
    t3 = time.perf_counter()
    return PlanResult(
        built=built,
        plan=plan,
        orders=tuple(orders),
        deferred=tuple(deferred),
        groups=groups,
        shutdowns=shutdowns,
        purchases=purchases,
        purchase_orders=tuple(rows),
        timings_s={"shutdowns": t1 - t0, "purchasing": t2 - t1, "work_orders": t3 - t2},
    )


def _plan_multiyear(
    scn: Scenario,
    method: str | None,
    time_limit_s: float | None,
    gap: float | None,
    say: Callable[[str], None],
) -> PlanResult:
    """``plan_scenario`` with ``plan.repeated_replacements``: every replacement planned.

    ``auto`` runs :func:`~optimizer.solvers.multiyear.solve_multiyear` (the exact ORP
    search of :mod:`optimizer.solvers.orp` when the costs are a cost per replacement, else
    the Lagrangian decomposition), ``milp`` the monolithic Pyomo/HiGHS arc-flow model (small plans);
    other methods plan only the next replacement and are refused.
    """
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
    # spare parts (solve_multiyear_stock): the plan within the stock, with its purchasing
    if how == "milp":
        plan = solve_multiyear_milp(mp, time_limit_s=limit, gap=tol)
        plan = solve_multiyear_stock(mp, time_limit_s=limit, gap=tol, plan=plan)
    else:
        plan = solve_multiyear_stock(mp, time_limit_s=limit, gap=tol)
    if plan.feasible and plan.replacements is not None:
        x = np.zeros((mp.n_components, mp.n_periods), dtype=bool)
        if len(plan.replacements):
            x[plan.replacements[:, 0], plan.replacements[:, 1]] = True
        short = crew_overload(mp, x)
        if short:
            # the decomposition respects the crews; this checks any plan independently
            plan = replace(plan, log=(*plan.log, *(f"warning: {m}" for m in short)))
    t2 = time.perf_counter()
    say("scheduling the shutdowns on the crews' shifts")
    shutdowns = schedule_shutdowns(built, plan) if plan.feasible else {}
    say("writing work orders")
    orders, deferred = (
        multiyear_work_orders(built, mp, plan, shutdowns) if plan.feasible else ([], [])
    )
    # each occurrence's risk cost is its interval cost, which only the orders carry
    occurrence_cost = {
        (w.component_id, w.group_id): float(w.extra.get("relative_cost", 0.0)) for w in orders
    }
    groups = shutdown_groups(built, plan, occurrence_cost)
    purchases = None
    if plan.feasible and mp.base.has_parts and plan.replacements is not None:
        x = np.zeros((mp.n_components, mp.n_periods), dtype=bool)
        x[plan.replacements[:, 0], plan.replacements[:, 1]] = True
        purchases = purchase_plan(mp.base, x)
    rows = purchase_orders_table(mp.base, purchases) if purchases is not None else []
    t3 = time.perf_counter()
    return PlanResult(
        built=built,
        plan=plan,
        orders=tuple(orders),
        deferred=tuple(deferred),
        groups=groups,
        shutdowns=shutdowns,
        purchases=purchases,
        purchase_orders=tuple(rows),
        timings_s={"build": t1 - t0, "solve": t2 - t1, "work_orders": t3 - t2, "total": t3 - t0},
    )
