"""The shutdowns of a plan: which unit opens when, with which jobs, and their hour-level schedule.

A shutdown is the opening of one system (unit) in one period; its jobs are the
components of that system the plan replaces in that period.  This module names the
shutdowns (:func:`group_id`), lists them with their opening and risk cost
(:func:`shutdown_groups`) and schedules the jobs inside each one at the hour on the
crews' shifts (:func:`schedule_shutdowns`, CP-SAT via :mod:`optimizer.solvers.shutdown`).
:func:`optimizer.planning.pipeline.plan_scenario` calls both once per plan; the work
orders and every report read the results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from optimizer.calendar import plan_zone
from optimizer.problem.build import BuiltProblem
from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import Plan

__all__ = [
    "ShutdownGroup",
    "ShutdownResult",
    "group_id",
    "schedule_shutdowns",
    "shutdown_groups",
    "walk_shifts",
]

MAX_SHUTDOWN_DAYS = 14
"""Longest calendar, days, searched for a shutdown's hour-level schedule."""


def group_id(problem: PlanningProblem, k: int, t: int) -> str:
    """Identifier of the shutdown of system ``k`` in period ``t``: ``<unit>@<local date>``."""
    return f"{problem.system_ids[k]}@{problem.local_period_start(t):%Y-%m-%d}"


@dataclass(frozen=True)
class ShutdownGroup:
    """One shutdown of a plan (a system opened in a period) and what it costs.

    Parameters
    ----------
    group_id : str
        :func:`group_id` of the shutdown.
    unit : str
        Id of the opened system.
    start : str
        Start of the period, RFC 3339 to the minute, local time with the offset of its date.
    components : tuple of str
        Ids of the components replaced in it, in component order.
    opening_cost : float
        Cost of opening the system in that period, currency.
    penalty_cost : float
        Sum of the jobs' expected failure-risk costs ``h_i(t)`` (for a multi-year plan,
        each occurrence's interval cost relative to the long-run rate), currency.
    """

    group_id: str
    unit: str
    start: str
    components: tuple[str, ...]
    opening_cost: float
    penalty_cost: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (``groups`` of ``plan.json``)."""
        return {
            "group_id": self.group_id,
            "unit": self.unit,
            "start": self.start,
            "components": list(self.components),
            "opening_cost": self.opening_cost,
            "penalty_cost": self.penalty_cost,
        }


def shutdown_groups(
    built: BuiltProblem,
    plan: Plan,
    occurrence_cost: Mapping[tuple[str, str], float] | None = None,
) -> tuple[ShutdownGroup, ...]:
    """Every shutdown of a feasible plan, sorted by start then id.

    Parameters
    ----------
    built : BuiltProblem
        The problem the plan solves.
    plan : Plan
        A plan of ``built.problem``; with ``replacements`` (multi-year) every
        occurrence counts.
    occurrence_cost : mapping of (component id, group id) to float, optional
        Multi-year plans only: the risk cost of each occurrence (currency); missing
        occurrences count 0.  Next-replacement plans use ``penalty[i, t]``.

    Returns
    -------
    tuple of ShutdownGroup
    """
    pb = built.problem
    if plan.replacements is not None:
        pairs = [(int(i), int(t)) for i, t in plan.replacements]
    else:
        pairs = [(int(i), int(plan.period[i])) for i in np.flatnonzero(plan.period >= 0)]
    rows: dict[str, dict[str, Any]] = {}
    for i, t in pairs:
        k = int(pb.system_of[i])
        gid = group_id(pb, k, t)
        row = rows.setdefault(
            gid,
            {
                "group_id": gid,
                "unit": pb.system_ids[k],
                "start": pb.local_period_start(t).isoformat(timespec="minutes"),
                "components": [],
                "opening_cost": float(pb.opening_cost[k, t]),
                "penalty_cost": 0.0,
            },
        )
        row["components"].append(pb.component_ids[i])
        if plan.replacements is not None:
            row["penalty_cost"] += (occurrence_cost or {}).get((pb.component_ids[i], gid), 0.0)
        else:
            row["penalty_cost"] += float(pb.penalty[i, t])
    return tuple(
        ShutdownGroup(**{**r, "components": tuple(r["components"])})
        for r in sorted(rows.values(), key=lambda r: (r["start"], r["group_id"]))
    )


@dataclass(frozen=True)
class ShutdownResult:
    """Hour-level schedule of one shutdown (one opened unit in one period).

    Parameters
    ----------
    group_id : str
        :func:`group_id` of the shutdown.
    slots : dict of str to (float, float)
        Component id -> (start, finish) of its job, hours from the period start.
    makespan_h : float
        Duration of the shutdown, hours from the period start to the last finish.
    status : str
        Status of the scheduler (``optimal``, ``feasible`` ...).
    """

    group_id: str
    slots: dict[str, tuple[float, float]]
    makespan_h: float
    status: str


def _pool_calendar(
    built: BuiltProblem, key: str, origin: datetime, days: int
) -> tuple[int, list[tuple[float, float]]]:
    """Headcount and shifts of a skill pool over ``days`` days from ``origin``.

    The shifts are the union of its crews' shifts (a weekend crew covers the days the
    weekday crew is off); the headcount is the fewest technicians on shift at any
    working hour (:meth:`optimizer.calendar.SkillPool.on_shift`), so that a job is never
    given more technicians than are on shift when it runs.
    """
    pool = built.pools[built.skill_keys.index(key)]
    end = origin + timedelta(days=days)
    tz = plan_zone(built.scenario.calendar)
    _, heads = pool.on_shift(origin, end, tz)
    if not heads.size:
        # nobody on shift in these days: no calendar to place the jobs on
        return min(c.headcount for c in pool.crews), []
    shifts = pool.intervals(origin, end, tz)
    return int(heads.min()), [(float(a), float(b)) for a, b in shifts]


def walk_shifts(shifts: list[tuple[float, float]], duration_h: float) -> tuple[float, float]:
    """Start and finish of one job worked from the first shift on, pausing between shifts.

    Parameters
    ----------
    shifts : list of (float, float)
        Sorted, disjoint working intervals, hours from the shutdown's start.
    duration_h : float
        Working hours the job needs.

    Returns
    -------
    (float, float)
        Start and finish, hours; ``(inf, inf)`` when the shifts hold fewer than
        ``duration_h`` hours.
    """
    left = duration_h
    start = float("inf")
    for a, b in shifts:
        start = min(start, a)
        if b - a >= left:
            return start, a + left
        left -= b - a
    return float("inf"), float("inf")


def schedule_shutdowns(
    built: BuiltProblem, plan: Plan, *, time_limit_s: float = 2.0
) -> dict[str, ShutdownResult]:
    """Hour-level schedule of every shutdown of a next-replacement plan.

    Jobs are placed on their skill pool's shifts, at most ``headcount`` technicians of
    a skill at once, minimizing the shutdown's duration (CP-SAT per shutdown,
    :func:`optimizer.solvers.shutdown.schedule_shutdown`); a shutdown of one job
    needs no search (:func:`walk_shifts`).

    Parameters
    ----------
    built : BuiltProblem
        The problem the plan solves (fleet model, crews).
    plan : Plan
        A feasible plan of ``built.problem``.
    time_limit_s : float
        CP-SAT time limit per shutdown, seconds.

    Returns
    -------
    dict of str to ShutdownResult
        By :func:`group_id`.  A shutdown whose jobs cannot be placed within
        :data:`MAX_SHUTDOWN_DAYS` days is missing (its jobs keep period-start times).
    """
    # ortools stays out of start-up: only plans with shutdowns to schedule load it.
    from optimizer.solvers.shutdown import CrewCalendar, ShutdownJob, schedule_shutdown

    pb = built.problem
    fm = built.fleet
    groups: dict[tuple[int, int], list[int]] = {}
    for j in np.flatnonzero(plan.period >= 0):
        groups.setdefault((int(pb.system_of[j]), int(plan.period[j])), []).append(int(j))
    out: dict[str, ShutdownResult] = {}
    for (k, t), members in groups.items():
        origin = pb.period_start(t)
        days = max(2, int(np.ceil(fm.pm_duration_h[members].sum() / 8.0)) + 2)
        days = min(days, MAX_SHUTDOWN_DAYS)
        jobs = []
        crews: dict[str, CrewCalendar] = {}
        for i in members:
            key = pb.skill_ids[pb.skill_of[i]]
            if key not in crews:
                head, shifts = _pool_calendar(built, key, origin, days)
                crews[key] = CrewCalendar(head, shifts)
            jobs.append(
                ShutdownJob(
                    pb.component_ids[i],
                    float(fm.pm_duration_h[i]),
                    key,
                    int(pb.crew_qty[i]),
                )
            )
        gid = group_id(pb, k, t)
        if len(jobs) == 1 and jobs[0].crew_qty <= crews[jobs[0].skill].headcount:
            # One job needs no search: it starts with the first shift and pauses between.
            shifts = list(crews[jobs[0].skill].shifts_h or [(0.0, float("inf"))])
            a, b = walk_shifts(shifts, jobs[0].duration_h)
            if np.isfinite(b):
                out[gid] = ShutdownResult(gid, {jobs[0].job_id: (a, b)}, b, "optimal")
            continue
        res = schedule_shutdown(jobs, crews, time_limit_s=time_limit_s)
        if not np.isfinite(res.makespan_h):
            continue
        out[gid] = ShutdownResult(
            gid,
            {j.job_id: (res.start_h[j.job_id], res.finish_h[j.job_id]) for j in jobs},
            float(res.makespan_h),
            str(res.status),
        )
    return out
