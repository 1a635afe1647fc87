"""The simulator's compiled, picklable view of a scenario (:class:`SimModel`).

:func:`compile_model` turns a validated :class:`~optimizer.scenario.Scenario` into flat
numpy arrays and small lookup tables once per simulation, so that each Monte Carlo
replication (in this process, a local worker process or a Dask worker) only draws random
numbers and runs events.  It holds:

* per component: system, crew pool, spare part, life of a new part, residual life of the
  installed part (twin prognostics or age), repair / preventive durations, direct costs,
  life limit (``max_age_h``, operating hours) and the notice with which the simulator
  enforces it, and the fleet model's optimal policy (``t_star``, ``g*``) and failure cost;
* per system: ageing rate (operating hours per calendar hour), idle ageing, set-up cost
  and time, redundancy groups (active or standby), the production-value profile (value
  profile x window production factors) and window set-up factors;
* per crew (:class:`CrewModel`): headcount, rate, overtime factor, call-out premium and
  its own shifts; the technicians belong to the crew, so a crew serving several pools
  (a multi-skilled crew) works one job at a time for all of them;
* per crew pool (the planner's skill pools, :func:`optimizer.calendar.skill_pools`):
  its member crews (cheapest first), the peak headcount on shift (checked against the
  crew sizes), the cheapest rates (the fleet model's prices), response delay, the union
  of the member crews' shifts and their technician-hours over the simulated horizon;
* per spare part: stock, orders in transit, lead times, costs and reorder policy, and
  for a rotable part its repair shop (turnaround, channels, repair cost, scrap);
* per campaign resource (:class:`ResourceModel`): trigger rule, mobilisation delay,
  capacity and costs; per component the resource its preventive / corrective task
  needs (``-1``: none).

Random variates are drawn by inverse transform from uniforms (:class:`BatchDist`), so one
uniform per (component, life, purpose) fixes a variate whatever strategy runs: the basis
of common random numbers.

Times are hours from the plan start (calendar) unless named ``_op`` / ``age``
(operating hours of a component).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

import cost_models as cm
from optimizer._typing import BoolArray, FloatArray, IntArray
from optimizer.calendar import (
    SkillPool,
    component_pools,
    crew_intervals,
    hours_between,
    local_midnights_h,
    plan_zone,
    value_profile,
    window_hours,
)
from optimizer.fleet import FleetModel, distribution, fleet_model, mean_duration_h
from optimizer.problem.multiyear import continuation_cost
from optimizer.reliability import distributions as rul
from optimizer.reliability.batch import BatchKey, batch_key, stack_ages, stack_params
from optimizer.scenario import (
    DurationH,
    FixedDatesTrigger,
    RepairShop,
    ResolvedComponent,
    Scenario,
)
from optimizer.sim.weather import month_starts_h

HOURS_PER_YEAR = cm.HOURS_PER_YEAR
LIMIT_NOTICE_H = 7.0 * 24.0
"""Calendar hours, on top of the spare part's normal lead time, by which the simulator
releases the forced replacement of a part with a life limit (a week of crew shifts)."""


# --------------------------------------------------------------------------------------
# batched inverse transform
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Batch:
    rows: IntArray
    dist: rul.LifeDistribution | None  # batched (m, 1) distribution, None for constants
    const: FloatArray | None  # constants (m, 1)


class BatchDist:
    """Inverse-transform sampler of ``n`` scalar distributions or constants at once.

    Members of one parametric family (and residual lives of one family) are stacked
    into one batched :mod:`~optimizer.reliability.distributions` object, so ``ppf`` on an ``(n, J)``
    matrix of uniforms costs one vectorized call per family.

    Parameters
    ----------
    members : sequence of LifeDistribution or float
        One scalar distribution or constant (hours) per row.

    Raises
    ------
    ValueError
        If a member is a batch of distributions or a negative / non-finite constant.
    """

    def __init__(self, members: Sequence[rul.LifeDistribution | float]) -> None:
        self.n = len(members)
        self.members: tuple[rul.LifeDistribution | float, ...] = tuple(members)
        keys: dict[BatchKey | tuple[str, ...] | tuple[str, int], list[int]] = {}
        for i, d in enumerate(members):
            key: BatchKey | tuple[str, ...] | tuple[str, int] | None
            if isinstance(d, int | float):
                if not (math.isfinite(float(d)) and float(d) >= 0.0):
                    raise ValueError(f"members[{i}]: constant must be finite and >= 0, got {d}")
                key = ("const",)
            else:
                key = batch_key(d)
                if key is None:
                    if d.batch_shape != ():
                        raise ValueError(f"members[{i}]: must be a single distribution")
                    key = ("single", i)
            keys.setdefault(key, []).append(i)
        fams: list[_Batch] = []
        for key, idx in keys.items():
            rows = np.asarray(idx, dtype=np.int64)
            ms = [members[i] for i in idx]
            if isinstance(key, BatchKey):
                dists = [m for m in ms if isinstance(m, rul.LifeDistribution)]
                vals = [v[:, None] for v in stack_params(dists, key)]
                fams.append(_Batch(rows, key.build(vals, stack_ages(dists)[:, None]), None))
            elif key[0] == "const":
                fams.append(_Batch(rows, None, np.array([[float(m)] for m in ms])))  # type: ignore[arg-type]
            else:
                d0 = ms[0]
                assert isinstance(d0, rul.LifeDistribution)
                fams.append(_Batch(rows, d0, None))
        self._families = tuple(fams)

    def ppf(self, u: FloatArray) -> FloatArray:
        """Quantiles of every row at the uniforms of that row.

        Parameters
        ----------
        u : ndarray, shape (n, J)
            Uniforms in ``[0, 1)``.

        Returns
        -------
        ndarray, shape (n, J)
            ``ppf_i(u[i, j])``, hours.
        """
        if u.ndim != 2 or u.shape[0] != self.n:
            raise ValueError(f"u must have shape ({self.n}, J), got {u.shape}")
        out = np.empty(u.shape)
        for fam in self._families:
            if fam.const is not None:
                out[fam.rows] = fam.const
            else:
                assert fam.dist is not None
                out[fam.rows] = fam.dist.ppf(u[fam.rows])
        return out


def _as_dist(d: DurationH) -> rul.LifeDistribution | float:
    if isinstance(d, int | float):
        return float(d)
    return distribution(d)


def _shop(
    shop: RepairShop | None,
) -> tuple[rul.LifeDistribution | float | None, int, float, float]:
    """:class:`PartModel` repair fields of a part: turnaround, channels (0: unlimited),
    cost per repair, scrap probability (``None, 0, 0, 0`` for a consumable)."""
    if shop is None:
        return None, 0, 0.0, 0.0
    channels = 0 if shop.channels is None else int(shop.channels)
    return (
        _as_dist(shop.duration_h),
        channels,
        float(shop.cost_repair),
        float(shop.scrap_probability),
    )


def yearly_instants_h(
    dates: Sequence[datetime], repeat: bool, start: datetime, horizon_h: float
) -> FloatArray:
    """Hours from ``start`` of the given instants within ``[0, horizon_h)``, sorted;
    with ``repeat`` every instant recurs each year on the same calendar day (28 Feb for
    29 Feb in a common year)."""
    out: list[float] = []
    end = start + timedelta(hours=horizon_h)
    for d in dates:
        year = d.year
        while True:
            try:
                when = d.replace(year=year)
            except ValueError:  # 29 February in a common year
                when = d.replace(year=year, day=28)
            if when >= end:
                break
            if when >= start:
                out.append(hours_between(start, when))
            if not repeat:
                break
            year += 1
    return np.unique(np.asarray(out, dtype=float))


def _campaigns(
    scn: Scenario, index: dict[str, int], start: datetime, horizon_h: float
) -> tuple[tuple[float, IntArray], ...]:
    """Planned times (hours from the start, within the horizon) and components of every
    service campaign date; annual repeats on the same calendar day (28 Feb for 29 Feb)."""
    out: list[tuple[float, IntArray]] = []
    for camp in scn.campaigns:
        comps = np.array([index[c] for c in camp.components], dtype=np.int64)
        for t in yearly_instants_h(camp.dates, camp.repeat_annually, start, horizon_h).tolist():
            out.append((t, comps))
    out.sort(key=lambda e: e[0])
    return tuple(out)


@dataclass(frozen=True, eq=False)
class ResourceModel:
    """A campaign resource (:class:`optimizer.scenario.Resource`), times in hours.

    ``trigger_n`` is the number of open requests that mobilises it (``0`` for a
    fixed-dates trigger, whose instants are ``dates_h``); ``max_wait_h`` mobilises it
    anyway once the oldest open request has waited that long (``inf``: never).
    """

    id: str
    capacity: int
    delay: rul.LifeDistribution | float  # mobilisation delay, h
    cost_mobilisation: float
    cost_per_day: float
    min_charter_h: float
    owned: bool
    cost_fixed_per_year: float
    trigger_n: int
    max_wait_h: float
    dates_h: FloatArray
    mobilise_when_idle: bool
    fixed_charter: bool = False  # Resource.charter == "fixed": ends min_charter_h after arrival
    max_jobs_per_day: int = 0  # jobs that may start per local calendar day (0: no limit)
    day_starts_h: FloatArray = field(default_factory=lambda: np.zeros(0))
    """Local midnights (``calendar.timezone``) from the start's day to past the horizon,
    hours since the start (the first ``<= 0``); empty without a daily limit."""


def _resources(
    scn: Scenario, comps: Sequence[ResolvedComponent], start: datetime, horizon_h: float
) -> tuple[tuple[ResourceModel, ...], IntArray, IntArray]:
    """:class:`SimModel` resource fields: the resources and, per component, the index of
    the resource its preventive and corrective tasks need (``-1``: none)."""
    out: list[ResourceModel] = []
    for r in scn.resources:
        trig = r.trigger
        if isinstance(trig, FixedDatesTrigger):
            n, wait = 0, math.inf
            dates = yearly_instants_h(trig.dates, trig.repeat_yearly, start, horizon_h)
            idle = trig.mobilise_when_idle
        else:
            n = int(trig.n)
            wait = math.inf if trig.max_wait_days is None else float(trig.max_wait_days) * 24.0
            dates, idle = np.zeros(0), False
        out.append(
            ResourceModel(
                id=r.id,
                capacity=int(r.capacity),
                delay=_as_dist(r.mobilisation_delay_h),
                cost_mobilisation=float(r.cost_mobilisation),
                cost_per_day=float(r.cost_per_day),
                min_charter_h=float(r.min_charter_days) * 24.0,
                owned=bool(r.owned),
                cost_fixed_per_year=float(r.cost_fixed_per_year),
                trigger_n=n,
                max_wait_h=wait,
                dates_h=dates,
                mobilise_when_idle=idle,
                fixed_charter=r.charter == "fixed",
                max_jobs_per_day=int(r.max_jobs_per_day or 0),
                day_starts_h=(
                    np.zeros(0)
                    if r.max_jobs_per_day is None
                    else local_midnights_h(start, horizon_h, plan_zone(scn.calendar))
                ),
            )
        )
    index = {r.id: j for j, r in enumerate(scn.resources)}

    def of(work: str) -> IntArray:
        ids = [getattr(c, work).resource for c in comps]
        return np.array([-1 if rid is None else index[rid] for rid in ids], dtype=np.int64)

    return tuple(out), of("preventive"), of("corrective")


# --------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Pool:
    """Crews that can do a skill for some components.

    The replication takes technicians from the member crews (``crew_index``), per crew
    and per shift (:class:`CrewModel`).  ``capacity`` is the most technicians of the
    pool on shift at one time (:meth:`optimizer.calendar.SkillPool.on_shift`), the
    largest crew a job may ask for; ``available_h`` are the pool's technician-hours, a
    shared crew counted by its share, as in the planner.  ``rate_per_h``,
    ``overtime_factor`` and ``callout`` are the cheapest of the members (a job is paid
    at the rates of the crews that do it).
    """

    key: str
    capacity: int
    rate_per_h: float
    overtime_factor: float
    callout: float
    response: rul.LifeDistribution | float
    shifts: FloatArray  # (m, 2) disjoint sorted working intervals, hours from start
    available_h: float  # technician-hours in shifts over the horizon
    crew_ids: tuple[str, ...]
    calendar: SkillPool  # the member crews and their shares
    crew_index: tuple[int, ...] = ()  # member crews in SimModel.crews, cheapest first


@dataclass(frozen=True, eq=False)
class CrewModel:
    """One crew as the simulator sees it: its technicians are shared by every pool the
    crew serves (a multi-skilled crew's technician is in one job at a time).

    ``shifts`` are the crew's own working intervals (:func:`optimizer.calendar.crew_intervals`),
    hours from the start: work that needs a shift takes technicians only from crews on
    shift at that instant (a weekend job gets the weekend crew, at its rate).
    """

    id: str
    headcount: int
    rate_per_h: float
    overtime_factor: float
    callout: float
    shifts: FloatArray  # (m, 2) disjoint sorted working intervals, hours from start


@dataclass(frozen=True, eq=False)
class PartModel:
    """A spare part's stock and replenishment data (hours from the plan start)."""

    id: str
    on_hand: int
    arrivals: tuple[tuple[float, int], ...]
    lead_h: float
    expedite_h: float | None
    expedite_premium: float
    cost_order: float
    cost_unit: float
    holding_rate_per_year: float
    policy: str  # "order_on_use", "s_S", "none"
    s: int
    S: int
    base_stock: int
    # rotable parts (``repairable``): the repair shop; ``repair_h`` None for consumables
    repair_h: rul.LifeDistribution | float | None = None
    repair_channels: int = 0  # 0: unlimited
    cost_repair: float = 0.0
    scrap_probability: float = 0.0

    @property
    def repairable(self) -> bool:
        """Whether removed units go to a repair shop and return to stock."""
        return self.repair_h is not None


@dataclass(frozen=True, eq=False)
class SimModel:
    """Everything a replication needs, as arrays (see the module docstring)."""

    name: str
    currency: str
    scenario: Scenario
    start: datetime
    horizon_h: float
    years: float
    fleet: FleetModel
    component_ids: tuple[str, ...]
    system_ids: tuple[str, ...]
    # per component ------------------------------------------------------------------
    system_of: IntArray
    pool_of: IntArray
    crew_size: IntArray
    part_of: IntArray  # -1: no spare part
    parts_per_task: IntArray
    minimal_repair: BoolArray
    life: tuple[rul.LifeDistribution, ...]
    initial: tuple[rul.LifeDistribution, ...]
    initial_age_h: FloatArray
    mean_life_h: FloatArray
    new_life: BatchDist
    initial_life: BatchDist
    repair: BatchDist
    response: BatchDist
    pm_duration: BatchDist
    pm_duration_mean_h: FloatArray
    group_of: IntArray  # redundancy group (series components have their own 1-of-1)
    max_age_h: FloatArray  # life limit, operating hours (inf: none); see the engine
    limit_notice_h: FloatArray  # calendar hours before the limit the forced work is released
    # direct costs per task (nan = not given)
    pm_parts: FloatArray
    pm_other: FloatArray
    pm_lump: FloatArray
    pm_labour: FloatArray
    cm_parts: FloatArray
    cm_other: FloatArray
    cm_lump: FloatArray
    cm_labour: FloatArray
    # policy inputs (from the fleet model)
    t_star_h: FloatArray
    cost_rate: FloatArray
    cost_pm: FloatArray
    cost_pm_individual: FloatArray
    cost_cm: FloatArray
    # per system ---------------------------------------------------------------------
    rate: FloatArray  # operating hours per calendar hour
    idle_ageing: BoolArray
    setup_cost: FloatArray
    setup_duration_h: FloatArray
    profiles: tuple[cm.ValueProfile, ...]
    windows: tuple[FloatArray, ...]  # (m, 3): start_h, end_h, setup factor
    windows_only: BoolArray  # preventive openings only inside maintenance windows
    shape_of: IntArray  # systems with the same profile shape (profile name, windows) ...
    shape_profiles: tuple[cm.ValueProfile, ...]  # ... share one profile at their top value
    loss_fraction: FloatArray  # value / top value of the shape group (for cost_models)
    group_k: IntArray  # members needed per group
    group_size: IntArray
    group_system: IntArray
    members_of: tuple[IntArray, ...]  # component indices per system
    # pools and parts ----------------------------------------------------------------
    pools: tuple[Pool, ...]
    parts: tuple[PartModel, ...]
    crews: tuple[CrewModel, ...] = ()
    meta: dict[str, object] = field(default_factory=dict)
    # end state: value of an installed part by its age, relative to a new one (see
    # end_state_tables); None when not computed
    end_age_h: FloatArray | None = None  # (n, G) age grid, operating hours
    end_value: FloatArray | None = None  # (n, G) currency
    # standby redundancy, per group: standby or active, ageing factor of a waiting
    # member, switch failure probability, members in the listed (switching) order
    group_standby: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    group_ageing: FloatArray = field(default_factory=lambda: np.zeros(0))
    group_switch_p: FloatArray = field(default_factory=lambda: np.zeros(0))
    group_members: tuple[IntArray, ...] = ()
    # corrective work waits for the pool's next shift (else an any-hour call-out)
    cm_in_shifts: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # service campaigns: (planned time h, component indices), by time
    campaigns: tuple[tuple[float, IntArray], ...] = ()
    # access weather (optimizer.sim.weather): per weather site the monthly mean calm and
    # rough spells (w, 2, 12) h; month starts (h) and month index over the horizon; per
    # component its weather site (-1: none) and whether its preventive / corrective work
    # needs calm
    weather_means_h: FloatArray = field(default_factory=lambda: np.zeros((0, 2, 12)))
    month_starts_h: FloatArray = field(default_factory=lambda: np.zeros(1))
    month_index: FloatArray = field(default_factory=lambda: np.zeros(1))
    weather_of: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # ... the weather row the preventive / corrective work waits for: the site's, or the
    # row of the resource it needs when that resource has its own limits
    # (Resource.weather, rows after the sites'); empty: the site's (weather_of)
    weather_pm_of: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    weather_cm_of: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    calm_pm: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    calm_cm: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # ... and whether that work stops in rough weather (else it needs one calm window)
    split_pm: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    split_cm: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # campaign resources, and per component the one its preventive / corrective task
    # needs (-1: none)
    resources: tuple[ResourceModel, ...] = ()
    resource_pm: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    resource_cm: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # per component: its failure stops the system only when the corrective work starts
    # (WorkSpec.stops_system == "at_work_start")
    late_stop_cm: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # ... and a preventive opening of only such jobs stops it when their crews are there
    late_stop_pm: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def n(self) -> int:
        """Number of components."""
        return len(self.component_ids)

    @property
    def n_systems(self) -> int:
        """Number of systems."""
        return len(self.system_ids)

    def lives_hint(self) -> int:
        """Lives per component pre-drawn per replication (a property of the model only).

        Enough for most components to never need an extension block: 1.5 x the expected
        number of renewals of the busiest component under its optimal age policy, plus 4,
        clipped to ``[8, 64]``.
        """
        cycle = np.minimum(
            self.mean_life_h, np.where(np.isfinite(self.t_star_h), self.t_star_h, np.inf)
        )
        op = self.horizon_h * self.rate[self.system_of]
        renewals = float(np.max(op / np.maximum(cycle, 1e-9))) if self.n else 0.0
        return int(min(64, max(8, math.ceil(1.5 * renewals) + 4)))


def compile_model(scn: Scenario, *, years: float | None = None) -> SimModel:
    """Compile a scenario for simulation.

    Parameters
    ----------
    scn : Scenario
        A validated scenario.
    years : float, optional
        Simulated horizon, years of 8760 h (default ``scn.simulation.years``).

    Returns
    -------
    SimModel

    Raises
    ------
    ValueError
        If ``years`` is not finite and positive.
    """
    yrs = float(scn.simulation.years if years is None else years)
    if not (math.isfinite(yrs) and yrs > 0.0):
        raise ValueError(f"years must be finite and > 0, got {years!r}")
    horizon = yrs * HOURS_PER_YEAR
    fm = fleet_model(scn)
    start = scn.calendar.start
    systems = {s.id: (site, s) for site, s in scn.systems()}
    sites_in_shifts = {site.id: site.corrective_in_shifts for site in scn.fleet.sites}
    comps = fm.components
    n = len(comps)

    # crew pools (optimizer.calendar): the planner's pools, each a constant headcount, the
    # peak of its technicians on shift together
    specs, pool_of = component_pools(scn.crews, comps, fm.pm_duration_h)
    tz = plan_zone(scn.calendar)
    end = start + timedelta(hours=horizon)
    crew_objs = tuple(
        CrewModel(
            id=cr.id,
            headcount=int(cr.headcount),
            rate_per_h=float(cr.rate_per_h),
            overtime_factor=float(cr.overtime_factor),
            callout=float(cr.cost_callout),
            shifts=crew_intervals(cr, start, end, tz),
        )
        for cr in scn.crews
    )
    crew_pos = {cr.id: j for j, cr in enumerate(scn.crews)}
    pool_objs: list[Pool] = []
    for spec in specs:
        crews = spec.crews
        resp = min(crews, key=lambda cr: mean_duration_h(cr.response_delay_h))
        _, heads = spec.on_shift(start, end, tz)
        pool_objs.append(
            Pool(
                key=spec.key,
                capacity=int(heads.max()) if heads.size else spec.headcount,
                rate_per_h=min(cr.rate_per_h for cr in crews),
                overtime_factor=min(cr.overtime_factor for cr in crews),
                callout=min(cr.cost_callout for cr in crews),
                response=_as_dist(resp.response_delay_h),
                shifts=spec.intervals(start, end, tz),
                available_h=float(spec.hours([start, end], tz)[0]),
                crew_ids=tuple(cr.id for cr in crews),
                calendar=spec,
                crew_index=tuple(
                    crew_pos[cr.id]
                    for cr in sorted(crews, key=lambda cr: (cr.rate_per_h, cr.overtime_factor))
                ),
            )
        )
    for i, c in enumerate(comps):
        pool = pool_objs[pool_of[i]]
        if c.crew_size > pool.capacity:
            raise ValueError(
                f"component {c.id}: crew_size {c.crew_size} exceeds the"
                f" {pool.capacity} technicians of pool {pool.key}"
            )

    # parts
    part_ids = [p.id for p in scn.inventory.parts]
    parts: list[PartModel] = []
    for p in scn.inventory.parts:
        arrivals = tuple(
            sorted((max(hours_between(start, o.arrival), 0.0), int(o.qty)) for o in p.on_order)
        )
        r = p.reorder
        repair_h, channels, cost_repair, scrap = _shop(p.repairable)
        parts.append(
            PartModel(
                id=p.id,
                on_hand=int(p.on_hand),
                arrivals=arrivals,
                lead_h=float(p.lead_time_days) * 24.0,
                expedite_h=None
                if p.expedite_lead_time_days is None
                else float(p.expedite_lead_time_days) * 24.0,
                expedite_premium=float(p.cost_expedite_premium),
                cost_order=float(p.cost_order),
                cost_unit=float(p.cost_unit),
                holding_rate_per_year=float(p.holding_rate_per_year),
                policy=r.policy,
                s=int(r.s or 0),
                S=int(r.S or 0),
                base_stock=int(p.on_hand) + sum(q for _, q in arrivals),
                repair_h=repair_h,
                repair_channels=channels,
                cost_repair=cost_repair,
                scrap_probability=scrap,
            )
        )
    part_of = np.array(
        [part_ids.index(c.spare_part) if c.spare_part is not None else -1 for c in comps],
        dtype=np.int64,
    )

    # costs per task: parts default to the spare part's unit cost; a rotable unit is an
    # exchange whose repair (or scrap and purchase) the engine books at the shop
    def unit_parts(i: int) -> float:
        c = comps[i]
        if part_of[i] < 0 or parts[part_of[i]].repairable:
            return 0.0
        return float(parts[part_of[i]].cost_unit * c.parts_per_task)

    nan = math.nan
    pm_parts, pm_other, pm_lump, pm_lab = (np.full(n, nan) for _ in range(4))
    cm_parts, cm_other, cm_lump, cm_lab = (np.full(n, nan) for _ in range(4))
    for i, c in enumerate(comps):
        pm, cw = c.preventive, c.corrective
        pm_parts[i] = pm.cost_parts if pm.cost_parts is not None else unit_parts(i)
        pm_other[i] = pm.cost_other
        if pm.cost is not None:
            pm_lump[i] = pm.cost
        if pm.cost_labour is not None:
            pm_lab[i] = pm.cost_labour
        cm_parts[i] = cw.cost_parts if cw.cost_parts is not None else unit_parts(i)
        cm_other[i] = cw.cost_other + cw.cost_secondary_damage
        if cw.cost is not None:
            cm_lump[i] = cw.cost + cw.cost_secondary_damage
        if cw.cost_labour is not None:
            cm_lab[i] = cw.cost_labour

    # systems and redundancy groups
    sys_ids = fm.system_ids
    k_count = len(sys_ids)
    rate = np.zeros(k_count)
    idle = np.zeros(k_count, dtype=bool)
    setup_c = np.zeros(k_count)
    setup_d = np.zeros(k_count)
    profiles: list[cm.ValueProfile] = []
    windows: list[FloatArray] = []
    group_of = np.full(n, -1, dtype=np.int64)
    g_k: list[int] = []
    g_size: list[int] = []
    g_sys: list[int] = []
    g_standby: list[bool] = []
    g_ageing: list[float] = []
    g_switch: list[float] = []
    g_members: list[list[int]] = []
    index = {c.id: i for i, c in enumerate(comps)}
    shape_key: list[tuple[object, ...]] = []
    for k, sid in enumerate(sys_ids):
        _, system = systems[sid]
        shape_key.append(
            (
                system.value_profile,
                tuple(
                    (w.start, w.end, w.production_factor, w.repeat_yearly) for w in system.windows
                ),
            )
        )
        rate[k] = system.operating_h_per_day / 24.0
        idle[k] = system.idle_ageing
        setup_c[k] = system.setup.cost
        setup_d[k] = system.setup.duration_h
        profiles.append(value_profile(scn, system, horizon))
        windows.append(window_hours(system, start, horizon))
        for grp in system.redundancy:
            gi = len(g_k)
            g_k.append(grp.k)
            g_size.append(len(grp.components))
            g_sys.append(k)
            g_standby.append(grp.standby is not None)
            g_ageing.append(grp.ageing_factor)
            g_switch.append(float(grp.switch_failure_probability))
            g_members.append([index[m] for m in grp.components])
            for m in grp.components:
                group_of[index[m]] = gi
    for i in range(n):
        if group_of[i] < 0:
            group_of[i] = len(g_k)
            g_k.append(1)
            g_size.append(1)
            g_sys.append(int(fm.system_index[i]))
            g_standby.append(False)
            g_ageing.append(1.0)
            g_switch.append(0.0)
            g_members.append([i])
    members = tuple(np.flatnonzero(fm.system_index == k).astype(np.int64) for k in range(k_count))
    # Systems whose value differs only by a constant share one profile (at the group's top
    # value); each system's lost production is that profile's integral times its
    # loss_fraction = value / top value, so pricing costs one cost_models call per shape.
    keys = list(dict.fromkeys(shape_key))
    shape_of = np.array([keys.index(key) for key in shape_key], dtype=np.int64)
    values = np.array([systems[sid][1].production_value_per_h for sid in sys_ids])
    shape_profiles: list[cm.ValueProfile] = []
    loss = np.zeros(k_count)
    for g in range(len(keys)):
        sel = np.flatnonzero(shape_of == g)
        top = float(values[sel].max())
        shape_profiles.append(
            value_profile(scn, systems[sys_ids[int(sel[0])]][1], horizon, value_per_h=max(top, 1.0))
        )
        loss[sel] = values[sel] / max(top, 1.0)

    t_star = np.array([p.t_star for p in fm.policy])
    max_age = np.array([math.inf if c.max_age_h is None else float(c.max_age_h) for c in comps])
    wx = _weather(scn, comps, start, horizon)
    res_models, res_pm, res_cm = _resources(scn, comps, start, horizon)
    model = SimModel(
        name=scn.name,
        currency=scn.currency,
        scenario=scn,
        start=start,
        horizon_h=horizon,
        years=yrs,
        fleet=fm,
        component_ids=tuple(c.id for c in comps),
        system_ids=sys_ids,
        system_of=fm.system_index.astype(np.int64),
        pool_of=pool_of,
        crew_size=np.array([c.crew_size for c in comps], dtype=np.int64),
        part_of=part_of,
        parts_per_task=np.array([c.parts_per_task for c in comps], dtype=np.int64),
        minimal_repair=np.asarray(fm.minimal_repair, dtype=bool),
        life=fm.life,
        initial=fm.residual,
        initial_age_h=np.array([c.age_h for c in comps], dtype=float),
        mean_life_h=np.array([float(d.mean()) for d in fm.life]),
        new_life=BatchDist(fm.life),
        initial_life=BatchDist(fm.residual),
        repair=BatchDist([_as_dist(c.corrective.duration_h) for c in comps]),
        response=BatchDist([pool_objs[pool_of[i]].response for i in range(n)]),
        pm_duration=BatchDist([_as_dist(c.preventive.duration_h) for c in comps]),
        pm_duration_mean_h=np.asarray(fm.pm_duration_h, dtype=float),
        group_of=group_of,
        max_age_h=max_age,
        limit_notice_h=np.array(
            [
                LIMIT_NOTICE_H + (parts[part_of[i]].lead_h if part_of[i] >= 0 else 0.0)
                for i in range(n)
            ]
        ),
        pm_parts=pm_parts,
        pm_other=pm_other,
        pm_lump=pm_lump,
        pm_labour=pm_lab,
        cm_parts=cm_parts,
        cm_other=cm_other,
        cm_lump=cm_lump,
        cm_labour=cm_lab,
        t_star_h=t_star,
        cost_rate=np.asarray(fm.cost_rate, dtype=float),
        cost_pm=np.asarray(fm.cost_pm, dtype=float),
        cost_pm_individual=np.asarray(fm.cost_pm_individual, dtype=float),
        cost_cm=np.asarray(fm.cost_cm, dtype=float),
        rate=rate,
        idle_ageing=idle,
        setup_cost=setup_c,
        setup_duration_h=setup_d,
        profiles=tuple(profiles),
        windows=tuple(windows),
        windows_only=np.array(
            [systems[sid][1].open_only_in_windows for sid in sys_ids], dtype=bool
        ),
        shape_of=shape_of,
        shape_profiles=tuple(shape_profiles),
        loss_fraction=loss,
        group_k=np.array(g_k, dtype=np.int64),
        group_size=np.array(g_size, dtype=np.int64),
        group_system=np.array(g_sys, dtype=np.int64),
        members_of=members,
        pools=tuple(pool_objs),
        parts=tuple(parts),
        crews=crew_objs,
        meta={"scenario": scn.name, "period_days": scn.calendar.period_days},
        **dict(zip(("end_age_h", "end_value"), end_state_tables(fm, max_age), strict=True)),
        group_standby=np.array(g_standby, dtype=bool),
        group_ageing=np.array(g_ageing, dtype=float),
        group_switch_p=np.array(g_switch, dtype=float),
        group_members=tuple(np.array(m, dtype=np.int64) for m in g_members),
        campaigns=_campaigns(scn, {c.id: i for i, c in enumerate(comps)}, start, horizon),
        cm_in_shifts=np.array(
            [
                sites_in_shifts[c.site_id]
                or all(cr.corrective_in_shifts for cr in pool_objs[pool_of[i]].calendar.crews)
                for i, c in enumerate(comps)
            ],
            dtype=bool,
        ),
        weather_means_h=wx[0],
        month_starts_h=wx[1],
        month_index=wx[2],
        weather_of=wx[3],
        calm_pm=wx[4],
        calm_cm=wx[5],
        split_pm=wx[6],
        split_cm=wx[7],
        weather_pm_of=wx[8],
        weather_cm_of=wx[9],
        resources=res_models,
        resource_pm=res_pm,
        resource_cm=res_cm,
        late_stop_cm=np.array(
            [c.corrective.stops_system == "at_work_start" for c in comps], dtype=bool
        ),
        late_stop_pm=np.array(
            [c.preventive.stops_system == "at_work_start" for c in comps], dtype=bool
        ),
    )
    return model


def _weather(
    scn: Scenario, comps: Sequence[ResolvedComponent], start: datetime, horizon_h: float
) -> tuple[
    FloatArray,
    FloatArray,
    FloatArray,
    IntArray,
    BoolArray,
    BoolArray,
    BoolArray,
    BoolArray,
    IntArray,
    IntArray,
]:
    """:class:`SimModel` weather fields: as listed there, then ``weather_pm_of`` and
    ``weather_cm_of``.

    Rows: the sites with weather, then the resources with their own weather
    (``Resource.weather``); a task needing such a resource waits for the resource's
    weather rather than its site's.
    """
    sites = [s for s in scn.fleet.sites if s.weather is not None]
    own = [r for r in scn.resources if r.weather is not None]
    index = {s.id: w for w, s in enumerate(sites)}
    res_row = {r.id: len(sites) + j for j, r in enumerate(own)}
    means = np.zeros((len(sites) + len(own), 2, 12))
    for w, wx in enumerate([s.weather for s in sites] + [r.weather for r in own]):
        assert wx is not None
        calm, rough = wx.monthly_h()
        means[w, 0], means[w, 1] = calm, rough
    weather_of = np.array([index.get(c.site_id, -1) for c in comps], dtype=np.int64)

    def rows(work: str) -> IntArray:
        ids = [getattr(c, work).resource for c in comps]
        return np.array(
            [
                res_row.get(rid, int(weather_of[i])) if rid else int(weather_of[i])
                for i, rid in enumerate(ids)
            ],
            dtype=np.int64,
        )

    weather_pm_of, weather_cm_of = rows("preventive"), rows("corrective")
    starts, months = month_starts_h(start, horizon_h)
    return (
        means,
        starts,
        months,
        weather_of,
        (weather_pm_of >= 0) & np.array([c.preventive.needs_calm for c in comps], dtype=bool),
        (weather_cm_of >= 0) & np.array([c.corrective.needs_calm for c in comps], dtype=bool),
        np.array([c.preventive.weather_interruptible for c in comps], dtype=bool),
        np.array([c.corrective.weather_interruptible for c in comps], dtype=bool),
        weather_pm_of,
        weather_cm_of,
    )


_END_POINTS = 129


def end_state_tables(fm: FleetModel, max_age_h: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Value of leaving each position's part at age ``a`` at the simulated horizon,
    relative to leaving a new part: ``v(a) - v(0)`` on an age grid.

    ``v`` is the bias (relative value) of the optimal renewal policy at the long-run
    rate ``g*`` (:mod:`optimizer.problem.multiyear`, "End state"): with
    ``E(a) = min_{a <= s <= L} w(s)`` (:func:`~optimizer.problem.multiyear.continuation_cost`),

    * replacement at failure: ``v(a) = (E(a) - c_f F(a) + g* int_0^a S) / S(a)``;
    * minimal repair: ``v(a) - v(0) = E(a) - c_f H(a) + g* a``.

    Both are 0 for a new part.  Added to a replication's cost, ``v`` credits work done
    late in the horizon (a new part is worth more than a worn one) and charges parts
    left worn: without it a finite horizon biases every comparison against prevention.
    A part on its initial life is valued with the new-part life at its age.

    Parameters
    ----------
    fm : FleetModel
        Costs, lives and optimal rates of the positions.
    max_age_h : ndarray, shape (n,)
        Life limits (``inf``: none), operating hours.

    Returns
    -------
    ages, values : ndarray, shape (n, 129)
        Age grid per position (0 to beyond its ``1 - 1e-9`` quantile or the limit) and
        the value there, currency.
    """
    n = len(fm.life)
    ages = np.zeros((n, _END_POINTS))
    values = np.zeros((n, _END_POINTS))
    groups: dict[tuple[str, bool], list[int]] = {}
    for i, d in enumerate(fm.life):
        groups.setdefault((repr(d), bool(fm.minimal_repair[i])), []).append(i)
    for (_, minimal), idx in groups.items():
        d = fm.life[idx[0]]
        top = float(d.ppf(1.0 - 1e-9))
        if not math.isfinite(top):
            top = 50.0 * float(d.mean())
        rows = np.asarray(idx)
        lim = max_age_h[rows]
        reach = np.where(np.isfinite(lim), np.minimum(lim, 2.0 * top), 2.0 * top)
        grid = np.linspace(0.0, 1.0, _END_POINTS)[None, :] * reach[:, None]
        cp, cf, g = fm.cost_pm_individual[rows], fm.cost_cm[rows], fm.cost_rate[rows]
        e = continuation_cost(
            d, grid, cost_pm=cp, cost_cm=cf, cost_rate=g, limit_h=lim, minimal_repair=minimal
        )
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if minimal:
                v = e - cf[:, None] * np.asarray(d.cum_hazard(grid)) + g[:, None] * grid
            else:
                sf = np.asarray(d.sf(grid), dtype=np.float64)
                run = cf[:, None] * (1.0 - sf) - g[:, None] * np.asarray(d.int_sf(grid))
                v = np.where(sf > 1e-12, (e - run) / np.maximum(sf, 1e-300), np.nan)
        # far tail (survival ~ 0) and non-finite points: hold the last finite value
        v = np.where(np.isfinite(v), v, np.nan)
        for r in range(v.shape[0]):
            ok = np.isfinite(v[r])
            if not ok.any():
                v[r] = 0.0
                continue
            last = np.flatnonzero(ok)[-1]
            v[r, last + 1 :] = v[r, last]
            v[r] = np.where(np.isfinite(v[r]), v[r], 0.0)
        ages[rows] = grid
        # v(0) = 0 by definition; a life limit below the unconstrained optimum leaves a
        # constant offset in E, removed here (only differences between ages matter)
        values[rows] = v - v[:, :1]
    return ages, values
