"""Brute-force oracle: enumerate every assignment of a tiny instance.

Each free component takes one of its eligible periods (work allowed, finite penalty,
its system may open) or ``BEYOND`` (when ``penalty_beyond`` is finite); pinned
components take their pin.  Every combination is priced with the same arithmetic as
:func:`optimizer.problem.plan.evaluate` and checked against the crew capacities, in vectorized
chunks (a job spanning ``n`` periods loads each of them with ``1/n`` of its
technician-hours, up to the horizon end).  Used by the agreement tests as the reference
optimum; it shares no code with the DP, MILP or CP-SAT backends in deciding what is
feasible and what it costs.  When nothing is, the reasons are worded by the diagnosis
every backend uses (:func:`optimizer.solvers.common.pinned_diagnosis`).
"""

from __future__ import annotations

import time

import numpy as np

from optimizer._typing import IntArray
from optimizer.problem.data import NO_PIN, PlanningProblem
from optimizer.problem.plan import BEYOND, Plan, Status, evaluate
from optimizer.solvers.common import pinned_diagnosis

__all__ = ["MAX_ASSIGNMENTS", "solve_brute"]

MAX_ASSIGNMENTS = 2_000_000
"""Largest number of assignments :func:`solve_brute` agrees to enumerate."""

_CHUNK = 1 << 15
_CAP_TOL = 1e-9


def _options(problem: PlanningProblem) -> list[IntArray]:
    """Candidate values of ``period[i]`` for every component."""
    ok_open = problem.open_allowed & np.isfinite(problem.opening_cost)
    out: list[IntArray] = []
    for i in range(problem.n_components):
        pin = int(problem.pinned_period[i])
        k = int(problem.system_of[i])
        elig = problem.allowed[i] & np.isfinite(problem.penalty[i]) & ok_open[k]
        if pin >= 0:
            opts = [pin] if elig[pin] else []
        elif pin == NO_PIN:
            opts = [int(t) for t in np.flatnonzero(elig)]
            if np.isfinite(problem.penalty_beyond[i]):
                opts.append(BEYOND)
        else:
            opts = [BEYOND] if np.isfinite(problem.penalty_beyond[i]) else []
        out.append(np.asarray(opts, dtype=np.int64))
    return out


def solve_brute(
    problem: PlanningProblem,
    *,
    time_limit_s: float | None = None,
    gap: float = 1e-6,
    warm_start: np.ndarray | None = None,
) -> Plan:
    """Optimal plan by full enumeration (tiny instances only).

    Parameters
    ----------
    problem : PlanningProblem
        The instance; ``prod_i (#eligible periods of i + 1)`` must not exceed
        :data:`MAX_ASSIGNMENTS`.
    time_limit_s, gap, warm_start
        Accepted for a uniform backend signature and ignored (enumeration is exact).

    Returns
    -------
    Plan
        ``OPTIMAL`` with ``lower_bound == objective``, or ``INFEASIBLE`` when no
        assignment satisfies the pins and crew capacities.

    Raises
    ------
    ValueError
        If the number of assignments exceeds :data:`MAX_ASSIGNMENTS`, or costs are NaN.
    """
    t0 = time.perf_counter()
    for name in ("penalty", "penalty_beyond", "opening_cost"):
        if np.isnan(getattr(problem, name)).any():
            raise ValueError(f"problem.{name}: contains NaN")
    opts = _options(problem)
    n, n_t, n_k = problem.n_components, problem.n_periods, problem.n_systems
    sizes = np.array([len(o) for o in opts], dtype=np.int64)
    count = int(np.prod(sizes.astype(object))) if n else 1
    if count > MAX_ASSIGNMENTS:
        raise ValueError(
            f"problem: {count} assignments to enumerate exceed the brute-force limit"
            f" {MAX_ASSIGNMENTS}; use fewer components or periods"
        )
    empty = [problem.component_ids[i] for i in range(n) if sizes[i] == 0]
    if count == 0:
        return _infeasible(
            problem, t0, tuple(f"component {c} has no admissible period or deferral" for c in empty)
        )
    strides = np.ones(n, dtype=np.int64)
    for i in range(n - 2, -1, -1):
        strides[i] = strides[i + 1] * sizes[i + 1]
    pen_ext = np.concatenate(
        [
            np.where(np.isfinite(problem.penalty), problem.penalty, 0.0),
            problem.penalty_beyond[:, None],
        ],
        axis=1,
    )
    oc = np.where(np.isfinite(problem.opening_cost), problem.opening_cost, 0.0)
    # technician-hours per spanned period, recomputed here (not via plan.py) so the
    # oracle stays independent of the code it checks
    share_h = problem.duration_h * problem.crew_qty / problem.span_periods
    span = problem.span_periods
    max_span = int(span.max()) if n else 1
    cap = problem.crew_hours
    rows = np.arange(n)
    best_cost = np.inf
    best: IntArray | None = None
    for start in range(0, count, _CHUNK):
        code = np.arange(start, min(start + _CHUNK, count), dtype=np.int64)
        digits = (code[:, None] // strides[None, :]) % np.maximum(sizes, 1)[None, :]
        period = np.empty((len(code), n), dtype=np.int64)
        for i in range(n):
            period[:, i] = opts[i][digits[:, i]]
        col = np.where(period >= 0, period, n_t)
        cost = pen_ext[rows[None, :], col].sum(axis=1)
        # opened[c, k, t]: system k hosts some replacement in period t.
        opened = np.zeros((len(code), n_k, n_t + 1), dtype=bool)
        opened[np.arange(len(code))[:, None], problem.system_of[None, :], col] = True
        cost = cost + (opened[:, :, :n_t] * oc[None, :, :]).sum(axis=(1, 2))
        if len(problem.skill_ids) and problem.capacitated:
            # one pass per offset o: a job started in t loads t + o while o < its span;
            # deferred jobs and cells past the horizon land in the dump column n_t
            load = np.zeros((len(code), len(problem.skill_ids), n_t + 1))
            for o in range(min(max_span, n_t)):
                cell = np.where((period >= 0) & (o < span[None, :]), col + o, n_t)
                np.add.at(
                    load,
                    (
                        np.arange(len(code))[:, None],
                        problem.skill_of[None, :],
                        np.minimum(cell, n_t),
                    ),
                    share_h[None, :],
                )
            ok = (load[:, :, :n_t] <= cap[None] * (1 + _CAP_TOL) + _CAP_TOL).all(axis=(1, 2))
            cost = np.where(ok, cost, np.inf)
        j = int(np.argmin(cost))
        if cost[j] < best_cost:
            best_cost, best = float(cost[j]), period[j].copy()
    if best is None:
        return _infeasible(
            problem, t0, ("no assignment satisfies the crew capacities together with the pins",)
        )
    split = evaluate(problem, best)
    return Plan(
        period=best,
        objective=split["total"],
        lower_bound=split["total"],
        status=Status.OPTIMAL,
        method="brute",
        runtime_s=time.perf_counter() - t0,
        cost_split=split,
        log=(f"brute: enumerated {count} assignments",),
    )


def _infeasible(problem: PlanningProblem, t0: float, fallback: tuple[str, ...]) -> Plan:
    """The infeasible plan, explained by :func:`pinned_diagnosis` (else by ``fallback``)."""
    return Plan.infeasible(
        problem,
        method="brute",
        diagnosis=tuple(pinned_diagnosis(problem)) or fallback,
        runtime_s=time.perf_counter() - t0,
    )
