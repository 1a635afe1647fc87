"""Work orders in a CMMS's vocabulary, each with the plain-language reason for its date.

A :class:`~optimizer.problem.plan.Plan` says in which period each component is replaced; this
module turns it into work orders (asset, position, component, scheduled start and
finish, labour, materials, shutdown group, expected cost, probability of failing before
the start) and explains every date with numbers: what grouping saved, what risk it
added, which window or pin decided it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from optimizer.calendar import plan_zone
from optimizer.problem.build import BuiltProblem
from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import Plan


@dataclass(frozen=True)
class Labor:
    """Labour line of a work order."""

    skill: str
    qty: int
    hours: float


@dataclass(frozen=True)
class Material:
    """Material line of a work order."""

    part_id: str
    qty: int
    available_on: str | None = None


@dataclass(frozen=True)
class WorkOrder:
    """A scheduled preventive work order.

    ``scheduled_start`` / ``scheduled_finish`` are what the scheduler decided (RFC 3339);
    ``target_date`` is the component's own optimum, for reference.
    """

    id: str
    asset_id: str
    site_id: str
    position_id: str
    component_id: str
    work_type: str
    scheduled_start: str
    scheduled_finish: str
    duration_h: float
    labor: tuple[Labor, ...]
    materials: tuple[Material, ...]
    group_id: str
    expected_cost: float
    p_fail_before_start: float
    reasons: tuple[str, ...]
    target_date: str | None = None
    pinned: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "id": self.id,
            "asset_id": self.asset_id,
            "site_id": self.site_id,
            "position_id": self.position_id,
            "component_id": self.component_id,
            "work_type": self.work_type,
            "scheduled_start": self.scheduled_start,
            "scheduled_finish": self.scheduled_finish,
            "duration_h": self.duration_h,
            "labor": [vars(x) for x in self.labor],
            "materials": [vars(x) for x in self.materials],
            "group_id": self.group_id,
            "expected_cost": round(self.expected_cost, 2),
            "p_fail_before_start": round(self.p_fail_before_start, 6),
            "target_date": self.target_date,
            "pinned": self.pinned,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class Deferred:
    """A component whose best action lies beyond the horizon, with its risk."""

    component_id: str
    asset_id: str
    p_fail_within_horizon: float
    risk_cost: float
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "component_id": self.component_id,
            "asset_id": self.asset_id,
            "p_fail_within_horizon": round(self.p_fail_within_horizon, 6),
            "risk_cost": round(self.risk_cost, 2),
            "reason": self.reason,
        }


def money(x: float, currency: str) -> str:
    """``4,200 EUR``: thousands separators, no cents for amounts >= 100."""
    return f"{x:,.0f} {currency}" if abs(x) >= 100 else f"{x:,.2f} {currency}"


def pct(p: float) -> str:
    """Probability as a short percentage."""
    return f"{100 * p:.1f}%" if p >= 0.001 else f"{100 * p:.2f}%"


def _iso(d: datetime) -> str:
    return d.isoformat(timespec="minutes")


def group_id(problem: PlanningProblem, k: int, t: int) -> str:
    """Identifier of the shutdown of system ``k`` in period ``t``."""
    return f"{problem.system_ids[k]}@{problem.period_start(t).strftime('%Y-%m-%d')}"


def work_orders(
    built: BuiltProblem, plan: Plan, *, hour_level: bool = True
) -> tuple[list[WorkOrder], list[Deferred]]:
    """Work orders and deferred components of a plan.

    Parameters
    ----------
    built : BuiltProblem
        The problem with its fleet model and penalty curves.
    plan : Plan
        A feasible plan of ``built.problem``.
    hour_level : bool
        Schedule each shutdown at the hour (crew shifts, technicians per skill) and
        give each work order its own start and finish; otherwise every job starts at
        its period's start.

    Returns
    -------
    (list of WorkOrder, list of Deferred)
        Work orders sorted by start, then the components left beyond the horizon.
    """
    pb = built.problem
    fm = built.fleet
    scn = built.scenario
    cur = pb.currency
    period = plan.period
    period_days = pb.period_h / 24.0
    n_t = pb.n_periods
    # Best stand-alone option of each component: its own best period paying a full
    # opening, or deferral. Grouping "saves" the difference.
    solo = np.where(
        pb.allowed & pb.open_allowed[pb.system_of],
        pb.penalty + pb.opening_cost[pb.system_of],
        np.inf,
    )
    solo_t = np.argmin(solo, axis=1)
    solo_cost = solo[np.arange(pb.n_components), solo_t]
    own_t = np.argmin(np.where(pb.allowed, pb.penalty, np.inf), axis=1)
    group_sizes: dict[tuple[int, int], int] = {}
    for j in np.flatnonzero(period >= 0):
        key = (int(pb.system_of[j]), int(period[j]))
        group_sizes[key] = group_sizes.get(key, 0) + 1
    systems = {s.id: s for _, s in scn.systems()}
    pinned_ids = {wo.component: wo for wo in scn.plan.open_work_orders}
    hours: dict[str, tuple[float, float]] = {}
    shutdowns: dict[str, ShutdownResult] = {}
    if hour_level:
        shutdowns = schedule_shutdowns(built, plan)
        for res in shutdowns.values():
            hours.update(res.slots)
    orders: list[WorkOrder] = []
    deferred: list[Deferred] = []
    # when each job's parts are in stock (on hand, an existing order or a new one)
    avail_on: dict[int, str] = {}
    if pb.has_parts:
        from optimizer.problem.purchasing import purchase_plan

        pp = purchase_plan(pb, period)
        for j in np.flatnonzero(pp.available_period >= 0):
            avail_on[int(j)] = pb.period_start(int(pp.available_period[j])).date().isoformat()
    for i, comp in enumerate(fm.components):
        k = int(pb.system_of[i])
        system = systems[comp.system_id]
        resid = fm.residual[i]
        oph = float(fm.operating_h_per_day[i])
        t = int(period[i])
        if t < 0:
            horizon_h = n_t * period_days * oph
            p_h = float(np.asarray(resid.cdf(horizon_h)))
            risk = float(pb.penalty_beyond[i])
            if pb.pinned_period[i] == -2:
                why = "held beyond the horizon by a pin"
            elif risk <= 1e-9 * max(1.0, float(fm.cost_pm[i])):
                why = (
                    f"its own best date is after the horizon; P(fail within horizon) {pct(p_h)}"
                    " is already priced in"
                )
            elif np.isfinite(solo_cost[i]) and risk <= solo_cost[i]:
                why = (
                    f"deferring costs {money(risk, cur)} of extra expected failure risk, less "
                    f"than the best stand-alone replacement in the horizon "
                    f"({money(float(solo_cost[i]), cur)}); P(fail within horizon) {pct(p_h)}"
                )
            else:
                why = (
                    f"deferred although that adds {money(risk, cur)} of expected failure risk: "
                    f"no feasible period in the horizon (crew hours, windows, limits or pins); "
                    f"P(fail within horizon) {pct(p_h)}"
                )
            deferred.append(Deferred(comp.id, comp.system_id, p_h, risk, why))
            continue
        size = group_sizes[(k, t)]
        opening = float(pb.opening_cost[k, t])
        share = opening / size
        start = pb.period_start(t)
        t_h = t * period_days * oph
        p_fail = float(np.asarray(resid.cdf(t_h)))
        reasons: list[str] = []
        gid = group_id(pb, k, t)
        if pb.pinned_period[i] >= 0:
            wo = pinned_ids.get(comp.id)
            what = f"work order {wo.id} is {wo.status.replace('_', ' ')}" if wo else "pinned"
            reasons.append(f"pinned: {what}; not moved")
        own = int(own_t[i])
        shift_days = (t - own) * period_days
        if pb.pinned_period[i] < 0:
            if size > 1:
                alone = min(float(solo_cost[i]), float(pb.penalty_beyond[i]))
                saved = alone - float(pb.penalty[i, t]) - share
                p_own = float(np.asarray(resid.cdf(own * period_days * oph)))
                direction = "earlier" if shift_days < 0 else "later"
                head = (
                    f"moved {abs(shift_days):g} days {direction} to join the {comp.system_id} "
                    f"shutdown of {start:%Y-%m-%d} ({size} jobs)"
                    if shift_days
                    else f"joins the {comp.system_id} shutdown of {start:%Y-%m-%d} ({size} jobs) "
                    "at its own best date"
                )
                reasons.append(
                    f"{head}: saves {money(max(saved, 0.0), cur)} against its best stand-alone "
                    "option "
                    f"(opening {money(opening, cur)} shared by {size}), adds "
                    f"{money(float(pb.penalty[i, t]), cur)} expected failure risk "
                    f"(P(fail) {pct(p_own)} -> {pct(p_fail)})"
                )
            else:
                reasons.append(
                    f"stand-alone opening of {comp.system_id} on {start:%Y-%m-%d}: "
                    f"{money(opening, cur)}; "
                    + (
                        "at its own best date"
                        if shift_days == 0
                        else f"{abs(shift_days):g} days {'earlier' if shift_days < 0 else 'later'}"
                        " than its own best date (cheaper opening or crew availability)"
                    )
                )
        _, note, _ = _window_of(system, start, start + timedelta(hours=pb.period_h))
        if note is not None:
            reasons.append(f"inside the window '{note}': opening costs {money(opening, cur)}")
        pol = fm.policy[i]
        if np.isfinite(pol.t_star):
            reasons.append(
                f"optimal replacement age of a new part {pol.t_star:,.0f} h "
                f"({pol.cost_rate * 1000:,.2f} {cur} per 1,000 h vs "
                f"{pol.cost_rate_run_to_failure * 1000:,.2f} run-to-failure); current age "
                f"{comp.age_h:,.0f} h"
            )
        slot = hours.get(comp.id)
        start_at = start if slot is None else start + timedelta(hours=slot[0])
        orders.append(
            pm_order(
                built,
                i,
                start,
                start_at,
                None if slot is None else start + timedelta(hours=slot[1]),
                group=gid,
                expected_cost=float(fm.cost_pm[i] + share + pb.penalty[i, t]),
                p_fail=p_fail,
                reasons=reasons,
                target_date=_iso(pb.period_start(own)),
                pinned=bool(pb.pinned_period[i] >= 0),
                available_on=avail_on.get(i),
                extra=(
                    {"shutdown_duration_h": shutdowns[gid].makespan_h} if gid in shutdowns else {}
                ),
            )
        )
    orders.sort(key=lambda w: (w.scheduled_start, w.group_id, w.component_id))
    return orders, deferred


def pm_order(
    built: BuiltProblem,
    i: int,
    period_start: datetime,
    start: datetime,
    finish: datetime | None,
    *,
    group: str,
    expected_cost: float,
    p_fail: float,
    reasons: list[str],
    target_date: str | None,
    pinned: bool,
    available_on: str | None = None,
    extra: dict[str, Any] | None = None,
) -> WorkOrder:
    """The preventive work order of component ``i`` in the period starting ``period_start``.

    Parameters
    ----------
    built : BuiltProblem
        The problem the plan solves (fleet model, skills).
    i : int
        Component index.
    period_start, start : datetime
        Start of the planned period (names the order) and of the work itself.
    finish : datetime or None
        End of the work; ``None``: ``start`` plus the job's duration.
    group, expected_cost, p_fail, reasons, target_date, pinned, available_on, extra
        The order's shutdown id, expected cost (currency units), probability of
        failing before the start, reasons, target date, pinned flag, the date its part
        is on the shelf, and extra fields.

    Returns
    -------
    WorkOrder
    """
    fm, pb = built.fleet, built.problem
    comp = fm.components[i]
    dur = float(fm.pm_duration_h[i])
    return WorkOrder(
        id=f"PM-{comp.id}-{period_start:%Y%m%d}",
        asset_id=comp.system_id,
        site_id=comp.site_id,
        position_id=comp.position,
        component_id=comp.id,
        work_type="PM",
        scheduled_start=_iso(start),
        scheduled_finish=_iso(finish if finish is not None else start + timedelta(hours=dur)),
        duration_h=dur,
        labor=(Labor(pb.skill_ids[pb.skill_of[i]], comp.crew_size, dur),),
        materials=(
            (Material(comp.spare_part, comp.parts_per_task, available_on),)
            if comp.spare_part is not None
            else ()
        ),
        group_id=group,
        expected_cost=expected_cost,
        p_fail_before_start=p_fail,
        reasons=tuple(reasons),
        target_date=target_date,
        pinned=pinned,
        extra=extra or {},
    )


def _window_of(system: Any, a: datetime, b: datetime) -> tuple[bool, str | None, float]:
    for w in system.windows:
        if w.start < b and a < w.end:
            return True, w.note or f"{w.start:%Y-%m-%d}..{w.end:%Y-%m-%d}", w.setup_cost_factor
    return False, None, 1.0


@dataclass(frozen=True)
class ShutdownResult:
    """Hour-level schedule of one shutdown (one opened unit in one period)."""

    group_id: str
    slots: dict[str, tuple[float, float]]
    """Component id -> (start, finish), hours from the period start."""
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

    Returns ``(inf, inf)`` when the shifts hold fewer than ``duration_h`` hours.
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
    """Hour-level schedule of every shutdown of a plan (CP-SAT per shutdown).

    Jobs are placed on their skill pool's shifts, at most ``headcount`` technicians of
    a skill at once, minimizing the shutdown's duration (:mod:`optimizer.solvers.shutdown`).
    A shutdown whose jobs cannot be placed within 14 days keeps period-start times.
    """
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
        days = min(days, 14)
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
