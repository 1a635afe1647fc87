"""Work orders in a CMMS's vocabulary, each with the plain-language reason for its date.

A :class:`~optimizer.problem.plan.Plan` says in which period each component is replaced; this
module turns it into work orders (asset, position, component, scheduled start and
finish, labour, materials, shutdown group, expected cost, probability of failing before
the start) and explains every date with numbers: what grouping saved, what risk it
added, which window or pin decided it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from optimizer.calendar import windows_until
from optimizer.fleet import NEVER_HAZARD, best_date_text, own_best_dates
from optimizer.planning.shutdowns import ShutdownResult, group_id
from optimizer.problem.build import BuiltProblem
from optimizer.problem.data import PlanningProblem
from optimizer.problem.plan import Plan
from optimizer.problem.purchasing import PurchasePlan

__all__ = [
    "WORK_ORDER_FIELDS",
    "Deferred",
    "Labor",
    "Material",
    "WorkOrder",
    "money",
    "pct",
    "pm_order",
    "reconcile",
    "work_orders",
]


@dataclass(frozen=True)
class Labor:
    """Labour line of a work order.

    Parameters
    ----------
    skill : str
        Skill pool (``skill`` or ``skill@site``).
    qty : int
        Technicians working at once.
    hours : float
        Working hours of each technician, h.
    """

    skill: str
    qty: int
    hours: float


@dataclass(frozen=True)
class Material:
    """Material line of a work order.

    Parameters
    ----------
    part_id : str
        Spare part.
    qty : int
        Units used.
    available_on : str or None
        Date (ISO 8601) from which the units are on the shelf; ``None`` when the
        problem models no stock.
    """

    part_id: str
    qty: int
    available_on: str | None = None


@dataclass(frozen=True, kw_only=True)
class WorkOrder:
    """A scheduled preventive work order, in a CMMS's vocabulary.

    The fields in declaration order, except ``extra``, are the exported ones
    (:data:`WORK_ORDER_FIELDS`): the keys of :meth:`as_dict`, the columns of
    ``work_orders.csv`` and the fields of the service's ``WorkOrder`` schema.

    Parameters
    ----------
    id : str
        ``PM-<component>-<yyyymmdd>`` (date of the planned period).
    asset_id, site_id, position_id, component_id : str
        Where the work is done and on what.
    work_type : str
        ``PM`` (preventive replacement).
    scheduled_start, scheduled_finish : str
        What the scheduler decided, RFC 3339 to the minute.
    duration_h : float
        Working time of the job, h.
    labor : tuple of Labor
        Technicians per skill.
    materials : tuple of Material
        Spare parts used.
    group_id : str
        The shutdown it belongs to (:func:`~optimizer.planning.shutdowns.group_id`).
    expected_cost : float
        The order's share of the plan's objective, currency (exported rounded to
        cents): its penalty ``h_i(t)`` (expected failure risk and preventive cost,
        relative to the part's long-run cost rate) plus an equal share of its
        shutdown's opening cost (set-up and production lost).  For a next-replacement
        plan, ``sum(expected_cost) + sum(Deferred.risk_cost) + ordering + expediting +
        holding == objective`` (:func:`reconcile`); for a multi-year plan the
        occurrence's interval cost takes the place of ``h_i(t)``.
    p_fail_before_start : float
        Probability that the component fails before the start, fraction (exported
        rounded to 1e-6).
    target_date : str or None
        The component's own best date (RFC 3339), for reference.
    pinned : bool
        Fixed by an open work order or a pin; the plan did not move it.
    reasons : tuple of str
        Why this date, in plain language with numbers; the first one decides.
    extra : dict
        Mode-specific details not exported (shutdown duration, multi-year occurrence).
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
    target_date: str | None = None
    pinned: bool = False
    reasons: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict, metadata={"export": False})

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form: the :data:`WORK_ORDER_FIELDS`, in that order."""
        out = {name: getattr(self, name) for name in WORK_ORDER_FIELDS}
        out["labor"] = [vars(x) for x in self.labor]
        out["materials"] = [vars(x) for x in self.materials]
        out["expected_cost"] = round(self.expected_cost, 2)
        out["p_fail_before_start"] = round(self.p_fail_before_start, 6)
        out["reasons"] = list(self.reasons)
        return out


WORK_ORDER_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(WorkOrder) if f.metadata.get("export", True)
)
"""The exported fields of a work order, in order (JSON keys, CSV columns, API schema)."""


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


def _days(d: float) -> str:
    """``abs(d)`` days in words (``inf``: the component is never due)."""
    return "indefinitely" if not np.isfinite(d) else f"{abs(d):g} days"


def _iso(problem: PlanningProblem, d: datetime) -> str:
    """RFC 3339 in the site's local time, with the offset of its own date."""
    return problem.local(d).isoformat(timespec="minutes")


def work_orders(
    built: BuiltProblem,
    plan: Plan,
    *,
    shutdowns: Mapping[str, ShutdownResult],
    purchases: PurchasePlan | None,
) -> tuple[list[WorkOrder], list[Deferred]]:
    """Work orders and deferred components of a plan.

    Computes nothing but the orders' text and numbers: the hour-level shutdown
    schedules and the purchase plan are given (computed once per plan by
    :func:`optimizer.planning.pipeline.plan_result`).

    Parameters
    ----------
    built : BuiltProblem
        The problem with its fleet model and penalty curves.
    plan : Plan
        A feasible plan of ``built.problem``.
    shutdowns : mapping of str to ShutdownResult
        Hour-level schedule of each shutdown by group id
        (:func:`~optimizer.planning.shutdowns.schedule_shutdowns`); a job of a shutdown
        not in it starts at its period's start.
    purchases : PurchasePlan or None
        The plan's purchase plan (:func:`~optimizer.problem.purchasing.purchase_plan`),
        which dates each job's parts; ``None`` when the problem models no parts.

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
    # each component's own best date: the one definition shared with `opportune info`
    own_date = own_best_dates(pb.start, built.curves.t_opt_h, fm.operating_h_per_day)
    group_sizes: dict[tuple[int, int], int] = {}
    for j in np.flatnonzero(period >= 0):
        key = (int(pb.system_of[j]), int(period[j]))
        group_sizes[key] = group_sizes.get(key, 0) + 1
    systems = {s.id: s for _, s in scn.systems()}
    pinned_ids = {wo.component: wo for wo in scn.plan.open_work_orders}
    hours: dict[str, tuple[float, float]] = {}
    for res in shutdowns.values():
        hours.update(res.slots)
    orders: list[WorkOrder] = []
    deferred: list[Deferred] = []
    # when each job's parts are in stock (on hand, an existing order or a new one)
    avail_on: dict[int, str] = {}
    if purchases is not None:
        for j in np.flatnonzero(purchases.available_period >= 0):
            avail_on[int(j)] = (
                pb.local_period_start(int(purchases.available_period[j])).date().isoformat()
            )
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
            elif own_date[i] is None and best_date_text(None, resid) == NEVER_HAZARD:
                why = (
                    f"best date {NEVER_HAZARD}: running on is always cheaper than a"
                    f" preventive replacement; P(fail within horizon) {pct(p_h)}"
                )
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
        day = pb.local(start)  # for display only: arithmetic stays on `start`
        t_h = t * period_days * oph
        p_fail = float(np.asarray(resid.cdf(t_h)))
        reasons: list[str] = []
        gid = group_id(pb, k, t)
        if pb.pinned_period[i] >= 0:
            wo = pinned_ids.get(comp.id)
            what = f"work order {wo.id} is {wo.status.replace('_', ' ')}" if wo else "pinned"
            reasons.append(f"pinned: {what}; not moved")
        own = own_date[i]
        # days from the own best date to this period (0 when the period holds it)
        end = start + timedelta(hours=pb.period_h)
        if own is None:
            shift_days = -np.inf
        elif start <= own < end:
            shift_days = 0.0
        else:
            shift_days = round((start - own).total_seconds() / 86400.0, 1)
        t_own = float(built.curves.t_opt_h[i])
        if pb.pinned_period[i] < 0:
            if size > 1:
                alone = min(float(solo_cost[i]), float(pb.penalty_beyond[i]))
                saved = alone - float(pb.penalty[i, t]) - share
                p_own = float(np.asarray(resid.cdf(t_own))) if np.isfinite(t_own) else 1.0
                direction = "earlier" if shift_days < 0 else "later"
                head = (
                    f"moved {_days(shift_days)} {direction} to join the {comp.system_id} "
                    f"shutdown of {day:%Y-%m-%d} ({size} jobs)"
                    if shift_days
                    else f"joins the {comp.system_id} shutdown of {day:%Y-%m-%d} ({size} jobs) "
                    "at its own best date"
                )
                value = (
                    f"saves {money(saved, cur)} against its best stand-alone option"
                    if saved >= 0.0
                    else f"costs {money(-saved, cur)} more than its best stand-alone option;"
                    " the shutdown as a whole is cheaper"
                )
                reasons.append(
                    f"{head}: {value} "
                    f"(opening {money(opening, cur)} shared by {size}), adds "
                    f"{money(float(pb.penalty[i, t]), cur)} expected failure risk "
                    f"(P(fail) {pct(p_own)} -> {pct(p_fail)})"
                )
            else:
                reasons.append(
                    f"stand-alone opening of {comp.system_id} on {day:%Y-%m-%d}: "
                    f"{money(opening, cur)}; "
                    + (
                        "at its own best date"
                        if shift_days == 0
                        else f"{_days(shift_days)} {'earlier' if shift_days < 0 else 'later'}"
                        " than its own best date (cheaper opening or crew availability)"
                    )
                )
        _, note, _ = _window_of(system, start, start + timedelta(hours=pb.period_h), pb)
        if note is not None:
            reasons.append(f"inside the window '{note}': opening costs {money(opening, cur)}")
        pol = fm.policy[i]
        if t_own <= 0.0 and pb.pinned_period[i] < 0:
            reasons.append(
                "its expected cost curve is lowest today: "
                + (
                    f"the part ({comp.age_h:,.0f} h) is older than its optimal age "
                    f"{pol.t_star:,.0f} h"
                    if comp.age_h >= pol.t_star
                    else f"at a direct cost of {money(float(fm.cost_pm[i]), cur)} with the "
                    "opening shared, replacing now beats running on, although the part "
                    f"({comp.age_h:,.0f} h) is younger than the optimal age of a new part "
                    f"({pol.t_star:,.0f} h, which pays a stand-alone opening "
                    f"{money(float(fm.opening_cost_mean[i]), cur)} every time)"
                )
            )
        if np.isfinite(pol.t_star):
            reasons.append(
                f"optimal replacement age of a new part {pol.t_star:,.0f} h "
                f"({pol.cost_rate * 1000:,.2f} {cur} per 1,000 h vs "
                f"{pol.cost_rate_run_to_failure * 1000:,.2f} run-to-failure); current age "
                f"{comp.age_h:,.0f} h"
            )
        if gid in shutdowns:
            reasons.extend(f"shutdown {gid}: {n}" for n in shutdowns[gid].notes)
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
                expected_cost=float(pb.penalty[i, t] + share),
                p_fail=p_fail,
                reasons=reasons,
                target_date=None if own is None else _iso(pb, own),
                pinned=bool(pb.pinned_period[i] >= 0),
                available_on=avail_on.get(i),
                extra=(
                    {"shutdown_duration_h": shutdowns[gid].makespan_h} if gid in shutdowns else {}
                ),
            )
        )
    orders.sort(key=lambda w: (w.scheduled_start, w.group_id, w.component_id))
    return orders, deferred


def reconcile(
    orders: list[WorkOrder] | tuple[WorkOrder, ...],
    deferred: list[Deferred] | tuple[Deferred, ...],
    cost_split: Mapping[str, float],
) -> dict[str, float]:
    """How a next-replacement plan's work orders add up to its objective, currency.

    ``work_orders`` (sum of ``expected_cost``), ``deferred`` (sum of ``risk_cost``),
    ``purchasing`` (the ``ordering``, ``expediting`` and ``holding`` terms of
    ``cost_split``, which belong to no single order) and ``total``, their sum: the
    plan's objective (the sum of ``cost_split``).
    """
    out = {
        "work_orders": float(sum(w.expected_cost for w in orders)),
        "deferred": float(sum(d.risk_cost for d in deferred)),
        "purchasing": float(
            sum(cost_split.get(t, 0.0) for t in ("ordering", "expediting", "holding"))
        ),
    }
    out["total"] = sum(out.values())
    return out


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
        id=f"PM-{comp.id}-{pb.local(period_start):%Y%m%d}",
        asset_id=comp.system_id,
        site_id=comp.site_id,
        position_id=comp.position,
        component_id=comp.id,
        work_type="PM",
        scheduled_start=_iso(pb, start),
        scheduled_finish=_iso(pb, finish if finish is not None else start + timedelta(hours=dur)),
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


def _window_of(
    system: Any, a: datetime, b: datetime, problem: PlanningProblem
) -> tuple[bool, str | None, float]:
    for w in windows_until(system, b):
        if w.start < b and a < w.end:
            span = f"{problem.local(w.start):%Y-%m-%d}..{problem.local(w.end):%Y-%m-%d}"
            return True, w.note or span, w.setup_cost_factor
    return False, None, 1.0
