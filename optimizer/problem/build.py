"""Build the scheduler's frozen :class:`PlanningProblem` from a scenario.

Steps: per-component models (:mod:`optimizer.fleet`) ->
penalty curves ``h_i(t)`` on the period grid -> opening costs ``S_k(t)`` with windows
and the time-varying production value -> crew hours per skill and period from the
crews' calendars -> pinned work and the frozen horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

import numpy as np

from optimizer._typing import FloatArray, IntArray
from optimizer.calendar import (
    SkillPool,
    calendar_add,
    component_pools,
    plan_zone,
    value_multiplier,
    window_factors,
)
from optimizer.fleet import FleetModel, fleet_model
from optimizer.problem.data import NO_PIN, PlanningProblem, SpareParts
from optimizer.reliability.penalty import PenaltyCurves, penalty_curves
from optimizer.scenario import Scenario


@dataclass(frozen=True, eq=False)
class BuiltProblem:
    """A planning problem with the models it was derived from (for reports and orders)."""

    problem: PlanningProblem
    fleet: FleetModel
    curves: PenaltyCurves
    scenario: Scenario
    skill_keys: tuple[str, ...]
    pools: tuple[SkillPool, ...]
    """The crews behind each skill key (same order)."""


def period_edges(scn: Scenario) -> list[datetime]:
    """Start of each period plus the horizon end (``n_periods + 1`` instants).

    Whole-day periods follow the site's calendar (:func:`optimizer.calendar.calendar_add`).
    """
    cal = scn.calendar
    tz = plan_zone(cal)
    edges = [calendar_add(cal.start, j * cal.period_days, tz) for j in range(cal.n_periods)]
    return [*edges, calendar_add(cal.start, cal.horizon_days, tz)]


def build_problem(
    scn: Scenario,
    *,
    parts: bool = True,
    future_opening: bool = False,
    open_by_jobs: bool = True,
) -> BuiltProblem:
    """Build the frozen planning problem of a scenario.

    Parameters
    ----------
    scn : Scenario
        A validated scenario.
    future_opening : bool
        Charge a deferred component the cheapest opening of its unit (see above).
    parts : bool
        Model the spare-part stock of ``inventory.parts`` (:func:`spare_parts`); False
        plans as if every part were always in stock.
    open_by_jobs : bool
        Price an opening by the jobs in it (the unit's second-longest job in
        ``opening_cost``, a longer job's extra stop in its own penalty, ``stop_cost``);
        False: every opening at the unit's longest job (the multi-year model, whose
        later replacements are priced by interval, keeps this convention).

    Returns
    -------
    BuiltProblem
    """
    fm = fleet_model(scn)
    edges = period_edges(scn)
    t_count = len(edges) - 1
    systems = {s.id: (site, s) for site, s in scn.systems()}
    period_days = scn.calendar.period_days

    # Penalty curves on the period grid, in each component's operating hours.
    t_days = np.arange(t_count) * period_days
    t_op = t_days[None, :] * fm.operating_h_per_day[:, None]
    horizon_op = scn.calendar.horizon_days * fm.operating_h_per_day
    curves = _curves(fm, t_op, horizon_op)
    penalty = curves.penalty
    beyond = curves.penalty_beyond

    # Maintenance units: a system, or a redundant group inside it whose members can be
    # maintained without stopping the system (k < n): those pay the set-up but no lost
    # production, and share their opening only with each other.
    unit_ids, unit_of, unit_system, unit_stops = maintenance_units(scn, fm)
    k_count = len(unit_ids)

    # Opening costs: set-up (scaled inside windows) + production lost while stopped.
    opening = np.zeros((k_count, t_count))
    setup = np.zeros((k_count, t_count))
    open_allowed = np.ones((k_count, t_count), dtype=bool)
    # The stop lasts the set-up and the longest job IN the opening (issue 13, cause 3):
    # the opening is priced with the unit's second-longest job (``base_h``) and the one
    # job longer than that carries its extra stop ``(d_i - base_h)`` in its own penalty,
    # so an opening without it (a short job alone) is not priced at its length.  Exact
    # for every opening that holds one of the unit's two longest jobs; an opening of
    # shorter jobs only is priced at the second-longest (over by at most that much).
    stop_extra = np.zeros((fm.n, t_count))
    for k, sid in enumerate(unit_system):
        _, system = systems[sid]
        members = np.flatnonzero(unit_of == k)
        d_sorted = np.sort(fm.pm_duration_h[members])[::-1]
        if not open_by_jobs:
            base_h = float(d_sorted[0]) if len(d_sorted) else 0.0
        else:
            base_h = float(d_sorted[1]) if len(d_sorted) > 1 else 0.0
        vm = value_multiplier(scn, system, edges)
        sf, pf, inside = window_factors(system, edges)
        lost_h = system.setup.duration_h + base_h if unit_stops[k] else 0.0
        value_h = system.production_value_per_h * vm * pf  # currency per stopped hour
        setup[k] = system.setup.cost * sf
        opening[k] = setup[k] + value_h * lost_h
        if unit_stops[k]:
            extra_h = np.maximum(fm.pm_duration_h[members] - base_h, 0.0)
            stop_extra[members] = extra_h[:, None] * value_h[None, :]
        if system.open_only_in_windows:
            open_allowed[k] = inside
    penalty = penalty + stop_extra

    # Crew capacity per skill pool (optimizer.calendar: which crews, how hours add up).
    pools, skill_of = component_pools(scn.crews, fm.components, fm.pm_duration_h)
    keys = [p.key for p in pools]
    tz = plan_zone(scn.calendar)
    cap = np.array([p.hours(edges, tz) for p in pools]).reshape(len(pools), t_count)

    # A job longer than a technician's working hours in one period spans several
    # consecutive periods, its crew load spread evenly over them (PlanningProblem.span_periods).
    # Per technician: the busiest period's hours of the member crews (in full, whatever
    # their share) over their headcount.
    heads = np.array([p.headcount for p in pools], dtype=float)
    full = np.array([p.hours(edges, tz, shared=False).max() for p in pools])
    per_tech_h = np.where(heads > 0, full / np.maximum(heads, 1), 0.0)
    tech_h = per_tech_h[skill_of]
    span = np.where(tech_h > 0, np.ceil(fm.pm_duration_h / np.maximum(tech_h, 1e-9) - 1e-9), 1.0)
    span = np.clip(span, 1, t_count).astype(np.int64)

    # Pinned work and the frozen horizon.
    pinned = np.full(fm.n, NO_PIN, dtype=np.int64)
    index = {c.id: i for i, c in enumerate(fm.components)}
    frozen = scn.plan.frozen_until
    starts = np.array([(e - edges[0]) / timedelta(hours=1) for e in edges[:-1]])
    for wo in scn.plan.open_work_orders:
        pinned_wo = wo.status in ("released", "in_progress") or (
            frozen is not None and wo.scheduled_start < frozen
        )
        if pinned_wo:
            off_h = (wo.scheduled_start - edges[0]) / timedelta(hours=1)
            pinned[index[wo.component]] = int(
                np.clip(np.searchsorted(starts, off_h, side="right") - 1, 0, t_count - 1)
            )
    allowed = np.isfinite(penalty)
    # Deferring past the horizon postpones an opening rather than avoiding it. With
    # ``future_opening`` the deferred replacement is charged the cheapest opening of its
    # unit, which makes advancing jobs into shutdowns opened anyway attractive
    # (opportunistic grouping). Off by default: the finite-horizon grouping model of
    # Wildeman, Dekker and Smit (1997) leaves it out, and charging it enlarges and
    # weakens the model (200 components with tight crews: 30% gap after 15 s instead
    # of optimal in 6 s).
    usable = np.where(open_allowed, opening, np.inf)
    cheapest = usable.min(axis=1)
    postponed = np.where(np.isfinite(cheapest), cheapest, 0.0)[unit_of]
    beyond = beyond + (postponed if future_opening else 0.0)
    must = limits(fm, t_op, horizon_op)
    allowed &= must.allowed
    allowed &= staffable(pools, skill_of, fm, edges, tz)
    beyond[must.required] = np.inf
    if frozen is not None:
        allowed &= (np.asarray(edges[:-1]) >= frozen)[None, :]
    for j in np.flatnonzero(pinned >= 0):
        allowed[j, pinned[j]] = True
    problem = PlanningProblem(
        start=edges[0],
        period_h=period_days * 24.0,
        component_ids=tuple(c.id for c in fm.components),
        system_ids=unit_ids,
        system_of=unit_of,
        penalty=np.where(np.isfinite(penalty), penalty, 0.0),
        penalty_beyond=beyond,
        allowed=allowed,
        opening_cost=opening,
        open_allowed=open_allowed,
        duration_h=fm.pm_duration_h,
        skill_of=skill_of,
        crew_qty=np.array([c.crew_size for c in fm.components], dtype=np.int64),
        skill_ids=tuple(keys),
        crew_hours=cap,
        pinned_period=pinned,
        span_periods=span,
        currency=scn.currency,
        meta={"scenario": scn.name, "period_days": period_days},
        parts=spare_parts(scn, fm, edges) if parts else None,
        zone=tz,
        setup_cost=setup,
        stop_cost=np.where(np.isfinite(penalty), stop_extra, 0.0) if open_by_jobs else None,
    )
    return BuiltProblem(problem, fm, curves, scn, tuple(keys), pools)


def spare_parts(scn: Scenario, fm: FleetModel, edges: list[datetime]) -> SpareParts | None:
    """Spare-part stock pools of a scenario (``None`` when no component uses a part).

    One pool per inventory part (a part id lives in one warehouse).  Units already on
    order count from the first period that starts at or after their arrival (an arrival
    before the plan start is on hand); arrivals after the horizon are ignored.  Parts
    that cannot be expedited get an infinite expedited lead time.

    Parameters
    ----------
    scn : Scenario
        The validated scenario (``inventory.parts``).
    fm : FleetModel
        Its fleet model (components with ``spare_part`` and ``parts_per_task``).
    edges : list of datetime
        Period starts plus the horizon end (:func:`period_edges`).

    Returns
    -------
    SpareParts or None
    """
    inv = scn.inventory.parts
    ids = [p.id for p in inv]
    part_of = np.array(
        [ids.index(c.spare_part) if c.spare_part in ids else -1 for c in fm.components],
        dtype=np.int64,
    )
    if not (part_of >= 0).any():
        return None
    n_t = len(edges) - 1
    starts = np.array([(e - edges[0]) / timedelta(hours=1) for e in edges[:-1]])
    arrivals = np.zeros((len(inv), n_t))
    on_hand = np.array([float(p.on_hand) for p in inv])
    for j, part in enumerate(inv):
        for o in part.on_order:
            off_h = (o.arrival - edges[0]) / timedelta(hours=1)
            if off_h <= 0:
                on_hand[j] += o.qty
                continue
            t = int(np.searchsorted(starts, off_h - 1e-9, side="left"))
            if t < n_t:
                arrivals[j, t] += o.qty
    return SpareParts(
        part_ids=tuple(ids),
        warehouse=tuple(p.warehouse for p in inv),
        part_of=part_of,
        qty=np.array([c.parts_per_task for c in fm.components], dtype=np.int64),
        on_hand=on_hand,
        arrivals=arrivals,
        lead_time_days=np.array([p.lead_time_days for p in inv], dtype=np.float64),
        expedite_lead_time_days=np.array(
            [
                np.inf if p.expedite_lead_time_days is None else p.expedite_lead_time_days
                for p in inv
            ],
            dtype=np.float64,
        ),
        cost_unit=np.array([p.cost_unit for p in inv], dtype=np.float64),
        holding_rate_per_year=np.array([p.holding_rate_per_year for p in inv], dtype=np.float64),
        cost_order=np.array([p.cost_order for p in inv], dtype=np.float64),
        cost_expedite_premium=np.array([p.cost_expedite_premium for p in inv], dtype=np.float64),
    )


def maintenance_units(
    scn: Scenario, fm: FleetModel
) -> tuple[tuple[str, ...], IntArray, tuple[str, ...], np.ndarray]:
    """Units opened together for maintenance.

    Returns
    -------
    unit_ids : tuple of str
        A system id, or ``"<system>/<group>"`` for a redundant k-out-of-n group with
        spare members (k < n).
    unit_of : ndarray of int, shape (n,)
        Unit of each component.
    unit_system : tuple of str
        System id of each unit.
    unit_stops : ndarray of bool
        Whether opening the unit stops the system's production.
    """
    ids: list[str] = []
    system: list[str] = []
    stops: list[bool] = []
    unit_of = np.zeros(fm.n, dtype=np.int64)
    groups: dict[tuple[str, str], str] = {}
    for _, sys_ in scn.systems():
        for g in sys_.redundancy:
            if g.k < len(g.components):
                for member in g.components:
                    groups[(sys_.id, member)] = f"{sys_.id}/{g.id}"
    for i, c in enumerate(fm.components):
        uid = groups.get((c.system_id, c.id), c.system_id)
        if uid not in ids:
            ids.append(uid)
            system.append(c.system_id)
            stops.append(uid == c.system_id)
        unit_of[i] = ids.index(uid)
    return tuple(ids), unit_of, tuple(system), np.array(stops, dtype=bool)


def staffable(
    pools: tuple[SkillPool, ...] | list[SkillPool],
    skill_of: IntArray,
    fm: FleetModel,
    edges: list[datetime],
    tz: tzinfo,
) -> np.ndarray:
    """``(n, T)``: periods from which each job can be staffed at the hour.

    A job works through every shift of its skill pool from its start, with
    ``crew_size`` technicians at once (:meth:`optimizer.calendar.SkillPool.staffable`):
    a 3-person job in a pool whose late and weekend shifts have 2 technicians on shift
    can be staffed from no start, whatever the period's crew hours say.  Refusing those
    periods is exact (no hour-level schedule exists there), so bounds stay valid.
    """
    out = np.ones((fm.n, len(edges) - 1), dtype=bool)
    seen: dict[tuple[int, int, float], np.ndarray] = {}
    for i, c in enumerate(fm.components):
        key = (int(skill_of[i]), int(c.crew_size), float(fm.pm_duration_h[i]))
        if key not in seen:
            seen[key] = pools[key[0]].staffable(edges, tz, duration_h=key[2], crew_qty=key[1])
        out[i] = seen[key]
    return out


@dataclass(frozen=True, eq=False)
class Limits:
    """Hard limits on when each component may be replaced."""

    allowed: np.ndarray
    """``(n, T)``: periods that respect the life limit and the risk cap."""
    required: np.ndarray
    """``(n,)``: the limit falls inside the horizon, so deferral is not allowed."""


def limits(fm: FleetModel, t_op: FloatArray, horizon_op: FloatArray) -> Limits:
    """Life limits (``max_age_h``) and risk caps (``max_p_fail``) as period masks.

    A part of age ``a`` with life limit ``L`` must be replaced while ``a + t <= L``; a
    cap ``p`` on P(failure before the replacement) allows only ``F_i(t) <= p``.  When
    the bound falls inside the horizon the component may not be deferred past it.
    """
    n, t = t_op.shape
    allowed = np.ones((n, t), dtype=bool)
    required = np.zeros(n, dtype=bool)
    for i, c in enumerate(fm.components):
        if c.max_age_h is not None:
            left = c.max_age_h - c.age_h
            allowed[i] &= t_op[i] <= left + 1e-9
            required[i] |= left < horizon_op[i]
            if not allowed[i].any():
                allowed[i, 0] = True  # overdue: the earliest period is the only option
        if c.max_p_fail is not None:
            p = np.asarray(fm.residual[i].cdf(t_op[i]), dtype=float)
            ok = p <= c.max_p_fail + 1e-12
            allowed[i] &= ok
            p_end = float(np.asarray(fm.residual[i].cdf(horizon_op[i])))
            required[i] |= p_end > c.max_p_fail
            if not allowed[i].any():
                allowed[i, 0] = True  # already above the cap: as soon as possible
    return Limits(allowed, required)


def _curves(fm: FleetModel, t_op: FloatArray, horizon_op: FloatArray) -> PenaltyCurves:
    """Penalty curves for components that may age at different operating rates."""
    rates = np.unique(fm.operating_h_per_day)
    if len(rates) == 1:
        return penalty_curves(
            fm.residual,
            cost_pm=fm.cost_pm,
            cost_cm=fm.cost_cm,
            cost_rate=fm.cost_rate,
            t_h=t_op[0],
            horizon_h=float(horizon_op[0]),
            minimal_repair=fm.minimal_repair,
        )
    n, t = t_op.shape
    pen = np.zeros((n, t))
    beyond = np.zeros(n)
    t_opt = np.zeros(n)
    c_min = np.zeros(n)
    for r in rates:
        idx = np.flatnonzero(fm.operating_h_per_day == r)
        sub = penalty_curves(
            [fm.residual[i] for i in idx],
            cost_pm=fm.cost_pm[idx],
            cost_cm=fm.cost_cm[idx],
            cost_rate=fm.cost_rate[idx],
            t_h=t_op[idx[0]],
            horizon_h=float(horizon_op[idx[0]]),
            minimal_repair=fm.minimal_repair[idx],
        )
        pen[idx] = sub.penalty
        beyond[idx] = sub.penalty_beyond
        t_opt[idx] = sub.t_opt_h
        c_min[idx] = sub.c_min
    return PenaltyCurves(
        t_h=t_op[0], penalty=pen, penalty_beyond=beyond, t_opt_h=t_opt, c_min=c_min
    )
