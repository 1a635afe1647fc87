"""The result object every scheduler backend returns.

Every backend (exact DP, Pyomo/HiGHS MILP, OR-Tools CP-SAT) returns a :class:`Plan`,
never ``None``: a time limit or an infeasible instance is a status, with the best
assignment found (if any) and a diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from optimizer.problem import FloatArray, IntArray, PlanningProblem

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
        Objective by category (``penalty``, ``deferral``, ``opening``), currency.
    diagnosis : tuple of str
        Plain-language reasons for infeasibility (empty when feasible).
    log : tuple of str
        Notes from the solver (what ``auto`` picked and why, timings).
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

    def __post_init__(self) -> None:
        p = np.array(self.period, dtype=np.int64, copy=True)
        p.setflags(write=False)
        object.__setattr__(self, "period", p)

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
        ``penalty`` (sum of ``h_i(t)`` of replaced components), ``deferral`` (sum of
        ``penalty_beyond`` of deferred ones), ``opening`` (sum of opening costs of the
        implied openings) and ``total``.
    """
    period = np.asarray(period, dtype=np.int64)
    idx = np.arange(problem.n_components)
    done = period >= 0
    pen = float(problem.penalty[idx[done], period[done]].sum())
    defer = float(problem.penalty_beyond[~done].sum())
    y = opened(problem, period)
    opening = float(problem.opening_cost[y].sum())
    return {"penalty": pen, "deferral": defer, "opening": opening, "total": pen + defer + opening}


def crew_load_h(problem: PlanningProblem, period: IntArray) -> FloatArray:
    """Technician-hours used per skill and period, shape ``(S, T)``."""
    period = np.asarray(period, dtype=np.int64)
    load = np.zeros((len(problem.skill_ids), problem.n_periods))
    done = period >= 0
    np.add.at(
        load,
        (problem.skill_of[done], period[done]),
        problem.duration_h[done] * problem.crew_qty[done],
    )
    return load


def violations(problem: PlanningProblem, period: IntArray, tol: float = 1e-6) -> list[str]:
    """Constraint violations of an assignment, in plain language (empty if feasible)."""
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
    return out
