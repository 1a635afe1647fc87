"""Seeded generator of synthetic fleet scenarios for benchmarks.

``make_scenario(n_components, n_systems, seed=..., crews=...)`` returns a plain dict
that validates as a :class:`optimizer.scenario.Scenario` (the same path a scenario file
or an HTTP request takes). Component types are industrial drive-train parts with
Weibull lives (shapes 1.5-4, assumed); ages are drawn between 10% and 120% of the
characteristic life, so the fleet is mixed-age; set-up costs 2,000-8,000 per opening.

Crew settings:
- ``"loose"``: crews never bind (large headcount, 24/7), the DP is exact;
- ``"tight"``: one technician pool per site sized for ~85% utilization of the expected
  preventive workload over the horizon;
- ``"none"``: effectively unlimited crews, like ``loose``.

Stock: ``"ample"`` (default) stocks every part for all the work the horizon could
need, so stock never binds (but is held, at a holding cost); ``"tight"`` keeps 5 of
each part on hand; ``"none"`` models no spare parts at all (the scheduler issue's
grouping-only benchmarks).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

TYPES: dict[str, dict[str, Any]] = {
    "motor": {
        "shape": 1.8,
        "scale_h": 40000,
        "pm_h": 3,
        "cm_h": 6,
        "part": 1400,
        "skill": "electrical",
    },
    "gearbox": {
        "shape": 2.5,
        "scale_h": 30000,
        "pm_h": 6,
        "cm_h": 12,
        "part": 3800,
        "skill": "mechanical",
    },
    "bearing": {
        "shape": 2.0,
        "scale_h": 20000,
        "pm_h": 2,
        "cm_h": 4,
        "part": 180,
        "skill": "mechanical",
    },
    "pump": {
        "shape": 2.2,
        "scale_h": 25000,
        "pm_h": 4,
        "cm_h": 8,
        "part": 2600,
        "skill": "mechanical",
    },
    "belt": {
        "shape": 3.0,
        "scale_h": 15000,
        "pm_h": 5,
        "cm_h": 8,
        "part": 900,
        "skill": "mechanical",
    },
    "seal": {
        "shape": 1.6,
        "scale_h": 12000,
        "pm_h": 1,
        "cm_h": 3,
        "part": 60,
        "skill": "mechanical",
    },
    "encoder": {
        "shape": 4.0,
        "scale_h": 35000,
        "pm_h": 1,
        "cm_h": 2,
        "part": 450,
        "skill": "electrical",
    },
}


def make_scenario(
    n_components: int,
    n_systems: int,
    *,
    seed: int = 0,
    crews: str = "loose",
    horizon_days: int = 365,
    period_days: float = 1.0,
    n_sites: int | None = None,
    windows: bool = True,
    stock: str = "ample",
) -> dict[str, Any]:
    """A synthetic scenario as plain data (see module docstring)."""
    rng = np.random.default_rng(seed)
    n_sites = n_sites or max(1, n_systems // 50)
    type_names = list(TYPES)
    start = date(2027, 1, 4)
    comp_types: dict[str, Any] = {}
    for name, t in TYPES.items():
        comp_types[name] = {
            "life": {"distribution": "weibull", "shape": t["shape"], "scale_h": t["scale_h"]},
            "preventive": {"duration_h": t["pm_h"]},
            "corrective": {"duration_h": t["cm_h"], "cost_secondary_damage": 2 * t["part"]},
            **({"spare_part": f"P-{name}"} if stock != "none" else {}),
            "skill": t["skill"],
            "crew_size": 1,
        }
    system_of = np.sort(rng.integers(0, n_systems, n_components))
    system_of[:n_systems] = np.arange(min(n_systems, n_components))  # every system non-empty
    system_of.sort()
    kinds = rng.integers(0, len(type_names), n_components)
    age_frac = rng.uniform(0.1, 1.2, n_components)
    sites = []
    comp_no = 0
    for s in range(n_sites):
        systems = []
        for k in range(s, n_systems, n_sites):
            members = np.flatnonzero(system_of == k)
            comps = []
            for i in members:
                kind = type_names[int(kinds[i])]
                comps.append(
                    {
                        "id": f"C{comp_no:05d}",
                        "type": kind,
                        "age_h": round(float(age_frac[i] * TYPES[kind]["scale_h"]), 1),
                    }
                )
                comp_no += 1
            if not comps:
                continue
            system: dict[str, Any] = {
                "id": f"S{k:04d}",
                "production_value_per_h": round(float(rng.uniform(50, 400)), 2),
                "setup": {"cost": round(float(rng.uniform(2000, 8000)), 2), "duration_h": 1.0},
                "components": comps,
            }
            if windows and k % 3 == 0:
                w0 = start + timedelta(days=int(rng.integers(60, horizon_days - 20)))
                system["windows"] = [
                    {
                        "start": w0.isoformat(),
                        "end": (w0 + timedelta(days=3)).isoformat(),
                        "setup_cost_factor": 0.3,
                        "production_factor": 0.0,
                    }
                ]
            systems.append(system)
        sites.append({"id": f"SITE{s}", "systems": systems})
    n_per_site = n_components / n_sites
    crew_list = []
    for s in range(n_sites):
        if crews == "tight":
            # expected PM hours per day over the horizon, at ~85% utilization of 8 h days
            mean_pm = np.mean([t["pm_h"] for t in TYPES.values()])
            need_per_day = n_per_site * 0.6 * mean_pm / horizon_days
            head = max(1, int(np.ceil(need_per_day / (8 * 0.85 * 5 / 7))))
            shifts = [{"start": "07:00", "end": "15:00"}]
            days_off = ["sat", "sun"]
        else:
            head = 10_000
            shifts = [{"start": "00:00", "end": "23:59"}]
            days_off = []
        crew_list.append(
            {
                "id": f"CREW{s}",
                "site": f"SITE{s}",
                "skills": ["mechanical", "electrical"],
                "headcount": head,
                "shifts": shifts,
                "days_off": days_off,
                "rate_per_h": 70,
                "response_delay_h": 3,
                "cost_callout": 250,
            }
        )
    # "ample": every part stocked for all the work the horizon could need (stock never
    # binds, as in the scheduler issue's benchmarks); "tight": 5 of each on hand.
    n_of_kind = np.bincount(kinds, minlength=len(type_names))
    parts = [
        {
            "id": f"P-{name}",
            "on_hand": int(n_of_kind[j]) if stock == "ample" else 5,
            "lead_time_days": 14,
            "cost_unit": t["part"],
            "cost_order": 50,
        }
        for j, (name, t) in enumerate(TYPES.items())
    ]
    return {
        "name": f"synthetic fleet n={n_components} K={n_systems} seed={seed} crews={crews}",
        "currency": "EUR",
        "calendar": {
            "start": start.isoformat(),
            "horizon_days": horizon_days,
            "period_days": period_days,
        },
        "component_types": comp_types,
        "fleet": {"sites": sites},
        "crews": crew_list,
        "inventory": {"parts": parts if stock != "none" else []},
    }
