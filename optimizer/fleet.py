"""From a validated scenario to per-component models: RUL, costs and optimal policies.

:func:`fleet_model` is the single place where a scenario's fields are turned into the
numbers that the scheduler, the simulator and the reports share:

* the life distribution of a new part and the residual life of the installed one
  (twin prognostics when given, else the age-conditional life);
* the direct preventive cost, the expected cost of a failure (parts, corrective labour
  with call-out, secondary damage, lost production while waiting for the crew, the
  repair and the part), all priced by :mod:`cost_models`;
* the long-run optimum of each position (age replacement or, for minimally repaired
  components, periodic replacement with minimal repair).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np

import cost_models as cm
from optimizer import rul
from optimizer.penalty import ReplacementResult, age_replacement, minimal_repair_replacement
from optimizer.problem import FloatArray, IntArray
from optimizer.scenario import (
    Crew,
    DurationH,
    ParametricPrognostics,
    ProgPyMultivariateNormal,
    ProgPyPrognostics,
    ResolvedComponent,
    SamplePrognostics,
    Scenario,
    System,
)

HOURS_PER_DAY = 24.0


def distribution(spec: Any) -> rul.LifeDistribution:
    """The :mod:`optimizer.rul` object for a scenario distribution spec."""
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


def _crews_for(scn: Scenario, skill: str, site_id: str) -> list[Crew]:
    return [c for c in scn.crews if skill in c.skills and c.site in (None, site_id)]


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


def labour_rate_per_h(scn: Scenario, skill: str, site_id: str) -> float:
    """Cheapest labour rate of the crews that can do ``skill`` at ``site_id``."""
    crews = _crews_for(scn, skill, site_id)
    return min(c.rate_per_h for c in crews) if crews else 0.0


def mean_value_multiplier(scn: Scenario, system: System) -> float:
    """Average production-value multiplier of a system's value profile."""
    if system.value_profile is None:
        return 1.0
    return float(np.mean(scn.calendar.value_profiles[system.value_profile].multipliers))


def _is_redundant(system: System, comp_id: str) -> bool:
    """A member of a k-out-of-n group with spare members does not stop the system alone."""
    return any(comp_id in g.components and g.k < len(g.components) for g in system.redundancy)


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
    the expected response delay, repair time and (when no spare is on hand) the part's
    lead time (expedited when possible, paying the expedite premium).  A member of a
    k-out-of-n group with spares is assumed not to stop the system when it fails alone.
    The cost of a preventive replacement done on its own includes one opening of the
    system: set-up cost plus production lost for the set-up time and the task.
    """
    systems = {s.id: s for _, s in scn.systems()}
    system_ids = tuple(systems)
    comps = tuple(scn.components())
    n = len(comps)
    arr = {
        k: np.zeros(n)
        for k in (
            "pm",
            "pm_ind",
            "cm",
            "cm_direct",
            "cm_down",
            "pm_d",
            "cm_d",
            "open",
            "oph",
        )
    }
    sys_idx = np.zeros(n, dtype=np.int64)
    mr = np.zeros(n, dtype=bool)
    lives: list[rul.LifeDistribution] = []
    residuals: list[rul.LifeDistribution] = []
    policies: list[ReplacementResult] = []
    cache: dict[tuple[str, float, float, bool], ReplacementResult] = {}
    for i, c in enumerate(comps):
        system = systems[c.system_id]
        sys_idx[i] = system_ids.index(c.system_id)
        rate = labour_rate_per_h(scn, c.skill, c.site_id)
        part = scn.part(c.spare_part) if c.spare_part is not None else None
        parts_cost = part.cost_unit * c.parts_per_task if part is not None else 0.0
        value_h = system.production_value_per_h * mean_value_multiplier(scn, system)

        d_pm = mean_duration_h(c.preventive.duration_h)
        pm = c.preventive
        if pm.cost is not None:
            cost_pm = pm.cost
        else:
            labour = (
                pm.cost_labour
                if pm.cost_labour is not None
                else float(cm.labour_cost(d_pm, c.crew_size, rate))
            )
            cost_pm = float(
                cm.preventive_cost(
                    pm.cost_parts if pm.cost_parts is not None else parts_cost,
                    labour,
                    pm.cost_other,
                )
            )
        # A redundant member is maintained while the others carry the load: no lost
        # production, only the set-up.
        stops = not _is_redundant(system, c.id)
        opening = system.setup.cost + (value_h * (system.setup.duration_h + d_pm) if stops else 0.0)

        d_cm = mean_duration_h(c.corrective.duration_h)
        crews = _crews_for(scn, c.skill, c.site_id)
        response_h = min((mean_duration_h(cr.response_delay_h) for cr in crews), default=0.0)
        callout = min((cr.cost_callout for cr in crews), default=0.0)
        overtime = min((cr.overtime_factor for cr in crews), default=1.0)
        wait_h = 0.0
        expedite = 0.0
        if part is not None and part.on_hand < c.parts_per_task:
            lead_days = (
                part.expedite_lead_time_days
                if part.expedite_lead_time_days is not None
                else part.lead_time_days
            )
            wait_h = lead_days * HOURS_PER_DAY
            if part.expedite_lead_time_days is not None:
                expedite = part.cost_expedite_premium * c.parts_per_task
        cmw = c.corrective
        if cmw.cost is not None:
            direct = cmw.cost + cmw.cost_secondary_damage + expedite
        else:
            labour = (
                cmw.cost_labour
                if cmw.cost_labour is not None
                # Corrective work is unplanned: every hour at the overtime rate, plus the
                # call-out premium of the crew that answers.
                else float(
                    cm.labour_cost(
                        d_cm,
                        c.crew_size,
                        rate,
                        overtime_h=d_cm,
                        overtime_factor=overtime,
                        callout_premium=callout,
                    )
                )
            )
            direct = float(
                cm.preventive_cost(
                    (cmw.cost_parts if cmw.cost_parts is not None else parts_cost) + expedite,
                    labour,
                    cmw.cost_other + cmw.cost_secondary_damage,
                )
            )
        down_h = 0.0 if _is_redundant(system, c.id) else response_h + d_cm + wait_h
        down_cost = value_h * down_h
        cost_cm = direct + down_cost

        life = distribution(c.life)
        minimal = c.corrective_action == "minimal_repair"
        cost_pm_ind = cost_pm + opening
        # A PM that costs at least as much as a failure is never worth planning:
        # guard the optimizers' preconditions (c_p < c_f) by run-to-failure.
        # Fleets repeat the same (life, costs) many times: optimize each once.
        key = (c.life.model_dump_json(), cost_pm_ind, max(cost_cm, 1e-9), minimal)
        if key not in cache:
            opt = minimal_repair_replacement if minimal else age_replacement
            cache[key] = opt(life, cost_pm=cost_pm_ind, cost_cm=max(cost_cm, 1e-9))
        pol = cache[key]

        lives.append(life)
        residuals.append(residual_life(scn, c, system))
        policies.append(pol)
        mr[i] = minimal
        arr["pm"][i] = cost_pm
        arr["pm_ind"][i] = cost_pm_ind
        arr["cm"][i] = cost_cm
        arr["cm_direct"][i] = direct
        arr["cm_down"][i] = down_cost
        arr["pm_d"][i] = d_pm
        arr["cm_d"][i] = d_cm
        arr["open"][i] = opening
        arr["oph"][i] = system.operating_h_per_day
    return FleetModel(
        components=comps,
        system_index=sys_idx,
        system_ids=system_ids,
        life=tuple(lives),
        residual=tuple(residuals),
        cost_pm=arr["pm"],
        cost_pm_individual=arr["pm_ind"],
        cost_cm=arr["cm"],
        cost_cm_direct=arr["cm_direct"],
        cost_cm_downtime=arr["cm_down"],
        pm_duration_h=arr["pm_d"],
        cm_duration_h=arr["cm_d"],
        opening_cost_mean=arr["open"],
        minimal_repair=mr,
        policy=tuple(policies),
        cost_rate=np.array([p.cost_rate for p in policies]),
        operating_h_per_day=arr["oph"],
    )


def rul_quantiles(model: FleetModel, qs: Sequence[float] = (0.1, 0.5, 0.9)) -> FloatArray:
    """Quantiles of each component's residual life, operating hours, shape ``(n, len(qs))``."""
    out = np.empty((model.n, len(qs)))
    for i, d in enumerate(model.residual):
        out[i] = np.asarray(d.ppf(np.asarray(qs, dtype=float)), dtype=float).reshape(-1)
    return out
