"""The one calendar: crews, shifts, days off, holidays, skill pools, windows and value profiles.

The planner (:mod:`optimizer.problem.build`), the simulator (:mod:`optimizer.sim.model`,
:mod:`optimizer.sim.strategies.prescriptive`) and the work orders
(:mod:`optimizer.planning.workorders`) all read working time from here, so they count
the same technicians.

Semantics
---------
Clock
    Shifts, days off and holidays are local wall-clock times in the site's IANA zone
    (``calendar.timezone``, :func:`plan_zone`) on every day, daylight-saving changes
    included: a shift 06:00-14:00 is 06:00-14:00 local time in January and in August, and
    a night shift 22:00-06:00 lasts 7 h on the night the clocks go forward and 9 h on the
    night they go back.  A shift starting at a local time that does not exist (inside the
    spring gap) starts when the clocks jump; one at an ambiguous local time (the autumn
    repeat) starts at its first occurrence.  A shift whose end is not after its start
    passes midnight and belongs to the day it starts on (a night shift Fri 22:00 - Sat
    06:00 is worked when Friday is a working day).  Instants are hours from an origin,
    measured in real (UTC) time, and all arithmetic on instants is done in UTC (adding
    hours to a zone-aware datetime in Python adds wall-clock time): local time is only
    for reading shifts and for display (:func:`local_time`, :func:`local_iso`).
Period grid
    Periods of whole days (``period_days`` 1, 7, ...) are whole days of the site's
    calendar (:func:`calendar_add`): a daily grid that starts at 06:00 starts at 06:00
    local time on every day, summer time included, so the period of a day holds that
    day's shifts and the day of a clock change is 23 h or 25 h long.  On a grid of real
    24 h steps the boundary would drift to 07:00 in summer, crediting the first hour of
    every summer shift to the previous day's period and starting no job before 07:00.
    Periods of fractional days are real time.  The planning model still prices ages on
    nominal days (``t * period_h``); the hour a clock change adds or takes is within its
    rounding.
Which crews serve a component
    The crews that have the component's skill and whose ``site`` is the component's site
    or ``None`` (a roaming crew serves every site).
Skill pools
    Components served by the same set of crews with the same skill share one pool.  Its
    key is ``"skill@site"`` when a crew of that site is in the set, else ``"skill"`` (only
    roaming crews: one pool for every site they serve, so a roaming crew is not counted
    once per site).  Both the planner and the simulator use these pools and keys.
Technician-hours of a pool
    Each crew member works its shifts on its working days (not on ``days_off`` nor on
    ``holidays``).  A crew in several pools (a multi-skilled crew, or a roaming crew
    sharing a skill with a site crew) is NOT counted in full in each: its hours are split
    among the pools it serves in proportion to their preventive workload (technician-
    hours of one preventive replacement of each of the pool's components; evenly when
    no workload is given).  The pools together never hold more hours than the crews
    work, so a plan within every pool's hours can be staffed; the price is that a shared
    crew cannot move more than its share to one skill on a given day (modelling that
    exactly needs one constraint per set of pools, which the planning model does not
    have).  Crew skills that no component needs get no share.
Headcount at an hour
    The technicians of a pool on shift at an instant are all members of its crews whose
    shift covers it (a shared crew's technicians can take either skill's job at that
    hour; only their hours are split).  :meth:`SkillPool.on_shift` gives it as a step
    function; the simulator holds the peak of it (a constant headcount), the hour-level
    shutdown schedule the lowest value at a working hour.
Value profiles and windows
    Production-value multipliers (weekly by local weekday or monthly by local month) and
    maintenance windows: as period means for the planner (:func:`value_multiplier`,
    :func:`window_factors`) and as a step function of hours for the simulator
    (:func:`value_profile`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

import numpy as np

import cost_models as cm
from optimizer._typing import FloatArray, IntArray
from optimizer.scenario import (
    WEEKDAYS,
    Calendar,
    Crew,
    ResolvedComponent,
    Scenario,
    System,
    Window,
)

MAX_SHUTDOWN_DAYS = 14
"""Longest calendar, days, searched for a shutdown's hour-level schedule."""

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


# --------------------------------------------------------------------------------------
# clock
# --------------------------------------------------------------------------------------
def plan_zone(cal: Calendar) -> tzinfo:
    """The zone whose wall clock shifts, days off and holidays follow (``calendar.timezone``)."""
    return cal.zone


def local_time(t: datetime, tz: tzinfo) -> datetime:
    """The instant ``t`` on the wall clock of ``tz``, with the offset in force on that date."""
    return t.astimezone(tz)


def local_iso(t: datetime, tz: tzinfo, *, timespec: str = "minutes") -> str:
    """RFC 3339 text of ``t`` in local time, e.g. ``2027-08-02T06:00+02:00`` in Europe/Berlin."""
    return local_time(t, tz).isoformat(timespec=timespec)


def local_date(t: datetime, tz: tzinfo) -> str:
    """The local calendar date of the instant ``t``, ``YYYY-MM-DD``."""
    return local_time(t, tz).date().isoformat()


def calendar_add(t: datetime, days: float, tz: tzinfo | None) -> datetime:
    """``t`` plus ``days`` days of the site's calendar, in ``t``'s own tzinfo.

    Whole days keep the local time of day in ``tz`` (one across a daylight-saving
    change lasts 23 h or 25 h; a local time inside the spring gap is read with the offset
    before it); fractional days, and ``tz=None``, are real time.
    """
    if tz is None or float(days) != int(days):
        return t + timedelta(days=float(days))
    # datetime + timedelta on a zone-aware value adds wall-clock time: exactly this.
    local = t.astimezone(tz) + timedelta(days=int(days))
    return local.astimezone(t.tzinfo)


def hours_between(origin: datetime, t: datetime) -> float:
    """Real hours from ``origin`` to ``t`` (both aware; differences taken in UTC)."""
    return (t.astimezone(UTC) - origin.astimezone(UTC)) / HOUR


def local_days(start: datetime, end: datetime, tz: tzinfo) -> list[date]:
    """Local calendar days touched by ``[start, end)``."""
    out: list[date] = []
    d = start.astimezone(tz).date()
    while datetime.combine(d, datetime.min.time(), tzinfo=tz) < end:
        out.append(d)
        d += DAY
    return out


def local_midnights_h(origin: datetime, horizon_h: float, tz: tzinfo) -> FloatArray:
    """Starts of the local calendar days of ``tz`` (midnights, 23-25 h apart across a
    daylight-saving change) from ``origin``'s day to two days past ``origin +
    horizon_h``, in hours since ``origin`` (the first ``<= 0``)."""
    end = origin + timedelta(hours=float(horizon_h)) + 2 * DAY
    days = local_days(origin, end, tz)
    return np.array(
        [hours_between(origin, datetime.combine(d, datetime.min.time(), tzinfo=tz)) for d in days]
    )


def merge_intervals(iv: FloatArray) -> FloatArray:
    """Union of intervals ``(m, 2)`` as sorted disjoint intervals (touching ones merged)."""
    if iv.size == 0:
        return np.zeros((0, 2))
    iv = iv[np.argsort(iv[:, 0], kind="stable")]
    ends = np.maximum.accumulate(iv[:, 1])
    new = np.ones(len(iv), dtype=bool)
    new[1:] = iv[1:, 0] > ends[:-1]
    starts = iv[new, 0]
    group = np.cumsum(new) - 1
    stop = np.zeros(len(starts))
    np.maximum.at(stop, group, iv[:, 1])
    return np.stack([starts, stop], axis=1)


def overlap_h(iv: FloatArray, bounds_h: FloatArray) -> FloatArray:
    """Hours of disjoint intervals ``iv`` inside each ``[bounds_h[j], bounds_h[j+1])``."""
    if iv.size == 0:
        return np.zeros(len(bounds_h) - 1)
    # Worked hours before t = sum over intervals of clip(t - a, 0, b - a).
    lo = np.maximum(bounds_h[:-1, None], iv[None, :, 0])
    hi = np.minimum(bounds_h[1:, None], iv[None, :, 1])
    return np.asarray(np.clip(hi - lo, 0.0, None).sum(axis=1), dtype=float)


# --------------------------------------------------------------------------------------
# crews
# --------------------------------------------------------------------------------------
def crew_intervals(crew: Crew, origin: datetime, end: datetime, tz: tzinfo) -> FloatArray:
    """A crew's working intervals in ``[origin, end)``, hours from ``origin``, shape ``(m, 2)``.

    Days off and holidays are skipped; a shift passing midnight ends the next day; a
    shift under way at ``origin`` is cut to start there.  Sorted, disjoint.
    """
    off = {WEEKDAYS.index(d) for d in crew.days_off}
    holidays = set(crew.holidays)
    span = hours_between(origin, end)
    out: list[tuple[float, float]] = []
    for d in local_days(origin - DAY, end, tz):
        if d.weekday() in off or d in holidays:
            continue
        for s in crew.shifts:
            s0 = datetime.combine(d, s.start, tzinfo=tz)
            s1 = datetime.combine(d, s.end, tzinfo=tz)
            if s1 <= s0:
                s1 += DAY  # a night shift passes midnight
            lo = max(hours_between(origin, s0), 0.0)
            hi = min(hours_between(origin, s1), span)
            if hi > lo:
                out.append((lo, hi))
    return merge_intervals(np.array(out, dtype=float).reshape(-1, 2))


def crew_hours(crew: Crew, edges: Sequence[datetime], tz: tzinfo) -> FloatArray:
    """Technician-hours a crew works in each period ``[edges[j], edges[j+1])``."""
    iv = crew_intervals(crew, edges[0], edges[-1], tz)
    bounds = np.array([hours_between(edges[0], e) for e in edges])
    return crew.headcount * overlap_h(iv, bounds)


def serving_crews(crews: Sequence[Crew], skill: str, site: str) -> tuple[Crew, ...]:
    """The crews that can do ``skill`` work at ``site``: of that site, or roaming."""
    return tuple(c for c in crews if skill in c.skills and c.site in (None, site))


@dataclass(frozen=True, eq=False)
class SkillPool:
    """Crews that do one skill for a set of components, with each crew's share of time."""

    key: str
    skill: str
    crews: tuple[Crew, ...]
    shares: tuple[float, ...]
    """Fraction of each crew's hours that belong to this pool (see the module docstring)."""

    @property
    def headcount(self) -> int:
        """Technicians of all member crews (on shift or not)."""
        return sum(c.headcount for c in self.crews)

    def hours(self, edges: Sequence[datetime], tz: tzinfo, *, shared: bool = True) -> FloatArray:
        """Technician-hours of the pool in each period ``[edges[j], edges[j+1])``.

        ``shared=False`` counts every member crew in full (what its technicians work,
        whichever pool they work for).
        """
        out = np.zeros(len(edges) - 1)
        for crew, share in zip(self.crews, self.shares, strict=True):
            out += (share if shared else 1.0) * crew_hours(crew, edges, tz)
        return out

    def intervals(self, origin: datetime, end: datetime, tz: tzinfo) -> FloatArray:
        """Hours from ``origin`` when at least one member crew is on shift, ``(m, 2)``."""
        parts = [crew_intervals(c, origin, end, tz) for c in self.crews]
        return merge_intervals(np.concatenate(parts) if parts else np.zeros((0, 2)))

    def on_shift(self, origin: datetime, end: datetime, tz: tzinfo) -> tuple[FloatArray, IntArray]:
        """Technicians on shift as a step function over ``[origin, end)``.

        Returns
        -------
        segments : ndarray, shape (m, 2)
            Disjoint working segments, hours from ``origin``.
        heads : ndarray of int, shape (m,)
            Technicians on shift throughout each segment (> 0).
        """
        cuts: list[FloatArray] = []
        ivs: list[tuple[FloatArray, int]] = []
        for c in self.crews:
            iv = crew_intervals(c, origin, end, tz)
            ivs.append((iv, c.headcount))
            cuts.append(iv.ravel())
        if not cuts or not np.concatenate(cuts).size:
            return np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
        b = np.unique(np.concatenate(cuts))
        mid = 0.5 * (b[:-1] + b[1:])
        heads = np.zeros(len(mid), dtype=np.int64)
        for iv, n in ivs:
            if not iv.size:
                continue  # this crew is not on shift in [origin, end)
            k = np.searchsorted(iv[:, 0], mid, side="right") - 1
            inside = (k >= 0) & (mid < iv[np.maximum(k, 0), 1])
            heads += np.where(inside, n, 0)
        keep = heads > 0
        return np.stack([b[:-1], b[1:]], axis=1)[keep], heads[keep]

    def staffable(
        self,
        edges: Sequence[datetime],
        tz: tzinfo,
        *,
        duration_h: float,
        crew_qty: int,
        reach_days: float = MAX_SHUTDOWN_DAYS,
    ) -> np.ndarray:
        """Periods from which a job of this pool can be staffed, the pool to itself.

        A job is worked, from its start until its ``duration_h`` hours are done, on
        every shift of the pool that has at least its ``crew_qty`` technicians on shift
        (:meth:`on_shift`); it pauses through the others as between shifts.  A job of
        period ``j`` is scheduled in the ``reach_days`` days from ``edges[j]`` (the
        reach of the hour-level schedule,
        :func:`optimizer.planning.shutdowns.schedule_shutdowns`), so a period is refused
        when those days hold fewer than ``duration_h`` hours with ``crew_qty``
        technicians on shift: a necessary condition of any hour-level schedule,
        whatever the other jobs (they only take technicians away).

        Parameters
        ----------
        edges : sequence of datetime
            Period starts plus the horizon end.
        tz : tzinfo
            The site's time zone (shifts are local wall-clock times).
        duration_h : float
            Working hours of the job, h.
        crew_qty : int
            Technicians it needs at once.
        reach_days : float
            Days after a period's start in which the job is scheduled, days.

        Returns
        -------
        ndarray of bool, shape (len(edges) - 1,)
        """
        n_t = len(edges) - 1
        origin = edges[0]
        seg, heads = self.on_shift(origin, edges[-1] + timedelta(days=reach_days), tz)
        if not len(seg):
            return np.zeros(n_t, dtype=bool)
        seg = seg[heads >= crew_qty]
        # staffed hours from the origin to x: piecewise linear through the segments
        xs = seg.ravel()
        ys = np.concatenate([[0.0], np.cumsum(seg[:, 1] - seg[:, 0])])
        cum_y = np.repeat(ys, 2)[1:-1]

        def staffed_until(x: FloatArray) -> FloatArray:
            if not len(xs):
                return np.zeros_like(x)
            return np.asarray(np.interp(x, xs, cum_y, left=0.0, right=float(ys[-1])))

        starts = np.array([hours_between(origin, e) for e in edges[:-1]])
        held = staffed_until(starts + 24.0 * reach_days) - staffed_until(starts)
        return np.asarray(held >= duration_h - 1e-9, dtype=bool)


def skill_pools(
    crews: Sequence[Crew],
    demands: Sequence[tuple[str, str]],
    workload_h: Sequence[float] | None = None,
) -> tuple[tuple[SkillPool, ...], IntArray]:
    """The skill pools serving ``demands`` and the pool of each demand.

    Parameters
    ----------
    crews : sequence of Crew
        The scenario's crews.
    demands : sequence of (skill, site)
        One per component: its skill and its site.
    workload_h : sequence of float, optional
        Technician-hours of each demand's preventive task (duration x crew size): a
        crew shared by several pools is split in proportion to their workload.

    Returns
    -------
    pools : tuple of SkillPool
        In order of first use by ``demands``.
    pool_of : ndarray of int, shape (len(demands),)
        Pool index of each demand.

    Raises
    ------
    ValueError
        If no crew serves a demand.
    """
    index: dict[tuple[str, frozenset[str]], int] = {}
    members: list[tuple[str, str, tuple[Crew, ...]]] = []
    pool_of = np.zeros(len(demands), dtype=np.int64)
    for i, (skill, site) in enumerate(demands):
        serving = serving_crews(crews, skill, site)
        if not serving:
            raise ValueError(f"no crew with skill '{skill}' serves site '{site}'")
        ident = (skill, frozenset(c.id for c in serving))
        if ident not in index:
            local = any(c.site == site for c in serving)
            index[ident] = len(members)
            members.append((f"{skill}@{site}" if local else skill, skill, serving))
        pool_of[i] = index[ident]
    load = np.zeros(len(members))
    if workload_h is not None:
        np.add.at(load, pool_of, np.asarray(workload_h, dtype=float))
    # Per crew: the workload (and the number) of the pools it serves.
    total: dict[str, float] = {}
    count: dict[str, int] = {}
    for p, (_, _, serving) in enumerate(members):
        for c in serving:
            total[c.id] = total.get(c.id, 0.0) + float(load[p])
            count[c.id] = count.get(c.id, 0) + 1

    def share(p: int, c: Crew) -> float:
        if total[c.id] > 0.0:
            return float(load[p]) / total[c.id]
        return 1.0 / count[c.id]

    pools = tuple(
        SkillPool(key, skill, serving, tuple(share(p, c) for c in serving))
        for p, (key, skill, serving) in enumerate(members)
    )
    return pools, pool_of


def component_pools(
    crews: Sequence[Crew], components: Sequence[ResolvedComponent], pm_duration_h: FloatArray
) -> tuple[tuple[SkillPool, ...], IntArray]:
    """:func:`skill_pools` of a fleet's components (workload: preventive duration x crew)."""
    return skill_pools(
        crews,
        [(c.skill, c.site_id) for c in components],
        np.asarray(pm_duration_h, dtype=float) * np.array([c.crew_size for c in components]),
    )


# --------------------------------------------------------------------------------------
# windows and value profiles
# --------------------------------------------------------------------------------------
def value_multiplier(scn: Scenario, system: System, edges: list[datetime]) -> FloatArray:
    """Mean production-value multiplier of a system in each period, shape ``(T,)``."""
    t = len(edges) - 1
    if system.value_profile is None:
        return np.ones(t)
    prof = scn.calendar.value_profiles[system.value_profile]
    m = np.asarray(prof.multipliers, dtype=float)
    out = np.empty(t)
    tz = plan_zone(scn.calendar)
    for j in range(t):
        a, b = edges[j], edges[j + 1]
        total = 0.0
        for d in local_days(a, b, tz):
            d0 = datetime.combine(d, datetime.min.time(), tzinfo=tz)
            d1 = datetime.combine(d + DAY, datetime.min.time(), tzinfo=tz)  # 23-25 h later
            hours = hours_between(max(a, d0), min(b, d1))
            idx = d.weekday() if prof.kind == "weekly" else d.month - 1
            total += max(hours, 0.0) * float(m[idx])
        # Weight each calendar day by the hours of it that the period covers.
        out[j] = total / hours_between(a, b)
    return out


def _years_later(t: datetime, n: int) -> datetime:
    """``t`` moved ``n`` calendar years on (29 February becomes 28 February)."""
    try:
        return t.replace(year=t.year + n)
    except ValueError:
        return t.replace(year=t.year + n, day=28)


def windows_until(system: System, until: datetime) -> list[Window]:
    """The system's maintenance windows that start before ``until``, every yearly
    occurrence of a ``repeat_yearly`` window included (same wall-clock dates each year).

    Parameters
    ----------
    system : System
        The system whose windows are wanted.
    until : datetime
        End of the time of interest (aware); occurrences starting at or after it are left
        out.

    Returns
    -------
    list of Window
        Windows in the order stated, each followed by its later occurrences.
    """
    out: list[Window] = []
    for w in system.windows:
        if not w.repeat_yearly:
            out.append(w)
            continue
        n = 0
        while True:
            s = _years_later(w.start, n)
            if s >= until or s.year >= 9999:
                break
            e = _years_later(w.end, n) if w.end.year + n <= 9999 else w.end
            out.append(w.model_copy(update={"start": s, "end": e}))
            n += 1
        if n == 0:
            out.append(w)
    return out


def window_factors(
    system: System, edges: list[datetime]
) -> tuple[FloatArray, FloatArray, np.ndarray]:
    """Per period: set-up factor, production factor, and whether a window overlaps it.

    A period counts as inside a window when at least half of it is covered.
    """
    t = len(edges) - 1
    setup = np.ones(t)
    prod = np.ones(t)
    inside = np.zeros(t, dtype=bool)
    for w in windows_until(system, edges[-1]):
        for j in range(t):
            a, b = edges[j], edges[j + 1]
            overlap = hours_between(max(a, w.start), min(b, w.end)) / hours_between(a, b)
            if overlap >= 0.5 - 1e-9:
                inside[j] = True
                setup[j] = min(setup[j], w.setup_cost_factor)
                prod[j] = min(prod[j], w.production_factor)
    return setup, prod, inside


def window_hours(system: System, origin: datetime, horizon_h: float) -> FloatArray:
    """Maintenance windows, ``(m, 3)``: start, end (hours from ``origin``), set-up factor,
    every occurrence starting before ``horizon_h`` hours after ``origin`` included."""
    until = origin + timedelta(hours=float(horizon_h))
    return np.array(
        [
            (hours_between(origin, w.start), hours_between(origin, w.end), w.setup_cost_factor)
            for w in windows_until(system, until)
        ],
        dtype=float,
    ).reshape(-1, 3)


def value_profile(
    scn: Scenario, system: System, horizon_h: float, value_per_h: float | None = None
) -> cm.ValueProfile:
    """Production value of a system, currency per hour, over hours from the plan start.

    The system's ``production_value_per_h`` (or ``value_per_h`` when given) times its
    value profile (weekly or monthly multipliers) times the production factor of
    maintenance windows (the lowest factor where windows overlap).
    """
    start = scn.calendar.start
    # Weekday and month boundaries follow the site's wall clock at the plan start (the
    # profile is periodic in real hours, so it does not follow daylight-saving changes).
    local_start = local_time(start, plan_zone(scn.calendar))
    v = system.production_value_per_h if value_per_h is None else value_per_h
    if system.value_profile is None:
        prof = cm.ValueProfile.constant(v)
    else:
        spec = scn.calendar.value_profiles[system.value_profile]
        mult = np.asarray(spec.multipliers, dtype=float) * v
        prof = (
            cm.ValueProfile.weekly(mult, local_start)
            if spec.kind == "weekly"
            else cm.ValueProfile.monthly(mult, local_start)
        )
    if not system.windows:
        return prof
    wins = windows_until(system, start + timedelta(hours=float(horizon_h) + 1.0))
    cuts = sorted(
        {0.0}
        | {
            min(max(hours_between(start, t), 0.0), horizon_h + 1.0)
            for w in wins
            for t in (w.start, w.end)
        }
    )
    b = np.array(cuts)
    mids = np.append(0.5 * (b[:-1] + b[1:]), b[-1] + 1.0)
    fac = np.ones(len(b))
    for w in wins:
        a, e = hours_between(start, w.start), hours_between(start, w.end)
        inside = (mids >= a) & (mids < e)
        fac[inside] = np.minimum(fac[inside], w.production_factor)
    windows = cm.ValueProfile(b, fac)
    return prof.product(windows, horizon_h=horizon_h + 1.0)
