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

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from optimizer.calendar import MAX_SHUTDOWN_DAYS, hours_between, plan_zone, windows_until
from optimizer.problem.build import BuiltProblem
from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import Plan
from optimizer.scenario import System

if TYPE_CHECKING:
    from optimizer.solvers.shutdown import CrewCalendar, ShutdownJob

__all__ = [
    "ShutdownGroup",
    "ShutdownResult",
    "group_id",
    "schedule_shutdowns",
    "shutdown_groups",
    "walk_shifts",
    "window_close",
]


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
        # a long job's own stop (PlanningProblem.stop_cost) is part of the opening's
        # production lost, not of its penalty
        stop = float(pb.stop_cost[i, t]) if pb.stop_cost is not None else 0.0
        if plan.replacements is not None:
            row["penalty_cost"] += (occurrence_cost or {}).get((pb.component_ids[i], gid), 0.0)
        else:
            row["opening_cost"] += stop
            row["penalty_cost"] += float(pb.penalty[i, t]) - stop
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
        Status of the scheduler (``optimal``, ``time_limit``; ``infeasible`` when no
        schedule gives every job its technicians and the jobs run one after another).
    notes : tuple of str
        What the plan should say about it: a start moved to a window's opening or to
        the end of the unit's previous shutdown, a crew the jobs overbook.
    """

    group_id: str
    slots: dict[str, tuple[float, float]]
    makespan_h: float
    status: str
    notes: tuple[str, ...] = ()


Booking = tuple[datetime, datetime, int]
"""Technicians of a skill pool held from one instant to another by a scheduled job."""


def _pool_calendar(
    built: BuiltProblem, key: str, origin: datetime, days: int, booked: list[Booking]
) -> CrewCalendar:
    """Free technicians of a skill pool over ``days`` days from ``origin``.

    The shifts are the pool's working segments (its crews' shifts laid together: a
    weekend crew covers the days the weekday crew is off), each with the technicians
    on shift (:meth:`optimizer.calendar.SkillPool.on_shift`) minus those ``booked`` by
    shutdowns already scheduled; a job is never given more technicians than are free
    while it runs, on any shift it works through.
    """
    # ortools stays out of start-up: only plans with shutdowns to schedule load it.
    from optimizer.solvers.shutdown import CrewCalendar

    pool = built.pools[built.skill_keys.index(key)]
    end = origin + timedelta(days=days)
    tz = plan_zone(built.scenario.calendar)
    seg, heads = pool.on_shift(origin, end, tz)
    if not heads.size:
        # nobody on shift in these days: no calendar to place the jobs on
        return CrewCalendar(min(c.headcount for c in pool.crews), [])
    held = [(hours_between(origin, a), hours_between(origin, b), q) for a, b, q in booked]
    held = [(a, b, q) for a, b, q in held if b > 0 and a < float(seg[-1, 1])]
    # cut the segments where a booking starts or ends, then count what is still free
    cuts = np.unique(np.concatenate([seg.ravel(), [x for a, b, _ in held for x in (a, b)]]))
    shifts: list[tuple[float, float]] = []
    free: list[int] = []
    for (a, b), h in zip(seg.tolist(), heads.tolist(), strict=True):
        inner = cuts[(cuts > a) & (cuts < b)].tolist()
        for u, v in itertools.pairwise([a, *inner, b]):
            mid = 0.5 * (u + v)
            busy = sum(q for x, y, q in held if x <= mid < y)
            shifts.append((u, v))
            free.append(max(int(h) - busy, 0))
    return CrewCalendar(int(heads.max()), shifts, free)


def _window_opening(built: BuiltProblem, system: System, t: int) -> datetime | None:
    """When the window the shutdown's opening is priced at opens, if after the period start.

    The opening is priced at a window's factors when the window covers at least half of
    the period (:func:`optimizer.calendar.window_factors`); the work must then not start
    before the window opens.
    """
    pb = built.problem
    a, b = pb.period_start(t), pb.period_start(t + 1)
    opens = [
        w.start
        for w in windows_until(system, b)
        if hours_between(max(a, w.start), min(b, w.end)) / hours_between(a, b) >= 0.5 - 1e-9
        and w.start > a
    ]
    return min(opens) if opens else None


def window_close(built: BuiltProblem, system: System, t: int) -> datetime | None:
    """When the last window the opening of period ``t`` is priced at closes (``None``: none).

    A shutdown priced at a window's factors (the window covers at least half of the
    period) must lie inside it (:func:`optimizer.check.check_plan` says so otherwise).
    """
    pb = built.problem
    a, b = pb.period_start(t), pb.period_start(t + 1)
    ends = [
        w.end
        for w in system.windows
        if hours_between(max(a, w.start), min(b, w.end)) / hours_between(a, b) >= 0.5 - 1e-9
    ]
    return max(ends) if ends else None


def _walk(
    shifts: Sequence[tuple[float, float]], start_h: float, duration_h: float
) -> tuple[tuple[float, float], ...] | None:
    """Intervals of a job worked through every shift from ``start_h`` on (None: too short)."""
    left = duration_h
    out: list[tuple[float, float]] = []
    for a, b in shifts:
        a = max(a, start_h)
        if b <= a:
            continue
        take = min(b - a, left)
        out.append((a, a + take))
        left -= take
        if left <= 1e-9:
            return tuple(out)
    return None


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
    segs = _walk(shifts, 0.0, duration_h)
    return (float("inf"), float("inf")) if segs is None else (segs[0][0], segs[-1][1])


Segments = dict[str, tuple[tuple[float, float], ...]]
"""Job id -> intervals in which it is worked, hours from the shutdown's start."""


def _is_wide(built: BuiltProblem, job: ShutdownJob, origin: datetime, days: int) -> bool:
    """Whether some shift of the job's pool in the ``days`` from ``origin`` has fewer
    technicians on shift than the job needs (it must pause through those)."""
    pool = built.pools[built.skill_keys.index(job.skill)]
    tz = plan_zone(built.scenario.calendar)
    _, heads = pool.on_shift(origin, origin + timedelta(days=days), tz)
    return bool(heads.size) and int(heads.min()) < job.crew_qty


def _wide_walk(
    built: BuiltProblem, job: ShutdownJob, origin: datetime, days: int, booked: list[Booking]
) -> tuple[tuple[float, float], ...] | None:
    """Earliest walk of a job through the shifts that have its crew on shift.

    The job is worked on every shift of its pool with at least ``crew_qty``
    technicians on shift, from its start until its hours are done, and pauses through
    the others (the convention of :meth:`optimizer.calendar.SkillPool.staffable` and of
    the plan checker); it starts at the first such shift from which ``crew_qty``
    technicians are free (not ``booked``) on every one it works through.

    Returns
    -------
    tuple of (float, float) or None
        Worked intervals, hours from ``origin``; ``None``: no start in ``days`` days.
    """
    pool = built.pools[built.skill_keys.index(job.skill)]
    tz = plan_zone(built.scenario.calendar)
    seg, heads = pool.on_shift(origin, origin + timedelta(days=days), tz)
    keep = heads >= job.crew_qty
    seg, heads = seg[keep], heads[keep]
    held = [(hours_between(origin, a), hours_between(origin, b), q) for a, b, q in booked]
    cuts = np.unique(np.concatenate([seg.ravel(), [x for a, b, _ in held for x in (a, b)]]))
    pieces: list[tuple[float, float, int]] = []
    for (a, b), h in zip(seg.tolist(), heads.tolist(), strict=True):
        inner = cuts[(cuts > a) & (cuts < b)].tolist()
        for u, v in itertools.pairwise([a, *inner, b]):
            mid = 0.5 * (u + v)
            pieces.append((u, v, int(h) - sum(q for x, y, q in held if x <= mid < y)))
    for first in range(len(pieces)):
        left = job.duration_h
        out: list[tuple[float, float]] = []
        for u, v, free in pieces[first:]:
            if free < job.crew_qty:
                break
            take = min(v - u, left)
            out.append((u, u + take))
            left -= take
            if left <= 1e-9:
                return tuple(out)
    return None


def _schedule(
    jobs: list[ShutdownJob],
    crews: Mapping[str, CrewCalendar],
    time_limit_s: float,
) -> tuple[str, Segments] | None:
    """Jobs placed on the free technicians of their skills, shortest shutdown first."""
    job = jobs[0]
    cal = crews[job.skill]
    free = cal.heads if cal.heads is not None else [cal.headcount]
    if len(jobs) == 1 and cal.shifts_h and job.crew_qty <= min(free, default=0):
        # One job needs no search: it starts with the first shift and pauses between.
        segs = _walk(cal.shifts_h, 0.0, job.duration_h)
        if segs is not None:
            return "optimal", {job.job_id: segs}
    # ortools stays out of start-up: only plans with shutdowns to schedule load it.
    from optimizer.solvers.shutdown import schedule_shutdown

    res = schedule_shutdown(jobs, crews, time_limit_s=time_limit_s)
    if not np.isfinite(res.makespan_h):
        return None
    return str(res.status), res.segments_h


def _serial(
    jobs: list[ShutdownJob], crews: Mapping[str, CrewCalendar], notes: list[str]
) -> tuple[str, Segments] | None:
    """Fallback: each skill's jobs one after another on its shifts, whoever is free.

    Times stay true (work only on shifts, finish when the hours are done); the crew
    may be overbooked, which ``notes`` says.
    """
    out: Segments = {}
    at: dict[str, float] = {}
    for job in jobs:
        cal = crews[job.skill]
        segs = _walk(cal.shifts_h or [], at.get(job.skill, 0.0), job.duration_h)
        if segs is None:
            return None
        out[job.job_id] = segs
        at[job.skill] = segs[-1][1]
    short = sorted(
        {
            f"{j.job_id} needs {j.crew_qty} {j.skill} technicians at once"
            for j in jobs
            if crews[j.skill].heads is not None and min(crews[j.skill].heads or [0]) < j.crew_qty
        }
    )
    notes.append(
        "no schedule gives every job its technicians on every shift it works through"
        f" ({'; '.join(short) or 'crew fully booked'}); the jobs run one after another"
        " and overbook the crew"
    )
    return "infeasible", out


def schedule_shutdowns(
    built: BuiltProblem, plan: Plan, *, time_limit_s: float = 2.0
) -> dict[str, ShutdownResult]:
    """Hour-level schedule of every shutdown of a plan.

    A next-replacement plan has one job per replaced component; a multi-year plan
    (``plan.replacements``) one per replacement, a position's jobs in different
    shutdowns (so ``slots`` stay keyed by component id within a shutdown).

    The shutdowns are scheduled one after another in time order, each on the
    technicians the earlier ones left free (one crew is never booked twice), its jobs
    working through their skill pool's shifts, never more technicians at once than
    are free on a shift, minimizing the shutdown's duration (CP-SAT per shutdown,
    :func:`optimizer.solvers.shutdown.schedule_shutdown`; one job needs no search).
    A shutdown starts at its period's start, or later: when the maintenance window
    its opening is priced at opens, or when the unit's previous shutdown ends (a long
    job running into the next opening); its ``notes`` say so.  A job finishes when
    its hours are worked on the shifts; when no schedule gives the jobs their
    technicians, they run one after another per skill and ``notes`` say the crew is
    overbooked.

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
        By :func:`group_id`; ``slots`` and ``makespan_h`` in hours from the period
        start.  A shutdown whose jobs do not fit the shifts of
        :data:`MAX_SHUTDOWN_DAYS` days is missing (its jobs keep period-start times).
    """
    # ortools stays out of start-up: only plans with shutdowns to schedule load it.
    from optimizer.solvers.shutdown import ShutdownJob

    pb = built.problem
    fm = built.fleet
    systems = {sys.id: sys for _, sys in built.scenario.systems()}
    groups: dict[tuple[int, int], list[int]] = {}
    if plan.replacements is not None:
        # a multi-year plan: every replacement of every position is a job
        rep = [(int(i), int(t)) for i, t in plan.replacements]
    else:
        rep = [(int(j), int(plan.period[j])) for j in np.flatnonzero(plan.period >= 0)]
    for j, t in rep:
        groups.setdefault((int(pb.system_of[j]), t), []).append(j)
    booked: dict[str, list[Booking]] = {}
    unit_free: dict[int, datetime] = {}
    out: dict[str, ShutdownResult] = {}
    # In time order, each shutdown on the technicians the earlier ones left free.
    for (k, t), members in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        gid = group_id(pb, k, t)
        period_start = pb.period_start(t)
        origin = period_start
        notes: list[str] = []
        window = _window_opening(built, systems[fm.components[members[0]].system_id], t)
        if window is not None:
            origin = window
            notes.append(
                "starts when the maintenance window opens"
                f" ({pb.local(window).isoformat(timespec='minutes')}),"
                " as its opening is priced at the window's factors"
            )
        if k in unit_free and unit_free[k] > origin:
            origin = unit_free[k]
            notes.append(
                f"waits until {pb.local(origin).isoformat(timespec='minutes')}, when the"
                f" previous shutdown of {pb.system_ids[k]} ends (its work runs past this"
                " period's start)"
            )
        offset = hours_between(period_start, origin)
        days = max(2, int(np.ceil(fm.pm_duration_h[members].sum() / 8.0)) + 2)
        days = min(days, MAX_SHUTDOWN_DAYS)
        jobs = []
        crews: dict[str, CrewCalendar] = {}
        for i in members:
            key = pb.skill_ids[pb.skill_of[i]]
            if key not in crews:
                crews[key] = _pool_calendar(built, key, origin, days, booked.get(key, []))
            jobs.append(
                ShutdownJob(
                    pb.component_ids[i], float(fm.pm_duration_h[i]), key, int(pb.crew_qty[i])
                )
            )
        # jobs that need more technicians than some shifts have go first, worked only
        # on the shifts that staff them; the others are placed on what they leave free
        wide: Segments = {}
        for job in [j for j in jobs if _is_wide(built, j, origin, days)]:
            segs = _wide_walk(built, job, origin, MAX_SHUTDOWN_DAYS, booked.get(job.skill, []))
            if segs is None:
                continue  # left to the scheduler below, which says the crew is overbooked
            wide[job.job_id] = segs
            booked.setdefault(job.skill, []).extend(
                (origin + timedelta(hours=a), origin + timedelta(hours=b), job.crew_qty)
                for a, b in segs
            )
            notes.append(
                f"{job.job_id} needs {job.crew_qty} {job.skill} technicians at once: it is"
                " worked only on the shifts with that many on shift and pauses through the"
                " others"
            )
        rest = [j for j in jobs if j.job_id not in wide]
        if wide:
            crews = {
                key: _pool_calendar(built, key, origin, days, booked.get(key, [])) for key in crews
            }
        found = _schedule(rest, crews, time_limit_s) if rest else ("optimal", {})
        if found is None and days < MAX_SHUTDOWN_DAYS:
            # the technicians earlier shutdowns hold may push the work further out
            days = MAX_SHUTDOWN_DAYS
            crews = {
                key: _pool_calendar(built, key, origin, days, booked.get(key, [])) for key in crews
            }
            found = _schedule(jobs, crews, time_limit_s)
        if found is None:
            found = _serial(rest, crews, notes)
        if found is None:
            continue
        status, segments = found
        segments = {**segments, **wide}
        slots: dict[str, tuple[float, float]] = {}
        for job in jobs:
            segs = segments[job.job_id]
            if job.job_id in wide:
                slots[job.job_id] = (offset + segs[0][0], offset + segs[-1][1])
                continue  # booked above
            slots[job.job_id] = (offset + segs[0][0], offset + segs[-1][1])
            booked.setdefault(job.skill, []).extend(
                (origin + timedelta(hours=a), origin + timedelta(hours=b), job.crew_qty)
                for a, b in segs
                if b > a
            )
        makespan = max(b for _, b in slots.values())
        unit_free[k] = period_start + timedelta(hours=makespan)
        first = min(a for a, _ in slots.values())
        length = hours_between(period_start, pb.period_start(t + 1))
        if first >= length and offset < length:
            begin = pb.local(period_start + timedelta(hours=first))
            notes.append(
                f"starts {begin.isoformat(timespec='minutes')},"
                " after its period: no earlier shifts give its jobs their technicians"
            )
        out[gid] = ShutdownResult(gid, slots, makespan, status, tuple(notes))
    return out
