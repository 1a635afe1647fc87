"""Small hand-checkable scenarios for the simulator tests (not a test module)."""

from __future__ import annotations

from typing import Any

from optimizer.scenario import Scenario
from optimizer.sim.simulate import SimulationResult, simulate

START = "2027-01-04T00:00:00Z"  # a Monday, midnight UTC
AROUND_THE_CLOCK = [{"start": "00:00", "end": "00:00"}]  # one 24 h shift every day


def component(
    cid: str,
    *,
    life: dict[str, Any] | None = None,
    age_h: float = 0.0,
    pm_h: float | dict[str, Any] = 0.0,
    cm_h: float | dict[str, Any] = 0.0,
    cost_pm_other: float = 100.0,
    cost_cm_other: float = 1000.0,
    spare: str | None = None,
    crew_size: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    """A component with its own life, durations and direct costs."""
    c: dict[str, Any] = {
        "id": cid,
        "age_h": age_h,
        "life": life or {"distribution": "weibull", "shape": 2.0, "scale_h": 1000.0},
        "preventive": {"duration_h": pm_h, "cost_other": cost_pm_other},
        "corrective": {"duration_h": cm_h, "cost_other": cost_cm_other},
        "skill": "mech",
        "crew_size": crew_size,
    }
    if spare is not None:
        c["spare_part"] = spare
    c.update(extra)
    return c


def system(
    sid: str,
    components: list[dict[str, Any]],
    *,
    value: float = 0.0,
    setup: float = 100.0,
    setup_h: float = 0.0,
    op_h_per_day: float = 24.0,
    idle_ageing: bool = False,
    redundancy: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A system (unit stopped as a whole)."""
    return {
        "id": sid,
        "production_value_per_h": value,
        "operating_h_per_day": op_h_per_day,
        "idle_ageing": idle_ageing,
        "setup": {"cost": setup, "duration_h": setup_h},
        "redundancy": redundancy or [],
        "components": components,
    }


def scenario(
    systems: list[dict[str, Any]],
    *,
    headcount: int = 10,
    response_h: float | dict[str, Any] = 0.0,
    rate_per_h: float = 0.0,
    callout: float = 0.0,
    overtime: float = 1.0,
    shifts: list[dict[str, str]] | None = None,
    days_off: list[str] | None = None,
    parts: list[dict[str, Any]] | None = None,
    simulation: dict[str, Any] | None = None,
    resources: list[dict[str, Any]] | None = None,
) -> Scenario:
    """A one-site scenario with one crew of skill ``mech``."""
    data: dict[str, Any] = {
        "name": "sim-test",
        "currency": "EUR",
        "calendar": {"start": START, "horizon_days": 28},
        "fleet": {"sites": [{"id": "A", "systems": systems}]},
        "crews": [
            {
                "id": "K",
                "skills": ["mech"],
                "headcount": headcount,
                "shifts": shifts if shifts is not None else AROUND_THE_CLOCK,
                "days_off": days_off if days_off is not None else [],
                "rate_per_h": rate_per_h,
                "response_delay_h": response_h,
                "cost_callout": callout,
                "overtime_factor": overtime,
            }
        ],
        "inventory": {"parts": parts or []},
    }
    if simulation is not None:
        data["simulation"] = simulation
    if resources is not None:
        data["resources"] = resources
    return Scenario.model_validate(data)


def weibull(shape: float, scale_h: float) -> dict[str, Any]:
    return {"distribution": "weibull", "shape": shape, "scale_h": scale_h}


def fixed(life_h: float) -> dict[str, Any]:
    return {"distribution": "deterministic", "life_h": life_h}


MINIMAL_REPAIR_BETA = 1.3
MINIMAL_REPAIR_ETA_H = 2000.0
MINIMAL_REPAIR_COST_PM = 500.0
MINIMAL_REPAIR_COST_CM = 100.0


def minimal_repair_scenario() -> Scenario:
    """One minimally repaired part (as bad as old after a failure) on a one-part system.

    Weibull(beta 1.3, eta 2000 h), replacement 500, repair 100, no setup cost: the
    Barlow-Hunter periodic replacement age is
    ``T* = eta (c_p / ((beta - 1) c_f))^(1 / beta)`` (:func:`minimal_repair_t_star_h`),
    about 17,400 h, so about one planned replacement in 2 years whatever the twin.
    """
    part = component(
        "PD",
        life=weibull(MINIMAL_REPAIR_BETA, MINIMAL_REPAIR_ETA_H),
        cost_pm_other=MINIMAL_REPAIR_COST_PM,
        cost_cm_other=MINIMAL_REPAIR_COST_CM,
        corrective_action="minimal_repair",
    )
    return scenario([system("S", [part], setup=0.0)])


def minimal_repair_t_star_h() -> float:
    """Barlow-Hunter optimum of :func:`minimal_repair_scenario`, hours (closed form)."""
    beta, eta = MINIMAL_REPAIR_BETA, MINIMAL_REPAIR_ETA_H
    return eta * (MINIMAL_REPAIR_COST_PM / ((beta - 1.0) * MINIMAL_REPAIR_COST_CM)) ** (1 / beta)


def run_to_failure(scn: Scenario, years: float, reps: int = 1, seed: int = 1) -> SimulationResult:
    """Run-to-failure replications of ``scn`` with the event log kept (no twin, one worker)."""
    return simulate(
        scn,
        "run-to-failure",
        replications=reps,
        seed=seed,
        years=years,
        twin_accuracy="none",
        workers=1,
        keep_events=True,
    )
