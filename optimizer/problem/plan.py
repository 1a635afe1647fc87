"""The result object every scheduler backend returns.

Every backend (exact DP, Pyomo/HiGHS MILP, OR-Tools CP-SAT) returns a :class:`Plan`,
never ``None``: a time limit or an infeasible instance is a status, with the best
assignment found (if any) and a diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from optimizer._typing import FloatArray, IntArray
from optimizer.problem.data import PlanningProblem
from optimizer.problem.purchasing import PURCHASING_TERMS, purchase_costs, stock_shortages

BEYOND = -1
"""``Plan.period[i]`` value for a component deferred beyond the horizon."""


class Status(StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"
    """Proven optimal within the requested relative gap."""
    FEASIBLE = "feasible"
    """A plan was found; optimality is not proven (heuristic method)."""
    TIME_LIMIT = "time_limit"
    """Stopped at the time limit; the best plan found so far, with its gap."""
    CANCELLED = "cancelled"
    """Stopped on request; the best plan found so far, with its gap."""
    INFEASIBLE = "infeasible"
    """No plan satisfies the constraints; see ``Plan.diagnosis``."""


@dataclass(frozen=True, eq=False)
class Plan:
    """A grouped maintenance plan.

    Parameters
    ----------
    period : ndarray of int, shape (n,)
        Period in which each component is replaced, or ``BEYOND`` (-1).
    objective : float
        Total cost of the plan (currency): penalties + opening costs.
    lower_bound : float
        Proven lower bound on the optimal objective (currency).
    status : Status
        Outcome of the solve.
    method : str
        Backend that produced the plan (``dp``, ``milp``, ``cpsat`` ...).
    runtime_s : float
        Wall-clock solve time, seconds.
    cost_split : dict of str to float
        Objective by term, currency; the terms sum to ``objective`` (see
        :func:`evaluate` for the terms; a ``total`` entry is dropped).
    diagnosis : tuple of str
        Plain-language reasons for infeasibility (empty when feasible).
    log : tuple of str
        Notes from the solver (what ``auto`` picked and why, timings).
    replacements : ndarray of int, shape (m, 2), or None
        Every planned replacement as rows ``(component, period)`` sorted by component
        then period, when the plan holds repeated replacements of the same position
        (multi-year plans, :mod:`optimizer.solvers.multiyear`); ``period`` then holds
        each component's first one.  ``None`` for next-replacement plans.
    """

    period: IntArray
    objective: float
    lower_bound: float
    status: Status
    method: str
    runtime_s: float
    cost_split: dict[str, float] = field(default_factory=dict)
    diagnosis: tuple[str, ...] = ()
    log: tuple[str, ...] = ()
    replacements: IntArray | None = None

    def __post_init__(self) -> None:
        p = np.array(self.period, dtype=np.int64, copy=True)
        p.setflags(write=False)
        object.__setattr__(self, "period", p)
        if "total" in self.cost_split:
            object.__setattr__(
                self, "cost_split", {k: v for k, v in self.cost_split.items() if k != "total"}
            )
        if self.replacements is not None:
            r = np.array(self.replacements, dtype=np.int64, copy=True).reshape(-1, 2)
            r.setflags(write=False)
            object.__setattr__(self, "replacements", r)

    @classmethod
    def infeasible(
        cls,
        problem: PlanningProblem,
        *,
        method: str,
        diagnosis: tuple[str, ...],
        runtime_s: float,
        log: tuple[str, ...] = (),
    ) -> Plan:
        """The plan of an instance that no assignment satisfies.

        Status ``INFEASIBLE``, objective and bound ``inf``, pinned work at its pin and
        every other component deferred (``BEYOND``), the reasons in ``diagnosis``.

        Parameters
        ----------
        problem : PlanningProblem
            The instance.
        method : str
            Backend that found the infeasibility.
        diagnosis : tuple of str
            Plain-language reasons.
        runtime_s : float
            Wall-clock solve time, seconds.
        log : tuple of str
            Notes from the solver.
        """
        pin = problem.pinned_period
        return cls(
            period=np.where(pin >= 0, pin, BEYOND).astype(np.int64),
            objective=float("inf"),
            lower_bound=float("inf"),
            status=Status.INFEASIBLE,
            method=method,
            runtime_s=runtime_s,
            diagnosis=diagnosis,
            log=log,
        )

    @property
    def gap(self) -> float:
        """Relative optimality gap ``(objective - bound) / max(|objective|, 1e-9)``, >= 0.

        ``inf`` when no plan was found.
        """
        if not np.isfinite(self.objective):
            return float("inf")
        denom = max(abs(self.objective), 1e-9)
        return max(0.0, (self.objective - self.lower_bound) / denom)

    @property
    def feasible(self) -> bool:
        """True if the plan holds an assignment that satisfies the constraints."""
        return self.status is not Status.INFEASIBLE and np.isfinite(self.objective)


def opened(problem: PlanningProblem, period: IntArray) -> np.ndarray:
    """Boolean ``(K, T)`` matrix of the system openings implied by an assignment."""
    y = np.zeros((problem.n_systems, problem.n_periods), dtype=bool)
    done = period >= 0
    y[problem.system_of[done], period[done]] = True
    return y


OPENING_TERMS = ("setup", "production_loss")
"""The two terms of the openings' cost in ``cost_split``: set-up, production lost."""


def opening_terms(problem: PlanningProblem, y: np.ndarray) -> dict[str, float]:
    """Cost of the openings ``y`` (bool ``(K, T)``) by term, currency.

    ``setup`` (set-up cost, window factors applied) and ``production_loss`` (production
    lost while the units are stopped), which sum to ``opening_cost[y].sum()``; one
    ``opening`` term when ``problem.setup_cost`` is ``None``.
    """
    y = np.asarray(y, dtype=bool)
    total = float(np.where(y, problem.opening_cost, 0.0).sum())
    if problem.setup_cost is None:
        return {"opening": total}
    setup = float(np.where(y, problem.setup_cost, 0.0).sum())
    return {"setup": setup, "production_loss": total - setup}


def evaluate(problem: PlanningProblem, period: IntArray) -> dict[str, float]:
    """Cost of an assignment by category, currency.

    Parameters
    ----------
    problem : PlanningProblem
        The instance.
    period : ndarray of int, shape (n,)
        Period of each component's replacement, or ``BEYOND``.

    Returns
    -------
    dict
        The terms of the objective, which sum to ``total`` (also returned):
        ``penalty`` (sum of ``h_i(t)`` of replaced components: expected failure risk and
        direct preventive cost, unit price of the parts included, relative to each
        part's long-run rate), ``deferral`` (sum of ``penalty_beyond`` of deferred ones),
        ``setup`` and ``production_loss`` (the two parts of the implied openings'
        cost, :func:`opening_terms`; one ``opening`` term when the problem does not
        split it).
        When the problem models spare parts (``problem.has_parts``) also the purchasing
        terms of the cheapest stock plan (:func:`optimizer.problem.purchasing.purchase_plan`):
        ``ordering`` (order fees), ``expediting`` (expedite fees) and ``holding``; the
        parts' unit price is not among them, it is already in ``penalty``.
    """
    period = np.asarray(period, dtype=np.int64)
    idx = np.arange(problem.n_components)
    done = period >= 0
    pen = float(problem.penalty[idx[done], period[done]].sum())
    defer = float(problem.penalty_beyond[~done].sum())
    y = opened(problem, period)
    out = {"penalty": pen, "deferral": defer, **opening_terms(problem, y)}
    if problem.stop_cost is not None and "production_loss" in out:
        stop = float(problem.stop_cost[idx[done], period[done]].sum())
        out["penalty"] -= stop  # a long job's own stop is production lost
        out["production_loss"] += stop
    out["total"] = sum(out.values())
    if problem.has_parts:
        buy = purchase_costs(problem, period)
        for term in PURCHASING_TERMS:
            out[term] = buy[term]
        out["total"] += buy["total"]
    return out


def span_cells(start: IntArray, span: IntArray, n_periods: int) -> tuple[IntArray, IntArray]:
    """Every period covered by jobs that start in ``start`` and last ``span`` periods.

    Job ``j`` covers ``start[j], ..., min(start[j] + span[j], n_periods) - 1`` (clipped
    at the horizon end).

    Parameters
    ----------
    start : ndarray of int, shape (m,)
        Start period of each job, ``0 <= start < n_periods``.
    span : ndarray of int, shape (m,)
        Number of periods of each job, ``>= 1``.
    n_periods : int
        Number of periods ``T`` of the horizon.

    Returns
    -------
    (ndarray of int, ndarray of int)
        ``(job, period)``, one entry per covered cell, grouped by job in input order
        and by increasing period within a job.
    """
    start = np.asarray(start, dtype=np.int64)
    length = np.clip(np.minimum(np.asarray(span, dtype=np.int64), n_periods - start), 0, None)
    job = np.repeat(np.arange(len(start), dtype=np.int64), length)
    first = np.cumsum(length) - length
    offset = np.arange(len(job), dtype=np.int64) - np.repeat(first, length)
    return job, start[job] + offset


def spanned_min(values: FloatArray, row: IntArray, span: IntArray) -> FloatArray:
    """Minimum of ``values[row[j]]`` over every window a job of ``span[j]`` periods covers.

    ``out[j, t] = min(values[row[j], t : min(t + span[j], T)])`` -- e.g. the smallest
    crew capacity a job started in ``t`` meets.  A sparse table of minima over windows
    of ``2**l`` periods (built once for the few rows of ``values``) answers each window
    with two look-ups, so the cost is ``O(R T log(max span) + m T)``.

    Parameters
    ----------
    values : ndarray of float, shape (R, T)
        Per-period values (``inf`` allowed).
    row : ndarray of int, shape (m,)
        Row of ``values`` each job reads.
    span : ndarray of int, shape (m,)
        Window length of each job, ``>= 1``.

    Returns
    -------
    ndarray of float, shape (m, T)

    References
    ----------
    .. [1] M. A. Bender, M. Farach-Colton, "The LCA problem revisited", LATIN 2000
       (sparse-table range-minimum queries).
    """
    values = np.asarray(values, dtype=np.float64)
    row = np.asarray(row, dtype=np.int64)
    n_t = values.shape[1]
    length = np.minimum(np.asarray(span, dtype=np.int64)[:, None], n_t - np.arange(n_t)[None, :])
    if len(row) == 0 or n_t == 0 or int(length.max()) <= 1:
        out: FloatArray = values[row].copy()
        return out
    # table[l][r, t] = min(values[r, t : t + 2**l]), valid where t + 2**l <= T
    table = [values]
    width = 1
    while 2 * width <= int(length.max()):
        prev = table[-1]
        nxt = np.full_like(prev, np.inf)
        nxt[:, : n_t - width] = np.minimum(prev[:, : n_t - width], prev[:, width:])
        table.append(nxt)
        width *= 2
    stack = np.stack(table)
    level = np.floor(np.log2(length)).astype(np.int64)
    # guard against log2 rounding for exact powers of two
    level -= (1 << level) > length
    level += (1 << (level + 1)) <= length
    t = np.broadcast_to(np.arange(n_t)[None, :], length.shape)
    r = np.broadcast_to(row[:, None], length.shape)
    out = np.minimum(stack[level, r, t], stack[level, r, t + length - (1 << level)])
    return out


def crew_load_h(problem: PlanningProblem, period: IntArray) -> FloatArray:
    """Technician-hours used per skill and period, shape ``(S, T)``.

    A job started in period ``t`` puts ``duration_h * crew_qty / span_periods``
    technician-hours into each of the periods ``t .. t + span_periods - 1`` that lie
    in the horizon (see :class:`~optimizer.problem.data.PlanningProblem`).
    """
    period = np.asarray(period, dtype=np.int64)
    load = np.zeros((len(problem.skill_ids), problem.n_periods))
    done = np.flatnonzero(period >= 0)
    job, cell = span_cells(period[done], problem.span_periods[done], problem.n_periods)
    comp = done[job]
    np.add.at(load, (problem.skill_of[comp], cell), problem.load_per_period_h[comp])
    return load


def violations(problem: PlanningProblem, period: IntArray, tol: float = 1e-6) -> list[str]:
    """Constraint violations of an assignment, in plain language (empty if feasible).

    Checks the allowed periods, system openings, pins and the crew capacity of every
    skill and period against :func:`crew_load_h` (so a job spanning several periods
    loads each of them with its share), with absolute tolerance ``tol`` hours, and,
    when the problem models spare parts, stock-outs that no new order can prevent
    (:func:`optimizer.problem.purchasing.stock_shortages`).
    """
    period = np.asarray(period, dtype=np.int64)
    out: list[str] = []
    for j in np.flatnonzero(period >= 0):
        i = int(j)
        t = int(period[i])
        if not problem.allowed[i, t]:
            out.append(f"{problem.component_ids[i]}: period {t} is not allowed")
        if not problem.open_allowed[problem.system_of[i], t]:
            out.append(
                f"{problem.component_ids[i]}: system {problem.system_ids[problem.system_of[i]]}"
                f" may not open in period {t}"
            )
    for i in range(problem.n_components):
        pin = int(problem.pinned_period[i])
        if pin >= 0 and period[i] != pin:
            out.append(f"{problem.component_ids[i]}: pinned to period {pin}, planned {period[i]}")
        if pin == -2 and period[i] >= 0:
            out.append(f"{problem.component_ids[i]}: pinned beyond the horizon")
    load = crew_load_h(problem, period)
    over = np.argwhere(load > problem.crew_hours + tol)
    for s, t in over:
        out.append(
            f"skill {problem.skill_ids[s]} needs {load[s, t]:.1f} h in period {t},"
            f" has {problem.crew_hours[s, t]:.1f} h"
        )
    if problem.has_parts:
        out.extend(stock_shortages(problem, period))
    return out
