"""Hour-level schedule of the work inside one opened shutdown.

Given the jobs of a shutdown (duration, crew skill, technicians needed at once) and,
per skill, a crew (headcount) with a shift calendar (the hours, counted from the start
of the shutdown, when that crew works), place every job so that no skill ever uses
more technicians than it has, work happens only inside shifts, and the shutdown ends as
early as possible (its duration is what costs lost production).

Shift rule (chosen and documented here): **a job may pause at the end of a shift and
resumes at the start of the next shift of its skill, with the same number of
technicians**.  A long job (a 10 h overhaul with 8 h shifts) is thus feasible, and
during a break the crew holds nothing.  Because only the crew's working hours matter,
each skill is scheduled in its own *working-time* axis (the calendar's shifts laid end
to end): there a pausing job is an ordinary interval, and the skill's crew is a
cumulative resource of capacity ``headcount``; a shift with fewer free technicians
(``CrewCalendar.heads``: fewer crews on shift, or technicians held by another shutdown)
holds the missing ones as a fixed load, so a job never works through a shift that
cannot staff it.  The real clock is recovered by mapping
working time back through the calendar (monotone), so minimizing each skill's
working-time makespan minimizes the real shutdown duration.  Skills share no
constraint (no precedences between jobs are modelled), so the skills are independent
sub-problems solved in one CP-SAT model (:func:`optimizer.solvers.cpsat.min_makespan_cumulative`).

Times are handled in whole minutes: durations are rounded up, shift starts up and shift
ends down to the minute.  CP-SAT then works in units of the greatest common divisor of
the durations (exact, see the comment in :func:`schedule_shutdown`).

References
----------
.. [1] P. Baptiste, C. Le Pape, W. Nuijten, "Constraint-Based Scheduling", Kluwer (2001).
.. [2] E. L. Lawler, J. K. Lenstra, A. H. G. Rinnooy Kan, D. B. Shmoys, "Sequencing and
   scheduling: algorithms and complexity", Handbooks in OR & MS 4 (1993) -- lower
   bounds for makespan on parallel resources.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from optimizer._typing import IntArray
from optimizer.problem.plan import Status
from optimizer.solvers.cpsat import min_makespan_cumulative

__all__ = ["CrewCalendar", "ShutdownJob", "ShutdownSchedule", "schedule_shutdown"]

MINUTES_PER_H = 60


@dataclass(frozen=True)
class ShutdownJob:
    """One job of the shutdown.

    Parameters
    ----------
    job_id : str
        Identifier (unique within the shutdown).
    duration_h : float
        Working time the job needs, hours (>= 0).
    skill : str
        Crew skill that does it.
    crew_qty : int
        Technicians of that skill it needs at the same time (>= 1).
    """

    job_id: str
    duration_h: float
    skill: str
    crew_qty: int = 1


@dataclass(frozen=True)
class CrewCalendar:
    """The crew of one skill during the shutdown.

    Parameters
    ----------
    headcount : int
        Technicians available in every shift (>= 0).
    shifts_h : sequence of (float, float) or None
        Working intervals ``[start, end)``, hours from the start of the shutdown,
        non-overlapping (stored sorted, as a tuple); ``None`` means the crew is
        available around the clock.
    heads : sequence of int or None
        Technicians free in each interval of ``shifts_h`` (same order as given,
        ``0 <= heads <= headcount``): fewer crews on shift, or technicians already
        booked by other work.  ``None``: ``headcount`` in every shift.  A job works
        through every shift from its start (it pauses only where no shift is listed),
        so it never runs through a shift with fewer free technicians than it needs.
    """

    headcount: int
    shifts_h: Sequence[tuple[float, float]] | None = None
    heads: Sequence[int] | None = None

    def __post_init__(self) -> None:
        if self.headcount < 0:
            raise ValueError(f"headcount: must be >= 0, got {self.headcount}")
        if self.shifts_h is None:
            if self.heads is not None:
                raise ValueError("heads: needs shifts_h")
            return
        shifts = tuple((float(a), float(b)) for a, b in self.shifts_h)
        heads = (
            tuple(self.headcount for _ in shifts)
            if self.heads is None
            else tuple(int(h) for h in self.heads)
        )
        if len(heads) != len(shifts):
            raise ValueError(f"heads: {len(heads)} values for {len(shifts)} shifts")
        for a, b in shifts:
            if not (np.isfinite(a) and np.isfinite(b) and 0 <= a < b):
                raise ValueError(f"shifts_h: interval ({a}, {b}) must satisfy 0 <= start < end")
        for h in heads:
            if not 0 <= h <= self.headcount:
                raise ValueError(f"heads: {h} must be in [0, headcount={self.headcount}]")
        order = sorted(range(len(shifts)), key=lambda j: shifts[j])
        shifts = tuple(shifts[j] for j in order)
        for (_, b0), (a1, _) in itertools.pairwise(shifts):
            if a1 < b0:
                raise ValueError(f"shifts_h: intervals overlap at hour {a1}")
        object.__setattr__(self, "shifts_h", shifts)
        object.__setattr__(
            self, "heads", None if self.heads is None else tuple(heads[j] for j in order)
        )


@dataclass(frozen=True)
class ShutdownSchedule:
    """Hour-level schedule of one shutdown.

    Attributes
    ----------
    start_h, finish_h : dict of str to float
        First and last working instant of each job, hours from the shutdown start.
    segments_h : dict of str to tuple of (float, float)
        The intervals in which each job is actually worked (several if it pauses).
    makespan_h : float
        Duration of the shutdown: latest finish, hours (``inf`` if no schedule).
    lower_bound_h : float
        Proven lower bound on the shortest possible duration, hours.
    status : Status
        ``OPTIMAL``, ``TIME_LIMIT`` (best found, not proven) or ``INFEASIBLE``.
    diagnosis : tuple of str
        Plain-language reasons when infeasible.
    runtime_s : float
        Wall-clock time, seconds.
    """

    start_h: dict[str, float]
    finish_h: dict[str, float]
    segments_h: dict[str, tuple[tuple[float, float], ...]]
    makespan_h: float
    lower_bound_h: float
    status: Status
    diagnosis: tuple[str, ...] = ()
    runtime_s: float = 0.0
    log: tuple[str, ...] = field(default_factory=tuple)


class _Calendar:
    """Maps a skill's working time (minutes) to the real clock (minutes)."""

    def __init__(self, cal: CrewCalendar) -> None:
        if cal.shifts_h is None:
            self.a = np.array([0], dtype=np.int64)
            self.b = np.array([np.iinfo(np.int64).max // 4], dtype=np.int64)
            self.total: int | None = None
        else:
            a = np.array(
                [math.ceil(s * MINUTES_PER_H - 1e-9) for s, _ in cal.shifts_h], dtype=np.int64
            )
            b = np.array(
                [math.floor(e * MINUTES_PER_H + 1e-9) for _, e in cal.shifts_h], dtype=np.int64
            )
            heads = np.array(
                cal.heads if cal.heads is not None else [cal.headcount] * len(a), dtype=np.int64
            ).reshape(-1)
            keep = b > a
            self.a, self.b = a[keep], b[keep]
            self.short = cal.headcount - heads[keep]
            if not len(self.a):  # no usable shift: a single empty one keeps the maps defined
                self.a = self.b = np.zeros(1, dtype=np.int64)
                self.short = np.zeros(1, dtype=np.int64)
            self.total = int((self.b - self.a).sum())
        if cal.shifts_h is None:
            self.short = np.zeros(1, dtype=np.int64)
        lengths = self.b - self.a
        self.cum_end = np.cumsum(lengths)
        self.cum_start = self.cum_end - lengths

    def blocked(self) -> list[tuple[int, int, int]]:
        """Working-time minutes ``(start, end, technicians)`` missing from the headcount."""
        return [
            (int(u), int(v), int(q))
            for u, v, q in zip(
                self.cum_start.tolist(), self.cum_end.tolist(), self.short.tolist(), strict=True
            )
            if q > 0 and v > u
        ]

    def real_start(self, w: IntArray) -> IntArray:
        """Real minute at which work resumes at working minute ``w`` (right-continuous)."""
        j = np.minimum(np.searchsorted(self.cum_end, w, side="right"), len(self.a) - 1)
        return np.asarray(self.a[j] + (w - self.cum_start[j]), dtype=np.int64)

    def real_end(self, w: IntArray) -> IntArray:
        """Real minute at which working minute ``w`` is reached (left-continuous)."""
        j = np.minimum(np.searchsorted(self.cum_end, w, side="left"), len(self.a) - 1)
        return np.asarray(self.a[j] + (w - self.cum_start[j]), dtype=np.int64)

    def segments(self, w0: int, w1: int) -> tuple[tuple[float, float], ...]:
        """Real intervals (hours) covered by working interval ``[w0, w1)``."""
        if w1 <= w0:
            r = float(self.real_start(np.array([w0]))[0]) / MINUTES_PER_H
            return ((r, r),)
        lo = np.maximum(self.cum_start, w0)
        hi = np.minimum(self.cum_end, w1)
        on = hi > lo
        a = self.a[on] + (lo[on] - self.cum_start[on])
        b = self.a[on] + (hi[on] - self.cum_start[on])
        return tuple(
            (float(x) / MINUTES_PER_H, float(y) / MINUTES_PER_H)
            for x, y in zip(a.tolist(), b.tolist(), strict=True)
        )


def _validate(jobs: Sequence[ShutdownJob], time_limit_s: float | None) -> None:
    ids = [j.job_id for j in jobs]
    if len(set(ids)) != len(ids):
        raise ValueError("jobs: job_id values must be unique")
    for j in jobs:
        if not (np.isfinite(j.duration_h) and j.duration_h >= 0):
            raise ValueError(f"jobs[{j.job_id}].duration_h: must be finite and >= 0")
        if j.crew_qty < 1:
            raise ValueError(f"jobs[{j.job_id}].crew_qty: must be >= 1")
    if time_limit_s is not None and not (time_limit_s > 0):
        raise ValueError(f"time_limit_s: must be > 0, got {time_limit_s}")


def _diagnose(
    jobs: Sequence[ShutdownJob],
    crews: Mapping[str, CrewCalendar],
    cals: Mapping[str, _Calendar],
    dur_min: IntArray,
) -> list[str]:
    out: list[str] = []
    for j, d in zip(jobs, dur_min.tolist(), strict=True):
        crew = crews.get(j.skill)
        if crew is None:
            out.append(f"job {j.job_id} needs skill {j.skill}, but no crew of that skill is listed")
            continue
        if j.crew_qty > crew.headcount:
            out.append(
                f"job {j.job_id} needs {j.crew_qty} {j.skill} technicians at once,"
                f" the crew has {crew.headcount}"
            )
        total = cals[j.skill].total
        if total is not None and d > total:
            out.append(
                f"job {j.job_id} needs {d / MINUTES_PER_H:.1f} h of work, the {j.skill} shifts"
                f" offer {total / MINUTES_PER_H:.1f} h in total"
            )
    if out:
        return out
    for skill, cal in cals.items():
        if cal.total is None:
            continue
        need = sum(
            d * j.crew_qty for j, d in zip(jobs, dur_min.tolist(), strict=True) if j.skill == skill
        )
        have = crews[skill].headcount * cal.total
        if need > have:
            out.append(
                f"skill {skill} needs {need / MINUTES_PER_H:.1f} technician-hours, its shifts offer"
                f" {have / MINUTES_PER_H:.1f} h ({crews[skill].headcount} technicians x"
                f" {cal.total / MINUTES_PER_H:.1f} h)"
            )
    return out


def _working_lower_bound(dur: IntArray, qty: IntArray, cap: int) -> int:
    """Lower bound on one skill's working-time makespan.

    The largest of: the longest job; the technician-minutes divided by the headcount;
    the total duration of the jobs that need more than half the crew (no two of them
    can run at the same time).
    """
    if not len(dur):
        return 0
    energy = math.ceil(int((dur * qty).sum()) / max(cap, 1))
    big = int(dur[2 * qty > cap].sum())
    return max(int(dur.max()), energy, big)


def schedule_shutdown(
    jobs: Sequence[ShutdownJob],
    crews: Mapping[str, CrewCalendar],
    *,
    time_limit_s: float | None = 10,
) -> ShutdownSchedule:
    """Schedule the jobs of one shutdown at minute resolution, minimizing its duration.

    Parameters
    ----------
    jobs : sequence of ShutdownJob
        The work to do in this shutdown.
    crews : mapping of str to CrewCalendar
        Crew of each skill (headcount and shifts).
    time_limit_s : float or None
        CP-SAT *deterministic* time budget (``max_deterministic_time``, about seconds
        on an idle machine), not a wall-clock limit: the same shutdown gets the same
        schedule whatever the machine's load.

    Returns
    -------
    ShutdownSchedule
        ``OPTIMAL`` or ``TIME_LIMIT`` with start/finish/segments per job, or
        ``INFEASIBLE`` with a diagnosis (a job needing more technicians than exist, a
        missing skill, shifts too short for the work).  At a time limit without a
        CP-SAT solution, the jobs of each skill are run one after another if that fits
        its shifts.

    Raises
    ------
    ValueError
        On duplicate job ids, negative or non-finite durations, ``crew_qty < 1`` or a
        non-positive time limit.
    """
    t0 = time.perf_counter()
    _validate(jobs, time_limit_s)
    cals = {s: _Calendar(c) for s, c in crews.items()}
    dur = np.array(
        [math.ceil(j.duration_h * MINUTES_PER_H - 1e-9) for j in jobs], dtype=np.int64
    ).reshape(-1)
    diag = _diagnose(jobs, crews, cals, dur)
    if diag:
        return ShutdownSchedule(
            {},
            {},
            {},
            float("inf"),
            float("inf"),
            Status.INFEASIBLE,
            tuple(diag),
            time.perf_counter() - t0,
        )
    if not jobs:
        return ShutdownSchedule({}, {}, {}, 0.0, 0.0, Status.OPTIMAL, (), time.perf_counter() - t0)

    skills = sorted({j.skill for j in jobs})
    g_of = {s: g for g, s in enumerate(skills)}
    group = np.array([g_of[j.skill] for j in jobs], dtype=np.int64)
    qty = np.array([j.crew_qty for j in jobs], dtype=np.int64)
    cap = np.array([crews[s].headcount for s in skills], dtype=np.int64)
    serial = np.bincount(group, weights=dur, minlength=len(skills)).astype(np.int64)
    horizon = np.array(
        [
            cals[s].total if cals[s].total is not None else int(serial[g])
            for g, s in enumerate(skills)
        ],
        dtype=np.int64,
    )
    lb_w = [
        _working_lower_bound(dur[group == g], qty[group == g], int(cap[g]))
        for g in range(len(skills))
    ]
    lb_h = max(
        float(cals[s].real_end(np.array([lb_w[g]]))[0]) / MINUTES_PER_H if lb_w[g] else 0.0
        for g, s in enumerate(skills)
    )
    # Solve in units of g = gcd of the durations: some optimal schedule is semi-active
    # (every job starts at 0 or at another job's end), so its starts are multiples of g
    # and nothing is lost, while CP-SAT's domains shrink g-fold (60x for whole hours).
    # Shifts with fewer free technicians are fixed loads of the skill's cumulative;
    # their ends join the gcd (a semi-active schedule also starts at their ends).
    fixed = [(u, v, q, g) for g, s in enumerate(skills) for u, v, q in cals[s].blocked()]
    marks = np.array([x for u, v, _, _ in fixed for x in (u, v)] + dur.tolist(), dtype=np.int64)
    g_unit = int(np.gcd.reduce(marks)) if marks.any() else 1
    # One worker and a deterministic time budget: the same shutdown always gets the
    # same schedule, whatever the machine's load (plans must be reproducible).
    res = min_makespan_cumulative(
        dur // g_unit,
        qty,
        group,
        cap,
        horizon // g_unit,
        time_limit_s=time_limit_s,
        num_workers=1,
        fixed=[(u // g_unit, v // g_unit, q, g) for u, v, q, g in fixed],
    )
    log: tuple[str, ...] = ()
    if res.status is Status.INFEASIBLE:
        return ShutdownSchedule(
            {},
            {},
            {},
            float("inf"),
            float("inf"),
            Status.INFEASIBLE,
            tuple(
                f"the {s} jobs cannot be packed into the {s} shifts"
                f" ({horizon[g] / MINUTES_PER_H:.1f} working hours)"
                for g, s in enumerate(skills)
            ),
            time.perf_counter() - t0,
        )
    start_w = None if res.start is None else res.start * g_unit
    status = res.status
    if start_w is None:
        if (serial > horizon).any() or fixed:
            return ShutdownSchedule(
                {},
                {},
                {},
                float("inf"),
                lb_h,
                Status.TIME_LIMIT,
                (),
                time.perf_counter() - t0,
                ("no schedule found within the time limit",),
            )
        # one job after another per skill (always respects the crew: crew_qty <= headcount)
        order = np.argsort(group, kind="stable")
        csum = np.cumsum(dur[order]) - dur[order]
        first = np.searchsorted(group[order], np.arange(len(skills)))
        start_w = np.empty_like(dur)
        start_w[order] = csum - csum[first][group[order]]
        log = ("no CP-SAT solution within the time limit: serial schedule per skill",)

    start_h: dict[str, float] = {}
    finish_h: dict[str, float] = {}
    seg_h: dict[str, tuple[tuple[float, float], ...]] = {}
    for g, s in enumerate(skills):
        members = np.flatnonzero(group == g)
        w0 = start_w[members]
        w1 = w0 + dur[members]
        cal = cals[s]
        r0 = cal.real_start(w0)
        r1 = np.where(w1 > w0, cal.real_end(w1), r0)
        for jj, a, b, u, v in zip(
            members.tolist(), r0.tolist(), r1.tolist(), w0.tolist(), w1.tolist(), strict=True
        ):
            jid = jobs[jj].job_id
            start_h[jid] = a / MINUTES_PER_H
            finish_h[jid] = b / MINUTES_PER_H
            seg_h[jid] = cal.segments(u, v)
    makespan = max(finish_h.values())
    lower = makespan if status is Status.OPTIMAL else min(lb_h, makespan)
    return ShutdownSchedule(
        start_h=start_h,
        finish_h=finish_h,
        segments_h=seg_h,
        makespan_h=makespan,
        lower_bound_h=lower,
        status=status,
        runtime_s=time.perf_counter() - t0,
        log=log,
    )
