"""From a validated scenario to per-component models: RUL, costs and optimal policies.

:func:`fleet_model` is the single place where a scenario's fields are turned into the
numbers that the scheduler, the simulator and the reports share:

* the life distribution of a new part and the residual life of the installed one
  (twin prognostics when given, else the age-conditional life);
* the direct preventive cost, the expected cost of a failure (parts, corrective labour
  with call-out, secondary damage, lost production while waiting for the crew, the
  repair and the part -- the mean wait on a stock shared by several positions), all
  priced by :mod:`cost_models`;
* the long-run optimum of each position (age replacement or, for minimally repaired
  components, periodic replacement with minimal repair).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

import cost_models as cm
from optimizer._typing import FloatArray, IntArray
from optimizer.calendar import serving_crews
from optimizer.reliability import distributions as rul
from optimizer.reliability.penalty import (
    ReplacementResult,
    age_replacement_batch,
    minimal_repair_replacement,
)
from optimizer.scenario import (
    DurationH,
    FixedDatesTrigger,
    ParametricPrognostics,
    Part,
    ProgPyMultivariateNormal,
    ProgPyPrognostics,
    ResolvedComponent,
    Resource,
    SamplePrognostics,
    Scenario,
    System,
    is_life_limited,
)

HOURS_PER_DAY = 24.0


def distribution(spec: Any) -> rul.LifeDistribution:
    """The :mod:`optimizer.reliability.distributions` object for a scenario distribution spec."""
    return rul.from_spec(spec.model_dump(exclude_none=True))


def mean_duration_h(d: DurationH) -> float:
    """Mean of a duration given as a constant or a distribution, hours."""
    if isinstance(d, int | float):
        return float(d)
    return float(np.asarray(distribution(d).mean()))


def residual_life(scn: Scenario, comp: ResolvedComponent, system: System) -> rul.LifeDistribution:
    """Residual life of the installed part at the plan start, operating hours.

    A twin prediction issued before the plan start is conditioned on survival over the
    operating hours elapsed since it was issued (``S(e + t) / S(e)``).
    """
    prog = comp.prognostics
    if prog is None:
        return distribution(comp.life).residual(comp.age_h)
    elapsed_days = (scn.calendar.start - prog.issued_at) / timedelta(days=1)
    elapsed_h = max(0.0, elapsed_days) * system.operating_h_per_day
    base: rul.LifeDistribution
    if isinstance(prog, ParametricPrognostics):
        base = distribution(prog.residual_life)
    elif isinstance(prog, SamplePrognostics):
        censored = None if prog.censored is None else np.asarray(prog.censored, dtype=bool)
        base = rul.Empirical(np.asarray(prog.residual_life_h, dtype=float), censored=censored)
    else:
        base = _progpy(prog)
    return base.residual(elapsed_h) if elapsed_h > 0 else base


def _progpy(prog: ProgPyPrognostics) -> rul.LifeDistribution:
    """Residual life (hours from the prediction instant) from a ProgPy prediction."""
    unit = prog.unit_h
    p = prog.prediction
    if isinstance(p, ProgPyMultivariateNormal):
        j = p.labels.index(prog.event)
        mean_h = (p.mean[j] - prog.prediction_time) * unit
        sd_h = float(np.sqrt(max(p.covar[j][j], 0.0))) * unit
        return rul.Normal(mean_h=max(mean_h, 0.0), sd_h=max(sd_h, 1e-6))
    values = [s[prog.event] for s in p.samples]
    observed = [v for v in values if v is not None]
    horizon = prog.horizon if prog.horizon is not None else max(observed)
    times = np.array([horizon if v is None else v for v in values], dtype=float)
    censored = np.array([v is None for v in values], dtype=bool)
    times_h = np.maximum((times - prog.prediction_time) * unit, 0.0)
    return rul.Empirical(times_h, censored=censored if censored.any() else None)


@dataclass(frozen=True, eq=False)
class FleetModel:
    """Per-component numbers derived from a scenario (arrays of length ``n``).

    Costs are in the scenario currency; times in operating hours of the component.
    """

    components: tuple[ResolvedComponent, ...]
    system_index: IntArray
    system_ids: tuple[str, ...]
    life: tuple[rul.LifeDistribution, ...]
    residual: tuple[rul.LifeDistribution, ...]
    cost_pm: FloatArray
    """Direct preventive cost (parts + labour + other), excluding set-up."""
    cost_pm_individual: FloatArray
    """Preventive cost when done alone: direct + one opening of its system."""
    cost_cm: FloatArray
    """Expected total cost of one failure (direct + lost production)."""
    cost_cm_direct: FloatArray
    cost_cm_downtime: FloatArray
    pm_duration_h: FloatArray
    cm_duration_h: FloatArray
    opening_cost_mean: FloatArray
    """Mean cost of opening each component's system alone (set-up + lost production)."""
    minimal_repair: np.ndarray
    policy: tuple[ReplacementResult, ...]
    cost_rate: FloatArray
    """Optimal long-run cost rate g* of each position, currency per operating hour."""
    operating_h_per_day: FloatArray

    @property
    def n(self) -> int:
        """Number of components."""
        return len(self.components)


_DEMAND_PASSES = 40
"""Most pricing passes of :func:`fleet_model` (failure waits with preventive demand)."""


def labour_rate_per_h(scn: Scenario, skill: str, site_id: str) -> float:
    """Cheapest labour rate of the crews that can do ``skill`` at ``site_id``."""
    crews = serving_crews(scn.crews, skill, site_id)
    return min(c.rate_per_h for c in crews) if crews else 0.0


def mean_value_multiplier(scn: Scenario, system: System) -> float:
    """Average production-value multiplier of a system's value profile."""
    if system.value_profile is None:
        return 1.0
    return float(np.mean(scn.calendar.value_profiles[system.value_profile].multipliers))


def _is_redundant(system: System, comp_id: str) -> bool:
    """A member of a k-out-of-n group with spare members does not stop the system alone."""
    return any(comp_id in g.components and g.k < len(g.components) for g in system.redundancy)


def part_demand_rates(
    scn: Scenario, replace_at_h: Sequence[float] | None = None
) -> dict[str, float]:
    """Long-run demand of every spare part, units per calendar hour.

    The sum over the positions that use the part of ``parts_per_task`` times their
    renewal rate in calendar time (``operating_h_per_day / 24`` operating hours per
    hour).  Without ``replace_at_h`` only failures count: ``1 / MTTF`` for a renewed
    component (the renewal rate of run-to-failure), and for a minimally repaired one
    the mean number of failures over the next year from its current age,
    ``(H(a + y) - H(a)) / y`` (``H`` the cumulative hazard).  With ``replace_at_h``
    (each component's planned replacement age ``T``, ``inf`` for none, in
    :meth:`Scenario.components` order) planned replacements draw on the same stock
    too: a renewed component replaced at ``T`` (or at its life limit) renews at
    ``1 / integral_0^T S`` (failures ``F(T)`` and replacements ``S(T)`` per cycle of
    mean length ``integral_0^T S``; renewal-reward), a minimally repaired one adds
    ``1 / T`` replacements to its failures.
    """
    systems = {s.id: s for _, s in scn.systems()}
    lives: dict[str, rul.LifeDistribution] = {}
    rates: dict[str, float] = {}
    comps = list(scn.components())
    if replace_at_h is not None and len(replace_at_h) != len(comps):
        raise ValueError(
            f"replace_at_h must have one age per component ({len(comps)}), got {len(replace_at_h)}"
        )
    for j, c in enumerate(comps):
        if c.spare_part is None:
            continue
        key = c.life.model_dump_json()
        if key not in lives:
            lives[key] = distribution(c.life)
        life = lives[key]
        per_cal_h = systems[c.system_id].operating_h_per_day / HOURS_PER_DAY
        t_rep = math.inf if replace_at_h is None else float(replace_at_h[j])
        if c.max_age_h is not None:
            t_rep = min(t_rep, float(c.max_age_h))
        if c.corrective_action == "minimal_repair":
            y = 8760.0 * per_cal_h
            if y <= 0.0:
                continue
            h = np.asarray(life.cum_hazard(np.array([c.age_h, c.age_h + y])), dtype=float)
            per_op_h = float(h[1] - h[0]) / y
            if replace_at_h is not None and math.isfinite(t_rep) and t_rep > 0.0:
                per_op_h += 1.0 / t_rep
        elif replace_at_h is not None and math.isfinite(t_rep):
            cycle = float(np.asarray(life.int_sf(np.array([t_rep])), dtype=float)[0])
            per_op_h = 1.0 / cycle if cycle > 0.0 else 0.0
        else:
            mean = float(np.asarray(life.mean()))
            per_op_h = 1.0 / mean if np.isfinite(mean) and mean > 0.0 else 0.0
        if not np.isfinite(per_op_h):
            continue
        rate = c.parts_per_task * per_op_h * per_cal_h
        rates[c.spare_part] = rates.get(c.spare_part, 0.0) + rate
    return rates


def failure_part_wait(
    scn: Scenario,
    comp: ResolvedComponent,
    demand_per_h: dict[str, float] | None = None,
) -> tuple[float, float]:
    """Mean wait for the spare part at a failure, hours, and the mean expedite premium.

    The stock of a part is shared by every position that uses it, so a failure finds
    the shelf empty when the other positions' failures have used it up within a lead
    time.  With Poisson demand (:func:`part_demand_rates`) the replenishment policy is
    priced as a base stock by :func:`cost_models.base_stock_part_wait` (Palm's theorem,
    METRIC's backorders):

    * ``order_on_use``: base stock ``on_hand + on order`` (the simulator's);
    * ``s_S``: with unit demand the inventory position is uniform on ``s + 1 .. S``,
      so the wait is averaged over those base stocks;
    * ``none``: no replenishment; stock on hand (and on order) covers a failure, an
      empty shelf waits for delivery (the earlier, long-run-blind view);
    * a rotable part is replenished by its repair shop: the lead time is the mean
      resupply time ``(1 - p) repair + p lead`` (``p`` the scrap probability; repair
      queueing ignored), nothing is expedited.

    The premium of an expedited delivery is paid with the probability that the
    shortfall is expedited.  A task taking ``m = parts_per_task`` units is priced as
    demand for kits of ``m`` units (``floor(S / m)`` kits at rate ``lambda / m``).

    Parameters
    ----------
    scn : Scenario
        The scenario.
    comp : ResolvedComponent
        The failing position.
    demand_per_h : dict, optional
        :func:`part_demand_rates` of ``scn`` (computed when omitted).

    Returns
    -------
    tuple of float
        ``(wait_h, expedite_premium)``; ``(0, 0)`` for a component without a spare part.
    """
    if comp.spare_part is None:
        return 0.0, 0.0
    part = scn.part(comp.spare_part)
    stocked = part.on_hand + sum(o.qty for o in part.on_order)
    fast = part.expedite_lead_time_days
    premium = part.cost_expedite_premium * comp.parts_per_task if fast is not None else 0.0
    if part.reorder.policy == "none":
        if stocked >= comp.parts_per_task:
            return 0.0, 0.0
        wait_h = (fast if fast is not None else part.lead_time_days) * HOURS_PER_DAY
        return wait_h, premium
    rates = part_demand_rates(scn) if demand_per_h is None else demand_per_h
    lam = rates.get(part.id, 0.0)
    lead_h = part.lead_time_days * HOURS_PER_DAY
    exp_h = None if fast is None else fast * HOURS_PER_DAY
    shop = part.repairable
    if shop is not None:
        p = float(shop.scrap_probability)
        lead_h = (1.0 - p) * mean_duration_h(shop.duration_h) + p * lead_h
        exp_h = None
    r = part.reorder
    levels = range(r.s + 1, r.S + 1) if r.policy == "s_S" and r.s is not None and r.S else [stocked]
    ppt = comp.parts_per_task  # kits of ppt units: floor(S / ppt) of them, rate lam / ppt
    out = np.array([cm.base_stock_part_wait(s // ppt, lam / ppt, lead_h, exp_h) for s in levels])
    wait_h, _, p_exp = out.mean(axis=0)
    return float(wait_h), float(p_exp) * premium


def exchange_cost(part: Part) -> float:
    """Expected parts cost of one unit used by a task, in the scenario's currency.

    The unit price for a consumable part; for a rotable (``part.repairable``) the removed
    unit is repaired (``cost_repair``) or, with ``scrap_probability``, replaced by a new
    one (``cost_unit``): ``(1 - p) * cost_repair + p * cost_unit``.
    """
    shop = part.repairable
    if shop is None:
        return float(part.cost_unit)
    p = float(shop.scrap_probability)
    return (1.0 - p) * float(shop.cost_repair) + p * float(part.cost_unit)


def resource_job_cost(res: Resource, duration_h: float) -> float:
    """Cost of a campaign resource for one job done alone, currency: one mobilisation and
    the day rate for ``max(min charter, job days)`` (:func:`cost_models.resource_cost`;
    an owned resource's fixed annual cost is sunk and not counted)."""
    days = cm.charter_days(duration_h / 24.0, res.min_charter_days)
    return float(cm.resource_cost(1.0, res.cost_mobilisation, days, res.cost_per_day))


def resource_wait_h(res: Resource) -> float:
    """Expected wait of a lone request for a campaign resource, h: the mean mobilisation
    delay, plus ``max_wait_days`` when more than one request triggers it (an upper
    bound: the request may be batched sooner), plus half the mean gap between dates for
    a fixed-dates trigger (dates over a year when repeated)."""
    wait = mean_duration_h(res.mobilisation_delay_h)
    trig = res.trigger
    if isinstance(trig, FixedDatesTrigger):
        per_year = len(trig.dates) if trig.repeat_yearly else 1
        wait += 0.5 * cm.HOURS_PER_YEAR / max(per_year, 1)
    elif trig.n > 1 and trig.max_wait_days is not None:
        wait += trig.max_wait_days * 24.0
    return wait


def fleet_model(scn: Scenario) -> FleetModel:
    """Derive every component's distributions, costs and optimal policy.

    Parameters
    ----------
    scn : Scenario
        A validated scenario.

    Returns
    -------
    FleetModel

    Notes
    -----
    Lost production of a failure is priced at the system's mean production value over
    the expected response delay, repair time and part wait: the mean wait of a demand on
    the part's stock shared by every position using it (:func:`failure_part_wait`; an
    empty shelf waits for the covering order, expedited when quicker, paying the
    expected expedite premium).  A member of a
    k-out-of-n group with spares is assumed not to stop the system when it fails alone.
    The cost of a preventive replacement done on its own includes one opening of the
    system: set-up cost plus production lost for the set-up time and the task.
    A task that needs a campaign resource (``resource``) is priced as if it had the
    resource alone (:func:`resource_job_cost`: a mobilisation and the minimum charter
    or the job's days, in its direct cost) and a failure also waits for it
    (:func:`resource_wait_h`, lost production): jobs sharing a charter are not credited,
    so these are the costs of a lone job (the planner does not share them either).
    """
    systems = {s.id: s for _, s in scn.systems()}
    system_ids = tuple(systems)
    comps = tuple(scn.components())
    n = len(comps)
    # 1. Gather each component's inputs (cheap Python over validated models) ...
    col: dict[str, list[float]] = {
        k: []
        for k in (
            "rate",
            "overtime",
            "callout",
            "response",
            "parts",
            "value",
            "d_pm",
            "d_cm",
            "crew",
            "wait",
            "expedite",
            "setup",
            "setup_h",
            "stops",
            "oph",
            "res_pm",
            "res_cm",
            "res_wait",
        )
    }
    resources = {r.id: r for r in scn.resources}
    sys_idx = np.zeros(n, dtype=np.int64)
    mr = np.zeros(n, dtype=bool)
    demand = part_demand_rates(scn)
    waits: dict[tuple[str | None, int], tuple[float, float]] = {}
    wait_comp: dict[tuple[str | None, int], ResolvedComponent] = {}
    wkeys: list[tuple[str | None, int]] = []
    durations: dict[str, float] = {}

    def mean_h(d: DurationH) -> float:
        key = d if isinstance(d, int | float) else d.model_dump_json()
        if isinstance(key, str):
            if key not in durations:
                durations[key] = mean_duration_h(d)
            return durations[key]
        return float(key)

    for i, c in enumerate(comps):
        system = systems[c.system_id]
        sys_idx[i] = system_ids.index(c.system_id)
        crews = serving_crews(scn.crews, c.skill, c.site_id)
        part = scn.part(c.spare_part) if c.spare_part is not None else None
        wkey = (c.spare_part, c.parts_per_task)
        if wkey not in waits:
            waits[wkey] = failure_part_wait(scn, c, demand)
            wait_comp[wkey] = c
        wkeys.append(wkey)
        wait_h, expedite = waits[wkey]
        col["rate"].append(min((cr.rate_per_h for cr in crews), default=0.0))
        col["overtime"].append(min((cr.overtime_factor for cr in crews), default=1.0))
        col["callout"].append(min((cr.cost_callout for cr in crews), default=0.0))
        col["response"].append(min((mean_h(cr.response_delay_h) for cr in crews), default=0.0))
        col["parts"].append(exchange_cost(part) * c.parts_per_task if part is not None else 0.0)
        col["value"].append(system.production_value_per_h * mean_value_multiplier(scn, system))
        col["d_pm"].append(mean_h(c.preventive.duration_h))
        col["d_cm"].append(mean_h(c.corrective.duration_h))
        col["crew"].append(float(c.crew_size))
        col["wait"].append(wait_h)
        col["expedite"].append(expedite)
        col["setup"].append(system.setup.cost)
        col["setup_h"].append(system.setup.duration_h)
        col["stops"].append(0.0 if _is_redundant(system, c.id) else 1.0)
        col["oph"].append(system.operating_h_per_day)
        rp, rc = (
            resources.get(c.preventive.resource or ""),
            resources.get(c.corrective.resource or ""),
        )
        col["res_pm"].append(0.0 if rp is None else resource_job_cost(rp, col["d_pm"][-1]))
        col["res_cm"].append(0.0 if rc is None else resource_job_cost(rc, col["d_cm"][-1]))
        col["res_wait"].append(0.0 if rc is None else resource_wait_h(rc))
        mr[i] = c.corrective_action == "minimal_repair"
    a = {k: np.asarray(v, dtype=float) for k, v in col.items()}

    # 2. ... then price them all at once through cost_models.
    def override(work: str, field: str, default: FloatArray) -> FloatArray:
        vals = [getattr(getattr(c, work), field) for c in comps]
        return np.array([d if v is None else v for v, d in zip(vals, default, strict=True)])

    pm_lump = np.array([np.nan if c.preventive.cost is None else c.preventive.cost for c in comps])
    pm_labour = override(
        "preventive", "cost_labour", cm.labour_cost(a["d_pm"], a["crew"], a["rate"])
    )
    pm_parts = override("preventive", "cost_parts", a["parts"])
    pm_other = np.array([c.preventive.cost_other for c in comps])
    cost_pm = (
        np.where(np.isnan(pm_lump), cm.preventive_cost(pm_parts, pm_labour, pm_other), pm_lump)
        + a["res_pm"]
    )
    # A redundant member is maintained while the others carry the load: no lost
    # production, only the set-up.
    opening = a["setup"] + a["stops"] * a["value"] * (a["setup_h"] + a["d_pm"])

    # Corrective work is unplanned: every hour at the overtime rate, plus the call-out
    # premium of the crew that answers.
    cm_labour = override(
        "corrective",
        "cost_labour",
        cm.labour_cost(
            a["d_cm"],
            a["crew"],
            a["rate"],
            overtime_h=a["d_cm"],
            overtime_factor=a["overtime"],
            callout_premium=a["callout"],
        ),
    )
    cm_parts = override("corrective", "cost_parts", a["parts"])
    cm_other = np.array(
        [c.corrective.cost_other + c.corrective.cost_secondary_damage for c in comps]
    )
    cm_lump = np.array([np.nan if c.corrective.cost is None else c.corrective.cost for c in comps])
    secondary = np.array([c.corrective.cost_secondary_damage for c in comps])
    # 3. Optimal renewal policy of each position, batched per life distribution.
    lives: dict[str, rul.LifeDistribution] = {}
    life_of: list[rul.LifeDistribution] = []
    groups: dict[tuple[str, bool], list[int]] = {}
    for i, c in enumerate(comps):
        key = c.life.model_dump_json()
        if key not in lives:
            lives[key] = distribution(c.life)
        life_of.append(lives[key])
        groups.setdefault((key, bool(mr[i])), []).append(i)
    # Planned replacements draw on the shared stock too (the failure wait of a part is
    # that of all its demand), and that demand depends on the policies, which depend on
    # the wait: iterate to the fixed point (the waits only grow; relative change
    # 1e-6, 3-25 passes on the bundled scenarios, re-pricing only the changed groups).
    policies: list[ReplacementResult | None] = [None] * n
    prev_cf: FloatArray | None = None
    demand_prev = demand
    for _pass in range(_DEMAND_PASSES):
        direct = (
            np.where(
                np.isnan(cm_lump),
                cm.preventive_cost(cm_parts + a["expedite"], cm_labour, cm_other),
                np.nan_to_num(cm_lump) + secondary + a["expedite"],
            )
            + a["res_cm"]
        )
        down_h = a["stops"] * (a["response"] + a["d_cm"] + a["wait"] + a["res_wait"])
        down_cost = cm.downtime_cost(cm.ValueProfile.constant(1.0), 0.0, down_h) * a["value"]
        cost_cm = direct + down_cost
        cost_pm_ind = cost_pm + opening

        cf_safe = np.maximum(cost_cm, 1e-9)
        for (key, minimal), idx in groups.items():
            if prev_cf is not None and np.array_equal(cf_safe[idx], prev_cf[idx]):
                continue  # failure costs unchanged since the last pass: same policies
            if minimal:
                memo: dict[tuple[float, float], ReplacementResult] = {}
                for i in idx:
                    pair = (float(cost_pm_ind[i]), float(cf_safe[i]))
                    if pair not in memo:
                        memo[pair] = minimal_repair_replacement(
                            lives[key], cost_pm=pair[0], cost_cm=pair[1]
                        )
                    policies[i] = memo[pair]
            else:
                res = age_replacement_batch(
                    lives[key], cost_pm=cost_pm_ind[idx], cost_cm=cf_safe[idx]
                )
                for i, r in zip(idx, res, strict=True):
                    policies[i] = r
        # A part stated by its life limit alone never fails: reaching the limit forces a
        # planned replacement, so its renewal policy is replacement at the limit (not the
        # fictitious "failure" of its deterministic life just past it).
        for i, c in enumerate(comps):
            if is_life_limited(c) and c.max_age_h is not None:
                rate = float(cost_pm_ind[i]) / c.max_age_h
                # running it "to failure" is running it to its limit: the same policy
                policies[i] = ReplacementResult(
                    t_star=c.max_age_h,
                    cost_rate=rate,
                    cost_rate_run_to_failure=rate,
                    policy="age_replacement",
                )
        pols = tuple(p for p in policies if p is not None)
        prev_cf = cf_safe
        total = part_demand_rates(scn, [p.t_star for p in pols])
        new_waits = {
            k: failure_part_wait(scn, wait_comp[k], total)
            if k[0] is not None and total.get(k[0]) != demand_prev.get(k[0])
            else w
            for k, w in waits.items()
        }
        demand_prev = total
        if all(
            math.isclose(new_waits[k][0], waits[k][0], rel_tol=1e-6, abs_tol=1e-6)
            and math.isclose(new_waits[k][1], waits[k][1], rel_tol=1e-6, abs_tol=1e-6)
            for k in waits
        ):
            break
        waits = new_waits
        a["wait"] = np.array([waits[k][0] for k in wkeys], dtype=float)
        a["expedite"] = np.array([waits[k][1] for k in wkeys], dtype=float)
    residuals = tuple(residual_life(scn, c, systems[c.system_id]) for c in comps)
    return FleetModel(
        components=comps,
        system_index=sys_idx,
        system_ids=system_ids,
        life=tuple(life_of),
        residual=residuals,
        cost_pm=np.asarray(cost_pm, dtype=float),
        cost_pm_individual=np.asarray(cost_pm_ind, dtype=float),
        cost_cm=np.asarray(cost_cm, dtype=float),
        cost_cm_direct=np.asarray(direct, dtype=float),
        cost_cm_downtime=np.asarray(down_cost, dtype=float),
        pm_duration_h=a["d_pm"],
        cm_duration_h=a["d_cm"],
        opening_cost_mean=np.asarray(opening, dtype=float),
        minimal_repair=mr,
        policy=pols,
        cost_rate=np.array([p.cost_rate for p in pols]),
        operating_h_per_day=a["oph"],
    )


def rul_quantiles(model: FleetModel, qs: Sequence[float] = (0.1, 0.5, 0.9)) -> FloatArray:
    """Quantiles of each component's residual life, operating hours, shape ``(n, len(qs))``."""
    out = np.empty((model.n, len(qs)))
    for i, d in enumerate(model.residual):
        out[i] = np.asarray(d.ppf(np.asarray(qs, dtype=float)), dtype=float).reshape(-1)
    return out


def own_best_dates(
    start: datetime, t_opt_h: FloatArray, operating_h_per_day: FloatArray
) -> list[datetime | None]:
    """Each component's own best date: when its expected-cost curve is lowest.

    The one definition used by ``opportune info`` and by the work orders'
    ``target_date``: ``t_opt_h[i]``, the minimiser over ``t >= 0`` of the current part's
    ``c_i(t) = c_p,i S_i(t) + c_f,i F_i(t) - g*_i integral_0^t S_i`` (or its minimal-repair
    form; :func:`optimizer.reliability.penalty.penalty_curves`), converted to a date at
    the component's operating hours per day.  It may lie beyond the planning horizon.

    ``c_i`` uses the direct preventive cost ``c_p,i`` (the opening is paid once per
    shutdown and can be shared), while the optimal age of a new part
    (:attr:`FleetModel.policy`) prices a stand-alone opening into every replacement; so
    a part younger than its optimal age can have its best date today.

    Parameters
    ----------
    start : datetime
        Plan start (``t = 0``).
    t_opt_h : ndarray of float, shape (n,)
        Minimiser of ``c_i``, operating hours from ``start`` (``inf``: never replace).
    operating_h_per_day : ndarray of float, shape (n,)
        Operating hours per calendar day of each component.

    Returns
    -------
    list of datetime or None
        The date of each component (``None`` when ``t_opt_h`` is infinite or the
        component never operates).
    """
    out: list[datetime | None] = []
    for t_h, oph in zip(
        np.asarray(t_opt_h, dtype=float), np.asarray(operating_h_per_day, dtype=float), strict=True
    ):
        ok = np.isfinite(t_h) and oph > 0.0
        out.append(start + timedelta(days=float(t_h) / float(oph)) if ok else None)
    return out


NEVER_HAZARD = "never (hazard not increasing)"
"""The best date of a part whose hazard does not increase: never replace it preventively."""


def hazard_increasing(dist: rul.LifeDistribution) -> bool:
    """Whether a (residual) life's hazard rate increases anywhere.

    With a non-increasing hazard (exponential, Weibull shape <= 1, gamma shape <= 1) the
    expected-cost curve ``c(t) = c_p S(t) + c_f F(t) - g* integral_0^t S`` only falls:
    ``c'(t) = S(t) (h(t) (c_f - c_p) - g*)`` and ``h(t) <= 1 / MTTF <= g* / c_f``, so no
    date is best and the part is never replaced preventively.  Checked on a
    logarithmic grid from 1e-4 to 50 mean lives.
    """
    mean = float(np.asarray(dist.mean()))
    scale = mean if np.isfinite(mean) and mean > 0.0 else 1e4
    t = np.geomspace(1e-4 * scale, 50.0 * scale, 400)
    h = np.asarray(dist.hazard(t), dtype=float)
    h = h[np.isfinite(h)]
    if h.size < 2:
        return True
    return bool(np.any(np.diff(h) > 1e-9 * max(float(np.abs(h).max()), 1e-300)))


def best_date_text(day: datetime | None, dist: rul.LifeDistribution) -> str | None:
    """What to show for a component's own best date when it has none (``None``: it has one).

    ``never (hazard not increasing)`` (:data:`NEVER_HAZARD`) for a part whose hazard does
    not increase, else ``never`` (its expected cost keeps falling: run it on).
    """
    if day is not None:
        return None
    return "never" if hazard_increasing(dist) else NEVER_HAZARD
