"""Helpers shared by every scheduler backend: input checks, eligibility, pinned-work
diagnosis, crews that can bind, and turning an assignment into a :class:`Plan`."""

from __future__ import annotations

import time

import numpy as np

from optimizer._typing import BoolArray, IntArray
from optimizer.problem.data import NO_PIN, PIN_BEYOND, PlanningProblem
from optimizer.problem.plan import (
    BEYOND,
    Plan,
    Status,
    crew_load_h,
    evaluate,
    spanned_min,
    violations,
)
from optimizer.problem.purchasing import must_do_shortages

__all__ = [
    "CAP_TOL",
    "binding_crew_cells",
    "check_inputs",
    "eligible_mask",
    "eligible_pairs",
    "empty_plan",
    "fallback_period",
    "period_date",
    "pinned_diagnosis",
    "plan_from_period",
    "presolved_plan",
    "trivial_lower_bound",
]

CAP_TOL = 1e-9
"""Relative (and absolute, hours) tolerance when comparing technician-hours with a crew
capacity (loads are sums of floats)."""


def check_inputs(
    problem: PlanningProblem,
    time_limit_s: float | None,
    gap: float,
    warm_start: np.ndarray | None,
    *,
    nonnegative_opening: bool = False,
) -> IntArray | None:
    """Validate solver arguments and the numeric content of ``problem``.

    Parameters
    ----------
    problem : PlanningProblem
        The instance.
    time_limit_s : float or None
        Solver time limit, seconds; ``None`` for none.
    gap : float
        Relative optimality gap at which the solver may stop, >= 0.
    warm_start : ndarray of int, shape (n,), or None
        A plan's ``period`` array (``BEYOND`` = deferred) to start from.
    nonnegative_opening : bool
        Also require ``opening_cost >= 0`` wherever a system may open (the DP's
        exactness argument needs it).

    Returns
    -------
    ndarray of int or None
        ``warm_start`` as an int64 array.

    Raises
    ------
    ValueError
        On NaN costs, negative durations, pins out of range, a non-positive time limit,
        a negative gap or a warm start of the wrong shape or range.
    """
    if time_limit_s is not None and not (time_limit_s > 0 and np.isfinite(time_limit_s)):
        raise ValueError(f"time_limit_s: must be a positive finite number, got {time_limit_s}")
    if not (gap >= 0 and np.isfinite(gap)):
        raise ValueError(f"gap: must be a finite number >= 0, got {gap}")
    for name in ("penalty", "penalty_beyond", "opening_cost", "crew_hours", "duration_h"):
        arr = getattr(problem, name)
        if np.isnan(arr).any():
            raise ValueError(f"problem.{name}: contains NaN")
    if (problem.duration_h < 0).any() or not np.isfinite(problem.duration_h).all():
        raise ValueError("problem.duration_h: must be finite and >= 0")
    if (problem.crew_qty < 0).any():
        raise ValueError("problem.crew_qty: must be >= 0")
    if (problem.crew_hours < 0).any():
        raise ValueError("problem.crew_hours: must be >= 0 (use inf for uncapacitated)")
    if (problem.penalty == -np.inf).any() or (problem.opening_cost == -np.inf).any():
        raise ValueError("problem.penalty / opening_cost: -inf is not a cost")
    if (problem.penalty_beyond == -np.inf).any():
        raise ValueError("problem.penalty_beyond: -inf is not a cost")
    if nonnegative_opening:
        usable = problem.open_allowed & np.isfinite(problem.opening_cost)
        if (problem.opening_cost[usable] < 0).any():
            k, t = np.argwhere(usable & (problem.opening_cost < 0))[0]
            raise ValueError(
                f"problem.opening_cost: must be >= 0 where the system may open; system"
                f" {problem.system_ids[k]} has {problem.opening_cost[k, t]} in period {t}"
            )
    pin = problem.pinned_period
    bad = (pin < PIN_BEYOND) | (pin >= problem.n_periods)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"problem.pinned_period: component {problem.component_ids[i]} has pin {pin[i]},"
            f" expected -2, -1 or a period in [0, {problem.n_periods})"
        )
    if warm_start is None:
        return None
    ws = np.asarray(warm_start)
    if ws.shape != (problem.n_components,):
        raise ValueError(f"warm_start: expected shape ({problem.n_components},), got {ws.shape}")
    if not np.issubdtype(ws.dtype, np.integer):
        raise ValueError(f"warm_start: expected integer periods, got dtype {ws.dtype}")
    ws = ws.astype(np.int64)
    if ((ws < BEYOND) | (ws >= problem.n_periods)).any():
        raise ValueError(f"warm_start: periods must be -1 (beyond) or in [0, {problem.n_periods})")
    return ws


def eligible_mask(problem: PlanningProblem) -> BoolArray:
    """``(n, T)``: work allowed at a finite penalty and the system may open at a finite cost.

    Pins are not applied (see :func:`eligible_pairs`).
    """
    k = problem.system_of
    out: BoolArray = (
        problem.allowed
        & problem.open_allowed[k]
        & np.isfinite(problem.penalty)
        & np.isfinite(problem.opening_cost[k])
    )
    return out


def eligible_pairs(problem: PlanningProblem, *, crew_filter: bool) -> BoolArray:
    """``(n, T)``: the pairs ``(i, t)`` a plan may use (each gets an ``x`` column).

    :func:`eligible_mask` with pins applied (a pinned component keeps only its pin; one
    pinned beyond the horizon keeps none) and, with ``crew_filter``, without the starts
    whose job alone exceeds the crew capacity of a period it would span.
    """
    elig = eligible_mask(problem)
    if crew_filter and problem.n_components and len(problem.skill_ids):
        load = problem.load_per_period_h
        # a job whose per-period share exceeds the whole capacity of its skill in some
        # period it would span can never start in t
        cap = spanned_min(problem.crew_hours, problem.skill_of, problem.span_periods)
        elig &= load[:, None] <= cap * (1 + CAP_TOL) + CAP_TOL
    pin = problem.pinned_period
    elig[pin != NO_PIN] = False
    pinned = np.flatnonzero(pin >= 0)
    elig[pinned, pin[pinned]] = True
    return np.asarray(elig, dtype=np.bool_)


def period_date(problem: PlanningProblem, t: int) -> str:
    """Start of period ``t`` for messages: the date for whole-day periods, else minutes."""
    ts = problem.local_period_start(int(t))
    if float(problem.period_h) % 24.0 == 0.0:
        return ts.date().isoformat()
    return ts.isoformat(timespec="minutes")


def pinned_diagnosis(problem: PlanningProblem) -> list[str]:
    """Infeasibilities found without solving: pins, pinned crew load, must-do work.

    Checks, in plain language: a pin to a period where the work is not allowed or its
    system may not open; a component pinned beyond the horizon that may not be
    deferred; the technician-hours of pinned work per skill and period (spread over
    the periods each job spans) against the crew capacity; a component that may not be
    deferred (infinite ``penalty_beyond``) but has no period where it could be done;
    and, when nothing of that is found and the problem models spare parts, must-do
    work whose parts cannot be on the shelf in time
    (:func:`optimizer.problem.purchasing.must_do_shortages`).  Every backend runs these
    checks first.

    Returns
    -------
    list of str
        One sentence per violated condition (empty if none found).
    """
    out: list[str] = []
    pin = problem.pinned_period
    pinned = np.flatnonzero(pin >= 0)
    for i in pinned:
        t, k, cid = int(pin[i]), int(problem.system_of[i]), problem.component_ids[i]
        if not problem.allowed[i, t] or not np.isfinite(problem.penalty[i, t]):
            out.append(
                f"component {cid} is pinned to period {t} ({period_date(problem, t)})"
                " but its work is not allowed then"
            )
        if not problem.open_allowed[k, t] or not np.isfinite(problem.opening_cost[k, t]):
            out.append(
                f"system {problem.system_ids[k]} must open in period {t}"
                f" ({period_date(problem, t)}) for pinned work on {cid} but may not open then"
            )
    for i in np.flatnonzero((pin == PIN_BEYOND) & ~np.isfinite(problem.penalty_beyond)):
        out.append(
            f"component {problem.component_ids[i]} is pinned beyond the horizon"
            " but may not be deferred (penalty_beyond is inf)"
        )
    if len(pinned) and len(problem.skill_ids):
        load = crew_load_h(problem, np.where(pin >= 0, pin, BEYOND))
        over = load > problem.crew_hours * (1 + CAP_TOL) + CAP_TOL
        span = problem.span_periods
        for s, t in np.argwhere(over):
            who = [
                problem.component_ids[i]
                for i in pinned
                if problem.skill_of[i] == s and pin[i] <= t < pin[i] + span[i]
            ]
            out.append(
                f"skill {problem.skill_ids[s]} needs {load[s, t]:.1f} h in period {t}"
                f" ({period_date(problem, t)}), has {problem.crew_hours[s, t]:.1f} h"
                f" (pinned work on {', '.join(who)})"
            )
    elig = eligible_mask(problem)
    must = np.flatnonzero((pin == NO_PIN) & ~np.isfinite(problem.penalty_beyond))
    for i in must[~elig[must].any(axis=1)]:
        out.append(
            f"component {problem.component_ids[i]} must be replaced within the horizon"
            " (penalty_beyond is inf) but has no period where its work is allowed and its"
            f" system {problem.system_ids[problem.system_of[i]]} may open"
        )
    if problem.has_parts and not out:
        out.extend(must_do_shortages(problem, eligible_pairs(problem, crew_filter=True)))
    return out


def binding_crew_cells(problem: PlanningProblem) -> list[tuple[int, int, float]]:
    """Skill/period cells whose capacity could be exceeded by eligible work.

    Returns ``(s, t, potential_h)`` for each cell where the technician-hours of all work
    that could load it (free eligible jobs plus pinned jobs) exceed the capacity.  A
    job spanning ``n_i`` periods loads cell ``t`` with its share ``d_i q_i / n_i`` when
    it can start in one of ``t - n_i + 1 .. t``; it starts at most once, so it counts
    once per cell however many of those starts are eligible.
    """
    if problem.n_components == 0 or not problem.capacitated:
        return []
    elig = eligible_pairs(problem, crew_filter=False)
    n, n_t = problem.n_components, problem.n_periods
    # covers[i, t]: some eligible start of i lies in [t - span_i + 1, t]
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(elig, axis=1)], axis=1)
    lag = np.clip(np.arange(n_t)[None, :] + 1 - problem.span_periods[:, None], 0, None)
    covers = csum[:, 1:] - np.take_along_axis(csum, lag, axis=1) > 0
    n_s = len(problem.skill_ids)
    onehot = np.zeros((n_s, n))
    onehot[problem.skill_of, np.arange(n)] = problem.load_per_period_h
    potential = onehot @ covers.astype(np.float64)
    over = potential > problem.crew_hours * (1 + CAP_TOL) + CAP_TOL
    return [(int(s), int(t), float(potential[s, t])) for s, t in np.argwhere(over)]


# --------------------------------------------------------------------------------------
# Plans, fallbacks, bounds
# --------------------------------------------------------------------------------------


def trivial_lower_bound(problem: PlanningProblem) -> float:
    """A valid lower bound without solving: each component at its cheapest option.

    ``sum_i min(min_t h_i(t) over eligible t, b_i)`` plus the negative part of opening
    costs (openings are non-negative in practice, so usually nothing).
    """
    if problem.n_components == 0:
        return 0.0
    elig = eligible_pairs(problem, crew_filter=True)
    pen = np.where(elig, problem.penalty, np.inf).min(axis=1, initial=np.inf)
    pin = problem.pinned_period
    pb = np.where(pin == NO_PIN, problem.penalty_beyond, np.inf)
    pb = np.where(pin == PIN_BEYOND, problem.penalty_beyond, pb)
    pen = np.where(pin == PIN_BEYOND, np.inf, pen)
    best = np.minimum(pen, pb)
    neg_open = np.minimum(np.where(np.isfinite(problem.opening_cost), problem.opening_cost, 0), 0)
    return float(best[np.isfinite(best)].sum() + neg_open.sum())


def fallback_period(problem: PlanningProblem, warm_start: IntArray | None) -> IntArray:
    """A plan to return when the solver stopped before finding one.

    The warm start if it is feasible; otherwise pinned work at its pin and every other
    component deferred (always feasible when pins are), or at its own cheapest eligible
    period when it may not be deferred.
    """
    if warm_start is not None and not violations(problem, warm_start):
        return warm_start
    pin = problem.pinned_period
    period = np.where(pin >= 0, pin, BEYOND).astype(np.int64)
    must = (pin == NO_PIN) & ~np.isfinite(problem.penalty_beyond)
    if must.any():
        elig = eligible_pairs(problem, crew_filter=True)
        pen = np.where(elig, problem.penalty, np.inf)
        own = np.argmin(pen, axis=1)
        ok = must & np.isfinite(pen.min(axis=1, initial=np.inf))
        period[ok] = own[ok]
    return period


def plan_from_period(
    problem: PlanningProblem,
    period: IntArray,
    *,
    status: Status,
    lower_bound: float,
    method: str,
    runtime_s: float,
    log: tuple[str, ...] = (),
) -> Plan:
    """Wrap an assignment into a :class:`Plan`, costed exactly with :func:`evaluate`.

    The bound is clipped to the objective (a solver bound can exceed the re-evaluated
    objective by rounding) and to the trivial bound from below.
    """
    cost = evaluate(problem, period)
    obj = cost["total"]
    lb = max(float(lower_bound), trivial_lower_bound(problem))
    lb = min(lb, obj)
    return Plan(
        period=period,
        objective=obj,
        lower_bound=lb,
        status=status,
        method=method,
        runtime_s=runtime_s,
        cost_split={k: v for k, v in cost.items() if k != "total"},
        log=log,
    )


def empty_plan(problem: PlanningProblem, method: str, t0: float) -> Plan:
    """The plan of an instance without components (nothing to do, cost 0)."""
    return plan_from_period(
        problem,
        np.zeros(0, dtype=np.int64),
        status=Status.OPTIMAL,
        lower_bound=0.0,
        method=method,
        runtime_s=time.perf_counter() - t0,
        log=("no components",),
    )


def presolved_plan(
    problem: PlanningProblem, *, method: str, t0: float, log: tuple[str, ...] = ()
) -> Plan | None:
    """The plan when no search is needed, else ``None``.

    The infeasible plan when :func:`pinned_diagnosis` finds a reason (with ``log``), the
    empty plan of an instance without components, otherwise ``None``.  ``t0`` is the
    :func:`time.perf_counter` instant the solve started.
    """
    pre = pinned_diagnosis(problem)
    if pre:
        return Plan.infeasible(
            problem,
            method=method,
            diagnosis=tuple(pre),
            runtime_s=time.perf_counter() - t0,
            log=log,
        )
    if problem.n_components == 0:
        return empty_plan(problem, method, t0)
    return None
