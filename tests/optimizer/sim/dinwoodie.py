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
    """WOMBAT's ``operation_reduction: 0`` (a turbine runs until its repair starts):
    every corrective task with ``stops_system: at_work_start``, so the waits for a CTV
    team, the FSV / HLV campaign (request threshold and mobilisation), the shift and the
    weather before the repair are not downtime.  The crews get 80 teams each (no queue):
    the annual service campaign opens all 80 turbines at once and an opening stops its
    turbine at once in Opportune (in WOMBAT when the crew arrives), so with 3 CTV teams
    the turbines would wait for the service stopped (about 870 h a turbine-year)."""
    types = {}
    for name, t in scn.component_types.items():
        w = t.corrective
        if w is not None:
            w = w.model_copy(update={"stops_system": "at_work_start"})
        types[name] = t.model_copy(update={"corrective": w})
    crews = [c.model_copy(update={"headcount": TURBINES}) for c in scn.crews]
    return scn.model_copy(update={"component_types": types, "crews": crews})


def elapsed_h(hands_on_h: float, workday_h: float) -> float:
    """Elapsed hours of ``hands_on_h`` of work started at the beginning of a workday of
    ``workday_h`` hours that pauses until the next one (60 h in 12-h days: 108 h)."""
    if workday_h >= 24.0:
        return hands_on_h
    full, rest = divmod(hands_on_h, workday_h)
    if rest == 0.0:
        full, rest = full - 1.0, workday_h
    return 24.0 * full + rest


def shift_pauses(scn: Scenario) -> Scenario:
    """Each job's hands-on hours stretched to elapsed hours of WOMBAT's workdays (the
    nearest statement of "work stops at the end of the workday"; Opportune lets a started
    job run past the shift end): 12 h for CTV and FSV work, 24 h for the HLV."""
    types = {}
    for name, t in scn.component_types.items():
        workday = 24.0 if t.skill == "hlv" else WORKDAY_H
        upd: dict[str, Any] = {}
        for field in ("corrective", "preventive"):
            w = getattr(t, field)
            if w is not None and isinstance(w.duration_h, float | int):
                upd[field] = w.model_copy(
                    update={"duration_h": elapsed_h(float(w.duration_h), workday)}
                )
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
