"""Opportune: prescriptive maintenance from remaining-useful-life models.

Public entry points::

    import optimizer
    dist = optimizer.rul.Weibull(shape=2.5, scale=1000.0)
    optimizer.age_replacement(dist, cost_pm=1.0, cost_cm=10.0)   # t_star, cost_rate, ...
    optimizer.minimal_repair_replacement(dist, cost_pm=1.0, cost_cm=10.0)
    scn = optimizer.load_scenario("scenarios/conveyor.yaml")
    result = optimizer.plan_scenario(scn)                         # plan + work orders
    plan = optimizer.solve(problem, method="auto")                # frozen problem -> Plan
"""

from __future__ import annotations

from typing import Any

from optimizer import rul
from optimizer.loading import ScenarioError, load_scenario, parse_scenario
from optimizer.penalty import (
    PenaltyCurves,
    ReplacementResult,
    age_replacement,
    age_replacement_batch,
    minimal_repair_replacement,
    penalty_curves,
)
from optimizer.plan import Plan, Status
from optimizer.problem import PlanningProblem
from optimizer.scenario import Scenario

__version__ = "0.1.0"

__all__ = [
    "PenaltyCurves",
    "Plan",
    "PlanningProblem",
    "ReplacementResult",
    "Scenario",
    "ScenarioError",
    "Status",
    "__version__",
    "age_replacement",
    "age_replacement_batch",
    "load_scenario",
    "minimal_repair_replacement",
    "parse_scenario",
    "penalty_curves",
    "plan_scenario",
    "rul",
    "solve",
]


def solve(problem: PlanningProblem, method: str = "auto", **kwargs: Any) -> Plan:
    """Solve a planning problem; see :func:`optimizer.solvers.solve`."""
    from optimizer.solvers import solve as _solve

    return _solve(problem, method, **kwargs)


def plan_scenario(scn: Scenario, **kwargs: Any) -> Any:
    """Plan a scenario end to end; see :func:`optimizer.planning.plan_scenario`."""
    from optimizer.planning import plan_scenario as _plan

    return _plan(scn, **kwargs)
