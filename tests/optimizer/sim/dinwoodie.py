"""The Dinwoodie et al. (2015) / NREL WOMBAT base case and its variants (not a test module).

Shared by ``test_published_wombat.py`` and ``benchmarks/bench_validation.py``.  Inputs are
in ``tests/data/validation/dinwoodie_base.yaml`` (every number sourced there); the
reference outputs are WOMBAT's published validation run, ``examples/
dinwoodie_validation.ipynb`` (v0.11, 25 June 2025, https://github.com/WISDEM/WOMBAT,
commit dcdd8a4), base case, ``random_seed=2023``, one 10-year run.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from optimizer.loading import load_scenario
from optimizer.scenario import Scenario
from optimizer.sim.engine import kpi_names, run_replication
from optimizer.sim.model import compile_model
from optimizer.sim.strategies import make_policy
from optimizer.sim.twin import Twin

SCENARIO = Path(__file__).parents[2] / "data" / "validation" / "dinwoodie_base.yaml"
HOURS_PER_YEAR = 8760.0  # WOMBAT's conversion of failure scales in years
YEARS = 10  # base.yaml: 2003..2012
TURBINES = 80
SEED = 2023  # the seed of WOMBAT's validation notebook

# base.yaml: failure scale (years, exponential) and materials per category
SCALE_Y = {
    "manual_reset": 0.1333,
    "minor_repair": 0.3333,
    "medium_repair": 3.6363,
    "major_repair": 25.0,
    "major_replacement": 12.5,
}
MATERIALS = {
    "manual_reset": 0.0,
    "minor_repair": 1000.0,
    "medium_repair": 18500.0,
    "major_repair": 73500.0,
    "major_replacement": 334500.0,
}
SERVICE_MATERIALS = 18500.0  # annual service, per turbine
WORKDAY_H = 12.0  # base.yaml workday 07:00-19:00 (CTV, FSV); the HLV works 24 h

FIXED_COST_PER_YEAR = 3 * 1750.0 * 365 + 20 * 80000.0
"""Annual costs Opportune cannot state: 3 CTVs on site all year at 1,750 a day
(ctv1..3.yaml) and 20 salaried technicians at 80,000 (fixed_costs.yaml, 6.6667 /kW/yr)."""

WOMBAT = {
    "availability": 0.97,  # time based, printed to 2 decimals
    "om_total": 16.82,  # annual direct O&M cost, M
    "vessels": 10.72,
    "ctv": 1.92,
    "fsv": 0.27,
    "hlv": 8.53,
    "materials": 4.50,
    "technicians": 1.60,
}
"""WOMBAT v0.11's published base-case outputs (money in M a year)."""


def wombat_like(scn: Scenario) -> Scenario:
    """WOMBAT's ``operation_reduction: 0`` (a turbine runs until the vessel is at it):
    every corrective and preventive task with ``stops_system: at_work_start``, so the
    waits for a CTV, the FSV / HLV campaign (request threshold and mobilisation), the
    shift and the weather before a repair, and the queue of the 80 annual services for
    the 3 CTVs, are not downtime (base.yaml's failures give ``operation_reduction: 0``,
    its maintenance takes the default 0 of ``wombat/core/data_classes.py`` l. 735; the
    turbine stops in ``ServiceEquipment.in_situ_repair``, l. 1536).

    The crews get 80 teams each (no queue): WOMBAT's vessels take the open request of
    the highest severity first (``method: severity``, the default of
    ``data_classes.py`` l. 1521-1525; ``RepairManager.get_request_by_severity``), the
    annual service (level 0) after every open failure, while Opportune's crews serve in
    request order: with WOMBAT's 3 CTVs the 80 services opened on one day would hold
    the failures back for months (their parts' clocks stopped meanwhile: 26 % fewer
    manual resets, availability 0.9803)."""
    types = {}
    for name, t in scn.component_types.items():
        upd: dict[str, Any] = {}
        for field in ("corrective", "preventive"):
            w = getattr(t, field)
            if w is not None:
                upd[field] = w.model_copy(update={"stops_system": "at_work_start"})
        types[name] = t.model_copy(update=upd)
    crews = [c.model_copy(update={"headcount": TURBINES}) for c in scn.crews]
    return scn.model_copy(update={"component_types": types, "crews": crews})


def elapsed_h(hands_on_h: float, workday_h: float, transfer_h: float = 0.0) -> float:
    """Elapsed hours of ``hands_on_h`` of work started at the beginning of a workday of
    ``workday_h`` hours that pauses until the next one, WOMBAT's crew transfers included
    (``ServiceEquipment.in_situ_repair`` and ``crew_transfer``, commit dcdd8a4): each
    workday the crew transfers onto the turbine (``transfer_h``), works until
    ``transfer_h`` before the end of the workday and transfers off, the turbine staying
    stopped overnight; the repair is registered after the last transfer off.  The first
    transfer on is the crew's response delay (modelled apart), so the span is
    ``24 full + rest + transfer_h`` with ``(full, rest)`` the whole workdays and the
    remainder of ``hands_on_h / (workday_h - 2 transfer_h)`` (60 h in 12-h days with
    0.25-h transfers: 5 x 24 + 2.5 + 0.25 = 122.75 h; without transfers 108 h).  A
    24-h workday never pauses: ``hands_on_h + transfer_h``."""
    if workday_h >= 24.0:
        return hands_on_h + transfer_h
    per_day = workday_h - 2.0 * transfer_h
    full, rest = divmod(hands_on_h, per_day)
    if rest == 0.0:
        full, rest = full - 1.0, per_day
    return 24.0 * full + rest + transfer_h


def shift_pauses(scn: Scenario) -> Scenario:
    """Each job's hands-on hours stretched to elapsed hours of WOMBAT's workdays (the
    nearest statement of "work stops at the end of the workday"; Opportune lets a started
    job run past the shift end): 12 h for CTV and FSV work, 24 h for the HLV, with the
    daily crew transfers of :func:`elapsed_h` (the crew's ``response_delay_h``: WOMBAT's
    ``crew_transfer_time``, 0.25 h CTV and HLV, 0.5 h FSV)."""
    transfer = {sk: float(c.response_delay_h) for c in scn.crews for sk in c.skills}
    types = {}
    for name, t in scn.component_types.items():
        workday = 24.0 if t.skill == "hlv" else WORKDAY_H
        upd: dict[str, Any] = {}
        for field in ("corrective", "preventive"):
            w = getattr(t, field)
            if w is not None and isinstance(w.duration_h, float | int):
                hours = elapsed_h(float(w.duration_h), workday, transfer[str(t.skill)])
                upd[field] = w.model_copy(update={"duration_h": hours})
        types[name] = t.model_copy(update=upd)
    return scn.model_copy(update={"component_types": types})


def variants() -> dict[str, Scenario]:
    """The scenario as stated and its WOMBAT-like variants."""
    base = load_scenario(SCENARIO)
    return {
        "as stated": base,
        "wombat-like": wombat_like(base),
        "wombat-like, shift pauses": shift_pauses(wombat_like(base)),
    }


def own_downtime_h(
    events: list[tuple[Any, ...]], category: list[str], horizon_h: float
) -> dict[str, float]:
    """Hours each category's parts spent failed (failure to end of repair; to the horizon
    when still failed), summed over the farm: the time their failure clock did not run."""
    failed_at: dict[int, float] = {}
    out = dict.fromkeys(set(category), 0.0)
    for e in events:
        if e[2] == "failure":
            failed_at[e[4]] = e[1]
        elif e[2] == "repaired" and e[4] in failed_at:
            out[category[e[4]]] += e[1] - failed_at.pop(e[4])
    for i, t0 in failed_at.items():
        out[category[i]] += horizon_h - t0
    return out


def run(scn: Scenario, reps: int) -> dict[str, np.ndarray]:
    """Per-replication results of run-to-failure over 10 years (seed 2023).

    Returns arrays of length ``reps``: ``availability``; failures per category
    (``n_<category>``) and the farm's hours in service of its parts
    (``exposure_h_<category>``: the horizon minus :func:`own_downtime_h`); annual money
    in M: ``materials``, the FSV and HLV campaign costs (``fsv``, ``hlv``: resources,
    with their mobilisations a year ``fsv_mobilisations``, ``hlv_mobilisations``),
    Opportune's ``cost_total`` (``opportune_cost``) and ``om_total`` (that plus
    :data:`FIXED_COST_PER_YEAR`); downtime in h per turbine-year: ``down_unplanned``,
    ``down_planned``, ``wait_before_work`` (spare, crew queue, shift) and
    ``response_and_repair`` (response delay and hands-on repair of corrective work;
    weather waits are the rest of ``down_unplanned``).
    """
    model = compile_model(scn, years=YEARS)
    policy = make_policy("run-to-failure")
    twin = Twin("none")
    policy.prepare(model, twin)
    names = kpi_names(model)
    category = [c.split("-", 1)[1] for c in model.component_ids]
    per_turbine_year = TURBINES * YEARS
    out: dict[str, list[float]] = {}
    for rep in range(reps):
        kpis, ev = run_replication(model, policy, twin, SEED, rep, keep_events=True)
        k = dict(zip(names, kpis.tolist(), strict=True))
        n = Counter(category[e[4]] for e in ev if e[2] == "failure")
        out_h = own_downtime_h(ev, category, model.horizon_h)
        materials = sum(MATERIALS[c] * n[c] for c in SCALE_Y)
        materials += SERVICE_MATERIALS * k["preventive_replacements"]
        row = {f"n_{c}": float(n[c]) for c in SCALE_Y}
        row |= {f"exposure_h_{c}": TURBINES * model.horizon_h - out_h[c] for c in SCALE_Y}
        row |= {
            "services": k["preventive_replacements"],
            "availability": k["availability_fleet"],
            "materials": materials / YEARS / 1e6,
            "fsv": k["resource_cost[fsv]"] / YEARS / 1e6,
            "hlv": k["resource_cost[hlv]"] / YEARS / 1e6,
            "fsv_mobilisations": k["resource_mobilisations[fsv]"] / YEARS,
            "hlv_mobilisations": k["resource_mobilisations[hlv]"] / YEARS,
            "opportune_cost": k["cost_total"] / YEARS / 1e6,
            "om_total": (k["cost_total"] / YEARS + FIXED_COST_PER_YEAR) / 1e6,
            "down_unplanned": k["downtime_unplanned_h"] / per_turbine_year,
            "down_planned": k["downtime_planned_h"] / per_turbine_year,
            "wait_before_work": sum(e[5] for e in ev if e[2] == "corrective_start")
            / per_turbine_year,
            "response_and_repair": sum(e[5] for e in ev if e[2] == "repaired") / per_turbine_year,
        }
        for key, v in row.items():
            out.setdefault(key, []).append(v)
    return {key: np.array(v) for key, v in out.items()}
